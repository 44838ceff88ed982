/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The manager's lifetime: when it is busy, when it may exit, and freeing it. Apart from main()
 * so that the fuzzer (tests/fuzz/fuzz-manager-varlink.c) links the daemon's own code. */

#include <malloc.h>
#include <stdlib.h>

#include "manager.h"

#define TRIM_DELAY_USEC (2ULL * 1000000ULL)

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

/* Every connection has sd-varlink buffers of 64 KiB and more (the read buffer, and with fd
 * passing a control buffer for 16k fds), freed when it closes. glibc's dynamic mmap threshold
 * rises past them after the first such free, so from then on they come from the heap, are
 * touched there, and stay in our RSS after the connections are gone. A fixed threshold keeps
 * them in their own mappings: only the pages a connection uses count, and they go back to the
 * kernel on close. */
void manager_setup_malloc(void) {
        (void) mallopt(M_MMAP_THRESHOLD, 32 * 1024);
        (void) mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

static int on_trim_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        (void) malloc_trim(0);
        return 0;
}

void manager_schedule_trim(Manager *m) {
        if (!m->event)
                return;
        if (!m->trim_timer) {
                (void) sd_event_add_time_relative(m->event, &m->trim_timer, CLOCK_MONOTONIC, TRIM_DELAY_USEC,
                                                  500000, on_trim_timer, m);
                return;
        }
        if (sd_event_source_get_enabled(m->trim_timer, NULL) > 0)
                return;         /* one pending already */
        (void) sd_event_source_set_time_relative(m->trim_timer, TRIM_DELAY_USEC);
        (void) sd_event_source_set_enabled(m->trim_timer, SD_EVENT_ONESHOT);
}

void manager_free(Manager *m) {
        if (!m)
                return;
        /* First the calls to PID 1: queued ones are dropped, and closing the bus ends those in
         * flight, whose bookkeeping (manager-bus.c) still needs the rest of m. */
        manager_bus_queue_free(m);
        m->bus = sd_bus_flush_close_unref(m->bus);
        manager_relays_free(m);
        manager_ops_free(m);
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
        sd_event_source_unref(m->trim_timer);
        sd_varlink_server_unref(m->server);
        sd_event_unref(m->event);
        safe_close(m->sessions_fd);
        free(m);
}
