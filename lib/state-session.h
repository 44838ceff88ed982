/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What sessiond keeps about a session across its own restarts: one JSON file per session,
 * SESSIOND_STATE_DIR/sessions/NAME.json, replaced atomically (lib/fileio) so that a reader —
 * or sessiond after a kill -9 — sees either the previous or the next record, never a torn one.
 * The unit itself lives in PID 1; this record adds what PID 1 does not know: the owner, the
 * lifecycle state as sessiond reported it, the end result, and the session's policy. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-json.h>

#include "macro.h"
#include "session.h"

typedef enum SessionRunState {
        SESSION_STARTING,
        SESSION_RUNNING,
        SESSION_STOPPING,
        SESSION_ENDED,
        SESSION_FAILED,
        _SESSION_RUN_STATE_MAX,
        _SESSION_RUN_STATE_INVALID = -EINVAL,
} SessionRunState;

typedef enum SessionEndResult {
        SESSION_RESULT_NONE,    /* still going */
        SESSION_RESULT_EXIT,    /* the main process exited (successfully or not) */
        SESSION_RESULT_TIMEOUT, /* MaxRuntime= (RuntimeMaxSec=) or a start/stop timeout */
        SESSION_RESULT_IDLE,    /* IdleTimeout=: sessiond stopped it */
        SESSION_RESULT_KILLED,  /* stopped or killed by a signal (Stop, Kill, someone else) */
        SESSION_RESULT_OOM,     /* the kernel's or systemd-oomd's OOM killer */
        _SESSION_END_RESULT_MAX,
        _SESSION_END_RESULT_INVALID = -EINVAL,
} SessionEndResult;

const char *session_run_state_to_string(SessionRunState s) _const_;
SessionRunState session_run_state_from_string(const char *s) _pure_;
const char *session_end_result_to_string(SessionEndResult r) _const_;
SessionEndResult session_end_result_from_string(const char *s) _pure_;

/* Maps a service unit's Result property (success, exit-code, signal, core-dump, timeout,
 * oom-kill, watchdog, start-limit-hit, resources, protocol, exception...) to the session's end
 * result. Unknown values map to SESSION_RESULT_EXIT. */
SessionEndResult session_end_result_from_unit_result(const char *unit_result) _pure_;

typedef struct SessionRecord {
        char *name;
        uid_t owner;                    /* peer uid of the Start call */
        SessionBackend backend;         /* Backend=; records written before it existed: service */
        SessionRunState state;
        SessionEndResult result;
        char *origin;                   /* the .session file, or "<inline>" */
        char *text;                     /* inline session text, NULL for files */
        uint64_t created_usec;          /* CLOCK_REALTIME */
        uint64_t ended_usec;            /* CLOCK_REALTIME, 0 while not ended */
        uint64_t max_runtime_usec;      /* UINT64_MAX: none */
        uint64_t idle_timeout_usec;     /* UINT64_MAX: none */
        bool discard;                   /* OnEnd=discard */
        bool stop_requested;            /* Stop was asked for: ending is "killed", not "exit" */
        bool idle_stop;                 /* sessiond stopped it as idle */
} SessionRecord;

void session_record_done(SessionRecord *r);
int session_record_to_json(const SessionRecord *r, sd_json_variant **ret);
int session_record_from_json(sd_json_variant *v, SessionRecord *ret);

/* All take the fd of the "sessions" directory. */
int session_record_save(int dir_fd, const SessionRecord *r);
/* -ENOENT if there is none, -EBADMSG if it does not parse or names another session. */
int session_record_load(int dir_fd, const char *name, SessionRecord *ret);
int session_record_remove(int dir_fd, const char *name);
/* Names of all records, sorted. Leftover temporary files of an interrupted write (".#…") are
 * removed on the way, so they never accumulate. */
int session_record_list(int dir_fd, char ***ret_names);
