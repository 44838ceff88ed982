/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent-client.h"
#include "macro.h"
#include "pty-forward.h"
#include "sessionctl-exec.h"

#define EXIT_AGENT_FAILED 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

typedef struct ExecArgs {
        bool terminal;
        bool stream;
        char **env;
        size_t n_env;
        const char *workdir;
        uint64_t timeout_usec;
        const char *agent_socket;
        const char *name;
        char **cmd;
} ExecArgs;

static void exec_help(void) {
        printf("sessionctl exec [OPTIONS] NAME [--] CMD [ARGS...]\n\n"
               "Run a command inside session NAME. Its exit status becomes sessionctl's\n"
               "(128+N if killed by signal N). stdin, stdout and stderr are handed over as they are;\n"
               "in a VM (Backend=vmspawn, AF_VSOCK) stdin is sent up front and output streamed.\n\n"
               "  -t --tty             run the command on a new terminal (interactive)\n"
               "     --stream          with --tty: stream the terminal through the agent's connection\n"
               "                       (as in a VM, where it is the default) instead of taking its fd\n"
               "  -E --env=KEY=VALUE   set an environment variable (repeatable)\n"
               "  -C --workdir=DIR     working directory (absolute)\n"
               "     --timeout=SEC     kill the command with SIGKILL after SEC seconds\n"
               "     --agent-socket=PATH  talk to a session agent directly (root, tests)\n");
}

static int parse_seconds(const char *s, uint64_t *ret) {
        char *end;
        double d;

        errno = 0;
        d = strtod(s, &end);
        if (errno != 0 || end == s || *end || d < 0 || d > 1e9)
                return -EINVAL;
        *ret = (uint64_t) (d * 1e6);
        return 0;
}

static int exec_parse(int argc, char **argv, ExecArgs *a) {
        enum { ARG_TIMEOUT = 0x100, ARG_AGENT_SOCKET, ARG_STREAM };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "tty",          no_argument,       NULL, 't'              },
                { "env",          required_argument, NULL, 'E'              },
                { "workdir",      required_argument, NULL, 'C'              },
                { "timeout",      required_argument, NULL, ARG_TIMEOUT      },
                { "agent-socket", required_argument, NULL, ARG_AGENT_SOCKET },
                { "stream",       no_argument,       NULL, ARG_STREAM       },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+htE:C:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        exec_help();
                        return 0;
                case 't':
                        a->terminal = true;
                        break;
                case 'E': {
                        if (!strchr(optarg, '=') || optarg[0] == '=') {
                                fprintf(stderr, "Invalid --env= value, expected KEY=VALUE: %s\n", optarg);
                                return -EINVAL;
                        }
                        char **n = realloc(a->env, (a->n_env + 2) * sizeof(char *));
                        if (!n)
                                return -ENOMEM;
                        a->env = n;
                        a->env[a->n_env++] = optarg;
                        a->env[a->n_env] = NULL;
                        break;
                }
                case 'C':
                        if (optarg[0] != '/') {
                                fprintf(stderr, "--workdir= needs an absolute path: %s\n", optarg);
                                return -EINVAL;
                        }
                        a->workdir = optarg;
                        break;
                case ARG_TIMEOUT:
                        if (parse_seconds(optarg, &a->timeout_usec) < 0) {
                                fprintf(stderr, "Invalid --timeout= value: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_AGENT_SOCKET:
                        a->agent_socket = optarg;
                        break;
                case ARG_STREAM:
                        a->stream = true;
                        break;
                default:
                        return -EINVAL;
                }

        if (a->stream && !a->terminal) {
                fprintf(stderr, "--stream only applies to --tty.\n");
                return -EINVAL;
        }

        if (optind >= argc) {
                fprintf(stderr, "Expected a session name and a command.\n");
                return -EINVAL;
        }
        a->name = argv[optind++];
        if (optind < argc && streq(argv[optind], "--"))
                optind++;
        if (optind >= argc) {
                fprintf(stderr, "Expected a command after the session name.\n");
                return -EINVAL;
        }
        a->cmd = argv + optind;
        return 1;
}

static int exec_failed(const ExecArgs *a, int r) {
        if (r == -ENXIO)
                fprintf(stderr, "No such session: %s\n", a->name);
        else if (r == -EPROTONOSUPPORT)
                fprintf(stderr, "Session %s is a VM (Backend=vmspawn): its agent is reached over AF_VSOCK, "
                        "which passes no fds.\n", a->name);
        else if (r == -ESHUTDOWN)
                fprintf(stderr, "Session %s has ended.\n", a->name);
        else
                fprintf(stderr, "Failed to run %s in session %s: %s\n", a->cmd[0], a->name, strerror(-r));
        return r == -ENOENT ? EXIT_NOT_FOUND :
               r == -EACCES || r == -ENOEXEC || r == -EPERM || r == -ENOTDIR ? EXIT_CANNOT_RUN : EXIT_AGENT_FAILED;
}

static int exit_code_of(const AgentExecResult *res);
static int read_stdin(uint8_t **ret, size_t *ret_size);

/* Streaming mode, for agents on AF_VSOCK (directly, or a vmspawn session through sessiond): no fd
 * passing there, so output streams through the agent and stdin is read to its end and sent up front
 * (nothing when it is a terminal: the command's stdin is then empty). */
static int exec_streamed(const ExecArgs *a, sd_varlink *link, AgentExecOptions *o) {
        _cleanup_free_ uint8_t *input = NULL;
        AgentExecResult res;
        size_t size = 0;
        int r;

        if (!isatty(STDIN_FILENO)) {
                r = read_stdin(&input, &size);
                if (r < 0) {
                        fprintf(stderr, "Failed to read stdin: %s\n", strerror(-r));
                        return EXIT_AGENT_FAILED;
                }
                o->stdin_data = input ?: (const void *) "";
                o->stdin_size = size;
        }
        r = agent_exec(link, a->cmd, o, NULL, &res);
        o->stdin_data = NULL;
        o->stdin_size = 0;
        return r < 0 ? exec_failed(a, r) : exit_code_of(&res);
}

static int exit_code_of(const AgentExecResult *res) {
        if (res->timed_out)
                fprintf(stderr, "Command timed out and was killed.\n");
        return res->exit_code;
}

typedef struct TerminalState {
        AgentCall *call;
        sd_varlink *link;
        sd_varlink *control;    /* second connection for Resize; the first one carries the call */
        AgentTerminalInput *input; /* streamed: Input and Resize go here, on the second connection */
        const char *address;
        const char *session;
        uint64_t id;
        AgentExecResult result;
        int error;
        bool done;
} TerminalState;

static int terminal_extra(void *userdata, struct pollfd ret[PTY_FORWARD_EXTRA_MAX]) {
        TerminalState *s = userdata;
        int r;

        r = agent_call_process(s->call, &s->result);
        if (r < 0) {
                s->error = r;
                s->done = true;
                return 1;
        }
        if (r > 0) {
                s->done = true;
                return 1;
        }
        ret[0].fd = sd_varlink_get_fd(s->link);
        ret[0].events = (short) sd_varlink_get_events(s->link);
        if (s->input) {
                r = agent_terminal_input_process(s->input, &ret[1].fd, &ret[1].events);
                if (r < 0) {
                        s->error = r;
                        return r;
                }
        }
        return 0;
}

static size_t terminal_input_room(void *userdata) {
        TerminalState *s = userdata;
        return agent_terminal_input_room(s->input);
}

static int terminal_input(void *userdata, const void *data, size_t size) {
        TerminalState *s = userdata;
        return agent_terminal_input_queue(s->input, data, size);
}

static void terminal_winch(void *userdata, unsigned rows, unsigned columns) {
        TerminalState *s = userdata;

        if (s->input) {
                agent_terminal_input_resize(s->input, rows, columns);
                return;
        }
        if (!s->control && agent_connect(s->address, &s->control) < 0)
                return;
        (void) agent_resize(s->control, s->session, s->id, rows, columns);
}

/* Returns the exit code, or -EPROTONOSUPPORT (nothing ran) where no fds pass. */
static int exec_terminal(const ExecArgs *a, sd_varlink *link, const char *address, const AgentExecOptions *o) {
        TerminalState s = { .link = link, .address = address, .session = o->session };
        _cleanup_close_ int fd = -EBADF;
        struct termios saved;
        unsigned rows = 0, columns = 0;
        bool raw;
        int r;

        (void) pty_forward_get_size(STDOUT_FILENO, &rows, &columns);
        r = agent_exec_terminal_start(link, a->cmd, o, rows, columns, /* stream= */ false, &s.call, &fd, &s.id);
        if (r == -EPROTONOSUPPORT)
                return r; /* no fds to this session's agent: the caller retries streamed */
        if (r < 0)
                return exec_failed(a, r);

        raw = pty_forward_raw(STDIN_FILENO, &saved) >= 0;
        r = pty_forward_run(fd, /* detach_char= */ -1, /* read_only= */ false,
                            &(PtyForwardHooks) { .extra = terminal_extra, .winch = terminal_winch, .userdata = &s });
        if (raw)
                pty_forward_restore(STDIN_FILENO, &saved);
        sd_varlink_unref(s.control);

        if (r == -EINTR) {
                /* Interrupted: dropping the call hangs the command up. */
                agent_call_free(s.call);
                return 128 + SIGHUP;
        }
        if (r >= 0 && !s.done) {
                r = agent_call_wait(s.call, &s.result);
                if (r < 0)
                        s.error = r;
        }
        agent_call_free(s.call);
        if (r < 0 && s.error == 0)
                s.error = r;
        if (s.error < 0) {
                fprintf(stderr, "Lost the command in session %s: %s\n", a->name, strerror(-s.error));
                return EXIT_AGENT_FAILED;
        }
        return exit_code_of(&s.result);
}

/* Streamed terminal: for a session whose agent takes no fds (Backend=vmspawn, AF_VSOCK), or with
 * --stream. The agent still runs the command on a PTY of its own; the terminal's output comes in the
 * call's replies and is written to stdout as it comes (a slow stdout holds the command back), typed
 * input and window sizes go as Input and Resize calls on a second connection. */
static int exec_terminal_streamed(const ExecArgs *a, sd_varlink *link, const char *address, const AgentExecOptions *o) {
        TerminalState s = { .link = link, .address = address, .session = o->session };
        struct termios saved;
        unsigned rows = 0, columns = 0;
        bool raw;
        int r;

        (void) pty_forward_get_size(STDOUT_FILENO, &rows, &columns);
        r = agent_exec_terminal_start(link, a->cmd, o, rows, columns, /* stream= */ true, &s.call, NULL, &s.id);
        if (r < 0)
                return exec_failed(a, r);
        r = agent_connect(address, &s.control);
        if (r >= 0)
                r = agent_terminal_input_new(s.control, o->session, s.id, &s.input);
        if (r < 0) {
                /* Without input it would run blind: dropping the call hangs it up. */
                agent_call_free(s.call);
                sd_varlink_unref(s.control);
                fprintf(stderr, "Failed to connect to %s: %s\n", address, strerror(-r));
                return EXIT_AGENT_FAILED;
        }

        raw = pty_forward_raw(STDIN_FILENO, &saved) >= 0;
        r = pty_forward_run(-EBADF, /* detach_char= */ -1, /* read_only= */ false,
                            &(PtyForwardHooks) {
                                    .extra = terminal_extra,
                                    .winch = terminal_winch,
                                    .input_room = terminal_input_room,
                                    .input = terminal_input,
                                    .userdata = &s,
                            });
        if (raw)
                pty_forward_restore(STDIN_FILENO, &saved);
        agent_terminal_input_free(s.input);
        sd_varlink_unref(s.control);
        agent_call_free(s.call);

        if (r == -EINTR)
                return 128 + SIGHUP; /* dropping the call hung the command up */
        if (r < 0 && s.error == 0)
                s.error = r;
        if (s.error < 0 || !s.done) {
                fprintf(stderr, "Lost the command in session %s: %s\n", a->name, strerror(s.error < 0 ? -s.error : EPIPE));
                return EXIT_AGENT_FAILED;
        }
        return exit_code_of(&s.result);
}

#define STDIN_MAX (8U * 1024U * 1024U)

static int read_stdin(uint8_t **ret, size_t *ret_size) {
        uint8_t *buf = NULL;
        size_t n = 0, a = 0;

        for (;;) {
                if (n == a) {
                        if (a >= STDIN_MAX) {
                                free(buf);
                                return -EFBIG;
                        }
                        a = a ? a * 2 : 65536;
                        uint8_t *p = realloc(buf, a);
                        if (!p) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = p;
                }
                ssize_t k = read(STDIN_FILENO, buf + n, a - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        free(buf);
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}

int verb_exec(int argc, char **argv) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = NULL;
        ExecArgs a = {};
        AgentExecResult res;
        const char *address;
        int r, ret;

        r = exec_parse(argc, argv, &a);
        if (r <= 0) {
                free(a.env);
                return r < 0 ? EXIT_AGENT_FAILED : 0;
        }

        AgentExecOptions o = {
                .session = a.agent_socket ? NULL : a.name,
                .environment = a.env,
                .working_directory = a.workdir,
                .timeout_usec = a.timeout_usec,
                .output_fds = { STDOUT_FILENO, STDERR_FILENO },
        };
        address = a.agent_socket ?: SESSIOND_MANAGER_ADDRESS;
        r = agent_connect(address, &link);
        if (r < 0) {
                if (a.agent_socket && (r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET))
                        fprintf(stderr, "Session %s is not running (no agent at %s).\n", a.name, address);
                else
                        fprintf(stderr, "Failed to connect to %s: %s\n", address, strerror(-r));
                free(a.env);
                return EXIT_AGENT_FAILED;
        }

        if (a.terminal && (a.stream || agent_address_is_vsock(address)))
                ret = exec_terminal_streamed(&a, link, address, &o);
        else if (a.terminal) {
                ret = exec_terminal(&a, link, address, &o);
                if (ret == -EPROTONOSUPPORT) {
                        /* sessiond: a vmspawn session's agent takes no fds; nothing ran. Again,
                         * streamed, on a fresh connection. */
                        link = sd_varlink_unref(link);
                        r = agent_connect(address, &link);
                        if (r < 0) {
                                fprintf(stderr, "Failed to connect to %s: %s\n", address, strerror(-r));
                                ret = EXIT_AGENT_FAILED;
                        } else
                                ret = exec_terminal_streamed(&a, link, address, &o);
                }
        }
        else if (agent_address_is_vsock(address))
                ret = exec_streamed(&a, link, &o);
        else {
                r = agent_exec(link, a.cmd, &o, (const int[]) { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO }, &res);
                if (r == -EPROTONOSUPPORT) {
                        /* sessiond: the session's agent is on AF_VSOCK (a vmspawn VM) and takes no
                         * fds; nothing ran. Again in streaming mode, on a fresh connection. */
                        link = sd_varlink_unref(link);
                        r = agent_connect(address, &link);
                        if (r < 0) {
                                fprintf(stderr, "Failed to connect to %s: %s\n", address, strerror(-r));
                                ret = EXIT_AGENT_FAILED;
                        } else
                                ret = exec_streamed(&a, link, &o);
                } else
                        ret = r < 0 ? exec_failed(&a, r) : exit_code_of(&res);
        }
        free(a.env);
        return ret;
}
