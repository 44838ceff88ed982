/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The io.sessiond.Manager methods. Each handler dispatches its parameters (a bad one is
 * org.varlink.service.InvalidParameter naming the field), checks the peer, and either replies
 * at once or leaves the reply to the PID 1 job it started (manager-units.c). */

#include <assert.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "backend.h"
#include "io.sessiond.Manager.h"
#include "manager.h"
#include "session-parse.h"
#include "session-render.h"
#include "session.h"
#include "time-util.h"

static int reply_no_such_session(sd_varlink *link, const char *name) {
        return sd_varlink_errorbo(link, SESSIOND_ERROR_NO_SUCH_SESSION, SD_JSON_BUILD_PAIR_STRING("name", name));
}

static int reply_permission_denied(sd_varlink *link, const char *reason) {
        return sd_varlink_errorbo(link, SESSIOND_ERROR_PERMISSION_DENIED, SD_JSON_BUILD_PAIR_STRING("reason", reason));
}

int manager_reply_error_errno(sd_varlink *link, int r) {
        return sd_varlink_error_errno(link, r);
}

/* Root manages every session, everyone else the sessions they started. */
static int peer_may_manage(sd_varlink *link, const ManagedSession *s, bool *ret) {
        uid_t uid;
        int r;

        r = sd_varlink_get_peer_uid(link, &uid);
        if (r < 0)
                return r;
        *ret = uid == 0 || uid == s->record.owner;
        return 0;
}

/* Looks the session up and checks the peer; replies itself (NoSuchSession, PermissionDenied)
 * and returns 0 with *ret NULL when the caller is done. */
static int lookup_session(Manager *m, sd_varlink *link, const char *name, ManagedSession **ret) {
        ManagedSession *s;
        bool ok;
        int r;

        *ret = NULL;
        if (!session_name_is_valid(name))
                return sd_varlink_error_invalid_parameter_name(link, "name");
        s = manager_find_session(m, name);
        if (!s) {
                uid_t uid;

                /* A unit of the generator started after sessiond is root's session: root sees it
                 * at once, as after a restart of sessiond (others would not be allowed anyway). */
                r = sd_varlink_get_peer_uid(link, &uid);
                if (r < 0)
                        return r;
                if (uid != 0 || manager_adopt_session(m, name, &s) < 0)
                        return reply_no_such_session(link, name);
        }
        r = peer_may_manage(link, s, &ok);
        if (r < 0)
                return r;
        if (!ok)
                return reply_permission_denied(link, "the session belongs to another user");
        *ret = s;
        return 0;
}

static int errors_to_json(const SessionErrorList *errors, sd_json_variant **ret) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *array = NULL;
        int r;

        r = sd_json_variant_new_array(&array, NULL, 0);
        if (r < 0)
                return r;
        for (size_t i = 0; i < errors->n_errors; i++) {
                const SessionError *e = errors->errors + i;

                r = sd_json_variant_append_arraybo(&array,
                                SD_JSON_BUILD_PAIR_CONDITION(!!e->file, "file", SD_JSON_BUILD_STRING(e->file)),
                                SD_JSON_BUILD_PAIR_CONDITION(e->line > 0, "line", SD_JSON_BUILD_UNSIGNED(e->line)),
                                SD_JSON_BUILD_PAIR_STRING("message", strna(e->message)));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(array);
        return 0;
}

static int reply_invalid_session(sd_varlink *link, const SessionErrorList *errors, const char *origin, int error) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *array = NULL;
        int r;

        r = errors_to_json(errors, &array);
        if (r < 0)
                return r;
        if (errors->n_errors == 0) {
                /* the parser failed without saying where: say why, at least */
                r = sd_json_variant_append_arraybo(&array,
                                SD_JSON_BUILD_PAIR_CONDITION(!!origin, "file", SD_JSON_BUILD_STRING(origin)),
                                SD_JSON_BUILD_PAIR_STRING("message", strerror(error < 0 ? -error : EINVAL)));
                if (r < 0)
                        return r;
        }
        return sd_varlink_errorbo(link, SESSIOND_ERROR_INVALID_SESSION, SD_JSON_BUILD_PAIR_VARIANT("errors", array));
}

/* Parses a session by name from the search path or from inline text. Returns 1 with the
 * session, 0 if it replied (errors), < 0 on failure. */
static int load_session(sd_varlink *link, const char *name, const char *text, Session **ret) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_strv_free_ char **search_path = NULL;
        int r;

        if (text)
                r = session_parse_string(name, "<inline>", text, &s, &errors);
        else {
                r = session_search_path(&search_path);
                if (r < 0)
                        return r;
                r = session_load_full(name, search_path, SESSION_PARSE_CHECK_REFERENCES, &s, &errors);
                if (r == -ENOENT && errors.n_errors == 0)
                        return reply_no_such_session(link, name);
        }
        if (r < 0 || errors.n_errors > 0 || !s)
                return reply_invalid_session(link, &errors, text ? "<inline>" : NULL, r);
        *ret = TAKE_PTR(s);
        return 1;
}

/* What a peer other than root may start: nothing that runs with more than it has itself. Files
 * from the search path are the administrator's, inline text is the caller's; both are held to
 * the same rule, since starting an administrator's privileged session is not the caller's call
 * either. */
static const char *unprivileged_start_refusal(const Session *s, uid_t uid) {
        if (s->user) {
                struct passwd *pw = getpwuid(uid);
                if (!pw || !streq(pw->pw_name, s->user))
                        return "User= other than the caller's own user needs root";
        } else if (!s->dynamic_user)
                return "sessions without DynamicUser=yes or User= run as root: that needs root";
        if (s->unit_section.n_entries > 0 || s->service_section.n_entries > 0)
                return "[Unit] and [Service] pass-through settings need root";
        if (s->n_credentials > 0)
                return "[Secrets] (read by PID 1 as root) need root";
        if (s->workspace_path)
                return "[Workspace] Path= (mounted by PID 1 as root) needs root";
        if (s->profile == SESSION_PROFILE_PERMISSIVE)
                return "Profile=permissive needs root";
        return NULL;
}

static uint64_t usec_or_none(uint64_t v) {
        return v == UINT64_UNSET || v == UINT64_INFINITY ? UINT64_MAX : v;
}

typedef struct NameParams {
        const char *name;
        const char *session_text;
        int signal;
        const char *whom;
        bool restore;
} NameParams;

static int vl_method_start(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name",        SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(NameParams, name),         SD_JSON_MANDATORY },
                { "sessionText", SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(NameParams, session_text), SD_JSON_NULLABLE },
                { "restore",     SD_JSON_VARIANT_BOOLEAN, sd_json_dispatch_stdbool,     offsetof(NameParams, restore),      SD_JSON_NULLABLE },
                {}
        };
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        _cleanup_(session_freep) Session *session = NULL;
        _cleanup_free_ char *bad = NULL;
        Manager *m = userdata;
        NameParams p = {};
        ManagedSession *s;
        const char *why;
        uid_t uid;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        if (!session_name_is_valid(p.name))
                return sd_varlink_error_invalid_parameter_name(link, "name");
        r = sd_varlink_get_peer_uid(link, &uid);
        if (r < 0)
                return r;

        /* One name, one session: the check and the insertion below happen without returning
         * to the event loop, so two Starts racing for a name cannot both pass it. */
        s = manager_find_session(m, p.name);
        if (s) {
                if (managed_session_is_active(s) || (uid != 0 && uid != s->record.owner))
                        return sd_varlink_errorbo(link, SESSIOND_ERROR_SESSION_EXISTS,
                                                  SD_JSON_BUILD_PAIR_STRING("name", p.name));
                /* an ended session kept by OnEnd=persist gives way to the new one */
                managed_session_forget(s);
        }

        r = load_session(link, p.name, p.session_text, &session);
        if (r <= 0)
                return r;

        if (session->backend != SESSION_BACKEND_SERVICE) {
                _cleanup_free_ char *reason = NULL;

                /* Checked before anything exists: an unavailable backend leaves nothing behind. */
                r = backend_available(session->backend, NULL, &reason);
                if (r < 0)
                        return r;
                if (r > 0 && session->backend == SESSION_BACKEND_VMSPAWN && session_vmspawn_uses_virtiofs(session)) {
                        r = backend_virtiofsd_available(NULL, &reason);
                        if (r < 0)
                                return r;
                }
                if (r == 0)
                        return sd_varlink_errorbo(link, SESSIOND_ERROR_BACKEND_UNAVAILABLE,
                                                  SD_JSON_BUILD_PAIR_STRING("backend", session_backend_to_string(session->backend)),
                                                  SD_JSON_BUILD_PAIR_STRING("reason", reason));
                /* A machine is root's: the container runs as root with its own capability set. */
                if (uid != 0)
                        return reply_permission_denied(link, "Backend=nspawn and Backend=vmspawn need root");
                /* Available without KVM only because the administrator allowed emulation: say so. */
                if (session->backend == SESSION_BACKEND_VMSPAWN) {
                        _cleanup_free_ char *kvm = NULL;

                        if (backend_kvm_usable("/dev/kvm", &kvm) == 0)
                                fprintf(stderr, "Session %s: %s; SESSIOND_VMSPAWN_ALLOW_TCG is set, the VM runs emulated (TCG, slow).\n",
                                        p.name, kvm);
                }
        }
        if (uid != 0) {
                why = unprivileged_start_refusal(session, uid);
                if (why)
                        return reply_permission_denied(link, why);
        }

        if (p.restore) {
                r = manager_prepare_restore(link, session);
                if (r <= 0)
                        return r;
        }

        r = session_render_assignments(session, &slice, &service);
        if (r == -EOPNOTSUPP)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_BACKEND_UNAVAILABLE,
                                          SD_JSON_BUILD_PAIR_STRING("backend", session_backend_to_string(session->backend)));
        if (r < 0)
                return r;

        r = managed_session_new(m, p.name, &s);
        if (r < 0)
                return r;
        s->has_record = true;
        s->record.owner = uid;
        s->record.backend = session->backend;
        s->record.state = SESSION_STARTING;
        s->record.result = SESSION_RESULT_NONE;
        s->record.created_usec = now_realtime_usec();
        s->record.max_runtime_usec = usec_or_none(session->max_runtime_usec);
        s->record.idle_timeout_usec = usec_or_none(session->idle_timeout_usec);
        s->record.discard = session->on_end == SESSION_ON_END_DISCARD;
        s->record.origin = strdup(p.session_text ? "<inline>" : strna(session->source_path));
        if (p.session_text)
                s->record.text = strdup(p.session_text);
        if (!s->record.origin || (p.session_text && !s->record.text)) {
                managed_session_forget(s);
                return -ENOMEM;
        }

        /* The record goes to disk before PID 1 hears of the unit: whatever happens next, a
         * restarted sessiond finds either no unit, or a unit and its record. */
        r = managed_session_save(s);
        if (r < 0) {
                managed_session_forget(s);
                return r;
        }

        r = manager_start_transient(s, session, &slice, &service, &bad);
        if (r < 0) {
                managed_session_forget(s);
                if (bad) {
                        _cleanup_free_ char *msg = NULL;
                        if (asprintf(&msg, "%s: cannot be passed to PID 1 for a transient unit: %s", bad, strerror(-r)) < 0)
                                return -ENOMEM;
                        SessionError e = { .file = (char *) (p.session_text ? "<inline>" : session->source_path), .message = msg };
                        SessionErrorList l = { .errors = &e, .n_errors = 1 };
                        return reply_invalid_session(link, &l, NULL, r);
                }
                return r;
        }

        r = manager_add_waiter(&s->waiting_start, &s->n_waiting_start, link);
        if (r < 0)
                return r;
        manager_notify_subscribers(m, s);
        fprintf(stderr, "Starting session %s for uid %u.\n", p.name, (unsigned) uid);
        return 0;
}

static int vl_method_stop(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name", SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(NameParams, name), SD_JSON_MANDATORY },
                {}
        };
        Manager *m = userdata;
        NameParams p = {};
        ManagedSession *s;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        r = lookup_session(m, link, p.name, &s);
        if (r < 0 || !s)
                return r;

        if (!managed_session_is_active(s)) {
                /* ended, kept by OnEnd=persist: Stop removes what is left */
                managed_session_forget(s);
                return sd_varlink_reply(link, NULL);
        }

        r = manager_add_waiter(&s->waiting_stop, &s->n_waiting_stop, link);
        if (r < 0)
                return r;
        if (s->record.stop_requested)
                return 0;       /* already on its way */

        s->record.stop_requested = true;
        (void) managed_session_save(s);
        /* A Start still waiting for PID 1's answer has no unit yet: the answer triggers the stop. */
        if (s->record.state == SESSION_STARTING && !s->job && s->has_record && !s->active_state)
                return 0;
        r = manager_stop_unit(s);
        if (r < 0)
                return r;
        fprintf(stderr, "Stopping session %s.\n", p.name);
        return 0;
}

static int vl_method_kill(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name",   SD_JSON_VARIANT_STRING,  sd_json_dispatch_const_string, offsetof(NameParams, name),   SD_JSON_MANDATORY },
                { "signal", SD_JSON_VARIANT_INTEGER, sd_json_dispatch_int,          offsetof(NameParams, signal), SD_JSON_NULLABLE },
                { "whom",   SD_JSON_VARIANT_STRING,  sd_json_dispatch_const_string, offsetof(NameParams, whom),   SD_JSON_NULLABLE },
                {}
        };
        Manager *m = userdata;
        NameParams p = { .signal = SIGTERM };
        ManagedSession *s;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        if (p.signal <= 0 || p.signal >= _NSIG)
                return sd_varlink_error_invalid_parameter_name(link, "signal");
        if (p.whom && !streq(p.whom, "all") && !streq(p.whom, "main"))
                return sd_varlink_error_invalid_parameter_name(link, "whom");
        r = lookup_session(m, link, p.name, &s);
        if (r < 0 || !s)
                return r;
        if (!managed_session_is_active(s) || (s->record.state == SESSION_STARTING && !s->active_state))
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOT_RUNNING, SD_JSON_BUILD_PAIR_STRING("name", p.name));

        return manager_kill_unit(s, link, p.whom ?: "all", p.signal);
}

static int vl_method_list(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = { {} };   /* no parameters */
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *previous = NULL;
        Manager *m = userdata;
        uid_t uid;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, NULL);
        if (r != 0)
                return r;
        r = sd_varlink_get_peer_uid(link, &uid);
        if (r < 0)
                return r;
        if (uid == 0) {
                /* units of the generator started after sessiond: root's sessions */
                r = manager_adopt_sessions(m);
                if (r < 0)
                        fprintf(stderr, "Failed to look for sessions started without sessiond: %s\n", strerror(-r));
        }

        for (size_t i = 0; i < m->n_sessions; i++) {
                sd_json_variant *v = NULL;
                bool ok;

                r = peer_may_manage(link, m->sessions[i], &ok);
                if (r < 0)
                        return r;
                if (!ok)
                        continue;
                r = managed_session_build_json(m->sessions[i], &v);
                if (r < 0)
                        return r;
                if (previous) {
                        r = sd_varlink_notifybo(link, SD_JSON_BUILD_PAIR_VARIANT("session", previous));
                        if (r < 0) {
                                sd_json_variant_unref(v);
                                return r;
                        }
                        sd_json_variant_unref(previous);
                }
                previous = v;
        }
        if (!previous)
                return sd_varlink_reply(link, NULL);
        return sd_varlink_replybo(link, SD_JSON_BUILD_PAIR_VARIANT("session", previous));
}

static int vl_method_describe(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name", SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(NameParams, name), SD_JSON_MANDATORY },
                {}
        };
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        Manager *m = userdata;
        NameParams p = {};
        ManagedSession *s;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        r = lookup_session(m, link, p.name, &s);
        if (r < 0 || !s)
                return r;

        if (managed_session_is_active(s) && s->active_state)
                return manager_describe_unit(s, link);

        r = managed_session_build_json(s, &v);
        if (r < 0)
                return r;
        return sd_varlink_replybo(link, SD_JSON_BUILD_PAIR_VARIANT("session", v));
}

static int vl_method_subscribe(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name", SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(NameParams, name), SD_JSON_NULLABLE },
                {}
        };
        Manager *m = userdata;
        NameParams p = {};
        Subscriber *ns;
        char *name = NULL;
        uid_t uid;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        if (p.name) {
                ManagedSession *s;
                bool ok;

                if (!session_name_is_valid(p.name))
                        return sd_varlink_error_invalid_parameter_name(link, "name");
                /* A name that does not exist yet may be watched: its Start comes next. */
                s = manager_find_session(m, p.name);
                if (s) {
                        r = peer_may_manage(link, s, &ok);
                        if (r < 0)
                                return r;
                        if (!ok)
                                return reply_permission_denied(link, "the session belongs to another user");
                }
                name = strdup(p.name);
                if (!name)
                        return -ENOMEM;
        }
        r = sd_varlink_get_peer_uid(link, &uid);
        if (r < 0) {
                free(name);
                return r;
        }

        ns = realloc(m->subscribers, (m->n_subscribers + 1) * sizeof(Subscriber));
        if (!ns) {
                free(name);
                return -ENOMEM;
        }
        m->subscribers = ns;
        m->subscribers[m->n_subscribers++] = (Subscriber) { .link = sd_varlink_ref(link), .name = name };

        /* The present first, so that a subscriber never misses a state it did not see change. */
        for (size_t i = 0; i < m->n_sessions; i++) {
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
                ManagedSession *s = m->sessions[i];

                if (name && !streq(name, s->record.name))
                        continue;
                if (uid != 0 && uid != s->record.owner)
                        continue;
                r = managed_session_build_json(s, &v);
                if (r < 0)
                        return r;
                r = sd_varlink_notifybo(link,
                                SD_JSON_BUILD_PAIR_VARIANT("session", v),
                                SD_JSON_BUILD_PAIR_UNSIGNED("timestampUSec", now_realtime_usec()));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int vl_method_verify(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name",        SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(NameParams, name),         SD_JSON_MANDATORY },
                { "sessionText", SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(NameParams, session_text), SD_JSON_NULLABLE },
                {}
        };
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *array = NULL;
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_strv_free_ char **search_path = NULL;
        NameParams p = {};
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        if (!session_name_is_valid(p.name))
                return sd_varlink_error_invalid_parameter_name(link, "name");

        if (p.session_text)
                r = session_parse_string(p.name, "<inline>", p.session_text, &s, &errors);
        else {
                r = session_search_path(&search_path);
                if (r < 0)
                        return r;
                r = session_load_full(p.name, search_path, SESSION_PARSE_CHECK_REFERENCES, &s, &errors);
                if (r == -ENOENT && errors.n_errors == 0)
                        return reply_no_such_session(link, p.name);
        }
        if (r < 0 && errors.n_errors == 0) {
                SessionError e = { .file = (char *) (p.session_text ? "<inline>" : NULL), .message = strerror(-r) };
                SessionErrorList l = { .errors = &e, .n_errors = 1 };
                r = errors_to_json(&l, &array);
        } else
                r = errors_to_json(&errors, &array);
        if (r < 0)
                return r;
        return sd_varlink_replybo(link,
                        SD_JSON_BUILD_PAIR_BOOLEAN("valid", sd_json_variant_elements(array) == 0),
                        SD_JSON_BUILD_PAIR_VARIANT("errors", array));
}

static int on_connect(sd_varlink_server *server, sd_varlink *link, void *userdata) {
        Manager *m = userdata;
        int r;

        /* Exec takes the caller's stdin/stdout/stderr; Attach returns a terminal socket. */
        r = sd_varlink_set_allow_fd_passing_input(link, true);
        if (r >= 0)
                r = sd_varlink_set_allow_fd_passing_output(link, true);
        if (r < 0)
                return r;
        m->n_connections++;
        manager_check_exit(m);
        return 0;
}

static void on_disconnect(sd_varlink_server *server, sd_varlink *link, void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_subscribers; i++)
                if (m->subscribers[i].link == link) {
                        sd_varlink_unref(m->subscribers[i].link);
                        free(m->subscribers[i].name);
                        memmove(m->subscribers + i, m->subscribers + i + 1,
                                (m->n_subscribers - i - 1) * sizeof(Subscriber));
                        m->n_subscribers--;
                        break;
                }
        manager_relays_drop_link(m, link);
        if (m->n_connections > 0)
                m->n_connections--;
        manager_schedule_trim(m);
        manager_check_exit(m);
}

int manager_varlink_new(Manager *m) {
        int r;

        r = sd_varlink_server_new(&m->server, SD_VARLINK_SERVER_ACCOUNT_UID | SD_VARLINK_SERVER_INHERIT_USERDATA);
        if (r < 0)
                return r;
        sd_varlink_server_set_userdata(m->server, m);
        (void) sd_varlink_server_set_description(m->server, "sessiond");
        r = sd_varlink_server_set_info(m->server, "sessiond project", "sessiond", PACKAGE_VERSION,
                                       "https://github.com/sessiond/sessiond");
        if (r < 0)
                return r;
        /* The socket is open to everyone (0666): bound what one user can hold open. */
        (void) sd_varlink_server_set_connections_per_uid_max(m->server, 128);
        (void) sd_varlink_server_set_connections_max(m->server, 4096);

        r = sd_varlink_server_add_interface(m->server, &vl_interface_io_sessiond_Manager);
        if (r < 0)
                return r;
        r = sd_varlink_server_bind_method_many(
                        m->server,
                        "io.sessiond.Manager.Start", vl_method_start,
                        "io.sessiond.Manager.Stop", vl_method_stop,
                        "io.sessiond.Manager.Kill", vl_method_kill,
                        "io.sessiond.Manager.List", vl_method_list,
                        "io.sessiond.Manager.Describe", vl_method_describe,
                        "io.sessiond.Manager.Subscribe", vl_method_subscribe,
                        "io.sessiond.Manager.Verify", vl_method_verify);
        if (r >= 0)
                r = manager_persist_bind(m);
        if (r >= 0)
                r = manager_egress_bind(m);
        if (r < 0)
                return r;
        r = manager_exec_setup(m);
        if (r < 0)
                return r;
        r = sd_varlink_server_bind_connect(m->server, on_connect);
        if (r < 0)
                return r;
        r = sd_varlink_server_bind_disconnect(m->server, on_disconnect);
        if (r < 0)
                return r;
        return sd_varlink_server_attach_event(m->server, m->event, 0);
}

int manager_varlink_setup(Manager *m) {
        int r;

        r = manager_varlink_new(m);
        if (r < 0)
                return r;
        r = sd_varlink_server_listen_auto(m->server);
        if (r < 0)
                return r;
        if (r == 0) {
                /* not socket-activated (tests, debugging): bind the socket ourselves */
                (void) mkdir(SESSIOND_RUNTIME_DIR, 0755);
                (void) unlink(SESSIOND_MANAGER_ADDRESS);
                r = sd_varlink_server_listen_address(m->server, SESSIOND_MANAGER_ADDRESS, 0666);
                if (r < 0)
                        return r;
        }
        return 0;
}
