/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A Backend=vmspawn session's unit is active once the guest's PID 1 sends READY=1 (when its boot
 * has finished, forwarded by systemd-vmspawn), which may come before the agent (a Type=exec unit in
 * the guest, see vmspawn_agent_unit()) listens on AF_VSOCK. Until the agent accepts a connection an exec would fail, so such a session stays
 * starting, and Start waits, until it does: sessiond tries to connect every 250 ms, without
 * blocking its event loop. A guest whose agent does not answer within the limit
 * ($SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC in sessiond's environment, default 90 s) fails the
 * session: Start gets UnitFailed naming the address, and the VM is stopped. Units of the generator
 * that PID 1 started (no Start call) run as soon as they are active, as before. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>

#include "manager.h"
#include "parse-util.h"
#include "session-render.h"
#include "time-util.h"

#define AGENT_WAIT_RETRY_USEC (UINT64_C(250) * 1000)
#define AGENT_WAIT_DEFAULT_USEC (90 * USEC_PER_SEC)

static uint64_t agent_wait_limit(void) {
        const char *e = getenv("SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC");
        unsigned long v;
        char *end;

        if (!e)
                return AGENT_WAIT_DEFAULT_USEC;
        errno = 0;
        v = strtoul(e, &end, 10);
        if (errno != 0 || end == e || *end != 0 || v == 0 || v > UINT32_MAX) {
                fprintf(stderr, "Ignoring invalid SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC=%s\n", e);
                return AGENT_WAIT_DEFAULT_USEC;
        }
        return (uint64_t) v * USEC_PER_SEC;
}

static void agent_wait_close(ManagedSession *s) {
        s->agent_wait_io = sd_event_source_disable_unref(s->agent_wait_io);
        s->agent_wait_fd = safe_close(s->agent_wait_fd);
}

void manager_agent_wait_stop(ManagedSession *s) {
        agent_wait_close(s);
        s->agent_wait_timer = sd_event_source_disable_unref(s->agent_wait_timer);
}

bool manager_agent_waiting(const ManagedSession *s) {
        return s->agent_wait_timer;
}

static void agent_wait_answered(ManagedSession *s) {
        uint64_t waited = now_monotonic_usec() - s->agent_wait_since;

        manager_agent_wait_stop(s);
        fprintf(stderr, "Session %s: its agent answers on vsock:%u:%u, %" PRIu64 ".%03" PRIu64 " s after the VM was ready\n",
                s->record.name, (unsigned) session_vsock_cid(s->record.name), SESSION_AGENT_VSOCK_PORT,
                waited / USEC_PER_SEC, waited % USEC_PER_SEC / 1000);
        if (s->record.state == SESSION_STARTING)
                managed_session_set_state(s, SESSION_RUNNING);
}

/* Arms the next attempt, or fails the session once past the limit (s may be gone after that). */
static void agent_wait_again(ManagedSession *s, int error) {
        uint64_t t = now_monotonic_usec();
        int r;

        if (t >= s->agent_wait_deadline) {
                char reason[160];

                snprintf(reason, sizeof(reason),
                         "the agent inside the VM did not answer on vsock:%u:%u within %" PRIu64 " s (last: %s)",
                         (unsigned) session_vsock_cid(s->record.name), SESSION_AGENT_VSOCK_PORT,
                         (s->agent_wait_deadline - s->agent_wait_since) / USEC_PER_SEC, strerror(error));
                manager_agent_wait_stop(s);
                managed_session_failed(s, reason);
                return;
        }
        r = sd_event_source_set_time(s->agent_wait_timer, t + AGENT_WAIT_RETRY_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->agent_wait_timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                manager_agent_wait_stop(s);
                managed_session_failed(s, "cannot wait for the agent inside the VM");
        }
}

static int on_agent_connected(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        ManagedSession *s = userdata;
        int error = 0;
        socklen_t len = sizeof(error);

        if (s->record.state != SESSION_STARTING) {        /* ended or stopped meanwhile */
                manager_agent_wait_stop(s);
                return 0;
        }

        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                error = errno;
        agent_wait_close(s);
        if (error == 0)
                agent_wait_answered(s);
        else
                agent_wait_again(s, error);
        return 0;
}

static int on_agent_wait_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        ManagedSession *s = userdata;
        struct sockaddr_vm sa = {
                .svm_family = AF_VSOCK,
                .svm_cid = session_vsock_cid(s->record.name),
                .svm_port = SESSION_AGENT_VSOCK_PORT,
        };
        int r;

        if (s->record.state != SESSION_STARTING) {
                manager_agent_wait_stop(s);
                return 0;
        }
        agent_wait_close(s);
        s->agent_wait_fd = socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0);
        if (s->agent_wait_fd < 0) {
                agent_wait_again(s, errno);
                return 0;
        }
        if (connect(s->agent_wait_fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0) {
                agent_wait_close(s);
                agent_wait_answered(s);
                return 0;
        }
        if (errno != EINPROGRESS) {
                r = errno;
                agent_wait_close(s);
                agent_wait_again(s, r);
                return 0;
        }
        r = sd_event_add_io(s->manager->event, &s->agent_wait_io, s->agent_wait_fd, EPOLLOUT,
                            on_agent_connected, s);
        if (r < 0) {
                agent_wait_close(s);
                agent_wait_again(s, -r);
        }
        return 0;
}

int manager_agent_wait_start(ManagedSession *s) {
        int r;

        if (manager_agent_waiting(s))
                return 0;
        s->agent_wait_since = now_monotonic_usec();
        s->agent_wait_deadline = s->agent_wait_since + agent_wait_limit();
        r = sd_event_add_time(s->manager->event, &s->agent_wait_timer, CLOCK_MONOTONIC, 0, 0,
                              on_agent_wait_timer, s);
        if (r < 0)
                return r;
        fprintf(stderr, "Session %s: the VM is ready, waiting for its agent on vsock:%u:%u\n",
                s->record.name, (unsigned) session_vsock_cid(s->record.name), SESSION_AGENT_VSOCK_PORT);
        return 0;
}

void manager_session_started(ManagedSession *s) {
        int r;

        if (s->record.state != SESSION_STARTING)
                return;
        /* Only for sessions sessiond started: a generator's unit that PID 1 started is mirrored,
         * never stopped by sessiond. */
        if (s->record.backend != SESSION_BACKEND_VMSPAWN || !s->has_record) {
                managed_session_set_state(s, SESSION_RUNNING);
                return;
        }
        r = manager_agent_wait_start(s);
        if (r < 0) {
                fprintf(stderr, "Session %s: cannot wait for its agent: %s\n", s->record.name, strerror(-r));
                managed_session_set_state(s, SESSION_RUNNING);
        }
}
