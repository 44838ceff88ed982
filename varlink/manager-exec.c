/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Exec, ExecTerminal, Attach and Resize on the Manager: sessiond checks the caller (peer uid,
 * session state), then relays the call to the session's sessiond-agent unchanged — the same
 * parameters without "name", the caller's fds passed on — and relays the agent's replies back,
 * fds included (the terminal socket of ExecTerminal and Attach). With fds, the command gets the
 * caller's stdin/stdout/stderr and no byte of its output passes through sessiond. A caller that
 * hangs up drops the agent call, which hangs the command up, as a direct call would.
 * Exec and ExecTerminal in flight keep an IdleTimeout= session busy; Attach counts as activity.
 *
 * Where the agent is depends on the session's backend (lib/agent-address.h): a unix socket for
 * service and nspawn, AF_VSOCK (the VM's CID, port 1024) for vmspawn. AF_VSOCK carries no fds, so
 * for a vmspawn session sessiond refuses calls that need them with NoFdPassing before it dials:
 * any call with fds (Exec: the caller retries without, in the agent's streaming mode — sessionctl
 * does), and ExecTerminal and Attach without stream=true (the caller retries streamed). Streamed
 * calls are relayed as any other: the agent's 'more' replies carry the output (Exec's stdout and
 * stderr, a streamed terminal's bytes) through sessiond, which reads no more from the agent while
 * the caller has not taken the previous reply (the caller's output buffer is bounded: sd-varlink
 * fails a send beyond 16 MiB). A streamed terminal's input comes as Input calls, relayed one by
 * one like Resize (see varlink/agent-tty.c for why a second call). Streamed terminals work for
 * every backend; sessionctl asks for them only where fds do not pass (or with --stream). */

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "agent-address.h"
#include "agent-client.h"
#include "io.sessiond.Manager.h"
#include "manager.h"
#include "session.h"

struct Relay {
        Manager *manager;
        char *name;
        sd_varlink *link;       /* the caller */
        sd_varlink *agent;
        bool more;              /* the caller asked for 'more' */
        bool exec;              /* counts as a running exec for IdleTimeout= */
        bool done;
        bool paused;            /* the agent link is detached until the caller took our output */
        uint64_t pause_usec;
        sd_event_source *defer;
        sd_event_source *resume;
};

static void relay_free(Relay *r) {
        Manager *m;
        ManagedSession *s;

        if (!r)
                return;
        m = r->manager;
        for (size_t i = 0; i < m->n_relays; i++)
                if (m->relays[i] == r) {
                        memmove(m->relays + i, m->relays + i + 1, (m->n_relays - i - 1) * sizeof(Relay *));
                        m->n_relays--;
                        break;
                }
        s = manager_find_session(m, r->name);
        if (s && r->exec && s->n_execs > 0) {
                s->n_execs--;
                managed_session_activity(s);
        }
        sd_event_source_disable_unref(r->defer);
        sd_event_source_disable_unref(r->resume);
        if (r->agent) {
                sd_varlink_set_userdata(r->agent, NULL);
                (void) sd_varlink_bind_reply(r->agent, NULL);
                sd_varlink_close_unref(r->agent);
        }
        sd_varlink_unref(r->link);
        free(r->name);
        free(r);
        m->n_pending_calls--;
        manager_check_exit(m);
}

static int on_relay_defer(sd_event_source *source, void *userdata) {
        relay_free(userdata);
        return 0;
}

/* Not from inside the agent link's own callback: later, from the event loop. */
static void relay_finish(Relay *r) {
        if (r->done)
                return;
        r->done = true;
        if (sd_event_add_defer(r->manager->event, &r->defer, on_relay_defer, r) < 0)
                relay_free(r);  /* last resort; sd-varlink holds its own reference while dispatching */
}

void manager_relays_drop_link(Manager *m, sd_varlink *link) {
        for (size_t i = 0; i < m->n_relays; i++)
                if (m->relays[i]->link == link)
                        relay_finish(m->relays[i]);
}

void manager_relays_free(Manager *m) {
        while (m->n_relays > 0)
                relay_free(m->relays[m->n_relays - 1]);
        free(m->relays);
}

/* Backpressure: while the caller's connection still has output queued, read nothing more from the
 * agent (its own streaming pauses in turn). Checked again after 1 ms, backing off to 64 ms while
 * the caller takes nothing. */
#define RELAY_PAUSE_MIN_USEC 1000U
#define RELAY_PAUSE_MAX_USEC 64000U

static int on_relay_resume(sd_event_source *source, uint64_t usec, void *userdata) {
        Relay *r = userdata;
        int k;

        if (r->done)
                return 0;
        if (sd_varlink_get_events(r->link) & EPOLLOUT) {
                r->pause_usec = r->pause_usec * 2 < RELAY_PAUSE_MAX_USEC ? r->pause_usec * 2 : RELAY_PAUSE_MAX_USEC;
                if (sd_event_source_set_time_relative(source, r->pause_usec) >= 0 &&
                    sd_event_source_set_enabled(source, SD_EVENT_ONESHOT) >= 0)
                        return 0;
                /* cannot wait: go on reading, the caller's buffer may grow */
        }
        r->paused = false;
        r->pause_usec = RELAY_PAUSE_MIN_USEC;
        k = sd_varlink_attach_event(r->agent, r->manager->event, 0);
        if (k < 0) {
                (void) sd_varlink_error_errno(r->link, k);
                relay_finish(r);
        }
        return 0;
}

static void relay_pause(Relay *r) {
        if (r->paused || r->done || !(sd_varlink_get_events(r->link) & EPOLLOUT))
                return;
        if (r->pause_usec == 0)
                r->pause_usec = RELAY_PAUSE_MIN_USEC;
        if (!r->resume) {
                if (sd_event_add_time_relative(r->manager->event, &r->resume, CLOCK_MONOTONIC, r->pause_usec, 500,
                                               on_relay_resume, r) < 0)
                        return;  /* no pause then: the caller's buffer may grow */
        } else if (sd_event_source_set_time_relative(r->resume, r->pause_usec) < 0 ||
                   sd_event_source_set_enabled(r->resume, SD_EVENT_ONESHOT) < 0)
                return;
        sd_varlink_detach_event(r->agent);
        r->paused = true;
}

static int on_agent_reply(sd_varlink *agent, sd_json_variant *parameters, const char *error_id,
                          sd_varlink_reply_flags_t flags, void *userdata) {
        Relay *r = userdata;

        if (!r || r->done)
                return 0;

        /* fds in the reply (a terminal socket) go to the caller with the same message */
        for (size_t i = 0;; i++) {
                int fd = sd_varlink_take_fd(agent, i);
                if (fd < 0)
                        break;
                if (sd_varlink_push_fd(r->link, fd) < 0)
                        safe_close(fd);
        }

        if (error_id) {
                (void) sd_varlink_error(r->link, error_id, parameters);
                relay_finish(r);
                return 0;
        }
        if (flags & SD_VARLINK_REPLY_CONTINUES) {
                if (r->more) {
                        int k = sd_varlink_notify(r->link, parameters);
                        if (k < 0) {
                                /* e.g. -ENOBUFS: never drop output silently */
                                (void) sd_varlink_error_errno(r->link, k);
                                relay_finish(r);
                                return 0;
                        }
                        relay_pause(r);
                }
                return 0;
        }
        (void) sd_varlink_reply(r->link, parameters);
        relay_finish(r);
        return 0;
}

typedef enum RelayKind {
        RELAY_EXEC,             /* fds optional: without them the agent streams */
        RELAY_TERMINAL,         /* the reply hands over a terminal socket, unless stream=true */
        RELAY_PLAIN,            /* no fds either way */
} RelayKind;

static int relay(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, Manager *m,
                 const char *agent_method, bool exec, RelayKind kind) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *forward = NULL;
        _cleanup_(sd_varlink_unrefp) sd_varlink *agent = NULL;
        _cleanup_free_ char *path = NULL;
        sd_json_variant *jname, *jstream;
        bool stream;
        const char *name;
        ManagedSession *s;
        Relay *r, **nr;
        uid_t uid;
        int k;

        jname = sd_json_variant_by_key(parameters, "name");
        if (!jname || !sd_json_variant_is_string(jname) || !session_name_is_valid(sd_json_variant_string(jname)))
                return sd_varlink_error_invalid_parameter_name(link, "name");
        name = sd_json_variant_string(jname);
        jstream = sd_json_variant_by_key(parameters, "stream");
        stream = jstream && sd_json_variant_is_boolean(jstream) && sd_json_variant_boolean(jstream);

        s = manager_find_session(m, name);
        if (!s) {
                /* A generator session started after sessiond is not known yet. */
                k = manager_adopt_session(m, name, &s);
                if (k == -ENXIO)
                        return sd_varlink_errorbo(link, SESSIOND_ERROR_NO_SUCH_SESSION, SD_JSON_BUILD_PAIR_STRING("name", name));
                if (k < 0)
                        return k;
        }
        k = sd_varlink_get_peer_uid(link, &uid);
        if (k < 0)
                return k;
        if (uid != 0 && uid != s->record.owner)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_PERMISSION_DENIED,
                                          SD_JSON_BUILD_PAIR_STRING("reason", "the session belongs to another user"));
        if (s->record.state != SESSION_RUNNING)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOT_RUNNING, SD_JSON_BUILD_PAIR_STRING("name", name));

        k = manager_agent_address(s, &path);
        if (k < 0)
                return k;
        if (agent_address_is_vsock(path) &&
            ((kind == RELAY_TERMINAL && !stream) || sd_varlink_peek_fd(link, 0) >= 0))
                return sd_varlink_errorbo(
                                link, SESSIOND_ERROR_NO_FD_PASSING,
                                SD_JSON_BUILD_PAIR_STRING("name", name),
                                SD_JSON_BUILD_PAIR_STRING("backend", session_backend_to_string(s->record.backend)),
                                SD_JSON_BUILD_PAIR_STRING("address", path),
                                SD_JSON_BUILD_PAIR_STRING("reason", kind == RELAY_TERMINAL ?
                                                          "the agent is reached over AF_VSOCK, which cannot hand over a terminal: call with stream=true" :
                                                          "the agent is reached over AF_VSOCK, which passes no fds: call without fds (streaming mode)"));
        k = agent_connect(path, &agent);
        if (k < 0)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_AGENT_FAILED,
                                          SD_JSON_BUILD_PAIR_STRING("name", name),
                                          SD_JSON_BUILD_PAIR_INTEGER("errorNumber", -k),
                                          SD_JSON_BUILD_PAIR_STRING("reason", strerror(-k)));

        /* the caller's fds (stdin, stdout, stderr for Exec), in order */
        for (size_t i = 0; i < 3; i++) {
                int fd = sd_varlink_take_fd(link, i);
                if (fd < 0)
                        break;
                k = sd_varlink_push_fd(agent, fd);
                if (k < 0) {
                        safe_close(fd);
                        return k;
                }
        }

        forward = sd_json_variant_ref(parameters);
        k = sd_json_variant_filter(&forward, (char *[]) { (char *) "name", NULL });
        if (k < 0)
                return k;

        r = calloc(1, sizeof(Relay));
        if (!r)
                return -ENOMEM;
        nr = realloc(m->relays, (m->n_relays + 1) * sizeof(Relay *));
        if (!nr) {
                free(r);
                return -ENOMEM;
        }
        m->relays = nr;
        m->relays[m->n_relays++] = r;
        m->n_pending_calls++;
        *r = (Relay) {
                .manager = m,
                .name = strdup(name),
                .link = sd_varlink_ref(link),
                .agent = TAKE_PTR(agent),
                .more = flags & SD_VARLINK_METHOD_MORE,
                .exec = exec,
        };
        if (exec)
                s->n_execs++;
        managed_session_activity(s);
        if (!r->name) {
                relay_free(r);
                return -ENOMEM;
        }

        sd_varlink_set_userdata(r->agent, r);
        k = sd_varlink_bind_reply(r->agent, on_agent_reply);
        if (k >= 0)
                k = sd_varlink_attach_event(r->agent, m->event, 0);
        if (k >= 0)
                k = r->more ? sd_varlink_observe(r->agent, agent_method, forward)
                            : sd_varlink_invoke(r->agent, agent_method, forward);
        if (k < 0) {
                relay_free(r);
                return k;
        }
        return 0;
}

static int vl_method_exec(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return relay(link, parameters, flags, userdata, "io.sessiond.Agent.Exec", true, RELAY_EXEC);
}

static int vl_method_exec_terminal(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return relay(link, parameters, flags, userdata, "io.sessiond.Agent.ExecTerminal", true, RELAY_TERMINAL);
}

static int vl_method_attach(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return relay(link, parameters, flags, userdata, "io.sessiond.Agent.Attach", false, RELAY_TERMINAL);
}

static int vl_method_resize(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return relay(link, parameters, flags, userdata, "io.sessiond.Agent.Resize", false, RELAY_PLAIN);
}

static int vl_method_input(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return relay(link, parameters, flags, userdata, "io.sessiond.Agent.Input", false, RELAY_PLAIN);
}

int manager_agent_address(const ManagedSession *s, char **ret) {
        return agent_address(s->record.backend, s->record.name, SESSIOND_RUNTIME_DIR, ret);
}

/* For IdleTimeout=: the agent also sees exec and attach activity that did not pass through
 * sessiond (callers that talk to the agent socket directly). */
int manager_agent_activity(ManagedSession *s, uint64_t *ret_last_activity_usec, bool *ret_busy) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *agent = NULL;
        _cleanup_(agent_info_done) AgentInfo info = {};
        _cleanup_free_ char *path = NULL;
        int r;

        r = manager_agent_address(s, &path);
        if (r < 0)
                return r;
        r = agent_connect(path, &agent);
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
                        "io.sessiond.Manager.ExecTerminal", vl_method_exec_terminal,
                        "io.sessiond.Manager.Attach", vl_method_attach,
                        "io.sessiond.Manager.Resize", vl_method_resize,
                        "io.sessiond.Manager.Input", vl_method_input);
}
