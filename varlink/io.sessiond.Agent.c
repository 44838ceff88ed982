/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "io.sessiond.Agent.h"

static SD_VARLINK_DEFINE_METHOD_FULL(
                Exec,
                SD_VARLINK_SUPPORTS_MORE,
                SD_VARLINK_FIELD_COMMENT("The command line; argv[0] is looked up in $PATH if it contains no slash."),
                SD_VARLINK_DEFINE_INPUT(argv, SD_VARLINK_STRING, SD_VARLINK_ARRAY),
                SD_VARLINK_FIELD_COMMENT("Extra KEY=VALUE pairs added to (or replacing in) the session's environment."),
                SD_VARLINK_DEFINE_INPUT(environment, SD_VARLINK_STRING, SD_VARLINK_ARRAY|SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Absolute working directory; the agent's own (the session's) if unset."),
                SD_VARLINK_DEFINE_INPUT(workingDirectory, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Kill the command with SIGKILL after this many microseconds; 0 or unset: never."),
                SD_VARLINK_DEFINE_INPUT(timeoutUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streaming mode only (no fds passed): bytes for the command's stdin, base64; stdin sees EOF after them."),
                SD_VARLINK_DEFINE_INPUT(stdin, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply (with 'more'): the agent's id of this command, for Kill."),
                SD_VARLINK_DEFINE_OUTPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply (with 'more'): the command's pid, as seen inside the session."),
                SD_VARLINK_DEFINE_OUTPUT(pid, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streaming mode: a chunk of the command's stdout, base64."),
                SD_VARLINK_DEFINE_OUTPUT(stdout, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streaming mode: a chunk of the command's stderr, base64."),
                SD_VARLINK_DEFINE_OUTPUT(stderr, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the exit status if the command exited."),
                SD_VARLINK_DEFINE_OUTPUT(exitStatus, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the signal number if the command was killed (callers report 128+N)."),
                SD_VARLINK_DEFINE_OUTPUT(signal, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: true if the agent killed the command because timeoutUSec passed."),
                SD_VARLINK_DEFINE_OUTPUT(timedOut, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD_FULL(
                ExecTerminal,
                SD_VARLINK_REQUIRES_MORE,
                SD_VARLINK_FIELD_COMMENT("The command line; argv[0] is looked up in $PATH if it contains no slash."),
                SD_VARLINK_DEFINE_INPUT(argv, SD_VARLINK_STRING, SD_VARLINK_ARRAY),
                SD_VARLINK_FIELD_COMMENT("Extra KEY=VALUE pairs added to (or replacing in) the session's environment."),
                SD_VARLINK_DEFINE_INPUT(environment, SD_VARLINK_STRING, SD_VARLINK_ARRAY|SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Absolute working directory; the agent's own (the session's) if unset."),
                SD_VARLINK_DEFINE_INPUT(workingDirectory, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Kill the command with SIGKILL after this many microseconds; 0 or unset: never."),
                SD_VARLINK_DEFINE_INPUT(timeoutUSec, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Initial window size of the new PTY: rows."),
                SD_VARLINK_DEFINE_INPUT(rows, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Initial window size of the new PTY: columns."),
                SD_VARLINK_DEFINE_INPUT(columns, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed terminal, for connections that carry no fds (AF_VSOCK): no socket is handed over; the terminal's output comes in 'output' replies and input goes in by Input calls (on another connection) with this command's id."),
                SD_VARLINK_DEFINE_INPUT(stream, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply: the agent's id of this command, for Kill, Resize and Input. Unless streamed, the reply carries one fd: a stream socket with the raw terminal bytes both ways."),
                SD_VARLINK_DEFINE_OUTPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("First reply: the command's pid, as seen inside the session."),
                SD_VARLINK_DEFINE_OUTPUT(pid, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed: a chunk of terminal output, base64. While the caller has not taken it the agent reads no more from the terminal: nothing is dropped, the command waits."),
                SD_VARLINK_DEFINE_OUTPUT(output, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the exit status if the command exited."),
                SD_VARLINK_DEFINE_OUTPUT(exitStatus, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: the signal number if the command was killed (callers report 128+N)."),
                SD_VARLINK_DEFINE_OUTPUT(signal, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Final reply: true if the agent killed the command because timeoutUSec passed."),
                SD_VARLINK_DEFINE_OUTPUT(timedOut, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD(
                Kill,
                SD_VARLINK_FIELD_COMMENT("The id of a running command from Exec or ExecTerminal; unset: the session's main process group."),
                SD_VARLINK_DEFINE_INPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The signal number (1..64); SIGTERM if unset."),
                SD_VARLINK_DEFINE_INPUT(signal, SD_VARLINK_INT, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD_FULL(
                Attach,
                SD_VARLINK_SUPPORTS_MORE,
                SD_VARLINK_FIELD_COMMENT("If true, bytes written by this viewer are discarded."),
                SD_VARLINK_DEFINE_INPUT(readOnly, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed viewer (requires 'more'), for connections that carry no fds: the first reply carries scrollback, the following ones the scrollback and then all output in 'output'; the final reply comes when the terminal closed. Input goes in by Input calls without id."),
                SD_VARLINK_DEFINE_INPUT(stream, SD_VARLINK_BOOL, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Bytes of scrollback sent first (on the returned fd, or streamed). Unless streamed, the reply carries one fd: a stream socket with the raw terminal bytes both ways."),
                SD_VARLINK_DEFINE_OUTPUT(scrollback, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Streamed: a chunk of terminal output, base64."),
                SD_VARLINK_DEFINE_OUTPUT(output, SD_VARLINK_STRING, SD_VARLINK_NULLABLE));

static SD_VARLINK_DEFINE_METHOD(
                Input,
                SD_VARLINK_FIELD_COMMENT("The id of a running ExecTerminal command; unset: the session's main terminal."),
                SD_VARLINK_DEFINE_INPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Bytes typed, base64 (at most 64 KiB decoded)."),
                SD_VARLINK_DEFINE_INPUT(data, SD_VARLINK_STRING, 0));

static SD_VARLINK_DEFINE_METHOD(
                Resize,
                SD_VARLINK_FIELD_COMMENT("The id of a running ExecTerminal command; unset: the session's main terminal."),
                SD_VARLINK_DEFINE_INPUT(id, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Window height in rows (1..65535)."),
                SD_VARLINK_DEFINE_INPUT(rows, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("Window width in columns (1..65535)."),
                SD_VARLINK_DEFINE_INPUT(columns, SD_VARLINK_INT, 0));

static SD_VARLINK_DEFINE_METHOD(
                Describe,
                SD_VARLINK_FIELD_COMMENT("The session name the agent was started with."),
                SD_VARLINK_DEFINE_OUTPUT(name, SD_VARLINK_STRING, 0),
                SD_VARLINK_FIELD_COMMENT("The pid of the session's main command, as seen inside the session; unset once it ended."),
                SD_VARLINK_DEFINE_OUTPUT(mainPID, SD_VARLINK_INT, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("Whether the main command runs on a PTY that Attach joins."),
                SD_VARLINK_DEFINE_OUTPUT(terminal, SD_VARLINK_BOOL, 0),
                SD_VARLINK_FIELD_COMMENT("Commands started by Exec or ExecTerminal that are still running."),
                SD_VARLINK_DEFINE_OUTPUT(runningExecs, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("Viewers attached to the main terminal."),
                SD_VARLINK_DEFINE_OUTPUT(viewers, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("CLOCK_MONOTONIC time in microseconds of the last Exec, ExecTerminal or Attach, or now if a command or viewer is active."),
                SD_VARLINK_DEFINE_OUTPUT(lastActivityUSec, SD_VARLINK_INT, 0));

static SD_VARLINK_DEFINE_ERROR(
                NoSuchExec,
                SD_VARLINK_FIELD_COMMENT("The id that names no running command."),
                SD_VARLINK_DEFINE_FIELD(id, SD_VARLINK_INT, 0));
static SD_VARLINK_DEFINE_ERROR(NoTerminal);
static SD_VARLINK_DEFINE_ERROR(NotRunning);
static SD_VARLINK_DEFINE_ERROR(TooManyExecs);
static SD_VARLINK_DEFINE_ERROR(TooManyViewers);
static SD_VARLINK_DEFINE_ERROR(ViewerDropped);
static SD_VARLINK_DEFINE_ERROR(
                ExecFailed,
                SD_VARLINK_FIELD_COMMENT("The errno name of the failing step (chdir or execve), e.g. ENOENT."),
                SD_VARLINK_DEFINE_FIELD(errnoName, SD_VARLINK_STRING, SD_VARLINK_NULLABLE),
                SD_VARLINK_FIELD_COMMENT("The errno number of the failure."),
                SD_VARLINK_DEFINE_FIELD(errnoNumber, SD_VARLINK_INT, 0),
                SD_VARLINK_FIELD_COMMENT("Which step failed: 'chdir' or 'execve'."),
                SD_VARLINK_DEFINE_FIELD(step, SD_VARLINK_STRING, 0));

SD_VARLINK_DEFINE_INTERFACE(
                io_sessiond_Agent,
                "io.sessiond.Agent",
                SD_VARLINK_INTERFACE_COMMENT("The in-session agent: runs commands inside the session's sandbox and holds its terminal."),
                SD_VARLINK_SYMBOL_COMMENT("Run a command. With three fds pushed (stdin, stdout, stderr, in that order) the command gets exactly those as 0, 1, 2 and no byte passes through the agent. Without fds the agent makes pipes and streams the output in 'more' replies (stdin from the 'stdin' field). With 'more' the first reply carries id and pid; the final reply the exit status or signal."),
                &vl_method_Exec,
                SD_VARLINK_SYMBOL_COMMENT("Run a command on a fresh PTY; the first reply carries a socket fd for the terminal bytes (as Attach), or with 'stream' the output follows in 'more' replies; the final reply its exit status."),
                &vl_method_ExecTerminal,
                SD_VARLINK_SYMBOL_COMMENT("Send a signal to one running command's process group, or to the session's main process group."),
                &vl_method_Kill,
                SD_VARLINK_SYMBOL_COMMENT("Join the session's main terminal (sessions with a terminal only): the reply carries a socket fd, or with 'stream' the output follows in 'more' replies; the scrollback is sent first."),
                &vl_method_Attach,
                SD_VARLINK_SYMBOL_COMMENT("Set the window size of the main terminal or of an ExecTerminal command."),
                &vl_method_Resize,
                SD_VARLINK_SYMBOL_COMMENT("Type into the main terminal or an ExecTerminal command's (the input side of a streamed terminal). Bytes of consecutive calls reach the terminal in order; the reply comes once they are written to it."),
                &vl_method_Input,
                SD_VARLINK_SYMBOL_COMMENT("The agent's state, for idle detection and status."),
                &vl_method_Describe,
                SD_VARLINK_SYMBOL_COMMENT("No running command has this id."),
                &vl_error_NoSuchExec,
                SD_VARLINK_SYMBOL_COMMENT("The session has no terminal (it was not started with Terminal=yes)."),
                &vl_error_NoTerminal,
                SD_VARLINK_SYMBOL_COMMENT("The session's main command has ended."),
                &vl_error_NotRunning,
                SD_VARLINK_SYMBOL_COMMENT("The limit of concurrently running commands is reached."),
                &vl_error_TooManyExecs,
                SD_VARLINK_SYMBOL_COMMENT("The limit of attached viewers is reached."),
                &vl_error_TooManyViewers,
                SD_VARLINK_SYMBOL_COMMENT("A streamed Attach viewer fell too far behind the terminal and was dropped."),
                &vl_error_ViewerDropped,
                SD_VARLINK_SYMBOL_COMMENT("The command could not be started."),
                &vl_error_ExecFailed);
