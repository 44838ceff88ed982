/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "io.sessiond.Manager.h"

static SD_VARLINK_DEFINE_ENUM_TYPE(
                State,
                SD_VARLINK_FIELD_COMMENT("The unit is being started (its start job is queued or running)."),
                SD_VARLINK_DEFINE_ENUM_VALUE(starting),
                SD_VARLINK_FIELD_COMMENT("The session's main process runs."),
                SD_VARLINK_DEFINE_ENUM_VALUE(running),
                SD_VARLINK_FIELD_COMMENT("The unit is being stopped; its processes are being killed."),
                SD_VARLINK_DEFINE_ENUM_VALUE(stopping),
                SD_VARLINK_FIELD_COMMENT("The session is over; 'result' says why."),
                SD_VARLINK_DEFINE_ENUM_VALUE(ended),
                SD_VARLINK_FIELD_COMMENT("The session never ran: PID 1 refused or failed to start its unit."),
                SD_VARLINK_DEFINE_ENUM_VALUE(failed));

static SD_VARLINK_DEFINE_ENUM_TYPE(
                Result,
                SD_VARLINK_FIELD_COMMENT("The main process exited by itself (any exit status)."),
                SD_VARLINK_DEFINE_ENUM_VALUE(exit),
                SD_VARLINK_FIELD_COMMENT("MaxRuntime= ran out (the unit's RuntimeMaxSec=), or a start/stop timeout hit."),
                SD_VARLINK_DEFINE_ENUM_VALUE(timeout),
                SD_VARLINK_FIELD_COMMENT("IdleTimeout= ran out without activity; sessiond stopped the session."),
                SD_VARLINK_DEFINE_ENUM_VALUE(idle),
                SD_VARLINK_FIELD_COMMENT("Stopped (Stop, systemctl stop) or killed by a signal."),
                SD_VARLINK_DEFINE_ENUM_VALUE(killed),
                SD_VARLINK_FIELD_COMMENT("The OOM killer ended it (MemoryMax= reached)."),
                SD_VARLINK_DEFINE_ENUM_VALUE(oom));

static SD_VARLINK_DEFINE_STRUCT_TYPE(
                SessionError,
                SD_VARLINK_FIELD_COMMENT("The file the problem is in, '<inline>' for session text given to Start/Verify; null if not tied to a file."),
                SD_VARLINK_DEFINE_FIELD(file, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Line number in that file, starting at 1; null or 0 for the whole file."),
                SD_VARLINK_DEFINE_FIELD(line, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("What is wrong, in words, naming the key and the bad value."),
                SD_VARLINK_DEFINE_FIELD(message, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_STRUCT_TYPE(
                Session,
                SD_VARLINK_FIELD_COMMENT("The session's name (the .session file name without suffix)."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The service unit running it: sessiond-NAME.service."),
                SD_VARLINK_DEFINE_FIELD(unit, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The slice that carries its limits: sessiond-NAME.slice (escaped)."),
                SD_VARLINK_DEFINE_FIELD(slice, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Backend= (service, nspawn, vmspawn): where its agent is, a unix socket or AF_VSOCK."),
                SD_VARLINK_DEFINE_FIELD(backend, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Lifecycle state."),
                SD_VARLINK_DEFINE_FIELD_BY_TYPE(state, State, 0),
                SD_VARLINK_FIELD_COMMENT("Why it ended; null while it has not."),
                SD_VARLINK_DEFINE_FIELD_BY_TYPE(result, Result, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("UID of the peer that started it (0 for sessions from /etc/sessiond started at boot)."),
                SD_VARLINK_DEFINE_FIELD(owner, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("The .session file it came from, or '<inline>'."),
                SD_VARLINK_DEFINE_FIELD(origin, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("When it was started, µs since the epoch (CLOCK_REALTIME)."),
                SD_VARLINK_DEFINE_FIELD(createdUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("When it ended, µs since the epoch; null while it has not."),
                SD_VARLINK_DEFINE_FIELD(endedUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("MaxRuntime= in µs (enforced by PID 1 as RuntimeMaxSec=); null if unbounded."),
                SD_VARLINK_DEFINE_FIELD(maxRuntimeUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("IdleTimeout= in µs (enforced by sessiond); null if none."),
                SD_VARLINK_DEFINE_FIELD(idleTimeoutUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("OnEnd=: 'discard' (everything is removed when it ends) or 'persist' (the record stays until Stop)."),
                SD_VARLINK_DEFINE_FIELD(onEnd, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_STRUCT_TYPE(
                Figures,
                SD_VARLINK_FIELD_COMMENT("The unit's ActiveState in PID 1 (active, activating, deactivating, failed, inactive)."),
                SD_VARLINK_DEFINE_FIELD(activeState, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The unit's SubState (running, exited, ...)."),
                SD_VARLINK_DEFINE_FIELD(subState, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("PID of the main process (sessiond-agent), in sessiond's PID namespace."),
                SD_VARLINK_DEFINE_FIELD(mainPID, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("MemoryCurrent: bytes charged to the unit's cgroup now."),
                SD_VARLINK_DEFINE_FIELD(memoryCurrent, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("MemoryPeak: the most bytes ever charged to it."),
                SD_VARLINK_DEFINE_FIELD(memoryPeak, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("CPUUsageNSec: CPU time used, ns."),
                SD_VARLINK_DEFINE_FIELD(cpuUsageNSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("TasksCurrent: processes and threads now."),
                SD_VARLINK_DEFINE_FIELD(tasksCurrent, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("IPIngressBytes (needs IPAccounting=yes on the unit)."),
                SD_VARLINK_DEFINE_FIELD(ipIngressBytes, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("IPEgressBytes (needs IPAccounting=yes on the unit)."),
                SD_VARLINK_DEFINE_FIELD(ipEgressBytes, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("µs until MaxRuntime= ends it; null if unbounded or not running."),
                SD_VARLINK_DEFINE_FIELD(lifetimeLeftUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("µs of inactivity so far, as sessiond counts it for IdleTimeout=; null if no IdleTimeout."),
                SD_VARLINK_DEFINE_FIELD(idleUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD(
                Start,
                SD_VARLINK_FIELD_COMMENT("Session name: [a-zA-Z0-9_.-], at most 64 characters. Without sessionText, NAME.session is looked up in the search path."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Inline .session text to start instead of a file; errors name it '<inline>'."),
                SD_VARLINK_DEFINE_INPUT(sessionText, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Resume from the saved workspace (what OnEnd=persist, Persist or SnapshotRestore left); NothingSaved if there is none."),
                SD_VARLINK_DEFINE_INPUT(restore, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The session, once PID 1 has started it (state running) or it already ended."),
                SD_VARLINK_DEFINE_OUTPUT_BY_TYPE(session, Session, 0));

static SD_VARLINK_DEFINE_METHOD(
                Stop,
                SD_VARLINK_FIELD_COMMENT("Session to stop. Returns once every process of it is gone. For an ended session kept by OnEnd=persist, removes its record."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_METHOD(
                Kill,
                SD_VARLINK_FIELD_COMMENT("Session whose processes get the signal."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Signal number; default 15 (SIGTERM)."),
                SD_VARLINK_DEFINE_INPUT(signal, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("'all' (default: every process of the session) or 'main' (the agent only)."),
                SD_VARLINK_DEFINE_INPUT(whom, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD_FULL(
                List,
                SD_VARLINK_REQUIRES_MORE,
                SD_VARLINK_FIELD_COMMENT("One session per reply (streamed with 'more'); the caller sees the sessions it may manage. Null when there are none."),
                SD_VARLINK_DEFINE_OUTPUT_BY_TYPE(session, Session, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD(
                Describe,
                SD_VARLINK_FIELD_COMMENT("Session to describe."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The session as sessiond tracks it."),
                SD_VARLINK_DEFINE_OUTPUT_BY_TYPE(session, Session, 0),
                SD_VARLINK_FIELD_COMMENT("Live figures read from PID 1 now; null once the unit is gone."),
                SD_VARLINK_DEFINE_OUTPUT_BY_TYPE(figures, Figures, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD_FULL(
                Subscribe,
                SD_VARLINK_REQUIRES_MORE,
                SD_VARLINK_FIELD_COMMENT("Only events of this session (it need not exist yet); null: of every session the caller may manage. The current state of each comes first."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The session after the change (state and result are the news)."),
                SD_VARLINK_DEFINE_OUTPUT_BY_TYPE(session, Session, 0),
                SD_VARLINK_FIELD_COMMENT("When sessiond saw the change, µs since the epoch."),
                SD_VARLINK_DEFINE_OUTPUT(timestampUSec, SD_VARLINK_INT, 0));

static SD_VARLINK_DEFINE_METHOD(
                Verify,
                SD_VARLINK_FIELD_COMMENT("Session to check: NAME.session (+ drop-ins) from the search path, unless sessionText is given."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Inline .session text to check instead."),
                SD_VARLINK_DEFINE_INPUT(sessionText, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("True if there is nothing to complain about."),
                SD_VARLINK_DEFINE_OUTPUT(valid, SD_VARLINK_BOOL, 0),
                SD_VARLINK_FIELD_COMMENT("Every problem found, each with file and line."),
                SD_VARLINK_DEFINE_OUTPUT_BY_TYPE(errors, SessionError, SD_VARLINK_ARRAY));

static SD_VARLINK_DEFINE_STRUCT_TYPE(
                Snapshot,
                SD_VARLINK_FIELD_COMMENT("The snapshot's name."),
                SD_VARLINK_DEFINE_FIELD(snapshot, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Bytes in its regular files (apparent size)."),
                SD_VARLINK_DEFINE_FIELD(size, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("Files, directories and other entries in it."),
                SD_VARLINK_DEFINE_FIELD(entries, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("When it was taken, µs since the epoch."),
                SD_VARLINK_DEFINE_FIELD(createdUSec, SD_VARLINK_INT, 0));

static SD_VARLINK_DEFINE_METHOD(
                Persist,
                SD_VARLINK_FIELD_COMMENT("Running session whose workspace (overlay or tmpfs) is saved now, atomically, as its saved state (frozen for the copy)."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_METHOD(
                SnapshotSave,
                SD_VARLINK_FIELD_COMMENT("Session: its live workspace if it runs, else its saved state, is copied."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Name of the new snapshot: [a-zA-Z0-9_.-], not starting with '.'."),
                SD_VARLINK_DEFINE_INPUT(snapshot, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_METHOD(
                SnapshotRestore,
                SD_VARLINK_FIELD_COMMENT("Session whose saved state is replaced by a copy of the snapshot (Start with restore uses it)."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The snapshot."),
                SD_VARLINK_DEFINE_INPUT(snapshot, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_METHOD(
                SnapshotDelete,
                SD_VARLINK_FIELD_COMMENT("Session."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The snapshot to remove."),
                SD_VARLINK_DEFINE_INPUT(snapshot, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_METHOD(
                SnapshotList,
                SD_VARLINK_FIELD_COMMENT("Session."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Its snapshots, sorted by name."),
                SD_VARLINK_DEFINE_OUTPUT_BY_TYPE(snapshots, Snapshot, SD_VARLINK_ARRAY));

static SD_VARLINK_DEFINE_METHOD(
                UpdateEgress,
                SD_VARLINK_FIELD_COMMENT("Running session whose egress policy is replaced, without a restart: one nftables transaction, then the slice's address filter. Its owner or root."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Allow= rules: CIDR, optionally protocol and port ('10.0.0.0/8 tcp:443'). Absent or empty: none."),
                SD_VARLINK_DEFINE_INPUT(allow, SD_VARLINK_STRING, SD_VARLINK_ARRAY|SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("AllowHost= names, optionally with a port ('example.org:443'); resolved by the session's DNS stub."),
                SD_VARLINK_DEFINE_INPUT(allowHost, SD_VARLINK_STRING, SD_VARLINK_ARRAY|SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("DNS= servers: the stub's upstreams with allowHost, else resolvers the session may ask directly."),
                SD_VARLINK_DEFINE_INPUT(dns, SD_VARLINK_STRING, SD_VARLINK_ARRAY|SD_VARLINK_NULLABLE));

/* Exec, ExecTerminal, Attach, Resize and Input take the parameters of io.sessiond.Agent's methods of
 * the same name plus "name", and reply what the session's agent replies (sessiond relays). */
static SD_VARLINK_DEFINE_METHOD_FULL(
                Exec,
                SD_VARLINK_SUPPORTS_MORE,
                SD_VARLINK_FIELD_COMMENT("Session to run the command in (it must be running)."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The command line; argv[0] is looked up in the session's $PATH if it has no slash. With three fds pushed (stdin, stdout, stderr) the command gets exactly those and no byte passes through sessiond or the agent; without, output is streamed in 'more' replies."),
                SD_VARLINK_DEFINE_INPUT(argv, SD_VARLINK_STRING, SD_VARLINK_ARRAY),
                SD_VARLINK_FIELD_COMMENT("Extra KEY=VALUE entries for the command's environment."),
                SD_VARLINK_DEFINE_INPUT(environment, SD_VARLINK_STRING, SD_VARLINK_ARRAY|SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Absolute working directory inside the session."),
                SD_VARLINK_DEFINE_INPUT(workingDirectory, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Kill the command after this many µs; 0 or unset: never."),
                SD_VARLINK_DEFINE_INPUT(timeoutUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streaming mode only (no fds): bytes for the command's stdin, base64."),
                SD_VARLINK_DEFINE_INPUT(stdin, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply (with 'more'): the agent's id of the command."),
                SD_VARLINK_DEFINE_OUTPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply (with 'more'): its pid inside the session."),
                SD_VARLINK_DEFINE_OUTPUT(pid, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streaming mode: a chunk of stdout, base64."),
                SD_VARLINK_DEFINE_OUTPUT(stdout, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streaming mode: a chunk of stderr, base64."),
                SD_VARLINK_DEFINE_OUTPUT(stderr, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the exit status, if the command exited."),
                SD_VARLINK_DEFINE_OUTPUT(exitStatus, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the signal that killed it, if one did."),
                SD_VARLINK_DEFINE_OUTPUT(signal, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: true if timeoutUSec ran out and the command was killed."),
                SD_VARLINK_DEFINE_OUTPUT(timedOut, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD_FULL(
                ExecTerminal,
                SD_VARLINK_REQUIRES_MORE,
                SD_VARLINK_FIELD_COMMENT("Session to run the command in."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The command line."),
                SD_VARLINK_DEFINE_INPUT(argv, SD_VARLINK_STRING, SD_VARLINK_ARRAY),
                SD_VARLINK_FIELD_COMMENT("Extra KEY=VALUE entries for the command's environment."),
                SD_VARLINK_DEFINE_INPUT(environment, SD_VARLINK_STRING, SD_VARLINK_ARRAY|SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Absolute working directory inside the session."),
                SD_VARLINK_DEFINE_INPUT(workingDirectory, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Kill the command after this many µs; 0 or unset: never."),
                SD_VARLINK_DEFINE_INPUT(timeoutUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Initial window height of the new PTY."),
                SD_VARLINK_DEFINE_INPUT(rows, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Initial window width of the new PTY."),
                SD_VARLINK_DEFINE_INPUT(columns, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed terminal (the only kind for Backend=vmspawn, whose agent is on AF_VSOCK): no fd; the output comes in 'output' replies, input goes in by Input calls with the command's id."),
                SD_VARLINK_DEFINE_INPUT(stream, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply: the agent's id of the command; unless streamed, the reply carries one fd, a stream socket with the terminal's bytes both ways."),
                SD_VARLINK_DEFINE_OUTPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply: its pid inside the session."),
                SD_VARLINK_DEFINE_OUTPUT(pid, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed: a chunk of terminal output, base64 (the command waits while the caller has not taken it)."),
                SD_VARLINK_DEFINE_OUTPUT(output, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the exit status, if the command exited."),
                SD_VARLINK_DEFINE_OUTPUT(exitStatus, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the signal that killed it, if one did."),
                SD_VARLINK_DEFINE_OUTPUT(signal, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: true if timeoutUSec ran out."),
                SD_VARLINK_DEFINE_OUTPUT(timedOut, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD_FULL(
                Attach,
                SD_VARLINK_SUPPORTS_MORE,
                SD_VARLINK_FIELD_COMMENT("Session whose terminal (Terminal=yes) to join."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("Watch only: bytes written by this viewer are discarded."),
                SD_VARLINK_DEFINE_INPUT(readOnly, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed viewer (requires 'more'; the only kind for Backend=vmspawn): the first reply carries scrollback, then the scrollback and all output come in 'output' replies; the final reply when the terminal closed. Input goes in by Input calls without id."),
                SD_VARLINK_DEFINE_INPUT(stream, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Bytes of scrollback sent first. Unless streamed, the reply carries one fd: a stream socket with the terminal's bytes both ways."),
                SD_VARLINK_DEFINE_OUTPUT(scrollback, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed: a chunk of terminal output, base64."),
                SD_VARLINK_DEFINE_OUTPUT(output, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD(
                Input,
                SD_VARLINK_FIELD_COMMENT("Session of the terminal."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The id of a running ExecTerminal command; unset: the session's main terminal."),
                SD_VARLINK_DEFINE_INPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Bytes typed, base64 (at most 64 KiB decoded)."),
                SD_VARLINK_DEFINE_INPUT(data, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_METHOD(
                Resize,
                SD_VARLINK_FIELD_COMMENT("Session of the terminal."),
                SD_VARLINK_DEFINE_INPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The id of a running ExecTerminal command; unset: the session's main terminal."),
                SD_VARLINK_DEFINE_INPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Window height in rows."),
                SD_VARLINK_DEFINE_INPUT(rows, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("Window width in columns."),
                SD_VARLINK_DEFINE_INPUT(columns, SD_VARLINK_INT, 0));

static SD_VARLINK_DEFINE_ERROR(
                NoSuchSession,
                SD_VARLINK_FIELD_COMMENT("The name asked for."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                SessionExists,
                SD_VARLINK_FIELD_COMMENT("A session of this name is already there (in any state but ended)."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                InvalidSession,
                SD_VARLINK_FIELD_COMMENT("Every problem found in the session file or text, with file and line."),
                SD_VARLINK_DEFINE_FIELD_BY_TYPE(errors, SessionError, SD_VARLINK_ARRAY));
static SD_VARLINK_DEFINE_ERROR(
                BackendUnavailable,
                SD_VARLINK_FIELD_COMMENT("The Backend= asked for."),
                SD_VARLINK_DEFINE_FIELD(backend, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("What is missing (PID 1 not reachable, a binary, KVM...)."),
                SD_VARLINK_DEFINE_FIELD(reason, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                PermissionDenied,
                SD_VARLINK_FIELD_COMMENT("Why: not the session's owner, or a setting only root may use."),
                SD_VARLINK_DEFINE_FIELD(reason, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                UnitFailed,
                SD_VARLINK_FIELD_COMMENT("The unit PID 1 was asked to start or stop."),
                SD_VARLINK_DEFINE_FIELD(unit, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("PID 1's error or job result (D-Bus error name and message, or 'failed', 'timeout', 'dependency'...)."),
                SD_VARLINK_DEFINE_FIELD(reason, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                NotRunning,
                SD_VARLINK_FIELD_COMMENT("The session has ended: it has no processes to signal."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_ERROR(
                NoWorkspace,
                SD_VARLINK_FIELD_COMMENT("The session."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("What is missing."),
                SD_VARLINK_DEFINE_FIELD(reason, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                NothingSaved,
                SD_VARLINK_FIELD_COMMENT("The session that has no saved (and, for SnapshotSave, no live) workspace."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                NoSuchSnapshot,
                SD_VARLINK_FIELD_COMMENT("The session."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The snapshot asked for."),
                SD_VARLINK_DEFINE_FIELD(snapshot, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                SnapshotExists,
                SD_VARLINK_FIELD_COMMENT("The session."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The snapshot name already taken."),
                SD_VARLINK_DEFINE_FIELD(snapshot, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_ERROR(
                NoTerminal,
                SD_VARLINK_FIELD_COMMENT("The session has no terminal to attach to (Terminal=no)."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));
static SD_VARLINK_DEFINE_ERROR(
                AgentFailed,
                SD_VARLINK_FIELD_COMMENT("The session."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The errno the agent reported (e.g. ENOENT for a missing command)."),
                SD_VARLINK_DEFINE_FIELD(errorNumber, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The same in words."),
                SD_VARLINK_DEFINE_FIELD(reason, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_ERROR(
                NoFdPassing,
                SD_VARLINK_FIELD_COMMENT("The session."),
                SD_VARLINK_DEFINE_FIELD(name, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Its Backend= (vmspawn)."),
                SD_VARLINK_DEFINE_FIELD(backend, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The agent's address, vsock:CID:PORT."),
                SD_VARLINK_DEFINE_FIELD(address, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("What to do instead."),
                SD_VARLINK_DEFINE_FIELD(reason, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));

SD_VARLINK_DEFINE_INTERFACE(
                io_sessiond_Manager,
                "io.sessiond.Manager",
                SD_VARLINK_INTERFACE_COMMENT("sessiond: isolated, bounded sessions for AI agents, run as systemd units."),
                SD_VARLINK_SYMBOL_COMMENT("Lifecycle state of a session."),
                &vl_type_State,
                SD_VARLINK_SYMBOL_COMMENT("Why a session ended."),
                &vl_type_Result,
                SD_VARLINK_SYMBOL_COMMENT("One problem in a session file."),
                &vl_type_SessionError,
                SD_VARLINK_SYMBOL_COMMENT("A session as sessiond tracks it."),
                &vl_type_Session,
                SD_VARLINK_SYMBOL_COMMENT("Live figures of a session's unit, from PID 1."),
                &vl_type_Figures,
                SD_VARLINK_SYMBOL_COMMENT("Starts a session as transient units (slice + service) and returns once it runs."),
                &vl_method_Start,
                SD_VARLINK_SYMBOL_COMMENT("Stops a session: every process of it is killed, the units go away."),
                &vl_method_Stop,
                SD_VARLINK_SYMBOL_COMMENT("Sends a signal to a session's processes."),
                &vl_method_Kill,
                SD_VARLINK_SYMBOL_COMMENT("Lists sessions."),
                &vl_method_List,
                SD_VARLINK_SYMBOL_COMMENT("Describes one session, with live figures from PID 1."),
                &vl_method_Describe,
                SD_VARLINK_SYMBOL_COMMENT("Streams state changes of sessions."),
                &vl_method_Subscribe,
                SD_VARLINK_SYMBOL_COMMENT("Checks a session file or text without starting anything."),
                &vl_method_Verify,
                SD_VARLINK_SYMBOL_COMMENT("A named copy of a session's workspace."),
                &vl_type_Snapshot,
                SD_VARLINK_SYMBOL_COMMENT("Saves a running session's workspace now."),
                &vl_method_Persist,
                SD_VARLINK_SYMBOL_COMMENT("Copies a session's workspace into a named snapshot."),
                &vl_method_SnapshotSave,
                SD_VARLINK_SYMBOL_COMMENT("Makes a snapshot the session's saved state."),
                &vl_method_SnapshotRestore,
                SD_VARLINK_SYMBOL_COMMENT("Removes a snapshot."),
                &vl_method_SnapshotDelete,
                SD_VARLINK_SYMBOL_COMMENT("Lists a session's snapshots with their sizes."),
                &vl_method_SnapshotList,
                SD_VARLINK_SYMBOL_COMMENT("Replace a running session's egress policy."),
                &vl_method_UpdateEgress,
                SD_VARLINK_SYMBOL_COMMENT("Runs a command in a session through its agent (the caller's fds are handed over); returns its exit status."),
                &vl_method_Exec,
                SD_VARLINK_SYMBOL_COMMENT("Runs a command on a fresh PTY in a session; the first reply carries the terminal socket."),
                &vl_method_ExecTerminal,
                SD_VARLINK_SYMBOL_COMMENT("Joins a session's terminal: returns the agent's terminal socket, or streams the terminal (stream=true)."),
                &vl_method_Attach,
                SD_VARLINK_SYMBOL_COMMENT("Sets the window size of a session's terminal or of an ExecTerminal command."),
                &vl_method_Resize,
                SD_VARLINK_SYMBOL_COMMENT("Types into a session's terminal or an ExecTerminal command's: the input side of a streamed terminal. The reply comes once the bytes are in the terminal; send the next after it."),
                &vl_method_Input,
                SD_VARLINK_SYMBOL_COMMENT("No session of that name (or none the caller may see)."),
                &vl_error_NoSuchSession,
                SD_VARLINK_SYMBOL_COMMENT("Start of a name that is already in use."),
                &vl_error_SessionExists,
                SD_VARLINK_SYMBOL_COMMENT("The session file or text has errors."),
                &vl_error_InvalidSession,
                SD_VARLINK_SYMBOL_COMMENT("The session's backend cannot run here."),
                &vl_error_BackendUnavailable,
                SD_VARLINK_SYMBOL_COMMENT("The caller may not do this."),
                &vl_error_PermissionDenied,
                SD_VARLINK_SYMBOL_COMMENT("PID 1 refused or failed a job on the session's unit."),
                &vl_error_UnitFailed,
                SD_VARLINK_SYMBOL_COMMENT("The session is not running."),
                &vl_error_NotRunning,
                SD_VARLINK_SYMBOL_COMMENT("The session has no workspace that can be saved or restored."),
                &vl_error_NoWorkspace,
                SD_VARLINK_SYMBOL_COMMENT("There is no saved workspace."),
                &vl_error_NothingSaved,
                SD_VARLINK_SYMBOL_COMMENT("No snapshot of that name."),
                &vl_error_NoSuchSnapshot,
                SD_VARLINK_SYMBOL_COMMENT("A snapshot of that name exists already."),
                &vl_error_SnapshotExists,
                SD_VARLINK_SYMBOL_COMMENT("The session has no terminal."),
                &vl_error_NoTerminal,
                SD_VARLINK_SYMBOL_COMMENT("The session's agent refused or failed the request."),
                &vl_error_AgentFailed,
                SD_VARLINK_SYMBOL_COMMENT("The session's agent is reached over AF_VSOCK (Backend=vmspawn), which carries no fds: Exec must be called without fds (its streaming mode), ExecTerminal and Attach with stream=true."),
                &vl_error_NoFdPassing);
