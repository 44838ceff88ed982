/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Exec: fork a command inside the session. With three fds pushed by the caller the command gets
 * exactly those as stdin/stdout/stderr and nothing flows through the agent; without, the agent makes
 * pipes and streams the output base64 in 'more' replies (for varlinkctl and other simple callers). */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>

#include "agent-client.h"
#include "agent.h"
#include "macro.h"
#include "time-util.h"

extern char **environ;

void exec_params_done(ExecParams *p) {
        strv_freep(&p->argv);
        strv_freep(&p->environment);
        free(p->working_directory);
        p->working_directory = NULL;
        p->stdin_data = sd_json_variant_unref(p->stdin_data);
}

static int dispatch_uint64_opt(const char *name, sd_json_variant *v, sd_json_dispatch_flags_t flags, void *userdata) {
        if (sd_json_variant_is_null(v))
                return 0;
        return sd_json_dispatch_uint64(name, v, flags, userdata);
}

static int dispatch_winsize(const char *name, sd_json_variant *v, sd_json_dispatch_flags_t flags, void *userdata) {
        unsigned *u = userdata;
        int64_t i;

        if (sd_json_variant_is_null(v))
                return 0;
        if (!sd_json_variant_is_integer(v))
                return -EINVAL;
        i = sd_json_variant_integer(v);
        if (i < 1 || i > UINT16_MAX)
                return -ERANGE;
        *u = (unsigned) i;
        return 0;
}

int exec_params_validate(sd_varlink *link, sd_json_variant *parameters, ExecParams *p) {
        /* The table is shared by Exec and ExecTerminal; the IDL already refused fields a method lacks. */
        static const sd_json_dispatch_field table[] = {
                { "argv",             SD_JSON_VARIANT_ARRAY,         sd_json_dispatch_strv,    offsetof(ExecParams, argv),              SD_JSON_MANDATORY },
                { "environment",      SD_JSON_VARIANT_ARRAY,         sd_json_dispatch_strv,    offsetof(ExecParams, environment),       SD_JSON_NULLABLE  },
                { "workingDirectory", SD_JSON_VARIANT_STRING,        sd_json_dispatch_string,  offsetof(ExecParams, working_directory), SD_JSON_NULLABLE  },
                { "timeoutUSec",      _SD_JSON_VARIANT_TYPE_INVALID, dispatch_uint64_opt,      offsetof(ExecParams, timeout_usec),      0                 },
                { "stdin",            SD_JSON_VARIANT_STRING,        sd_json_dispatch_variant, offsetof(ExecParams, stdin_data),        SD_JSON_NULLABLE  },
                { "rows",             _SD_JSON_VARIANT_TYPE_INVALID, dispatch_winsize,         offsetof(ExecParams, rows),              0                 },
                { "columns",          _SD_JSON_VARIANT_TYPE_INVALID, dispatch_winsize,         offsetof(ExecParams, columns),           0                 },
                { "stream",           SD_JSON_VARIANT_BOOLEAN,       sd_json_dispatch_intbool, offsetof(ExecParams, stream),            SD_JSON_NULLABLE  },
                {}
        };
        size_t n = 0, bytes = 0;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, p);
        if (r != 0)
                return r;

        for (char **i = p->argv; i && *i; i++, n++)
                bytes += strlen(*i) + 1;
        if (n == 0 || n > AGENT_ARGV_MAX || isempty(p->argv[0]))
                return sd_varlink_error_invalid_parameter_name(link, "argv");

        n = 0;
        for (char **i = p->environment; i && *i; i++, n++) {
                const char *eq = strchr(*i, '=');
                if (!eq || eq == *i)
                        return sd_varlink_error_invalid_parameter_name(link, "environment");
                bytes += strlen(*i) + 1;
        }
        if (n > AGENT_ENV_MAX)
                return sd_varlink_error_invalid_parameter_name(link, "environment");
        if (bytes > AGENT_ARGS_BYTES_MAX)
                return sd_varlink_error_invalid_parameter_name(link, "argv");

        if (p->working_directory && (p->working_directory[0] != '/' || strlen(p->working_directory) >= PATH_MAX))
                return sd_varlink_error_invalid_parameter_name(link, "workingDirectory");
        if (p->timeout_usec > UINT64_MAX / 2)
                return sd_varlink_error_invalid_parameter_name(link, "timeoutUSec");
        if (p->stdin_data && strlen(sd_json_variant_string(p->stdin_data)) > AGENT_STDIN_MAX / 3 * 4 + 4)
                return sd_varlink_error_invalid_parameter_name(link, "stdin");
        return 0;
}

/* ---- spawning ---- */

typedef struct SpawnError {
        int step;       /* 0: setup, 1: chdir, 2: execve */
        int error;
} SpawnError;

static const char *const spawn_steps[] = { "setup", "chdir", "execve" };

static char **build_environment(char **extra) {
        size_t n = 0, m = 0;
        char **env;

        for (char **i = environ; i && *i; i++)
                n++;
        for (char **i = extra; i && *i; i++)
                m++;
        env = calloc(n + m + 1, sizeof(char *));
        if (!env)
                return NULL;

        /* Pointers only: the array lives until the fork, the strings longer. */
        for (size_t i = 0; i < n; i++)
                env[i] = environ[i];
        for (char **i = extra; i && *i; i++) {
                size_t k = strcspn(*i, "=") + 1, j;
                for (j = 0; j < n; j++)
                        if (strncmp(env[j], *i, k) == 0)
                                break;
                if (j < n)
                        env[j] = *i;
                else
                        env[n++] = *i;
        }
        return env;
}

_noreturn_ static void child_fail(int fd, int step) {
        SpawnError e = { .step = step, .error = errno };
        ssize_t _unused_ k = write(fd, &e, sizeof(e));
        _exit(127);
}

bool agent_spawn_refuse = false;

int agent_spawn(const SpawnParams *p, pid_t *ret_pid, const char **ret_step) {
        _cleanup_close_ int err_read = -EBADF, err_write = -EBADF;
        _cleanup_free_ char **env = NULL;
        int pipefd[2];
        SpawnError se;
        ssize_t k;
        pid_t pid;

        assert(p && p->argv && p->argv[0] && ret_pid);

        if (agent_spawn_refuse) {
                if (ret_step)
                        *ret_step = spawn_steps[0];
                return -EPERM;
        }

        env = build_environment(p->environment);
        if (!env)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        err_read = pipefd[0];
        err_write = pipefd[1];

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                sigset_t all;
                int fds[3];

                /* Nothing of the agent's signal state leaks into the command. */
                for (int sig = 1; sig < _NSIG; sig++)
                        if (sig != SIGKILL && sig != SIGSTOP)
                                (void) signal(sig, SIG_DFL);
                sigemptyset(&all);
                if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
                        child_fail(err_write, 0);

                if (setsid() < 0)
                        child_fail(err_write, 0);
                if (p->ctty_fd >= 0 && ioctl(p->ctty_fd, TIOCSCTTY, 0) < 0)
                        child_fail(err_write, 0);

                /* Move the three fds out of 0..2 first, so dup2() cannot clobber one with another. */
                for (int i = 0; i < 3; i++) {
                        fds[i] = fcntl(p->fds[i], F_DUPFD_CLOEXEC, 3);
                        if (fds[i] < 0)
                                child_fail(err_write, 0);
                }
                for (int i = 0; i < 3; i++)
                        if (dup2(fds[i], i) < 0)
                                child_fail(err_write, 0);

                /* Exactly 0, 1, 2 survive the exec (the error pipe is O_CLOEXEC). */
                if (err_write > 3 && close_range(3, err_write - 1, 0) < 0)
                        child_fail(err_write, 0);
                if (close_range(err_write + 1, ~0U, 0) < 0)
                        child_fail(err_write, 0);

                /* --sandbox: a non-root uid without capabilities, and the seccomp filter. */
                int q = agent_sandbox_enter();
                if (q < 0) {
                        errno = -q;
                        child_fail(err_write, 0);
                }

                if (p->working_directory && chdir(p->working_directory) < 0)
                        child_fail(err_write, 1);

                execvpe(p->argv[0], p->argv, env);
                child_fail(err_write, 2);
        }

        err_write = safe_close(err_write);
        do
                k = read(err_read, &se, sizeof(se));
        while (k < 0 && errno == EINTR);

        if (k == (ssize_t) sizeof(se)) {
                /* The child failed before execve() and exits at once: reap it here. */
                (void) waitpid(pid, NULL, 0);
                if (ret_step)
                        *ret_step = spawn_steps[se.step >= 0 && se.step < 3 ? se.step : 0];
                return se.error > 0 ? -se.error : -EIO;
        }

        *ret_pid = pid;
        return 0;
}

/* ---- exec objects ---- */

Exec *agent_find_exec(Agent *a, uint64_t id) {
        for (Exec *e = a->execs; e; e = e->next)
                if (e->id == id)
                        return e;
        return NULL;
}

Exec *agent_find_exec_by_pid(Agent *a, pid_t pid) {
        for (Exec *e = a->execs; e; e = e->next)
                if (!e->exited && e->pid == pid)
                        return e;
        return NULL;
}

static char *join_argv(char **argv) {
        size_t n = 0;
        char *s, *q;

        for (char **i = argv; *i; i++)
                n += strlen(*i) + 1;
        if (n > 4096)
                n = 4096;
        s = q = malloc(n + 1);
        if (!s)
                return NULL;
        for (char **i = argv; *i; i++) {
                size_t l = strlen(*i), left = (size_t) (s + n - q);
                if (left == 0)
                        break;
                if (q != s) {
                        *q++ = ' ';
                        left--;
                }
                if (l > left)
                        l = left;
                memcpy(q, *i, l);
                q += l;
        }
        *q = 0;
        return s;
}

Exec *exec_free(Exec *e) {
        if (!e)
                return NULL;

        Agent *a = e->agent;
        if (e->prev)
                e->prev->next = e->next;
        else if (a->execs == e)
                a->execs = e->next;
        if (e->next)
                e->next->prev = e->prev;
        a->n_execs--;

        sd_event_source_disable_unrefp_safe(&e->timeout_source);
        sd_event_source_disable_unrefp_safe(&e->out_source);
        sd_event_source_disable_unrefp_safe(&e->err_source);
        sd_event_source_disable_unrefp_safe(&e->in_source);
        sd_event_source_disable_unrefp_safe(&e->resume_source);
        safe_close(e->out_fd);
        safe_close(e->err_fd);
        safe_close(e->in_fd);
        free(e->input);
        if (e->stream_viewer)
                e->stream_viewer->exec = NULL; /* it drains on its own */
        e->stream_viewer = NULL;
        if (e->terminal)
                terminal_hangup(e->terminal);
        sd_varlink_unref(e->link);
        free(e->command);
        free(e);
        return NULL;
}

int agent_exec_new(Agent *a, sd_varlink *link, bool more, char **argv, Exec **ret) {
        Exec *e;

        if (a->n_execs >= AGENT_EXECS_MAX)
                return -EUSERS;

        e = calloc(1, sizeof(Exec));
        if (!e)
                return -ENOMEM;
        *e = (Exec) {
                .agent = a,
                .id = a->next_id++,
                .link = sd_varlink_ref(link),
                .more = more,
                .out_fd = -EBADF,
                .err_fd = -EBADF,
                .in_fd = -EBADF,
                .start_usec = now_monotonic_usec(),
                .timed_out = false,
        };
        e->command = join_argv(argv);
        if (!e->command) {
                sd_varlink_unref(e->link);
                free(e);
                return -ENOMEM;
        }
        e->next = a->execs;
        if (a->execs)
                a->execs->prev = e;
        a->execs = e;
        a->n_execs++;
        agent_touch(a);

        *ret = e;
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Exec *e = userdata;

        if (!e->exited) {
                e->timed_out = true;
                if (kill(-e->pid, SIGKILL) < 0)
                        (void) kill(e->pid, SIGKILL);
        }
        return 0;
}

int exec_start_timeout(Exec *e, uint64_t timeout_usec) {
        if (timeout_usec == 0)
                return 0;
        return sd_event_add_time_relative(e->agent->event, &e->timeout_source, CLOCK_MONOTONIC,
                                          timeout_usec, 1000, on_timeout, e);
}

int exec_started(Exec *e) {
        log_dbg("Exec %" PRIu64 " started as pid %d: %s", e->id, (int) e->pid, e->command);
        if (!e->more || !e->link)
                return 0;
        return sd_varlink_notifybo(e->link,
                                   SD_JSON_BUILD_PAIR_UNSIGNED("id", e->id),
                                   SD_JSON_BUILD_PAIR_INTEGER("pid", e->pid));
}

static void exec_log_end(Exec *e) {
        uint64_t duration = now_monotonic_usec() - e->start_usec;
        int status = e->wait_status, code, r;
        char result[64];

        if (WIFEXITED(status)) {
                code = WEXITSTATUS(status);
                snprintf(result, sizeof(result), "exit status %d", code);
        } else {
                code = 128 + WTERMSIG(status);
                snprintf(result, sizeof(result), "signal %s%s", sigabbrev_np(WTERMSIG(status)) ?: "?",
                         e->timed_out ? " (timeout)" : "");
        }

        if (!agent_journal) {
                log_info("Exec %" PRIu64 " ended with %s after %" PRIu64 "us: %s", e->id, result, duration, e->command);
                return;
        }
        r = sd_journal_send("MESSAGE=Exec %" PRIu64 " in session %s ended with %s after %" PRIu64 ".%03" PRIu64 "s: %s",
                                    e->id, e->agent->name, result, duration / 1000000U, duration / 1000U % 1000U, e->command,
                            "PRIORITY=6",
                            "SESSIOND_SESSION=%s", e->agent->name,
                            "SESSIOND_EXEC_ID=%" PRIu64, e->id,
                            "SESSIOND_EXEC_PID=%d", (int) e->pid,
                            "SESSIOND_EXEC_COMMAND=%s", e->command,
                            "SESSIOND_EXEC_STATUS=%d", code,
                            "SESSIOND_EXEC_TIMED_OUT=%d", e->timed_out,
                            "SESSIOND_EXEC_DURATION_USEC=%" PRIu64, duration,
                            NULL);
        if (r < 0)
                log_info("Exec %" PRIu64 " ended with %s after %" PRIu64 "us: %s", e->id, result, duration, e->command);
}

void exec_maybe_finish(Exec *e) {
        int r = 0;

        /* A streamed terminal's output goes out on the same call: the final reply comes after it. */
        if (!e->exited || e->in_exit || e->out_fd >= 0 || e->err_fd >= 0 || e->stream_viewer)
                return;

        if (e->link) {
                int status = e->wait_status;
                if (WIFEXITED(status))
                        r = sd_varlink_replybo(e->link,
                                               SD_JSON_BUILD_PAIR_INTEGER("exitStatus", WEXITSTATUS(status)),
                                               SD_JSON_BUILD_PAIR_CONDITION(e->timed_out, "timedOut", SD_JSON_BUILD_BOOLEAN(true)));
                else
                        r = sd_varlink_replybo(e->link,
                                               SD_JSON_BUILD_PAIR_INTEGER("signal", WTERMSIG(status)),
                                               SD_JSON_BUILD_PAIR_CONDITION(e->timed_out, "timedOut", SD_JSON_BUILD_BOOLEAN(true)));
                if (r < 0)
                        log_warn("Failed to send the result of exec %" PRIu64 ": %s", e->id, strerror(-r));
        }
        agent_touch(e->agent);
        exec_free(e);
}

void exec_child_exited(Exec *e, int status) {
        e->exited = true;
        e->wait_status = status;
        sd_event_source_disable_unrefp_safe(&e->timeout_source);
        /* Input nobody will read any more. */
        sd_event_source_disable_unrefp_safe(&e->in_source);
        e->in_fd = safe_close(e->in_fd);
        exec_log_end(e);
        if (e->terminal) {
                /* A streamed terminal's viewer may drain at once here: finish only below. */
                Terminal *t = TAKE_PTR(e->terminal);
                e->in_exit = true;
                terminal_hangup(t);
                e->in_exit = false;
        }
        exec_maybe_finish(e);
}

void agent_link_disconnected(Agent *a, sd_varlink *link) {
        /* An exec belongs to its call: when the caller goes away, its command gets a hangup, as
         * from a closed terminal. */
        for (Exec *e = a->execs, *next; e; e = next) {
                next = e->next;
                if (e->link != link)
                        continue;
                e->link = sd_varlink_unref(e->link);
                if (!e->exited) {
                        (void) kill(-e->pid, SIGHUP);
                        (void) kill(-e->pid, SIGCONT);
                }
        }
        agent_terminals_drop_link(a, link);
}

/* ---- streaming mode ---- */

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata) {
        Exec *e = userdata;

        e->resume_source = sd_event_source_disable_unref(e->resume_source);
        if (e->out_source)
                (void) sd_event_source_set_enabled(e->out_source, SD_EVENT_ON);
        if (e->err_source)
                (void) sd_event_source_set_enabled(e->err_source, SD_EVENT_ON);
        return 0;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Exec *e = userdata;
        bool is_out = fd == e->out_fd;
        uint8_t buf[AGENT_CHUNK];
        ssize_t n;
        int r;

        /* Backpressure: while the caller has not taken the previous chunk, read no more. */
        if (e->link && (sd_varlink_get_events(e->link) & EPOLLOUT)) {
                if (e->out_source)
                        (void) sd_event_source_set_enabled(e->out_source, SD_EVENT_OFF);
                if (e->err_source)
                        (void) sd_event_source_set_enabled(e->err_source, SD_EVENT_OFF);
                if (!e->resume_source) {
                        r = sd_event_add_time_relative(e->agent->event, &e->resume_source, CLOCK_MONOTONIC,
                                                       1000, 500, on_resume, e);
                        if (r < 0)
                                return on_resume(NULL, 0, e);
                }
                return 0;
        }

        n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                if (is_out) {
                        sd_event_source_disable_unrefp_safe(&e->out_source);
                        e->out_fd = safe_close(e->out_fd);
                } else {
                        sd_event_source_disable_unrefp_safe(&e->err_source);
                        e->err_fd = safe_close(e->err_fd);
                }
                exec_maybe_finish(e);
                return 0;
        }

        if (!e->link)
                return 0; /* caller gone: drain and drop */

        r = sd_varlink_notifybo(e->link, SD_JSON_BUILD_PAIR_BASE64(is_out ? "stdout" : "stderr", buf, (size_t) n));
        if (r < 0)
                log_warn("Failed to stream output of exec %" PRIu64 ": %s", e->id, strerror(-r));
        return 0;
}

static int on_input(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Exec *e = userdata;
        ssize_t n;

        if (e->input_done < e->input_len) {
                n = write(fd, e->input + e->input_done, e->input_len - e->input_done);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n > 0)
                        e->input_done += (size_t) n;
                else
                        e->input_done = e->input_len; /* EPIPE and friends: the reader is gone */
        }
        if (e->input_done >= e->input_len) {
                sd_event_source_disable_unrefp_safe(&e->in_source);
                e->in_fd = safe_close(e->in_fd); /* the command sees EOF */
                free(e->input);
                e->input = NULL;
        }
        return 0;
}

/* Makes the pipes; returns the command's ends in child_fds[] (to be closed by the caller). */
static int exec_setup_streaming(Exec *e, uint8_t *input, size_t input_len, int child_fds[3]) {
        int p[2], r;

        e->streaming = true;

        if (input) {
                e->input = input;
                e->input_len = input_len;
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                child_fds[0] = p[0];
                e->in_fd = p[1];
                if (fcntl(e->in_fd, F_SETFL, O_NONBLOCK) < 0)
                        return -errno;
                r = sd_event_add_io(e->agent->event, &e->in_source, e->in_fd, EPOLLOUT, on_input, e);
                if (r < 0)
                        return r;
        } else {
                child_fds[0] = open("/dev/null", O_RDONLY|O_CLOEXEC);
                if (child_fds[0] < 0)
                        return -errno;
        }

        if (pipe2(p, O_CLOEXEC|O_NONBLOCK) < 0)
                return -errno;
        e->out_fd = p[0];
        child_fds[1] = p[1];
        if (pipe2(p, O_CLOEXEC|O_NONBLOCK) < 0)
                return -errno;
        e->err_fd = p[0];
        child_fds[2] = p[1];
        /* The command's ends must block, as ordinary pipes do. */
        (void) fcntl(child_fds[1], F_SETFL, 0);
        (void) fcntl(child_fds[2], F_SETFL, 0);

        r = sd_event_add_io(e->agent->event, &e->out_source, e->out_fd, EPOLLIN, on_output, e);
        if (r < 0)
                return r;
        r = sd_event_add_io(e->agent->event, &e->err_source, e->err_fd, EPOLLIN, on_output, e);
        if (r < 0)
                return r;
        /* Let the varlink connection flush before more output is read. */
        (void) sd_event_source_set_priority(e->out_source, SD_EVENT_PRIORITY_NORMAL + 10);
        (void) sd_event_source_set_priority(e->err_source, SD_EVENT_PRIORITY_NORMAL + 10);
        return 0;
}

/* ---- the method ---- */

int reply_spawn_error(sd_varlink *link, int r, const char *step) {
        if (r == -ENOMEM)
                return r;
        return sd_varlink_errorbo(link, "io.sessiond.Agent.ExecFailed",
                                  SD_JSON_BUILD_PAIR_STRING("errnoName", strerrorname_np(-r) ?: "unknown"),
                                  SD_JSON_BUILD_PAIR_INTEGER("errnoNumber", -r),
                                  SD_JSON_BUILD_PAIR_STRING("step", step ?: "setup"));
}

int vl_method_exec(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        _cleanup_(exec_params_done) ExecParams p = {};
        Agent *a = userdata;
        int passed[3] = { -EBADF, -EBADF, -EBADF }, child_fds[3] = { -EBADF, -EBADF, -EBADF };
        const char *step = NULL;
        bool more = flags & SD_VARLINK_METHOD_MORE;
        _cleanup_free_ uint8_t *input = NULL;
        size_t input_len = 0;
        int n_fds = 0, r;
        Exec *e;

        r = exec_params_validate(link, parameters, &p);
        if (r != 0)
                return r;

        for (int i = 0; i < 3; i++) {
                passed[i] = sd_varlink_peek_fd(link, i);
                if (passed[i] >= 0)
                        n_fds++;
        }
        if (sd_varlink_peek_fd(link, 3) >= 0 || (n_fds != 0 && n_fds != 3))
                return sd_varlink_error_invalid_parameter_name(link, "fds");
        if (n_fds == 3 && p.stdin_data)
                return sd_varlink_error_invalid_parameter_name(link, "stdin");
        if (n_fds == 0 && !more)
                return sd_varlink_error(link, SD_VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (p.stdin_data) {
                r = agent_base64_decode(sd_json_variant_string(p.stdin_data), &input, &input_len);
                if (r == -EINVAL)
                        return sd_varlink_error_invalid_parameter_name(link, "stdin");
                if (r < 0)
                        return r;
        }

        r = agent_exec_new(a, link, more, p.argv, &e);
        if (r == -EUSERS)
                return sd_varlink_error(link, "io.sessiond.Agent.TooManyExecs", NULL);
        if (r < 0)
                return r;

        if (n_fds == 0) {
                r = exec_setup_streaming(e, TAKE_PTR(input), input_len, child_fds);
                if (r < 0)
                        goto fail;
        } else
                for (int i = 0; i < 3; i++)
                        child_fds[i] = passed[i];

        r = agent_spawn(&(SpawnParams) {
                                .argv = p.argv,
                                .environment = p.environment,
                                .working_directory = p.working_directory,
                                .fds = { child_fds[0], child_fds[1], child_fds[2] },
                                .ctty_fd = -EBADF,
                        }, &e->pid, &step);
        if (n_fds == 0)
                for (int i = 0; i < 3; i++)
                        child_fds[i] = safe_close(child_fds[i]);
        if (r < 0)
                goto fail;

        /* Our copies of the caller's fds go now: the command holds them alone. */
        for (int i = 0; i < 3 && n_fds == 3; i++)
                safe_close(sd_varlink_take_fd(link, i));

        r = exec_start_timeout(e, p.timeout_usec);
        if (r >= 0)
                r = exec_started(e);
        if (r < 0)
                log_warn("Exec %" PRIu64 ": %s", e->id, strerror(-r));
        if (e->in_source)
                (void) on_input(e->in_source, e->in_fd, EPOLLOUT, e);
        return 0;

fail:
        if (n_fds == 0) /* our pipe ends for the command; the caller's fds the link closes */
                for (int i = 0; i < 3; i++)
                        child_fds[i] = safe_close(child_fds[i]);
        e->link = sd_varlink_unref(e->link);
        exec_free(e);
        log_info("Exec of %s failed (%s): %s", p.argv[0], step ?: "setup", strerror(-r));
        return reply_spawn_error(link, r, step);
}
