/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The agent's Varlink server: the method table of io.sessiond.Agent, Kill and Describe, and the
 * agent's logging. Apart from main() so that the fuzzer (tests/fuzz/fuzz-agent-varlink.c) serves
 * exactly what the daemon serves. */

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>

#include "agent.h"
#include "io.sessiond.Agent.h"
#include "macro.h"
#include "time-util.h"

bool agent_log_prefix = false;
int agent_log_level = 6;
bool agent_journal = false;

void agent_log(int level, const char *format, ...) {
        va_list ap;
        int saved = errno;

        if (level > agent_log_level)
                return;
        if (agent_log_prefix)
                fprintf(stderr, "<%d>", level);
        else
                fputs("sessiond-agent: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        errno = saved;
}

void agent_touch(Agent *a) {
        a->last_activity_usec = now_monotonic_usec();
}

static int dispatch_signal(const char *name, sd_json_variant *v, sd_json_dispatch_flags_t flags, void *userdata) {
        int *sig = userdata;
        int64_t i;

        if (sd_json_variant_is_null(v))
                return 0;
        if (!sd_json_variant_is_integer(v))
                return -EINVAL;
        i = sd_json_variant_integer(v);
        if (i < 1 || i >= _NSIG)
                return -ERANGE;
        *sig = (int) i;
        return 0;
}

typedef struct KillParams {
        uint64_t id;
        int sig;
} KillParams;

static int vl_method_kill(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        Agent *a = userdata;
        KillParams p = { .id = UINT64_MAX, .sig = SIGTERM };
        static const sd_json_dispatch_field table[] = {
                { "id",     _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64, offsetof(KillParams, id),  0 },
                { "signal", _SD_JSON_VARIANT_TYPE_INVALID, dispatch_signal,         offsetof(KillParams, sig), 0 },
                {}
        };
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;

        if (p.id != UINT64_MAX) {
                Exec *e = agent_find_exec(a, p.id);
                if (!e || e->exited)
                        return sd_varlink_errorbo(link, "io.sessiond.Agent.NoSuchExec",
                                                  SD_JSON_BUILD_PAIR_UNSIGNED("id", p.id));
                /* Every exec'd command leads its own process group (setsid). */
                if (kill(-e->pid, p.sig) < 0 && kill(e->pid, p.sig) < 0)
                        return sd_varlink_error_errno(link, -errno);
        } else {
                if (a->main_pid <= 0)
                        return sd_varlink_error(link, "io.sessiond.Agent.NotRunning", NULL);
                if (kill(-a->main_pid, p.sig) < 0 && kill(a->main_pid, p.sig) < 0)
                        return sd_varlink_error_errno(link, -errno);
        }
        return sd_varlink_reply(link, NULL);
}

static int vl_method_describe(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        Agent *a = userdata;
        unsigned running = 0, viewers = a->terminal ? a->terminal->n_viewers : 0;
        int r;

        r = sd_varlink_dispatch(link, parameters, (const sd_json_dispatch_field[]) { {} }, NULL);
        if (r != 0)
                return r;

        for (Exec *e = a->execs; e; e = e->next)
                if (!e->exited)
                        running++;

        return sd_varlink_replybo(
                        link,
                        SD_JSON_BUILD_PAIR_STRING("name", a->name),
                        SD_JSON_BUILD_PAIR_CONDITION(a->main_pid > 0, "mainPID", SD_JSON_BUILD_INTEGER(a->main_pid)),
                        SD_JSON_BUILD_PAIR_BOOLEAN("terminal", !!a->terminal),
                        SD_JSON_BUILD_PAIR_UNSIGNED("runningExecs", running),
                        SD_JSON_BUILD_PAIR_UNSIGNED("viewers", viewers),
                        SD_JSON_BUILD_PAIR_UNSIGNED("lastActivityUSec",
                                                    running > 0 || viewers > 0 ? now_monotonic_usec() : a->last_activity_usec));
}

static int on_connect(sd_varlink_server *s, sd_varlink *link, void *userdata) {
        /* Only AF_UNIX carries fds; on AF_VSOCK these fail and callers use the streaming mode. */
        (void) sd_varlink_set_allow_fd_passing_input(link, true);
        (void) sd_varlink_set_allow_fd_passing_output(link, true);
        return 0;
}

static void on_disconnect(sd_varlink_server *s, sd_varlink *link, void *userdata) {
        agent_link_disconnected(userdata, link);
}

int agent_server_new(Agent *a, sd_varlink_server **ret) {
        _cleanup_(sd_varlink_server_unrefp) sd_varlink_server *server = NULL;
        int r;

        assert(a && ret);

        r = sd_varlink_server_new(&server, SD_VARLINK_SERVER_INHERIT_USERDATA);
        if (r < 0)
                return r;
        sd_varlink_server_set_userdata(server, a);
        (void) sd_varlink_server_set_description(server, "sessiond-agent");
        (void) sd_varlink_server_set_info(server, "sessiond", "sessiond-agent", PACKAGE_VERSION, NULL);
        (void) sd_varlink_server_set_connections_max(server, AGENT_CONNECTIONS_MAX);
        (void) sd_varlink_server_set_connections_per_uid_max(server, AGENT_CONNECTIONS_MAX);

        r = sd_varlink_server_add_interface(server, &vl_interface_io_sessiond_Agent);
        if (r < 0)
                return r;
        r = sd_varlink_server_bind_method_many(
                        server,
                        "io.sessiond.Agent.Exec",         vl_method_exec,
                        "io.sessiond.Agent.ExecTerminal", vl_method_exec_terminal,
                        "io.sessiond.Agent.Kill",         vl_method_kill,
                        "io.sessiond.Agent.Attach",       vl_method_attach,
                        "io.sessiond.Agent.Resize",       vl_method_resize,
                        "io.sessiond.Agent.Input",        vl_method_input,
                        "io.sessiond.Agent.Describe",     vl_method_describe);
        if (r < 0)
                return r;
        r = sd_varlink_server_bind_connect(server, on_connect);
        if (r < 0)
                return r;
        r = sd_varlink_server_bind_disconnect(server, on_disconnect);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(server);
        return 0;
}
