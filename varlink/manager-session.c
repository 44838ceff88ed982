/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The sessions sessiond tracks: lookup, state changes (each one saved to the state file
 * first, then announced to subscribers), and the end of a session. */

#include <assert.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "io.sessiond.Manager.h"
#include "manager.h"
#include "session.h"
#include "time-util.h"

int managed_session_new(Manager *m, const char *name, ManagedSession **ret) {
        ManagedSession *s, **ns;
        int r;

        assert(m);
        assert(name);
        assert(ret);

        s = calloc(1, sizeof(ManagedSession));
        if (!s)
                return -ENOMEM;
        s->manager = m;
        s->agent_wait_fd = -EBADF;
        s->record.max_runtime_usec = UINT64_MAX;
        s->record.idle_timeout_usec = UINT64_MAX;
        s->record.name = strdup(name);
        if (!s->record.name) {
                free(s);
                return -ENOMEM;
        }
        r = session_unit_name(name, &s->unit);
        if (r >= 0)
                r = session_slice_name(name, &s->slice);
        if (r >= 0)
                r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", s->unit, &s->unit_path);
        if (r < 0) {
                managed_session_free(s);
                return r;
        }

        ns = realloc(m->sessions, (m->n_sessions + 1) * sizeof(ManagedSession *));
        if (!ns) {
                managed_session_free(s);
                return -ENOMEM;
        }
        m->sessions = ns;
        m->sessions[m->n_sessions++] = s;
        *ret = s;
        return 0;
}

static void fail_waiters(sd_varlink ***list, size_t *n, const char *error, const char *name) {
        for (size_t i = 0; i < *n; i++) {
                (void) sd_varlink_errorbo((*list)[i], error, SD_JSON_BUILD_PAIR_STRING("name", name));
                sd_varlink_unref((*list)[i]);
        }
        free(*list);
        *list = NULL;
        *n = 0;
}

void managed_session_free(ManagedSession *s) {
        if (!s)
                return;
        manager_agent_wait_stop(s);
        fail_waiters(&s->waiting_start, &s->n_waiting_start, SESSIOND_ERROR_NO_SUCH_SESSION, s->record.name);
        fail_waiters(&s->waiting_stop, &s->n_waiting_stop, SESSIOND_ERROR_NO_SUCH_SESSION, s->record.name);
        session_record_done(&s->record);
        sd_bus_slot_unref(s->match_slot);
        free(s->unit);
        free(s->slice);
        free(s->unit_path);
        free(s->job);
        free(s->unit_result);
        free(s->active_state);
        free(s);
}

ManagedSession *manager_find_session(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_sessions; i++)
                if (streq(m->sessions[i]->record.name, name))
                        return m->sessions[i];
        return NULL;
}

ManagedSession *manager_find_session_by_path(Manager *m, const char *path) {
        for (size_t i = 0; i < m->n_sessions; i++)
                if (streq(m->sessions[i]->unit_path, path))
                        return m->sessions[i];
        return NULL;
}

ManagedSession *manager_find_session_by_job(Manager *m, const char *job) {
        for (size_t i = 0; i < m->n_sessions; i++)
                if (streq_ptr(m->sessions[i]->job, job))
                        return m->sessions[i];
        return NULL;
}

bool managed_session_is_active(const ManagedSession *s) {
        SessionRunState st = s->record.state;

        return st == SESSION_STARTING || st == SESSION_RUNNING || st == SESSION_STOPPING;
}

int managed_session_save(ManagedSession *s) {
        int r;

        if (!s->has_record)
                return 0;
        r = session_record_save(s->manager->sessions_fd, &s->record);
        if (r < 0)
                fprintf(stderr, "Failed to write the state of session %s: %s\n", s->record.name, strerror(-r));
        return r;
}

int manager_add_waiter(sd_varlink ***list, size_t *n, sd_varlink *link) {
        sd_varlink **nl;

        nl = realloc(*list, (*n + 1) * sizeof(sd_varlink *));
        if (!nl)
                return -ENOMEM;
        *list = nl;
        (*list)[(*n)++] = sd_varlink_ref(link);
        return 0;
}

int managed_session_build_json(ManagedSession *s, sd_json_variant **ret) {
        const SessionRecord *r = &s->record;
        bool ended = r->state == SESSION_ENDED || r->state == SESSION_FAILED;

        return sd_json_buildo(ret,
                        SD_JSON_BUILD_PAIR_STRING("name", r->name),
                        SD_JSON_BUILD_PAIR_STRING("unit", s->unit),
                        SD_JSON_BUILD_PAIR_STRING("slice", s->slice),
                        SD_JSON_BUILD_PAIR_STRING("backend", session_backend_to_string(r->backend)),
                        SD_JSON_BUILD_PAIR_STRING("state", session_run_state_to_string(r->state)),
                        SD_JSON_BUILD_PAIR_CONDITION(ended && r->result != SESSION_RESULT_NONE, "result",
                                                     SD_JSON_BUILD_STRING(session_end_result_to_string(r->result))),
                        SD_JSON_BUILD_PAIR_UNSIGNED("owner", r->owner),
                        SD_JSON_BUILD_PAIR_CONDITION(!!r->origin, "origin", SD_JSON_BUILD_STRING(r->origin)),
                        SD_JSON_BUILD_PAIR_CONDITION(r->created_usec > 0, "createdUSec", SD_JSON_BUILD_UNSIGNED(r->created_usec)),
                        SD_JSON_BUILD_PAIR_CONDITION(r->ended_usec > 0, "endedUSec", SD_JSON_BUILD_UNSIGNED(r->ended_usec)),
                        SD_JSON_BUILD_PAIR_CONDITION(r->max_runtime_usec != UINT64_MAX, "maxRuntimeUSec",
                                                     SD_JSON_BUILD_UNSIGNED(r->max_runtime_usec)),
                        SD_JSON_BUILD_PAIR_CONDITION(r->idle_timeout_usec != UINT64_MAX, "idleTimeoutUSec",
                                                     SD_JSON_BUILD_UNSIGNED(r->idle_timeout_usec)),
                        SD_JSON_BUILD_PAIR_STRING("onEnd", r->discard ? "discard" : "persist"));
}

void manager_notify_subscribers(Manager *m, ManagedSession *s) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;

        if (m->n_subscribers == 0)
                return;
        if (managed_session_build_json(s, &v) < 0)
                return;

        for (size_t i = 0; i < m->n_subscribers; i++) {
                sd_varlink *link = m->subscribers[i].link;
                const char *filter = m->subscribers[i].name;
                uid_t uid;

                if (filter && !streq(filter, s->record.name))
                        continue;
                if (sd_varlink_get_peer_uid(link, &uid) < 0)
                        continue;
                if (uid != 0 && uid != s->record.owner)
                        continue;
                (void) sd_varlink_notifybo(link,
                                SD_JSON_BUILD_PAIR_VARIANT("session", v),
                                SD_JSON_BUILD_PAIR_UNSIGNED("timestampUSec", now_realtime_usec()));
        }
}

static void reply_waiters(ManagedSession *s, sd_varlink ***list, size_t *n) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;

        if (*n == 0)
                return;
        if (managed_session_build_json(s, &v) < 0) {
                fail_waiters(list, n, SD_VARLINK_ERROR_SYSTEM, s->record.name);
                return;
        }
        for (size_t i = 0; i < *n; i++) {
                (void) sd_varlink_replybo((*list)[i], SD_JSON_BUILD_PAIR_VARIANT("session", v));
                sd_varlink_unref((*list)[i]);
        }
        free(*list);
        *list = NULL;
        *n = 0;
}

static void reply_stop_waiters(ManagedSession *s) {
        for (size_t i = 0; i < s->n_waiting_stop; i++) {
                (void) sd_varlink_reply(s->waiting_stop[i], NULL);
                sd_varlink_unref(s->waiting_stop[i]);
        }
        free(s->waiting_stop);
        s->waiting_stop = NULL;
        s->n_waiting_stop = 0;
}

void managed_session_set_state(ManagedSession *s, SessionRunState state) {
        if (s->record.state == state)
                return;
        s->record.state = state;
        (void) managed_session_save(s);
        manager_notify_subscribers(s->manager, s);

        if (state == SESSION_RUNNING) {
                reply_waiters(s, &s->waiting_start, &s->n_waiting_start);
                manager_idle_track(s->manager, s);
        }
}

static void managed_session_finish(ManagedSession *s) {
        Manager *m = s->manager;

        reply_waiters(s, &s->waiting_start, &s->n_waiting_start);
        reply_stop_waiters(s);

        if (s->record.discard || !s->has_record)
                managed_session_forget(s);
        manager_check_exit(m);
}

void managed_session_ended(ManagedSession *s, const char *unit_result) {
        SessionEndResult result;

        if (s->record.state == SESSION_ENDED || s->record.state == SESSION_FAILED)
                return;

        result = session_end_result_from_unit_result(unit_result ?: s->unit_result);
        if (result != SESSION_RESULT_OOM && result != SESSION_RESULT_TIMEOUT) {
                if (s->record.idle_stop)
                        result = SESSION_RESULT_IDLE;
                else if (s->record.stop_requested)
                        result = SESSION_RESULT_KILLED;
        }

        free(s->job);
        s->job = NULL;
        s->record.result = result;
        s->record.ended_usec = now_realtime_usec();
        fprintf(stderr, "Session %s ended: %s (unit result %s).\n", s->record.name,
                session_end_result_to_string(result), strna(unit_result ?: s->unit_result));

        /* Recorded and announced first; then the units are cleaned up and, with OnEnd=discard,
         * the record is removed. A crash in between leaves an "ended" record, which the next
         * start of sessiond finishes. */
        managed_session_set_state(s, SESSION_ENDED);
        (void) manager_cleanup_units(s, unit_result && !streq(unit_result, "success"));
        managed_session_finish(s);
}

void managed_session_failed(ManagedSession *s, const char *reason) {
        Manager *m = s->manager;

        fprintf(stderr, "Session %s failed to start: %s\n", s->record.name, strna(reason));

        free(s->job);
        s->job = NULL;
        s->record.result = SESSION_RESULT_NONE;
        s->record.ended_usec = now_realtime_usec();
        s->record.state = SESSION_FAILED;
        (void) managed_session_save(s);
        manager_notify_subscribers(s->manager, s);

        for (size_t i = 0; i < s->n_waiting_start; i++) {
                (void) sd_varlink_errorbo(s->waiting_start[i], SESSIOND_ERROR_UNIT_FAILED,
                                          SD_JSON_BUILD_PAIR_STRING("unit", s->unit),
                                          SD_JSON_BUILD_PAIR_STRING("reason", strna(reason)));
                sd_varlink_unref(s->waiting_start[i]);
        }
        free(s->waiting_start);
        s->waiting_start = NULL;
        s->n_waiting_start = 0;

        (void) manager_cleanup_units(s, true);
        /* A session that never ran leaves nothing behind, whatever OnEnd= says. */
        reply_stop_waiters(s);
        managed_session_forget(s);
        manager_check_exit(m);
}

void managed_session_forget(ManagedSession *s) {
        Manager *m = s->manager;

        if (s->has_record) {
                int r = session_record_remove(m->sessions_fd, s->record.name);
                if (r < 0 && r != -ENOENT)
                        fprintf(stderr, "Failed to remove the state of session %s: %s\n",
                                s->record.name, strerror(-r));
        }
        for (size_t i = 0; i < m->n_sessions; i++)
                if (m->sessions[i] == s) {
                        memmove(m->sessions + i, m->sessions + i + 1,
                                (m->n_sessions - i - 1) * sizeof(ManagedSession *));
                        m->n_sessions--;
                        break;
                }
        managed_session_free(s);
        manager_schedule_trim(m);
}
