/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-agent --name=NAME [--terminal] [--socket=PATH] -- CMD ARGS...
 *
 * The main process of every session. It runs CMD as its child (on a PTY with --terminal), reaps
 * every zombie (it is a child subreaper, or PID 1 inside nspawn), forwards SIGTERM, SIGINT and
 * SIGHUP to CMD, and exits with CMD's status once CMD ends (dying the same clean signal death, or
 * 128+N for a core-dumping one). Meanwhile it serves io.sessiond.Agent on a unix socket,
 * $RUNTIME_DIRECTORY/agent.sock by default, or on AF_VSOCK (--socket=vsock:PORT) inside a VM, where
 * fds cannot be passed and callers use the streaming mode. */

#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "agent.h"
#include "io.sessiond.Agent.h"
#include "macro.h"
#include "time-util.h"

static bool arg_terminal = false;
static char *arg_name = NULL;
static char *arg_socket = NULL;
static int on_child(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Agent *a = userdata;

        /* One SIGCHLD may stand for several children: reap all of them, ours and orphans alike. */
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid <= 0)
                        break;

                if (pid == a->main_pid) {
                        a->main_pid = 0;
                        a->main_status = status;
                        continue;
                }

                Exec *e = agent_find_exec_by_pid(a, pid);
                if (e)
                        exec_child_exited(e, status);
        }

        if (a->main_pid == 0 && !a->lingering) {
                int code = WIFEXITED(a->main_status) ? WEXITSTATUS(a->main_status) :
                           WIFSIGNALED(a->main_status) ? 128 + WTERMSIG(a->main_status) : 255;
                log_info("Main command of session %s ended, exit status %d.", a->name, code);
                return agent_main_ended(a, code);
        }
        return 0;
}

static int on_forward_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Agent *a = userdata;

        if (a->main_pid > 0 && kill(a->main_pid, (int) si->ssi_signo) < 0)
                log_warn("Failed to forward signal %u to %d: %m", si->ssi_signo, (int) a->main_pid);
        return 0;
}

static int start_main(Agent *a, char **argv) {
        _cleanup_close_ int slave = -EBADF;
        SpawnParams p = {
                .argv = argv,
                .fds = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO },
                .ctty_fd = -EBADF,
        };
        const char *step = NULL;
        int r;

        if (arg_terminal) {
                r = terminal_new(a, 24, 80, &a->terminal, &slave);
                if (r < 0)
                        return log_err("Failed to allocate a PTY: %s", strerror(-r)), r;
                p.fds[0] = p.fds[1] = p.fds[2] = p.ctty_fd = slave;
        }

        r = agent_spawn(&p, &a->main_pid, &step);
        if (r < 0)
                return log_err("Failed to start %s (%s): %s", argv[0], step, strerror(-r)), r;
        return 0;
}

/* The signals systemd counts as a clean end of a service's main process. */
static bool signal_is_clean(int sig) {
        return IN_SET(sig, SIGHUP, SIGINT, SIGTERM, SIGPIPE);
}

static void reraise(int sig) {
        static const int clean[] = { SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGKILL, SIGUSR1, SIGUSR2, SIGALRM };
        sigset_t s;

        for (size_t i = 0; i < ELEMENTSOF(clean); i++)
                if (clean[i] == sig) {
                        fflush(NULL);
                        (void) signal(sig, SIG_DFL);
                        sigemptyset(&s);
                        sigaddset(&s, sig);
                        (void) sigprocmask(SIG_UNBLOCK, &s, NULL);
                        (void) raise(sig);
                }
}

/* --socket=vsock:PORT: inside a VM, the host reaches the agent over AF_VSOCK (any local CID). */
static int listen_vsock(sd_varlink_server *server, const char *port_string) {
        struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY };
        char *end;
        unsigned long port;
        int fd, r;

        errno = 0;
        port = strtoul(port_string, &end, 10);
        if (errno != 0 || end == port_string || *end || port == 0 || port >= VMADDR_PORT_ANY)
                return -EINVAL;
        sa.svm_port = (unsigned) port;

        fd = socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        r = sd_varlink_server_listen_fd(server, fd);
        if (r < 0)
                safe_close(fd);
        return r;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_NAME = 0x100, ARG_TERMINAL, ARG_SOCKET, ARG_VERSION, ARG_SANDBOX };
        static const struct option options[] = {
                { "help",     no_argument,       NULL, 'h'          },
                { "version",  no_argument,       NULL, ARG_VERSION  },
                { "name",     required_argument, NULL, ARG_NAME     },
                { "terminal", no_argument,       NULL, ARG_TERMINAL },
                { "socket",   required_argument, NULL, ARG_SOCKET   },
                { "sandbox",  required_argument, NULL, ARG_SANDBOX  },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("%s --name=NAME [--terminal] [--socket=PATH] -- CMD [ARGS...]\n\n"
                               "Run CMD as the main command of session NAME and serve io.sessiond.Agent.\n\n"
                               "  --name=NAME    session name (for the journal and Describe)\n"
                               "  --terminal     run CMD on a PTY that Attach joins\n"
                               "  --socket=PATH  listen here (default: $RUNTIME_DIRECTORY/agent.sock);\n"
                               "                 vsock:PORT listens on AF_VSOCK (inside a VM)\n"
                               "  --sandbox=PROFILE  start commands as an unprivileged uid with the\n"
                               "                 profile's seccomp rules (the agent is a container's PID 1)\n",
                               program_invocation_short_name);
                        return 0;
                case ARG_VERSION:
                        puts(PACKAGE_VERSION);
                        return 0;
                case ARG_NAME:
                        arg_name = optarg;
                        break;
                case ARG_TERMINAL:
                        arg_terminal = true;
                        break;
                case ARG_SOCKET:
                        arg_socket = optarg;
                        break;
                case ARG_SANDBOX:
                        r = agent_sandbox_setup(optarg);
                        if (r < 0)
                                return log_err("Invalid --sandbox=%s: %s", optarg,
                                               r == -EINVAL ? "expected restrictive, moderate or permissive" : strerror(-r)), r;
                        break;
                default:
                        return -EINVAL;
                }

        if (isempty(arg_name))
                return log_err("--name= is required."), -EINVAL;
        if (optind >= argc)
                return log_err("No command given (after --)."), -EINVAL;
        return 1;
}

static int socket_path(char **ret) {
        const char *rd;
        char *p;

        if (arg_socket) {
                p = strdup(arg_socket);
        } else {
                rd = getenv("RUNTIME_DIRECTORY");
                if (isempty(rd))
                        return log_err("--socket= not given and $RUNTIME_DIRECTORY not set."), -EINVAL;
                /* Several RuntimeDirectory= entries arrive colon-separated: the first is ours. */
                size_t n = strcspn(rd, ":");
                if (asprintf(&p, "%.*s/agent.sock", (int) n, rd) < 0)
                        p = NULL;
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_varlink_server_unrefp) sd_varlink_server *server = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_free_ char *path = NULL;
        Agent a = { .next_id = 1 };
        sigset_t mask;
        int r, code;

        agent_log_prefix = !!getenv("JOURNAL_STREAM");
        if (getenv("SESSIOND_AGENT_DEBUG"))
                agent_log_level = 7;
        /* Exec records go to the journal natively where there is one, else to stderr. */
        agent_journal = access("/run/systemd/journal/socket", F_OK) == 0;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        a.name = arg_name;
        a.last_activity_usec = now_monotonic_usec();

        r = socket_path(&path);
        if (r < 0)
                return EXIT_FAILURE;

        /* Orphans of the session are re-parented to us, not to PID 1 of the host. */
        if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                log_warn("Failed to become a child subreaper, ignoring: %m");

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_err("sigprocmask: %m"), EXIT_FAILURE;
        (void) signal(SIGPIPE, SIG_IGN);

        r = sd_event_new(&event);
        if (r < 0)
                return log_err("sd_event_new: %s", strerror(-r)), EXIT_FAILURE;
        a.event = event;

        r = sd_event_add_signal(event, NULL, SIGCHLD, on_child, &a);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_forward_signal, &a);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_forward_signal, &a);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGHUP, on_forward_signal, &a);
        if (r < 0)
                return log_err("Failed to watch signals: %s", strerror(-r)), EXIT_FAILURE;

        r = agent_server_new(&a, &server);
        if (r < 0)
                return log_err("Failed to set up the varlink server: %s", strerror(-r)), EXIT_FAILURE;
        a.server = server;

        if (strncmp(path, "vsock:", 6) == 0)
                r = listen_vsock(server, path + 6);
        else
                r = sd_varlink_server_listen_address(server, path, 0600);
        if (r < 0)
                return log_err("Failed to listen on %s: %s", path, strerror(-r)), EXIT_FAILURE;

        r = sd_varlink_server_attach_event(server, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_err("Failed to attach the varlink server: %s", strerror(-r)), EXIT_FAILURE;

        /* Unset $NOTIFY_SOCKET before any child is forked: commands must not speak for the unit. */
        (void) sd_notify(/* unset_environment= */ true, "READY=1\nSTATUS=Serving io.sessiond.Agent");

        r = start_main(&a, argv + optind);
        if (r < 0)
                return EXIT_FAILURE;

        r = sd_event_loop(event);
        code = r < 0 ? 255 : r;
        if (r < 0)
                log_err("Event loop failed: %s", strerror(-r));

        /* The session ends with its main command: what it started does not outlive it. */
        while (a.execs) {
                if (!a.execs->exited)
                        (void) kill(-a.execs->pid, SIGKILL);
                exec_free(a.execs);
        }
        a.terminal = terminal_free(a.terminal);
        (void) sd_varlink_server_shutdown(server);
        if (strncmp(path, "vsock:", 6) != 0)
                (void) unlink(path);

        /* Die the main command's death where that is clean, so systemd judges the unit as it would
         * judge the command itself (SIGTERM on stop is success); a shell sees 128+N either way.
         * Core-dumping signals become 128+N: a core of the agent would only mislead. */
        if (r >= 0 && a.main_pid == 0 && WIFSIGNALED(a.main_status)) {
                /* As the PID 1 of a container (Backend=nspawn) the kernel drops a signal we raise
                 * at ourselves, and nspawn passes our exit status on to systemd: a clean death
                 * (systemctl stop forwards SIGTERM) is success there, as for a service. */
                if (getpid() == 1 && signal_is_clean(WTERMSIG(a.main_status)))
                        return EXIT_SUCCESS;
                reraise(WTERMSIG(a.main_status));
        }
        return code;
}
