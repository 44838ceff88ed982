/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Exec and Attach on the Manager. sessiond checks the caller, then hands over to the session's
 * sessiond-agent (lib/agent-client): for Exec the caller's three fds go on to the agent, which
 * forks the command inside the session; no byte of its output passes through sessiond. For
 * Attach the agent's terminal socket comes back to the caller. Both count as activity for
 * IdleTimeout=. */

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "agent-client.h"
#include "io.sessiond.Manager.h"
#include "manager.h"
#include "session.h"

typedef struct ExecOperation {
        Manager *manager;
        char *name;
        sd_varlink *link;               /* the caller */
        sd_varlink *agent;
        AgentCall *call;
        sd_event_source *io;
} ExecOperation;

static void exec_operation_free(ExecOperation *e) {
        ManagedSession *s;

        if (!e)
                return;
        s = manager_find_session(e->manager, e->name);
        if (s && s->n_execs > 0) {
                s->n_execs--;
                managed_session_activity(s);
        }
        sd_event_source_disable_unref(e->io);
        agent_call_free(e->call);
        sd_varlink_unref(e->agent);
        sd_varlink_unref(e->link);
        free(e->name);
        e->manager->n_pending_calls--;
        free(e);
}

int manager_agent_path(const char *name, char **ret) {
        if (asprintf(ret, "%s/agents/%s/agent.sock", SESSIOND_RUNTIME_DIR, name) < 0)
                return -ENOMEM;
        return 0;
}

static int agent_open(ManagedSession *s, sd_varlink **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = manager_agent_path(s->record.name, &path);
        if (r < 0)
                return r;
        return agent_connect(path, ret);
}

static int reply_agent_error(sd_varlink *link, const char *name, int r) {
        if (r == -ENOENT || r == -ECONNREFUSED || r == -ESHUTDOWN)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOT_RUNNING, SD_JSON_BUILD_PAIR_STRING("name", name));
        return sd_varlink_errorbo(link, SESSIOND_ERROR_AGENT_FAILED,
                                  SD_JSON_BUILD_PAIR_STRING("name", name),
                                  SD_JSON_BUILD_PAIR_INTEGER("errorNumber", -r),
                                  SD_JSON_BUILD_PAIR_STRING("reason", strerror(-r)));
}

static int on_agent_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        ExecOperation *e = userdata;
        Manager *m = e->manager;
        AgentExecResult res = {};
        int r;

        r = agent_call_process(e->call, &res);
        if (r == 0 && !(revents & (EPOLLHUP | EPOLLERR)))
                return 0;
        if (r <= 0)
                (void) reply_agent_error(e->link, e->name, r < 0 ? r : -ECONNRESET);
        else
                (void) sd_varlink_replybo(e->link,
                                SD_JSON_BUILD_PAIR_CONDITION(res.exit_status >= 0, "exitStatus", SD_JSON_BUILD_INTEGER(res.exit_status)),
                                SD_JSON_BUILD_PAIR_CONDITION(res.signal > 0, "signal", SD_JSON_BUILD_INTEGER(res.signal)),
                                SD_JSON_BUILD_PAIR_INTEGER("exitCode", res.exit_code),
                                SD_JSON_BUILD_PAIR_BOOLEAN("timedOut", res.timed_out));
        exec_operation_free(e);
        manager_check_exit(m);
        return 0;
}

typedef struct ExecParams {
        const char *name;
        char **argv;
        char **environment;
        const char *working_directory;
        uint64_t timeout_usec;
} ExecParams;

static void exec_params_done(ExecParams *p) {
        strv_freep(&p->argv);
        strv_freep(&p->environment);
}

static int check_caller(Manager *m, sd_varlink *link, const char *name, ManagedSession **ret) {
        ManagedSession *s;
        uid_t uid;
        int r;

        *ret = NULL;
        if (!session_name_is_valid(name))
                return sd_varlink_error_invalid_parameter_name(link, "name");
        s = manager_find_session(m, name);
        if (!s)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NO_SUCH_SESSION, SD_JSON_BUILD_PAIR_STRING("name", name));
        r = sd_varlink_get_peer_uid(link, &uid);
        if (r < 0)
                return r;
        if (uid != 0 && uid != s->record.owner)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_PERMISSION_DENIED,
                                          SD_JSON_BUILD_PAIR_STRING("reason", "the session belongs to another user"));
        if (s->record.state != SESSION_RUNNING)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOT_RUNNING, SD_JSON_BUILD_PAIR_STRING("name", name));
        *ret = s;
        return 0;
}

static int vl_method_exec(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name",             SD_JSON_VARIANT_STRING,   sd_json_dispatch_const_string, offsetof(ExecParams, name),              SD_JSON_MANDATORY },
                { "argv",             SD_JSON_VARIANT_ARRAY,    sd_json_dispatch_strv,         offsetof(ExecParams, argv),              SD_JSON_MANDATORY },
                { "environment",      SD_JSON_VARIANT_ARRAY,    sd_json_dispatch_strv,         offsetof(ExecParams, environment),       SD_JSON_NULLABLE },
                { "workingDirectory", SD_JSON_VARIANT_STRING,   sd_json_dispatch_const_string, offsetof(ExecParams, working_directory), SD_JSON_NULLABLE },
                { "timeoutUSec",      SD_JSON_VARIANT_UNSIGNED, sd_json_dispatch_uint64,       offsetof(ExecParams, timeout_usec),      SD_JSON_NULLABLE },
                {}
        };
        _cleanup_(exec_params_done) ExecParams p = {};
        _cleanup_close_ int fd0 = -EBADF, fd1 = -EBADF, fd2 = -EBADF;
        _cleanup_(sd_varlink_unrefp) sd_varlink *agent = NULL;
        Manager *m = userdata;
        AgentCall *call = NULL;
        ManagedSession *s;
        ExecOperation *e;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        if (!p.argv || !p.argv[0])
                return sd_varlink_error_invalid_parameter_name(link, "argv");
        if (p.working_directory && p.working_directory[0] != '/')
                return sd_varlink_error_invalid_parameter_name(link, "workingDirectory");
        r = check_caller(m, link, p.name, &s);
        if (r < 0 || !s)
                return r;

        /* The caller's stdin, stdout and stderr, in this order. */
        fd0 = sd_varlink_take_fd(link, 0);
        fd1 = sd_varlink_take_fd(link, 1);
        fd2 = sd_varlink_take_fd(link, 2);
        if (fd0 < 0 || fd1 < 0 || fd2 < 0)
                return sd_varlink_error_invalid_parameter_name(link, "fds");

        r = agent_open(s, &agent);
        if (r < 0)
                return reply_agent_error(link, p.name, r);

        AgentExecOptions o = {
                .environment = p.environment,
                .working_directory = p.working_directory,
                .timeout_usec = p.timeout_usec,
                .output_fds = { -EBADF, -EBADF },
        };
        int fds[3] = { fd0, fd1, fd2 };
        managed_session_activity(s);
        r = agent_exec_start(agent, p.argv, &o, fds, &call, NULL);
        if (r < 0)
                return reply_agent_error(link, p.name, r);
        /* the agent has its own copies now */
        fd0 = safe_close(fd0);
        fd1 = safe_close(fd1);
        fd2 = safe_close(fd2);

        e = calloc(1, sizeof(ExecOperation));
        if (!e) {
                agent_call_free(call);
                return -ENOMEM;
        }
        *e = (ExecOperation) {
                .manager = m,
                .name = strdup(p.name),
                .link = sd_varlink_ref(link),
                .agent = TAKE_PTR(agent),
                .call = call,
        };
        m->n_pending_calls++;
        s->n_execs++;
        if (!e->name) {
                exec_operation_free(e);
                return -ENOMEM;
        }
        r = sd_event_add_io(m->event, &e->io, sd_varlink_get_fd(e->agent), EPOLLIN, on_agent_io, e);
        if (r < 0) {
                exec_operation_free(e);
                return r;
        }
        /* replies may already wait in the connection's buffer */
        return on_agent_io(e->io, sd_varlink_get_fd(e->agent), 0, e);
}

typedef struct AttachParams {
        const char *name;
        int read_only;
} AttachParams;

static int vl_method_attach(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name",     SD_JSON_VARIANT_STRING,  sd_json_dispatch_const_string, offsetof(AttachParams, name),      SD_JSON_MANDATORY },
                { "readOnly", SD_JSON_VARIANT_BOOLEAN, sd_json_dispatch_intbool,      offsetof(AttachParams, read_only), SD_JSON_NULLABLE },
                {}
        };
        _cleanup_(sd_varlink_unrefp) sd_varlink *agent = NULL;
        _cleanup_close_ int fd = -EBADF;
        Manager *m = userdata;
        AttachParams p = {};
        ManagedSession *s;
        uint64_t scrollback = 0;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        r = check_caller(m, link, p.name, &s);
        if (r < 0 || !s)
                return r;

        r = agent_open(s, &agent);
        if (r < 0)
                return reply_agent_error(link, p.name, r);
        (void) sd_varlink_set_relative_timeout(agent, 30ULL * 1000000ULL);
        r = agent_attach(agent, p.read_only, &fd, &scrollback);
        if (r == -ENOTTY)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NO_TERMINAL, SD_JSON_BUILD_PAIR_STRING("name", p.name));
        if (r < 0)
                return reply_agent_error(link, p.name, r);
        managed_session_activity(s);

        r = sd_varlink_push_fd(link, fd);
        if (r < 0)
                return r;
        TAKE_FD(fd);
        return sd_varlink_replybo(link, SD_JSON_BUILD_PAIR_UNSIGNED("scrollback", scrollback));
}

/* For IdleTimeout=: the agent knows about exec and attach activity that bypassed sessiond
 * (callers that talk to the agent socket directly). */
int manager_agent_activity(ManagedSession *s, uint64_t *ret_last_activity_usec, bool *ret_busy) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *agent = NULL;
        _cleanup_(agent_info_done) AgentInfo info = {};
        int r;

        r = agent_open(s, &agent);
        if (r < 0)
                return r;
        (void) sd_varlink_set_relative_timeout(agent, 2ULL * 1000000ULL);
        r = agent_describe(agent, &info);
        if (r < 0)
                return r;
        *ret_last_activity_usec = info.last_activity_usec;
        *ret_busy = info.running_execs > 0 || info.viewers > 0;
        return 0;
}

int manager_exec_setup(Manager *m) {
        return sd_varlink_server_bind_method_many(
                        m->server,
                        "io.sessiond.Manager.Exec", vl_method_exec,
                        "io.sessiond.Manager.Attach", vl_method_attach);
}
