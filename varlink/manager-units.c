/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond and PID 1: transient units over sd-bus, and the signals that tell how they fare
 * (JobRemoved, PropertiesChanged, UnitRemoved). Every call is asynchronous, so one slow job
 * never holds up the other sessions; the replies look sessions up by name, as a session may
 * be gone by the time PID 1 answers. */

#include <assert.h>
#include <stdlib.h>
#include <time.h>

#include "io.sessiond.Manager.h"
#include "manager.h"
#include "session-render-bus.h"
#include "session-render.h"
#include "session.h"
#include "strv.h"
#include "time-util.h"

/* What a reply to a call about one session needs: the session is looked up by name, as it may
 * be gone by the time PID 1 answers. */
typedef struct UnitCall {
        Manager *manager;
        char *name;
        sd_varlink *link;
} UnitCall;

static void unit_call_free(void *userdata) {
        UnitCall *c = userdata;

        if (!c)
                return;
        sd_varlink_unref(c->link);
        free(c->name);
        free(c);
}

static int call_async(Manager *m, sd_bus_message *msg, sd_bus_message_handler_t cb, const char *name, sd_varlink *link) {
        UnitCall *c;
        int r;

        c = calloc(1, sizeof(UnitCall));
        if (!c)
                return -ENOMEM;
        c->manager = m;
        c->name = strdup(name);
        if (!c->name) {
                free(c);
                return -ENOMEM;
        }
        c->link = link ? sd_varlink_ref(link) : NULL;
        r = manager_bus_call_async(m, msg, cb, c, unit_call_free);
        if (r < 0)
                unit_call_free(c);
        return r;
}

/* ---- signals ---- */

static void session_unit_gone(ManagedSession *s, const char *unit_result);

static int on_failed_result(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        ManagedSession *s = manager_find_session(c->manager, c->name);
        const char *result = NULL;

        if (!s || !managed_session_is_active(s))
                return 0;
        if (!sd_bus_message_is_method_error(reply, NULL) &&
            sd_bus_message_read(reply, "v", "s", &result) >= 0 && result) {
                free(s->unit_result);
                s->unit_result = strdup(result);
        }
        managed_session_ended(s, s->unit_result);
        return 0;
}

/* The unit went inactive or failed. A failed unit stays loaded (CollectMode=inactive) until we
 * reset it: read its final Result first, as the Service interface's change signal may come
 * after the Unit interface's. */
static void session_unit_gone(ManagedSession *s, const char *active_state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        if (streq_ptr(active_state, "failed")) {
                r = sd_bus_message_new_method_call(s->manager->bus, &msg, SYSTEMD_DEST, s->unit_path,
                                                   "org.freedesktop.DBus.Properties", "Get");
                if (r >= 0)
                        r = sd_bus_message_append(msg, "ss", "org.freedesktop.systemd1.Service", "Result");
                if (r >= 0)
                        r = call_async(s->manager, msg, on_failed_result, s->record.name, NULL);
                if (r >= 0)
                        return;
        }
        managed_session_ended(s, streq_ptr(active_state, "failed") ? s->unit_result : "success");
}

static int on_properties_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        ManagedSession *s;
        const char *iface, *prop;
        int r;

        s = manager_find_session_by_path(m, sd_bus_message_get_path(msg));
        if (!s)
                return 0;

        r = sd_bus_message_read(msg, "s", &iface);
        if (r < 0)
                return 0;
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return 0;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *contents, *v;
                char type;

                if (sd_bus_message_read(msg, "s", &prop) < 0)
                        return 0;
                if (sd_bus_message_peek_type(msg, &type, &contents) < 0)
                        return 0;
                if ((streq(prop, "ActiveState") || streq(prop, "Result")) && streq(contents, "s")) {
                        if (sd_bus_message_read(msg, "v", "s", &v) < 0)
                                return 0;
                        if (streq(prop, "ActiveState") && streq(iface, "org.freedesktop.systemd1.Unit")) {
                                free(s->active_state);
                                s->active_state = strdup(v);
                        } else if (streq(prop, "Result") && streq(iface, "org.freedesktop.systemd1.Service")) {
                                free(s->unit_result);
                                s->unit_result = strdup(v);
                        }
                } else if (sd_bus_message_skip(msg, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(msg) < 0)
                        return 0;
        }

        if (!streq(iface, "org.freedesktop.systemd1.Unit") || !s->active_state)
                return 0;

        if (streq(s->active_state, "active") || streq(s->active_state, "reloading")) {
                if (s->record.state == SESSION_STARTING && !s->job)
                        manager_session_started(s);
        } else if (streq(s->active_state, "deactivating")) {
                if (managed_session_is_active(s))
                        managed_session_set_state(s, SESSION_STOPPING);
        } else if (streq(s->active_state, "inactive") || streq(s->active_state, "failed")) {
                /* While the start job is pending, inactive is the state before it runs, and failed
                 * is a start that did not happen (e.g. TimeoutStartSec= passed under load): the
                 * job's JobRemoved decides, and a Start that never ran gets UnitFailed with the
                 * job's result, not a reply with an ended session. */
                if (s->record.state == SESSION_STARTING && s->job)
                        return 0;
                if (managed_session_is_active(s))
                        session_unit_gone(s, s->active_state);
        }
        return 0;
}

static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *job, *unit, *result;
        ManagedSession *s;
        uint32_t id;

        if (sd_bus_message_read(msg, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        s = manager_find_session_by_job(m, job);
        if (!s)
                return 0;
        free(s->job);
        s->job = NULL;

        if (s->record.state == SESSION_STARTING) {
                if (streq(result, "done"))
                        manager_session_started(s);
                else
                        managed_session_failed(s, result);
        } else if (managed_session_is_active(s) && s->record.stop_requested &&
                   (streq_ptr(s->active_state, "inactive") || streq_ptr(s->active_state, "failed")))
                session_unit_gone(s, s->active_state);
        manager_check_exit(m);
        return 0;
}

/* PID 1 announces UnitRemoved also for units that a daemon-reload unloads and loads again: only a
 * unit that PID 1 no longer has running ends a session. */
static bool unit_still_running(Manager *m, const char *unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *state = NULL;
        const char *path;

        if (sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", &error, &reply,
                               "s", unit) < 0)
                return false;
        if (sd_bus_message_read(reply, "o", &path) < 0)
                return false;
        if (sd_bus_get_property_string(m->bus, SYSTEMD_DEST, path, "org.freedesktop.systemd1.Unit", "ActiveState",
                                       &error, &state) < 0)
                return false;
        return strv_contains((char **) (const char *const[]) { "active", "activating", "deactivating",
                                                               "reloading", "refreshing", NULL }, state);
}

static int on_unit_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *unit, *path;
        ManagedSession *s;

        if (sd_bus_message_read(msg, "so", &unit, &path) < 0)
                return 0;
        s = manager_find_session_by_path(m, path);
        if (!s || !managed_session_is_active(s))
                return 0;
        /* Unloaded without us seeing it stop: e.g. sessiond was busy. The result is the last
         * one seen. A start job still pending means the unit was never loaded yet. */
        if (s->record.state == SESSION_STARTING && s->job)
                return 0;
        if (unit_still_running(m, s->unit))
                return 0;
        managed_session_ended(s, s->unit_result ?: "success");
        return 0;
}

int manager_watch_unit(ManagedSession *s) {
        if (s->match_slot)
                return 0;
        return sd_bus_match_signal_async(s->manager->bus, &s->match_slot, SYSTEMD_DEST, s->unit_path,
                                         "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                         on_properties_changed, NULL, s->manager);
}

int manager_bus_connect(Manager *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus, m->event, 0);
        if (r < 0)
                return r;
        /* Without the bus no Start, Stop or state change gets through: rather than hang every
         * caller, exit with failure; Restart=on-failure brings us back and we recover. */
        r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, m);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "UnitRemoved",
                                on_unit_removed, m);
        if (r < 0)
                return r;
        /* Without Subscribe() PID 1 sends no unit signals. */
        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", &error, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "Failed to subscribe to PID 1: %s\n", error.message ?: strerror(-r));
                return r;
        }
        return 0;
}

/* ---- start ---- */

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        ManagedSession *s = manager_find_session(c->manager, c->name);
        const sd_bus_error *e;
        const char *job;

        if (!s || s->record.state != SESSION_STARTING)
                return 0;

        e = sd_bus_message_get_error(reply);
        if (e) {
                if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists") &&
                    !(e->message && strstr(e->message, s->slice))) {
                        /* Someone else runs a unit of that name (not ours: ours are all in
                         * memory). The record we wrote for it is dropped; nothing was started. */
                        for (size_t i = 0; i < s->n_waiting_start; i++)
                                (void) sd_varlink_errorbo(s->waiting_start[i], SESSIOND_ERROR_SESSION_EXISTS,
                                                          SD_JSON_BUILD_PAIR_STRING("name", s->record.name));
                        for (size_t i = 0; i < s->n_waiting_start; i++)
                                sd_varlink_unref(s->waiting_start[i]);
                        free(s->waiting_start);
                        s->waiting_start = NULL;
                        s->n_waiting_start = 0;
                        managed_session_forget(s);
                        return 0;
                }
                _cleanup_free_ char *reason = NULL;
                if (asprintf(&reason, "%s: %s", e->name, strna(e->message)) < 0)
                        reason = NULL;
                managed_session_failed(s, reason ?: e->name);
                return 0;
        }

        if (sd_bus_message_read(reply, "o", &job) < 0) {
                managed_session_failed(s, "bad reply from PID 1");
                return 0;
        }
        free(s->job);
        s->job = strdup(job);
        /* Stop was asked for before PID 1 had the unit: now it has. */
        if (s->record.stop_requested)
                (void) manager_stop_unit(s);
        return 0;
}

static bool unit_assignments_has_key(const UnitAssignments *a, const char *key) {
        for (size_t i = 0; i < a->n_items; i++)
                if (streq(a->items[i].key, key))
                        return true;
        return false;
}

int manager_start_transient(ManagedSession *s, const Session *session, const UnitAssignments *slice,
                            const UnitAssignments *service, char **ret_bad) {
        /* sessiond collects failed units itself, after reading their Result (see
         * manager_cleanup_units()): with CollectMode=inactive-or-failed the result of a session
         * that failed while sessiond was not running would be lost. */
        static char * const skip_service[] = { (char *) "CollectMode", NULL };
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        Manager *m = s->manager;
        int r;

        r = manager_watch_unit(s);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(m->bus, &msg, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "ss", s->unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r < 0)
                return r;
        r = bus_append_unit_header(msg, session, NULL);
        if (r < 0)
                return r;
        r = bus_append_unit_assignments(msg, service, skip_service, ret_bad);
        if (r < 0)
                return r;
        r = bus_append_unit_setting(msg, "CollectMode", "inactive", false);
        if (r < 0)
                return r;
        /* Describe reports IPIngressBytes/IPEgressBytes, which PID 1 counts only with
         * IPAccounting=; added here unless the renderer already decided. */
        if (!unit_assignments_has_key(service, "IPAccounting")) {
                r = bus_append_unit_setting(msg, "IPAccounting", "yes", false);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(msg);
        if (r < 0)
                return r;

        /* The slice is an auxiliary unit of the same call: both come into being together, or
         * neither does. */
        r = sd_bus_message_open_container(msg, 'a', "(sa(sv))");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(msg, 'r', "sa(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "s", s->slice);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r < 0)
                return r;
        r = bus_append_unit_header(msg, session, "slice");
        if (r < 0)
                return r;
        r = bus_append_unit_assignments(msg, slice, NULL, ret_bad);
        if (r < 0)
                return r;
        for (int i = 0; i < 3; i++) {
                r = sd_bus_message_close_container(msg);
                if (r < 0)
                        return r;
        }

        return call_async(m, msg, on_start_reply, s->record.name, NULL);
}

/* ---- stop, kill, cleanup ---- */

static int on_stop_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        ManagedSession *s = manager_find_session(c->manager, c->name);
        const sd_bus_error *e;
        const char *job;

        if (!s || !managed_session_is_active(s))
                return 0;
        e = sd_bus_message_get_error(reply);
        if (e) {
                if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit")) {
                        managed_session_ended(s, s->unit_result ?: "success");
                        return 0;
                }
                fprintf(stderr, "Failed to stop %s: %s\n", s->unit, strna(e->message));
                for (size_t i = 0; i < s->n_waiting_stop; i++) {
                        (void) sd_varlink_errorbo(s->waiting_stop[i], SESSIOND_ERROR_UNIT_FAILED,
                                                  SD_JSON_BUILD_PAIR_STRING("unit", s->unit),
                                                  SD_JSON_BUILD_PAIR_STRING("reason", strna(e->message)));
                        sd_varlink_unref(s->waiting_stop[i]);
                }
                free(s->waiting_stop);
                s->waiting_stop = NULL;
                s->n_waiting_stop = 0;
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &job) >= 0 && !s->job) {
                s->job = strdup(job);
                if (s->record.state != SESSION_STOPPING)
                        managed_session_set_state(s, SESSION_STOPPING);
        }
        return 0;
}

int manager_stop_unit(ManagedSession *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        r = sd_bus_message_new_method_call(s->manager->bus, &msg, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StopUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "ss", s->unit, "replace");
        if (r < 0)
                return r;
        /* A start job still pending is replaced by the stop job. */
        free(s->job);
        s->job = NULL;
        return call_async(s->manager, msg, on_stop_reply, s->record.name, NULL);
}

static int on_kill_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!c->link)
                return 0;
        if (e)
                (void) sd_varlink_errorbo(c->link, SESSIOND_ERROR_UNIT_FAILED,
                                          SD_JSON_BUILD_PAIR_STRING("reason", strna(e->message)));
        else
                (void) sd_varlink_reply(c->link, NULL);
        return 0;
}

int manager_kill_unit(ManagedSession *s, sd_varlink *link, const char *whom, int signo) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        r = sd_bus_message_new_method_call(s->manager->bus, &msg, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "KillUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "ssi", s->unit, whom, signo);
        if (r < 0)
                return r;
        return call_async(s->manager, msg, on_kill_reply, s->record.name, link);
}

static int on_ignore_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") &&
            !sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.UnknownObject"))
                fprintf(stderr, "Cleanup of session %s: %s\n", ((UnitCall *) userdata)->name, strna(e->message));
        return 0;
}

int manager_cleanup_units(ManagedSession *s, bool failed) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reset = NULL, *stop = NULL;
        Manager *m = s->manager;
        int r;

        /* A failed unit stays loaded until reset; its result is recorded by now. */
        if (failed) {
                r = sd_bus_message_new_method_call(m->bus, &reset, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                                   "ResetFailedUnit");
                if (r >= 0)
                        r = sd_bus_message_append(reset, "s", s->unit);
                if (r >= 0)
                        r = call_async(m, reset, on_ignore_reply, s->record.name, NULL);
                if (r < 0)
                        fprintf(stderr, "Failed to reset %s: %s\n", s->unit, strerror(-r));
        }

        /* The slice outlives its service; stopping it lets PID 1 collect it. */
        r = sd_bus_message_new_method_call(m->bus, &stop, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit");
        if (r >= 0)
                r = sd_bus_message_append(stop, "ss", s->slice, "replace");
        if (r >= 0)
                r = call_async(m, stop, on_ignore_reply, s->record.name, NULL);
        if (r < 0)
                fprintf(stderr, "Failed to stop %s: %s\n", s->slice, strerror(-r));
        return r;
}

/* ---- describe ---- */

static int on_describe_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        static const char *const props[][2] = {
                { "MemoryCurrent",  "memoryCurrent" },
                { "MemoryPeak",     "memoryPeak" },
                { "CPUUsageNSec",   "cpuUsageNSec" },
                { "TasksCurrent",   "tasksCurrent" },
                { "IPIngressBytes", "ipIngressBytes" },
                { "IPEgressBytes",  "ipEgressBytes" },
        };
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *session = NULL, *figures = NULL;
        UnitCall *c = userdata;
        ManagedSession *s = manager_find_session(c->manager, c->name);
        const char *prop;
        int r;

        if (!c->link)
                return 0;
        if (!s) {
                (void) sd_varlink_errorbo(c->link, SESSIOND_ERROR_NO_SUCH_SESSION,
                                          SD_JSON_BUILD_PAIR_STRING("name", c->name));
                return 0;
        }
        r = managed_session_build_json(s, &session);
        if (r < 0)
                return sd_varlink_error_errno(c->link, r);

        if (!sd_bus_message_is_method_error(reply, NULL) &&
            sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
                r = sd_json_buildo(&figures,
                                   SD_JSON_BUILD_PAIR_CONDITION(!!s->active_state, "activeState",
                                                                SD_JSON_BUILD_STRING(s->active_state)));
                if (r < 0)
                        return sd_varlink_error_errno(c->link, r);

                while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                        const char *contents;
                        char type;
                        bool handled = false;

                        if (sd_bus_message_read(reply, "s", &prop) < 0 ||
                            sd_bus_message_peek_type(reply, &type, &contents) < 0)
                                break;
                        for (size_t i = 0; i < ELEMENTSOF(props); i++) {
                                uint64_t u;
                                if (!streq(prop, props[i][0]) || !streq(contents, "t"))
                                        continue;
                                if (sd_bus_message_read(reply, "v", "t", &u) < 0)
                                        break;
                                handled = true;
                                if (u != UINT64_MAX)
                                        (void) sd_json_variant_set_field_unsigned(&figures, props[i][1], u);
                        }
                        if (!handled && streq(prop, "MainPID") && streq(contents, "u")) {
                                uint32_t pid;
                                if (sd_bus_message_read(reply, "v", "u", &pid) >= 0) {
                                        handled = true;
                                        if (pid > 0)
                                                (void) sd_json_variant_set_field_unsigned(&figures, "mainPID", pid);
                                }
                        }
                        if (!handled && streq(prop, "SubState") && streq(contents, "s")) {
                                const char *v;
                                if (sd_bus_message_read(reply, "v", "s", &v) >= 0) {
                                        handled = true;
                                        (void) sd_json_variant_set_field_string(&figures, "subState", v);
                                }
                        }
                        if (!handled && sd_bus_message_skip(reply, "v") < 0)
                                break;
                        if (sd_bus_message_exit_container(reply) < 0)
                                break;
                }

                if (s->record.max_runtime_usec != UINT64_MAX && s->record.created_usec > 0 &&
                    managed_session_is_active(s)) {
                        uint64_t now = now_realtime_usec(), end = s->record.created_usec + s->record.max_runtime_usec;
                        (void) sd_json_variant_set_field_unsigned(&figures, "lifetimeLeftUSec", end > now ? end - now : 0);
                }
                if (s->record.idle_timeout_usec != UINT64_MAX && s->last_activity_usec > 0) {
                        struct timespec ts;
                        uint64_t now;
                        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
                        now = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
                        (void) sd_json_variant_set_field_unsigned(&figures, "idleUSec",
                                                                  now > s->last_activity_usec ? now - s->last_activity_usec : 0);
                }
        }

        return sd_varlink_replybo(c->link,
                        SD_JSON_BUILD_PAIR_VARIANT("session", session),
                        SD_JSON_BUILD_PAIR_CONDITION(!!figures, "figures", SD_JSON_BUILD_VARIANT(figures)));
}

int manager_describe_unit(ManagedSession *s, sd_varlink *link) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        /* GetAll of the Service interface: MainPID, SubState? (no: Unit), and the cgroup figures. */
        r = sd_bus_message_new_method_call(s->manager->bus, &msg, SYSTEMD_DEST, s->unit_path,
                                           "org.freedesktop.DBus.Properties", "GetAll");
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "s", "org.freedesktop.systemd1.Service");
        if (r < 0)
                return r;
        return call_async(s->manager, msg, on_describe_reply, s->record.name, link);
}
