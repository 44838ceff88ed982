/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Restart safety. sessiond may be killed at any moment (kill -9, OOM, exit on idle) while its
 * sessions run on in PID 1. At start it rebuilds its picture from the two sources of truth:
 *
 *   PID 1:      every loaded sessiond-*.service, with its ActiveState and pending job;
 *   state dir:  every sessions/NAME.json record (written atomically, before the unit exists).
 *
 * unit + record     -> the session, in the unit's state (a failed unit's Result is read first);
 * record, no unit   -> it ended while sessiond was away: "ended" (result from what the record
 *                      says was asked: stop -> killed, idle -> idle, else exit), or "failed" if
 *                      it never got past starting; OnEnd=discard removes the record;
 * unit, no record   -> a session from /etc/sessiond started by the generator's unit (owner
 *                      root), adopted only if it sits in its own sessiond slice;
 * neither           -> nothing to do.
 * Nothing is started or stopped twice: names are unique in both sources. */

#include <assert.h>
#include <stdlib.h>

#include "manager.h"
#include "session-parse.h"
#include "session.h"

typedef struct UnitInfo {
        char *name;             /* session name */
        char *active_state;
        char *job_path;         /* "/" if none */
        char *job_type;
} UnitInfo;

static void unit_infos_free(UnitInfo *u, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(u[i].name);
                free(u[i].active_state);
                free(u[i].job_path);
                free(u[i].job_type);
        }
        free(u);
}

static int list_session_units(Manager *m, const char *pattern, UnitInfo **ret, size_t *ret_n) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        UnitInfo *units = NULL;
        size_t n = 0;
        const char *id, *desc, *load, *active, *sub, *following, *path, *jtype, *jpath;
        uint32_t jid;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                               "ListUnitsByPatterns", &error, &reply, "asas", 0, 1, pattern);
        if (r < 0) {
                fprintf(stderr, "Failed to list units: %s\n", error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &id, &desc, &load, &active, &sub, &following,
                                        &path, &jid, &jtype, &jpath)) > 0) {
                size_t l = strlen(id);
                UnitInfo *nu;

                if (l <= strlen("sessiond-") + strlen(".service"))
                        continue;
                nu = realloc(units, (n + 1) * sizeof(UnitInfo));
                if (!nu) {
                        unit_infos_free(units, n);
                        return -ENOMEM;
                }
                units = nu;
                units[n] = (UnitInfo) {
                        .name = strndup(id + strlen("sessiond-"), l - strlen("sessiond-") - strlen(".service")),
                        .active_state = strdup(active),
                        .job_path = strdup(jpath),
                        .job_type = strdup(jtype),
                };
                n++;
                if (!units[n - 1].name || !units[n - 1].active_state || !units[n - 1].job_path || !units[n - 1].job_type) {
                        unit_infos_free(units, n);
                        return -ENOMEM;
                }
        }
        if (r < 0) {
                unit_infos_free(units, n);
                return r;
        }
        *ret = units;
        *ret_n = n;
        return 0;
}

static int get_unit_string(Manager *m, const char *path, const char *iface, const char *prop, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        return sd_bus_get_property_string(m->bus, SYSTEMD_DEST, path, iface, prop, &error, ret);
}

static SessionEndResult result_from_record(const SessionRecord *r) {
        if (r->idle_stop)
                return SESSION_RESULT_IDLE;
        if (r->stop_requested)
                return SESSION_RESULT_KILLED;
        return SESSION_RESULT_EXIT;
}

/* A record whose unit is gone: finish it as sessiond would have. */
static void recover_orphan_record(Manager *m, SessionRecord *rec) {
        ManagedSession *s;
        int r;

        if (rec->state == SESSION_STARTING || rec->state == SESSION_RUNNING || rec->state == SESSION_STOPPING) {
                rec->result = rec->state == SESSION_STARTING ? SESSION_RESULT_NONE : result_from_record(rec);
                rec->state = rec->state == SESSION_STARTING ? SESSION_FAILED : SESSION_ENDED;
                rec->ended_usec = 0;
                fprintf(stderr, "Session %s ended while sessiond was not running (%s).\n", rec->name,
                        session_end_result_to_string(rec->result));
                if (!rec->discard && rec->state == SESSION_ENDED) {
                        r = session_record_save(m->sessions_fd, rec);
                        if (r < 0)
                                fprintf(stderr, "Failed to update %s: %s\n", rec->name, strerror(-r));
                }
        }
        if (rec->discard || rec->state == SESSION_FAILED) {
                r = session_record_remove(m->sessions_fd, rec->name);
                if (r < 0 && r != -ENOENT)
                        fprintf(stderr, "Failed to remove %s: %s\n", rec->name, strerror(-r));
                return;
        }

        /* OnEnd=persist: the ended session stays visible until Stop removes it */
        if (managed_session_new(m, rec->name, &s) < 0)
                return;
        session_record_done(&s->record);
        s->record = *rec;
        *rec = (SessionRecord) {};
        s->has_record = true;
}

static int recover_unit(Manager *m, UnitInfo *u, SessionRecord *rec, bool have_record) {
        _cleanup_free_ char *slice = NULL, *expected_slice = NULL;
        ManagedSession *s;
        int r;

        if (!session_name_is_valid(u->name))
                return 0;

        if (!have_record) {
                /* Not started by sessiond: a unit of the generator, or something else named like
                 * ours (e.g. a helper service of the project). Only units in their session slice
                 * are sessions. Loaded but inactive ones are just unit files. */
                if (streq(u->active_state, "inactive"))
                        return 0;
                r = session_slice_name(u->name, &expected_slice);
                if (r < 0)
                        return r;
        }

        r = managed_session_new(m, u->name, &s);
        if (r < 0)
                return r;

        if (!have_record) {
                r = get_unit_string(m, s->unit_path, "org.freedesktop.systemd1.Service", "Slice", &slice);
                if (r < 0 || !streq(slice, expected_slice)) {
                        managed_session_forget(s);
                        return 0;
                }
                _cleanup_strv_free_ char **search_path = NULL;
                _cleanup_strv_free_ char **dropins = NULL;
                _cleanup_free_ char *file = NULL;
                if (session_search_path(&search_path) >= 0 &&
                    session_find(u->name, search_path, &file, &dropins) >= 0) {
                        /* The backend decides where the agent is (lib/agent-address.h): take it
                         * from the file the generator rendered. If it no longer parses, service. */
                        _cleanup_(session_error_list_done) SessionErrorList errors = {};
                        _cleanup_(session_freep) Session *parsed = NULL;
                        if (session_parse_file(file, dropins, &parsed, &errors) >= 0 && parsed &&
                            errors.n_errors == 0)
                                s->record.backend = parsed->backend;
                        s->record.origin = TAKE_PTR(file);
                }
                s->record.owner = 0;
                s->record.state = SESSION_STARTING;
                s->has_record = false;
        } else {
                session_record_done(&s->record);
                s->record = *rec;
                *rec = (SessionRecord) {};
                s->has_record = true;
        }

        free(s->active_state);
        s->active_state = strdup(u->active_state);
        r = manager_watch_unit(s);
        if (r < 0)
                return r;

        if (streq(u->active_state, "failed")) {
                char *result = NULL;
                (void) get_unit_string(m, s->unit_path, "org.freedesktop.systemd1.Service", "Result", &result);
                free(s->unit_result);
                s->unit_result = result;
                if (s->record.state == SESSION_ENDED || s->record.state == SESSION_FAILED) {
                        /* recorded already; only the cleanup was missing */
                        (void) manager_cleanup_units(s, true);
                        if (s->record.discard)
                                managed_session_forget(s);
                        return 0;
                }
                if (s->record.state == SESSION_STARTING)
                        s->record.state = SESSION_RUNNING;      /* it did run: it failed after */
                managed_session_ended(s, s->unit_result);
                return 0;
        }
        if (streq(u->active_state, "inactive")) {
                if (s->record.state == SESSION_ENDED || s->record.state == SESSION_FAILED) {
                        if (s->record.discard)
                                managed_session_forget(s);
                        return 0;
                }
                if (!streq(u->job_path, "/") && streq(u->job_type, "start")) {
                        s->job = strdup(u->job_path);
                        s->record.state = SESSION_STARTING;
                        (void) managed_session_save(s);
                        return 0;
                }
                if (s->record.state == SESSION_STARTING)
                        s->record.state = SESSION_RUNNING;
                managed_session_ended(s, "success");
                return 0;
        }

        if (!streq(u->job_path, "/"))
                s->job = strdup(u->job_path);
        if (streq(u->active_state, "deactivating"))
                s->record.state = SESSION_STOPPING;
        else if (streq(u->active_state, "activating"))
                s->record.state = SESSION_STARTING;
        else
                s->record.state = SESSION_RUNNING;
        (void) managed_session_save(s);
        if (s->record.state == SESSION_RUNNING)
                manager_idle_track(m, s);
        if (s->record.stop_requested && !s->job)
                (void) manager_stop_unit(s);
        return 0;
}

int manager_recover(Manager *m) {
        _cleanup_strv_free_ char **names = NULL;
        UnitInfo *units = NULL;
        size_t n_units = 0;
        int r;

        r = list_session_units(m, "sessiond-*.service", &units, &n_units);
        if (r < 0)
                return r;
        r = session_record_list(m->sessions_fd, &names);
        if (r < 0) {
                unit_infos_free(units, n_units);
                return r;
        }

        for (size_t i = 0; i < n_units; i++) {
                SessionRecord rec = {};
                bool have = false;

                r = session_record_load(m->sessions_fd, units[i].name, &rec);
                if (r >= 0)
                        have = true;
                else if (r != -ENOENT)
                        fprintf(stderr, "Ignoring unreadable record of %s: %s\n", units[i].name, strerror(-r));
                r = recover_unit(m, units + i, &rec, have);
                session_record_done(&rec);
                if (r < 0)
                        fprintf(stderr, "Failed to recover session %s: %s\n", units[i].name, strerror(-r));
        }

        for (char **n = names; *n; n++) {
                SessionRecord rec = {};

                if (manager_find_session(m, *n))
                        continue;
                bool listed = false;
                for (size_t i = 0; i < n_units; i++)
                        if (streq(units[i].name, *n))
                                listed = true;
                if (listed)
                        continue;       /* a record whose unit was handled (and maybe discarded) above */

                r = session_record_load(m->sessions_fd, *n, &rec);
                if (r < 0) {
                        fprintf(stderr, "Removing unreadable record %s: %s\n", *n, strerror(-r));
                        (void) session_record_remove(m->sessions_fd, *n);
                        continue;
                }
                recover_orphan_record(m, &rec);
                session_record_done(&rec);
        }

        unit_infos_free(units, n_units);
        fprintf(stderr, "Recovered %zu session(s).\n", m->n_sessions);
        return 0;
}

/* Adopts the session units matching pattern that sessiond does not track yet: started after
 * sessiond (the generator's unit, by `systemctl start`), taken in as manager_recover() takes in
 * what runs when sessiond starts. */
static int adopt_units(Manager *m, const char *pattern) {
        UnitInfo *units = NULL;
        size_t n_units = 0;
        int r;

        r = list_session_units(m, pattern, &units, &n_units);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < n_units; i++) {
                SessionRecord rec = {};

                if (!session_name_is_valid(units[i].name) || manager_find_session(m, units[i].name))
                        continue;
                r = recover_unit(m, units + i, &rec, /* have_record= */ false);
        }
        unit_infos_free(units, n_units);
        return r < 0 ? r : 0;
}

/* -ENXIO if there is no such unit or it is not a session. */
int manager_adopt_session(Manager *m, const char *name, ManagedSession **ret) {
        _cleanup_free_ char *pattern = NULL;
        ManagedSession *s;
        int r;

        assert(!manager_find_session(m, name));

        if (!session_name_is_valid(name))
                return -ENXIO;
        if (asprintf(&pattern, "sessiond-%s.service", name) < 0)
                return -ENOMEM;
        r = adopt_units(m, pattern);
        if (r < 0)
                return r;
        s = manager_find_session(m, name);
        if (!s)
                return -ENXIO;
        *ret = s;
        return 0;
}

int manager_adopt_sessions(Manager *m) {
        return adopt_units(m, "sessiond-*.service");
}
