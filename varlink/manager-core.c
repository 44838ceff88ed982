/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The manager's lifetime: when it is busy, when it may exit, and freeing it. Apart from main()
 * so that the fuzzer (tests/fuzz/fuzz-manager-varlink.c) links the daemon's own code. */

#include <stdlib.h>

#include "manager.h"

/* Work that keeps the daemon up: a client, a call to PID 1 in flight, a job to wait for, a
 * session in transition, or one whose IdleTimeout= it must watch. */
bool manager_busy(Manager *m) {
        if (m->n_connections > 0 || m->n_pending_calls > 0)
                return true;
        for (size_t i = 0; i < m->n_sessions; i++) {
                ManagedSession *s = m->sessions[i];

                if (s->job || s->record.state == SESSION_STARTING || s->record.state == SESSION_STOPPING)
                        return true;
                if (s->record.state == SESSION_RUNNING && s->record.idle_timeout_usec != UINT64_MAX)
                        return true;
        }
        return false;
}

void manager_check_exit(Manager *m) {
        if (!m->exit_timer)
                return;
        if (manager_busy(m) || m->exit_idle_usec == UINT64_MAX) {
                (void) sd_event_source_set_enabled(m->exit_timer, SD_EVENT_OFF);
                return;
        }
        if (sd_event_source_get_enabled(m->exit_timer, NULL) > 0)
                return;
        (void) sd_event_source_set_time_relative(m->exit_timer, m->exit_idle_usec);
        (void) sd_event_source_set_enabled(m->exit_timer, SD_EVENT_ONESHOT);
}

void manager_free(Manager *m) {
        if (!m)
                return;
        manager_relays_free(m);
        manager_workspace_ops_free(m);
        while (m->n_sessions > 0)
                managed_session_free(m->sessions[--m->n_sessions]);
        free(m->sessions);
        for (size_t i = 0; i < m->n_subscribers; i++) {
                sd_varlink_unref(m->subscribers[i].link);
                free(m->subscribers[i].name);
        }
        free(m->subscribers);
        sd_event_source_unref(m->exit_timer);
        sd_event_source_unref(m->idle_timer);
        sd_varlink_server_unref(m->server);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        safe_close(m->sessions_fd);
        free(m);
}
