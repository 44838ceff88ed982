/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* IdleTimeout=: sessiond ends a session nobody uses. "Used" means real activity, not API
 * calls: CPU time spent anywhere in the session's slice (a long computation counts, whoever
 * started it), processes beyond the session's resting population (an exec'd `sleep 600`
 * uses no CPU but is work in progress) — both from the slice's cgroup, which holds every
 * process of the session — and the agent's own account (Describe: running execs, attached
 * viewers, the time of the last exec or attach). */

#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "manager.h"
#include "time-util.h"

#define IDLE_CHECK_USEC (2ULL * 1000000ULL)
/* CPU use below this share of wall time is noise (the agent's own bookkeeping). */
#define IDLE_CPU_PERMILLE 10ULL

static int read_cgroup_u64(const char *slice, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char line[256];

        /* sessiond-NAME.slice nests under sessiond.slice */
        if (asprintf(&path, "/sys/fs/cgroup/sessiond.slice/%s/%s", slice, file) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                unsigned long long v;
                char k[64];

                if (!key) {
                        if (sscanf(line, "%llu", &v) != 1)
                                return -EBADMSG;
                        *ret = v;
                        return 0;
                }
                if (sscanf(line, "%63s %llu", k, &v) == 2 && streq(k, key)) {
                        *ret = v;
                        return 0;
                }
        }
        return -ENODATA;
}

static bool session_tracked(const ManagedSession *s) {
        return s->record.state == SESSION_RUNNING && s->record.idle_timeout_usec != UINT64_MAX &&
               !s->record.stop_requested;
}

static void idle_check(ManagedSession *s, uint64_t now) {
        uint64_t cpu, tasks, elapsed;
        bool busy = false;

        if (read_cgroup_u64(s->slice, "cpu.stat", "usage_usec", &cpu) >= 0) {
                elapsed = now - (s->cpu_known ? s->last_check_usec : now);
                if (s->cpu_known && cpu > s->last_cpu_usec &&
                    (cpu - s->last_cpu_usec) * 1000ULL > elapsed * IDLE_CPU_PERMILLE)
                        busy = true;
                s->last_cpu_usec = cpu;
                s->cpu_known = true;
        }
        if (read_cgroup_u64(s->slice, "pids.current", NULL, &tasks) >= 0) {
                if (tasks < s->baseline_tasks)
                        s->baseline_tasks = tasks;
                else if (tasks > s->baseline_tasks)
                        busy = true;
        }
        s->last_check_usec = now;

        /* An Exec through sessiond, or exec/attach activity the agent saw. */
        if (s->n_execs > 0)
                busy = true;
        else {
                uint64_t agent_activity;
                bool agent_busy;

                if (manager_agent_activity(s, &agent_activity, &agent_busy) >= 0) {
                        if (agent_busy)
                                busy = true;
                        else if (agent_activity > s->last_activity_usec && agent_activity <= now)
                                s->last_activity_usec = agent_activity;
                }
        }

        if (busy) {
                s->last_activity_usec = now;
                return;
        }
        if (now - s->last_activity_usec < s->record.idle_timeout_usec)
                return;

        fprintf(stderr, "Session %s idle for %" PRIu64 "s, stopping it.\n", s->record.name,
                (uint64_t) ((now - s->last_activity_usec) / 1000000ULL));
        s->record.idle_stop = true;
        s->record.stop_requested = true;
        (void) managed_session_save(s);
        if (manager_stop_unit(s) < 0)
                fprintf(stderr, "Failed to stop idle session %s.\n", s->record.name);
}

static int on_idle_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_monotonic_usec();
        bool any = false;

        /* stops are asynchronous: no session leaves the array during this walk */
        for (size_t i = 0; i < m->n_sessions; i++) {
                ManagedSession *s = m->sessions[i];

                if (!session_tracked(s))
                        continue;
                idle_check(s, now);
                if (session_tracked(s))
                        any = true;
        }

        if (!any)
                return sd_event_source_set_enabled(source, SD_EVENT_OFF);
        (void) sd_event_source_set_time_relative(source, m->idle_check_usec);
        return sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
}

void managed_session_activity(ManagedSession *s) {
        s->last_activity_usec = now_monotonic_usec();
}

void manager_idle_track(Manager *m, ManagedSession *s) {
        if (s->record.idle_timeout_usec == UINT64_MAX)
                return;
        s->last_activity_usec = now_monotonic_usec();
        s->last_check_usec = s->last_activity_usec;
        s->baseline_tasks = UINT64_MAX;
        s->cpu_known = false;

        if (!m->idle_timer)
                return;
        if (sd_event_source_get_enabled(m->idle_timer, NULL) > 0)
                return;
        (void) sd_event_source_set_time_relative(m->idle_timer, m->idle_check_usec);
        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_ONESHOT);
}

int manager_idle_setup(Manager *m) {
        int r;

        if (m->idle_check_usec == 0)
                m->idle_check_usec = IDLE_CHECK_USEC;
        r = sd_event_add_time_relative(m->event, &m->idle_timer, CLOCK_MONOTONIC, m->idle_check_usec,
                                       100000, on_idle_timer, m);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
}
