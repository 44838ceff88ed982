/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sessiond's state: the sessions it tracks, its connections to PID 1 (sd-bus) and to its
 * clients (sd-varlink), and the timers of the idle logic. The sessions themselves are units
 * in PID 1; this is a cache of them plus the records under SESSIOND_STATE_DIR. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-varlink.h>

#include "macro.h"
#include "session-render.h"
#include "state-session.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

typedef struct Manager Manager;
typedef struct ManagedSession ManagedSession;

typedef struct Relay Relay;
typedef struct ManagerOp ManagerOp;

/* A privileged helper run by PID 1 for a Varlink call (manager-op.c). */
struct ManagerOp {
        Manager *manager;
        sd_varlink *link;       /* the call to answer */
        char **argv;            /* the helper and its arguments */
        char *description;      /* the unit's Description=, also logged */
        char *unit;             /* PREFIX-….service, unique; set by manager_op_start() */
        /* Success: answers the call and returns 1, or returns 0 for an empty reply. */
        int (*done)(ManagerOp *op);
        /* Failure with the helper's exit status (-1: unknown): answers and returns 1, or returns
         * 0 for UnitFailed with reason. */
        int (*failed)(ManagerOp *op, int status, const char *reason);
        void *userdata;
        void (*free_userdata)(void *userdata);
        bool finished;          /* JobRemoved seen, or answered */
};

typedef struct Subscriber {
        sd_varlink *link;
        char *name;             /* only this session's events; NULL: all the peer may see */
} Subscriber;

struct ManagedSession {
        Manager *manager;
        SessionRecord record;   /* what is on disk (for sessions we started) */
        bool has_record;        /* false for units of the generator (from /etc/sessiond, at boot) */

        char *unit;             /* sessiond-NAME.service */
        char *slice;            /* sessiond-NAME.slice, escaped */
        char *unit_path;        /* its D-Bus object path */
        char *job;              /* the start or stop job we wait for, or NULL */
        sd_bus_slot *match_slot;        /* PropertiesChanged of the unit */

        char *unit_result;      /* last Result seen on the service (success, oom-kill, ...) */
        char *active_state;     /* last ActiveState seen */

        /* Varlink calls that return when the session reaches a state: Start (running or
         * ended/failed), Stop (ended/failed). */
        sd_varlink **waiting_start;
        size_t n_waiting_start;
        sd_varlink **waiting_stop;
        size_t n_waiting_stop;

        /* idle tracking (manager-idle.c) */
        uint64_t last_activity_usec;    /* CLOCK_MONOTONIC */
        uint64_t last_check_usec;       /* CLOCK_MONOTONIC */
        uint64_t last_cpu_usec;         /* cpu.stat usage_usec of the slice at the last check */
        uint64_t baseline_tasks;        /* fewest tasks seen: the session's resting population */
        bool cpu_known;
        unsigned n_execs;               /* Exec/ExecTerminal calls relayed by sessiond, running */

        /* Backend=vmspawn: the VM is up, its agent not yet (manager-agent-wait.c) */
        sd_event_source *agent_wait_timer;
        sd_event_source *agent_wait_io;
        int agent_wait_fd;
        uint64_t agent_wait_since;      /* CLOCK_MONOTONIC */
        uint64_t agent_wait_deadline;
};

struct Manager {
        sd_event *event;
        sd_bus *bus;
        sd_varlink_server *server;
        int sessions_fd;                /* SESSIOND_STATE_DIR/sessions */

        ManagedSession **sessions;
        size_t n_sessions;

        Subscriber *subscribers;
        size_t n_subscribers;

        Relay **relays;                 /* Exec/Attach calls relayed to agents */
        size_t n_relays;

        unsigned n_connections;
        unsigned n_pending_calls;       /* bus calls and helper units not yet answered */
        struct BusCall **bus_queue;     /* calls to PID 1 waiting for a free slot (manager-bus.c) */
        size_t n_bus_queue;
        unsigned n_bus_in_flight;
        uint64_t exit_idle_usec;        /* exit after this long without work; UINT64_MAX: never */
        sd_event_source *exit_timer;
        sd_event_source *idle_timer;
        uint64_t idle_check_usec;
        sd_event_source *trim_timer;    /* gives freed heap back, a moment after a burst */

        ManagerOp **ops;                /* privileged helper units in flight (manager-op.c) */
        size_t n_ops;
        sd_bus_slot *op_job_slot;
};

/* manager-core.c */
bool manager_busy(Manager *m);
void manager_check_exit(Manager *m);
void manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
/* Allocation policy for a daemon whose load comes in bursts; call once, first thing. */
void manager_setup_malloc(void);
/* Returns freed heap to the kernel a moment later (after a disconnect or a session's end). */
void manager_schedule_trim(Manager *m);

/* manager-session.c */
int managed_session_new(Manager *m, const char *name, ManagedSession **ret);
void managed_session_free(ManagedSession *s);
ManagedSession *manager_find_session(Manager *m, const char *name);
ManagedSession *manager_find_session_by_path(Manager *m, const char *path);
ManagedSession *manager_find_session_by_job(Manager *m, const char *job);
int managed_session_save(ManagedSession *s);
void managed_session_set_state(ManagedSession *s, SessionRunState state);
/* The unit has gone inactive/failed or away: records the end, emits it, cleans up. */
void managed_session_ended(ManagedSession *s, const char *unit_result);
/* Start failed (PID 1 refused or the start job failed). */
void managed_session_failed(ManagedSession *s, const char *reason);
/* Drops a session from memory, and its record from disk. */
void managed_session_forget(ManagedSession *s);
int managed_session_build_json(ManagedSession *s, sd_json_variant **ret);
bool managed_session_is_active(const ManagedSession *s);
int manager_add_waiter(sd_varlink ***list, size_t *n, sd_varlink *link);
void manager_notify_subscribers(Manager *m, ManagedSession *s);

/* manager-bus.c */
/* Calls PID 1 (or any peer on m->bus) through the queue: at most a bounded number in flight,
 * in order, with a long timeout; the daemon stays up until the reply. On success takes
 * userdata: destroy(userdata) runs after callback, or when the call is dropped unanswered. */
int manager_bus_call_async(Manager *m, sd_bus_message *msg, sd_bus_message_handler_t callback, void *userdata,
                           sd_bus_destroy_t destroy);
void manager_bus_queue_free(Manager *m);

/* manager-units.c */
int manager_bus_connect(Manager *m);
int manager_watch_unit(ManagedSession *s);
/* The renderer's assignments as transient units. On a bad assignment returns -EINVAL etc. and
 * the offending "Key=value" in ret_bad. */
int manager_start_transient(ManagedSession *s, const Session *session, const UnitAssignments *slice,
                            const UnitAssignments *service, char **ret_bad);
int manager_stop_unit(ManagedSession *s);
int manager_kill_unit(ManagedSession *s, sd_varlink *link, const char *whom, int signo);
int manager_describe_unit(ManagedSession *s, sd_varlink *link);
int manager_cleanup_units(ManagedSession *s, bool failed);
int manager_recover(Manager *m);
/* A session unit started after sessiond (the generator's, by `systemctl start`), adopted on first
 * use as manager_recover() adopts it at start; -ENXIO if there is no such session unit. */
int manager_adopt_session(Manager *m, const char *name, ManagedSession **ret);
/* Adopts every running session unit that sessiond does not track yet (see above). */
int manager_adopt_sessions(Manager *m);

/* manager-varlink.c */
/* The server with the interface and every method bound, attached to m->event, listening nowhere. */
int manager_varlink_new(Manager *m);
/* manager_varlink_new(), then listening on the activation socket or SESSIOND_MANAGER_ADDRESS. */
int manager_varlink_setup(Manager *m);
int manager_reply_error_errno(sd_varlink *link, int r);

/* manager-exec.c */
int manager_exec_setup(Manager *m);
void manager_relays_drop_link(Manager *m, sd_varlink *link);
void manager_relays_free(Manager *m);
/* The session's agent address (lib/agent-address.h) for its recorded backend. */
int manager_agent_address(const ManagedSession *s, char **ret);
int manager_agent_activity(ManagedSession *s, uint64_t *ret_last_activity_usec, bool *ret_busy);

/* manager-idle.c */
int manager_idle_setup(Manager *m);
void manager_idle_track(Manager *m, ManagedSession *s);

/* The unit of a starting session is up: the session runs (a vmspawn session once its agent
 * answers, manager-agent-wait.c). */
void manager_session_started(ManagedSession *s);
int manager_agent_wait_start(ManagedSession *s);
void manager_agent_wait_stop(ManagedSession *s);
bool manager_agent_waiting(const ManagedSession *s);
void managed_session_activity(ManagedSession *s);

/* manager-op.c */
ManagerOp *manager_op_new(sd_varlink *link);
void manager_op_free(ManagerOp *op);
DEFINE_TRIVIAL_CLEANUP_FUNC(ManagerOp *, manager_op_free);
/* Starts op->argv as a transient oneshot service named UNIT_PREFIX-….service; the call is
 * answered when its job is done. Takes ownership of op (calloc'ed), also on failure. */
int manager_op_start(Manager *m, ManagerOp *op, const char *unit_prefix);
void manager_ops_free(Manager *m);
/* Root may do anything; others only with sessions they own. Returns 1 to go on (the session in
 * ret, NULL if sessiond does not track it: then the caller is root), 0 if it answered. */
int manager_op_check_access(Manager *m, sd_varlink *link, const char *name, ManagedSession **ret);

/* manager-egress.c */
int manager_egress_bind(Manager *m);

/* manager-persist.c */
int manager_persist_bind(Manager *m);
/* Start with restore: checks that there is something to restore and marks the session so that
 * its unit stages it. Returns 1 to go on, 0 if it replied with an error. */
int manager_prepare_restore(sd_varlink *link, Session *session);
