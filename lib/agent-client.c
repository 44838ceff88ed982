/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <unistd.h>

#include "agent-client.h"
#include "macro.h"

int agent_error_to_errno(const char *error_id, sd_json_variant *parameters) {
        static const struct {
                const char *id;
                int error;
        } map[] = {
                { "io.sessiond.Agent.NoSuchExec",     ESRCH     },
                { "io.sessiond.Agent.NoTerminal",     ENOTTY    },
                { "io.sessiond.Agent.NotRunning",     ESHUTDOWN },
                { "io.sessiond.Agent.TooManyExecs",   EUSERS    },
                { "io.sessiond.Agent.TooManyViewers", EUSERS    },
                { "io.sessiond.Agent.ViewerDropped",  ENOBUFS   },
                { SD_VARLINK_ERROR_INVALID_PARAMETER, EINVAL    },
                { SD_VARLINK_ERROR_EXPECTED_MORE,     EINVAL    },
                /* sessiond's own, when the call went through io.sessiond.Manager */
                { "io.sessiond.Manager.NoSuchSession",      ENXIO        },
                { "io.sessiond.Manager.NotRunning",         ESHUTDOWN    },
                { "io.sessiond.Manager.PermissionDenied",   EACCES       },
                { "io.sessiond.Manager.NoTerminal",         ENOTTY       },
                { "io.sessiond.Manager.AgentFailed",        ECONNREFUSED },
                { "io.sessiond.Manager.BackendUnavailable", EHOSTDOWN    },
                { "io.sessiond.Manager.NoFdPassing",        EPROTONOSUPPORT },
        };
        int r;

        if (!error_id)
                return 0;
        if (streq(error_id, "io.sessiond.Agent.ExecFailed")) {
                sd_json_variant *n = sd_json_variant_by_key(parameters, "errnoNumber");
                int64_t e = n && sd_json_variant_is_integer(n) ? sd_json_variant_integer(n) : 0;
                return e > 0 && e < 4096 ? -(int) e : -ENOEXEC;
        }
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(error_id, map[i].id))
                        return -map[i].error;
        r = sd_varlink_error_to_errno(error_id, parameters);
        return r < 0 ? r : -EBADMSG;
}

int agent_base64_decode(const char *s, uint8_t **ret, size_t *ret_size) {
        size_t len, n = 0;
        uint32_t acc = 0;
        int bits = 0;
        uint8_t *buf;

        len = strlen(s);
        while (len > 0 && s[len - 1] == '=')
                len--;
        if (strlen(s) - len > 2 || len % 4 == 1)
                return -EINVAL;

        buf = malloc(len / 4 * 3 + 3);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                int v = c >= 'A' && c <= 'Z' ? c - 'A' :
                        c >= 'a' && c <= 'z' ? c - 'a' + 26 :
                        c >= '0' && c <= '9' ? c - '0' + 52 :
                        c == '+' ? 62 : c == '/' ? 63 : -1;
                if (v < 0) {
                        free(buf);
                        return -EINVAL;
                }
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        buf[n++] = (uint8_t) (acc >> bits);
                }
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}

void agent_info_done(AgentInfo *i) {
        free(i->name);
        i->name = NULL;
}

static int agent_link_setup(sd_varlink *link) {
        /* Only AF_UNIX carries fds; elsewhere (AF_VSOCK) these fail and only streaming works. */
        (void) sd_varlink_set_allow_fd_passing_input(link, true);
        (void) sd_varlink_set_allow_fd_passing_output(link, true);
        /* Commands run as long as they like: no method timeout. */
        return sd_varlink_set_relative_timeout(link, UINT64_MAX);
}

static int connect_vsock(const char *spec, sd_varlink **ret) {
        struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
        unsigned cid, port;
        int fd, n = 0;

        if (sscanf(spec, "%u:%u%n", &cid, &port, &n) != 2 || spec[n] != 0)
                return -EINVAL;
        sa.svm_cid = cid;
        sa.svm_port = port;
        fd = socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        return agent_connect_fd(fd, ret);
}

int agent_connect(const char *path, sd_varlink **ret) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = NULL;
        int r;

        if (strncmp(path, "vsock:", 6) == 0)
                return connect_vsock(path + 6, ret);

        r = sd_varlink_connect_address(&link, path);
        if (r < 0)
                return r;
        r = agent_link_setup(link);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(link);
        return 0;
}

int agent_connect_fd(int fd, sd_varlink **ret) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = NULL;
        int r;

        r = sd_varlink_connect_fd(&link, fd);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        r = agent_link_setup(link);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(link);
        return 0;
}

/* ---- Exec and ExecTerminal ---- */

struct AgentCall {
        sd_varlink *link;
        const AgentExecOptions *options;
        AgentExecResult result;
        bool started, done, terminal;
        bool attach;            /* a streamed Attach: no exit status, first reply: scrollback */
        uint64_t scrollback;
        int fd;
        int error;
};

typedef struct ExecReply {
        uint64_t id;
        int64_t pid;
        uint64_t scrollback;
        const char *out, *err, *output;
        int64_t exit_status, signal;
        int timed_out;
} ExecReply;

static int write_all(int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int write_base64(int fd, const char *s) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t n;
        int r;

        r = agent_base64_decode(s, &buf, &n);
        if (r < 0)
                return r;
        if (fd < 0)
                return 0;
        return write_all(fd, buf, n);
}

static int on_exec_reply(sd_varlink *link, sd_json_variant *parameters, const char *error_id,
                         sd_varlink_reply_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "id",         _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64,       offsetof(ExecReply, id),          0 },
                { "pid",        _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_int64,        offsetof(ExecReply, pid),         0 },
                { "stdout",     SD_JSON_VARIANT_STRING,        sd_json_dispatch_const_string, offsetof(ExecReply, out),         0 },
                { "stderr",     SD_JSON_VARIANT_STRING,        sd_json_dispatch_const_string, offsetof(ExecReply, err),         0 },
                { "output",     SD_JSON_VARIANT_STRING,        sd_json_dispatch_const_string, offsetof(ExecReply, output),      0 },
                { "scrollback", _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64,       offsetof(ExecReply, scrollback),  0 },
                { "exitStatus", _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_int64,        offsetof(ExecReply, exit_status), 0 },
                { "signal",     _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_int64,        offsetof(ExecReply, signal),      0 },
                { "timedOut",   SD_JSON_VARIANT_BOOLEAN,       sd_json_dispatch_intbool,      offsetof(ExecReply, timed_out),   0 },
                {}
        };
        AgentCall *c = userdata;
        ExecReply p = { .id = UINT64_MAX, .pid = -1, .exit_status = -1, .signal = -1, .scrollback = UINT64_MAX };
        int r;

        if (error_id) {
                /* A session's agent exits with its main command: for a viewer that is the end of
                 * the terminal, as EOF on a terminal socket is. */
                if (!(c->attach && c->started && streq(error_id, SD_VARLINK_ERROR_DISCONNECTED)))
                        c->error = agent_error_to_errno(error_id, parameters);
                c->done = true;
                return 0;
        }

        r = sd_json_dispatch(parameters, table, SD_JSON_ALLOW_EXTENSIONS, &p);
        if (r < 0)
                goto fail;

        if (c->attach && !c->started) {
                if (p.scrollback == UINT64_MAX) {
                        r = -EBADMSG;
                        goto fail;
                }
                c->started = true;
                c->scrollback = p.scrollback;
        }
        if (p.pid > 0 && !c->started) {
                c->started = true;
                c->result.id = p.id;
                c->result.pid = (pid_t) p.pid;
                if (c->terminal) {
                        c->fd = sd_varlink_take_fd(link, 0);
                        if (c->fd < 0) {
                                r = c->fd;
                                goto fail;
                        }
                }
        }
        if (p.out) {
                r = write_base64(c->options ? c->options->output_fds[0] : -EBADF, p.out);
                if (r < 0)
                        goto fail;
        }
        if (p.err) {
                r = write_base64(c->options ? c->options->output_fds[1] : -EBADF, p.err);
                if (r < 0)
                        goto fail;
        }
        if (p.output) {
                /* a streamed terminal's bytes */
                r = write_base64(c->options ? c->options->output_fds[0] : -EBADF, p.output);
                if (r < 0)
                        goto fail;
        }

        if (!(flags & SD_VARLINK_REPLY_CONTINUES)) {
                c->done = true;
                if (c->attach)
                        return 0; /* the terminal closed */
                c->result.timed_out = p.timed_out;
                if (p.signal > 0 && p.signal < 128) {
                        c->result.signal = (int) p.signal;
                        c->result.exit_status = -1;
                        c->result.exit_code = 128 + (int) p.signal;
                } else if (p.exit_status >= 0 && p.exit_status <= 255) {
                        c->result.exit_status = (int) p.exit_status;
                        c->result.exit_code = (int) p.exit_status;
                } else {
                        r = -EBADMSG;
                        goto fail;
                }
        }
        return 0;

fail:
        c->error = r;
        c->done = true;
        return 0;
}

static const char *method_name(const char *session, const char *method, char buf[static 64]) {
        snprintf(buf, 64, "io.sessiond.%s.%s", session ? "Manager" : "Agent", method);
        return buf;
}

static int exec_params(char * const *argv, const AgentExecOptions *o, bool with_stdin, unsigned rows,
                       unsigned columns, sd_json_variant **ret) {
        return sd_json_buildo(
                        ret,
                        SD_JSON_BUILD_PAIR_CONDITION(o && o->session, "name", SD_JSON_BUILD_STRING(o ? o->session : NULL)),
                        SD_JSON_BUILD_PAIR_STRV("argv", (char **) argv),
                        SD_JSON_BUILD_PAIR_CONDITION(o && o->environment, "environment", SD_JSON_BUILD_STRV(o ? o->environment : NULL)),
                        SD_JSON_BUILD_PAIR_CONDITION(o && o->working_directory, "workingDirectory", SD_JSON_BUILD_STRING(o ? o->working_directory : NULL)),
                        SD_JSON_BUILD_PAIR_CONDITION(o && o->timeout_usec > 0, "timeoutUSec", SD_JSON_BUILD_UNSIGNED(o ? o->timeout_usec : 0)),
                        SD_JSON_BUILD_PAIR_CONDITION(with_stdin && o && o->stdin_data, "stdin", SD_JSON_BUILD_BASE64(o ? o->stdin_data : NULL, o ? o->stdin_size : 0)),
                        SD_JSON_BUILD_PAIR_CONDITION(rows > 0, "rows", SD_JSON_BUILD_UNSIGNED(rows)),
                        SD_JSON_BUILD_PAIR_CONDITION(columns > 0, "columns", SD_JSON_BUILD_UNSIGNED(columns)));
}

static int call_run(AgentCall *c, bool until_started) {
        int r;

        while (!c->done && !(until_started && c->started)) {
                r = sd_varlink_process(c->link);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_varlink_wait(c->link, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return r;
        }
        return 0;
}

AgentCall *agent_call_free(AgentCall *c) {
        if (!c)
                return NULL;
        if (c->link) {
                sd_varlink_set_userdata(c->link, NULL);
                (void) sd_varlink_bind_reply(c->link, NULL);
                sd_varlink_unref(c->link);
        }
        safe_close(c->fd);
        free(c);
        return NULL;
}

static int call_start(sd_varlink *link, const char *method, sd_json_variant *params, const AgentExecOptions *o,
                      bool terminal, bool attach, AgentCall **ret) {
        AgentCall *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (AgentCall) {
                .link = sd_varlink_ref(link),
                .options = o,
                .terminal = terminal,
                .attach = attach,
                .fd = -EBADF,
        };

        sd_varlink_set_userdata(link, c);
        r = sd_varlink_bind_reply(link, on_exec_reply);
        if (r >= 0)
                r = sd_varlink_observe(link, method, params);
        if (r >= 0)
                r = call_run(c, true);
        if (r >= 0 && c->error < 0)
                r = c->error;
        if (r >= 0 && (!c->started || (terminal && c->fd < 0)))
                r = -EBADMSG;
        if (r < 0) {
                agent_call_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int agent_exec_start(sd_varlink *link, char * const *argv, const AgentExecOptions *o, const int fds[3],
                     AgentCall **ret_call, uint64_t *ret_id) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        AgentCall *c;
        int r;

        if (!argv || !argv[0])
                return -EINVAL;

        r = exec_params(argv, o, !fds, 0, 0, &params);
        if (r < 0)
                return r;
        if (fds)
                for (int i = 0; i < 3; i++) {
                        r = sd_varlink_push_dup_fd(link, fds[i]);
                        if (r < 0)
                                return r;
                }

        char m[64];
        r = call_start(link, method_name(o ? o->session : NULL, "Exec", m), params, o, false, false, &c);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = c->result.id;
        *ret_call = c;
        return 0;
}

int agent_exec_terminal_start(sd_varlink *link, char * const *argv, const AgentExecOptions *o,
                              unsigned rows, unsigned columns, bool stream, AgentCall **ret_call,
                              int *ret_fd, uint64_t *ret_id) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        AgentCall *c;
        int r;

        assert(stream == !ret_fd);
        assert(ret_call);

        if (!argv || !argv[0])
                return -EINVAL;

        r = exec_params(argv, o, false, rows, columns, &params);
        if (r < 0)
                return r;
        if (stream) {
                r = sd_json_variant_set_field_boolean(&params, "stream", true);
                if (r < 0)
                        return r;
        }

        char m[64];
        r = call_start(link, method_name(o ? o->session : NULL, "ExecTerminal", m), params, o,
                       /* terminal= */ !stream, /* attach= */ false, &c);
        if (r < 0)
                return r;
        if (ret_fd)
                *ret_fd = TAKE_FD(c->fd);
        if (ret_id)
                *ret_id = c->result.id;
        *ret_call = c;
        return 0;
}

int agent_attach_stream_start(sd_varlink *link, const char *session, const AgentExecOptions *o,
                              AgentCall **ret_call, uint64_t *ret_scrollback) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        AgentCall *c;
        char m[64];
        int r;

        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_CONDITION(!!session, "name", SD_JSON_BUILD_STRING(session)),
                           SD_JSON_BUILD_PAIR_BOOLEAN("stream", true));
        if (r < 0)
                return r;
        r = call_start(link, method_name(session, "Attach", m), params, o, false, true, &c);
        if (r < 0)
                return r;
        if (ret_scrollback)
                *ret_scrollback = c->scrollback;
        *ret_call = c;
        return 0;
}

int agent_call_process(AgentCall *c, AgentExecResult *ret) {
        int r;

        while (!c->done) {
                r = sd_varlink_process(c->link);
                if (r < 0)
                        return r;
                if (r == 0)
                        return 0;
        }
        if (c->error < 0)
                return c->error;
        if (ret)
                *ret = c->result;
        return 1;
}

int agent_call_wait(AgentCall *c, AgentExecResult *ret) {
        int r;

        r = call_run(c, false);
        if (r < 0)
                return r;
        if (c->error < 0)
                return c->error;
        if (ret)
                *ret = c->result;
        return 0;
}

int agent_exec(sd_varlink *link, char * const *argv, const AgentExecOptions *o, const int fds[3],
               AgentExecResult *ret) {
        AgentCall *c = NULL;
        int r;

        r = agent_exec_start(link, argv, o, fds, &c, NULL);
        if (r < 0)
                return r;
        r = agent_call_wait(c, ret);
        agent_call_free(c);
        return r;
}

/* ---- simple calls ---- */

static int call_simple(sd_varlink *link, const char *method, sd_json_variant *params, sd_json_variant **ret) {
        sd_json_variant *reply = NULL;
        const char *error_id = NULL;
        int r;

        r = sd_varlink_call(link, method, params, &reply, &error_id);
        if (r < 0)
                return r;
        if (error_id)
                return agent_error_to_errno(error_id, reply);
        if (ret)
                *ret = reply; /* borrowed: valid until the next call on link */
        return 0;
}

int agent_attach(sd_varlink *link, const char *session, bool read_only, int *ret_fd, uint64_t *ret_scrollback) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        sd_json_variant *reply = NULL, *v;
        char m[64];
        int fd, r;

        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_CONDITION(!!session, "name", SD_JSON_BUILD_STRING(session)),
                           SD_JSON_BUILD_PAIR_BOOLEAN("readOnly", read_only));
        if (r < 0)
                return r;
        r = call_simple(link, method_name(session, "Attach", m), params, &reply);
        if (r < 0)
                return r;
        fd = sd_varlink_take_fd(link, 0);
        if (fd < 0)
                return fd;
        v = sd_json_variant_by_key(reply, "scrollback");
        if (ret_scrollback)
                *ret_scrollback = v && sd_json_variant_is_unsigned(v) ? sd_json_variant_unsigned(v) : 0;
        *ret_fd = fd;
        return 0;
}

int agent_resize(sd_varlink *link, const char *session, uint64_t id, unsigned rows, unsigned columns) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        char m[64];
        int r;

        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_CONDITION(!!session, "name", SD_JSON_BUILD_STRING(session)),
                           SD_JSON_BUILD_PAIR_CONDITION(id != AGENT_ID_MAIN, "id", SD_JSON_BUILD_UNSIGNED(id)),
                           SD_JSON_BUILD_PAIR_UNSIGNED("rows", rows),
                           SD_JSON_BUILD_PAIR_UNSIGNED("columns", columns));
        if (r < 0)
                return r;
        return call_simple(link, method_name(session, "Resize", m), params, NULL);
}

int agent_kill(sd_varlink *link, uint64_t id, int sig) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        int r;

        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_CONDITION(id != AGENT_ID_MAIN, "id", SD_JSON_BUILD_UNSIGNED(id)),
                           SD_JSON_BUILD_PAIR_INTEGER("signal", sig));
        if (r < 0)
                return r;
        return call_simple(link, "io.sessiond.Agent.Kill", params, NULL);
}

typedef struct DescribeReply {
        const char *name;
        int64_t main_pid;
        int terminal;
        uint64_t running, viewers, activity;
} DescribeReply;

int agent_describe(sd_varlink *link, AgentInfo *ret) {
        static const sd_json_dispatch_field table[] = {
                { "name",             SD_JSON_VARIANT_STRING,        sd_json_dispatch_const_string, offsetof(DescribeReply, name),     SD_JSON_MANDATORY },
                { "mainPID",          _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_int64,        offsetof(DescribeReply, main_pid), 0                 },
                { "terminal",         SD_JSON_VARIANT_BOOLEAN,       sd_json_dispatch_intbool,      offsetof(DescribeReply, terminal), 0                 },
                { "runningExecs",     _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64,       offsetof(DescribeReply, running),  0                 },
                { "viewers",          _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64,       offsetof(DescribeReply, viewers),  0                 },
                { "lastActivityUSec", _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64,       offsetof(DescribeReply, activity), 0                 },
                {}
        };
        DescribeReply p = {};
        sd_json_variant *reply = NULL;
        char *name;
        int r;

        r = call_simple(link, "io.sessiond.Agent.Describe", NULL, &reply);
        if (r < 0)
                return r;
        r = sd_json_dispatch(reply, table, SD_JSON_ALLOW_EXTENSIONS, &p);
        if (r < 0)
                return r;
        name = strdup(p.name);
        if (!name)
                return -ENOMEM;
        *ret = (AgentInfo) {
                .name = name,
                .main_pid = p.main_pid > 0 ? (pid_t) p.main_pid : 0,
                .terminal = p.terminal,
                .running_execs = (unsigned) p.running,
                .viewers = (unsigned) p.viewers,
                .last_activity_usec = p.activity,
        };
        return 0;
}

/* ---- the input side of a streamed terminal ---- */

struct AgentTerminalInput {
        sd_varlink *link;
        char *session;
        uint64_t id;
        uint8_t *buf;           /* typed, not yet sent */
        size_t size;
        unsigned rows, columns;
        bool resize;            /* a window size not yet sent */
        bool busy;              /* a call is out: the next one waits for its reply */
        bool gone;              /* the terminal is gone: input is dropped */
        int error;
};

AgentTerminalInput *agent_terminal_input_free(AgentTerminalInput *in) {
        if (!in)
                return NULL;
        if (in->link) {
                sd_varlink_set_userdata(in->link, NULL);
                (void) sd_varlink_bind_reply(in->link, NULL);
                sd_varlink_unref(in->link);
        }
        free(in->session);
        free(in->buf);
        free(in);
        return NULL;
}

static int on_input_reply(sd_varlink *link, sd_json_variant *parameters, const char *error_id,
                          sd_varlink_reply_flags_t flags, void *userdata) {
        AgentTerminalInput *in = userdata;
        int r;

        if (!in)
                return 0;
        in->busy = false;
        if (!error_id)
                return 0;
        r = agent_error_to_errno(error_id, parameters);
        if (r == -ESRCH || r == -ESHUTDOWN || r == -ENOTTY) {
                /* The command or terminal ended while we typed: nobody reads it any more. */
                in->gone = true;
                in->size = 0;
        } else
                in->error = r;
        return 0;
}

int agent_terminal_input_new(sd_varlink *link, const char *session, uint64_t id, AgentTerminalInput **ret) {
        AgentTerminalInput *in;
        int r;

        in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->link = sd_varlink_ref(link);
        in->id = id;
        in->buf = malloc(AGENT_TERMINAL_INPUT_MAX);
        in->session = session ? strdup(session) : NULL;
        if (!in->buf || (session && !in->session)) {
                agent_terminal_input_free(in);
                return -ENOMEM;
        }
        sd_varlink_set_userdata(link, in);
        r = sd_varlink_bind_reply(link, on_input_reply);
        if (r < 0) {
                agent_terminal_input_free(in);
                return r;
        }
        *ret = in;
        return 0;
}

size_t agent_terminal_input_room(const AgentTerminalInput *in) {
        return AGENT_TERMINAL_INPUT_MAX - in->size;
}

int agent_terminal_input_queue(AgentTerminalInput *in, const void *data, size_t size) {
        if (in->gone)
                return 0;
        if (size > agent_terminal_input_room(in))
                return -ENOBUFS;
        memcpy(in->buf + in->size, data, size);
        in->size += size;
        return 0;
}

void agent_terminal_input_resize(AgentTerminalInput *in, unsigned rows, unsigned columns) {
        in->rows = rows;
        in->columns = columns;
        in->resize = !in->gone;
}

static int input_send_next(AgentTerminalInput *in) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        char m[64];
        int r;

        if (in->busy || in->gone)
                return 0;
        if (in->resize) {
                /* first, so that what is typed after a resize sees the new size */
                r = sd_json_buildo(&params,
                                   SD_JSON_BUILD_PAIR_CONDITION(!!in->session, "name", SD_JSON_BUILD_STRING(in->session)),
                                   SD_JSON_BUILD_PAIR_CONDITION(in->id != AGENT_ID_MAIN, "id", SD_JSON_BUILD_UNSIGNED(in->id)),
                                   SD_JSON_BUILD_PAIR_UNSIGNED("rows", in->rows),
                                   SD_JSON_BUILD_PAIR_UNSIGNED("columns", in->columns));
                if (r < 0)
                        return r;
                r = sd_varlink_invoke(in->link, method_name(in->session, "Resize", m), params);
                if (r < 0)
                        return r;
                in->resize = false;
                in->busy = true;
                return 0;
        }
        if (in->size == 0)
                return 0;
        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_CONDITION(!!in->session, "name", SD_JSON_BUILD_STRING(in->session)),
                           SD_JSON_BUILD_PAIR_CONDITION(in->id != AGENT_ID_MAIN, "id", SD_JSON_BUILD_UNSIGNED(in->id)),
                           SD_JSON_BUILD_PAIR_BASE64("data", in->buf, in->size));
        if (r < 0)
                return r;
        r = sd_varlink_invoke(in->link, method_name(in->session, "Input", m), params);
        if (r < 0)
                return r;
        in->size = 0;
        in->busy = true;
        return 0;
}

int agent_terminal_input_process(AgentTerminalInput *in, int *ret_fd, short *ret_events) {
        int r;

        for (;;) {
                r = sd_varlink_process(in->link);
                if (r < 0)
                        return r;
                if (in->error < 0)
                        return in->error;
                if (r == 0)
                        break;
        }
        r = input_send_next(in);
        if (r < 0)
                return r;
        *ret_fd = sd_varlink_get_fd(in->link);
        *ret_events = (short) sd_varlink_get_events(in->link);
        return 0;
}

int agent_terminal_input_flush(AgentTerminalInput *in) {
        int r;

        /* Used before hanging up (detach): what was typed before still arrives. */
        for (;;) {
                r = agent_terminal_input_process(in, &(int) {}, &(short) {});
                if (r < 0)
                        return r;
                if (!in->busy && (in->size == 0 || in->gone) && !in->resize)
                        return 0;
                r = sd_varlink_wait(in->link, 5ULL * 1000000ULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ETIMEDOUT;
        }
}
