/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Client side of io.sessiond.Agent, used by sessiond and sessionctl. Every function returns a
 * negative errno on failure; agent errors map to: NoSuchExec -ESRCH, NoTerminal -ENOTTY,
 * NotRunning -ESHUTDOWN, TooManyExecs/TooManyViewers -EUSERS, ExecFailed the failing step's errno
 * (e.g. -ENOENT for a missing command), a refused parameter -EINVAL; via sessiond also
 * NoSuchSession -ENXIO, PermissionDenied -EACCES, BackendUnavailable -EHOSTDOWN, NoFdPassing
 * -EPROTONOSUPPORT (the session's agent is on AF_VSOCK: call Exec without fds, terminals streamed),
 * ViewerDropped -ENOBUFS. No function logs.
 *
 * sd-varlink (257) mixes up replies when a streaming call follows a plain call on one
 * connection: give agent_exec() and agent_exec_terminal_start() a fresh connection each. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <systemd/sd-varlink.h>

#define AGENT_ID_MAIN UINT64_MAX /* Kill/Resize target: the session's main command */

/* Routing: with session == NULL the calls go to an agent (io.sessiond.Agent.*). With a session name
 * they go to sessiond (io.sessiond.Manager.Exec, .ExecTerminal, .Attach, .Resize), which takes the
 * same parameters plus "name", checks the caller, forwards the fds to the session's agent and relays
 * the agent's replies (and fds) unchanged. */

typedef struct AgentExecOptions {
        const char *session;            /* NULL: link is the agent itself */
        char **environment;             /* extra KEY=VALUE entries, or NULL */
        const char *working_directory;  /* absolute, or NULL */
        uint64_t timeout_usec;          /* 0: none */
        /* Streaming mode only (fds == NULL): stdin bytes; stdout/stderr chunks are written to
         * output_fds (blocking writes). */
        const void *stdin_data;
        size_t stdin_size;
        int output_fds[2];
} AgentExecOptions;

typedef struct AgentExecResult {
        uint64_t id;
        pid_t pid;
        int exit_status;        /* -1 if killed by a signal */
        int signal;             /* 0 if it exited */
        bool timed_out;
        int exit_code;          /* exit_status, or 128+signal: what a shell would report */
} AgentExecResult;

typedef struct AgentInfo {
        char *name;
        pid_t main_pid;         /* 0 once the main command ended */
        bool terminal;
        unsigned running_execs;
        unsigned viewers;
        uint64_t last_activity_usec; /* CLOCK_MONOTONIC */
} AgentInfo;

void agent_info_done(AgentInfo *i);

/* path: a unix socket path, or vsock:CID:PORT (no fd passing there: use the streaming mode). */
int agent_connect(const char *path, sd_varlink **ret);
static inline bool agent_address_is_vsock(const char *path) {
        return strncmp(path, "vsock:", 6) == 0;
}
/* Takes ownership of fd (a connected stream socket, e.g. AF_VSOCK) also on failure. */
int agent_connect_fd(int fd, sd_varlink **ret);

/* Runs argv in the session and waits for it. With fds (stdin, stdout, stderr) they are handed to the
 * command (dup'ed: the caller keeps its own); with fds == NULL output is streamed through the agent. */
int agent_exec(sd_varlink *link, char * const *argv, const AgentExecOptions *o, const int fds[3],
               AgentExecResult *ret);

/* The same in steps, so the caller can do other things (pump a terminal, forward signals as Kill on
 * another connection) while the command runs. agent_exec_start() returns once the command runs, with
 * its id; agent_exec_terminal_start() runs it on a fresh PTY. Then poll sd_varlink_get_fd(link) for
 * sd_varlink_get_events(link) and call agent_call_process() until it returns > 0 (finished, result
 * filled), or call agent_call_wait(). o must stay valid until the call is freed (streamed output is
 * written to its output_fds). */
typedef struct AgentCall AgentCall;
int agent_exec_start(sd_varlink *link, char * const *argv, const AgentExecOptions *o, const int fds[3],
                     AgentCall **ret_call, uint64_t *ret_id);
/* Without stream, the terminal socket comes back in *ret_fd (owned by the caller). With stream (where
 * no fd can be handed over: an agent on AF_VSOCK, directly or through sessiond), ret_fd must be NULL:
 * the terminal's output is written to o->output_fds[0] as the 'more' replies come (blocking writes: a
 * slow reader holds the command back, nothing is lost); input and window size changes go through an
 * AgentTerminalInput on a second connection. */
int agent_exec_terminal_start(sd_varlink *link, char * const *argv, const AgentExecOptions *o,
                              unsigned rows, unsigned columns, bool stream, AgentCall **ret_call,
                              int *ret_fd, uint64_t *ret_id);
/* A streamed Attach, the same way; its call finishes when the terminal closes (agent_call_process()
 * > 0, result unset). */
int agent_attach_stream_start(sd_varlink *link, const char *session, const AgentExecOptions *o,
                              AgentCall **ret_call, uint64_t *ret_scrollback);
int agent_call_process(AgentCall *c, AgentExecResult *ret);
int agent_call_wait(AgentCall *c, AgentExecResult *ret);
AgentCall *agent_call_free(AgentCall *c);

int agent_attach(sd_varlink *link, const char *session, bool read_only, int *ret_fd, uint64_t *ret_scrollback);

/* The input side of a streamed terminal: typed bytes and window sizes are queued and sent as Input and
 * Resize calls (io.sessiond.Agent, or .Manager with a session name) on link, a connection of its own,
 * one call at a time (a window size first), without blocking. Poll the fd and events
 * agent_terminal_input_process() returns. Input for a command or terminal that ended is dropped. */
#define AGENT_TERMINAL_INPUT_MAX (48U * 1024U) /* queued bytes, and so at most one Input call's */
typedef struct AgentTerminalInput AgentTerminalInput;
int agent_terminal_input_new(sd_varlink *link, const char *session, uint64_t id, AgentTerminalInput **ret);
AgentTerminalInput *agent_terminal_input_free(AgentTerminalInput *in);
size_t agent_terminal_input_room(const AgentTerminalInput *in);
int agent_terminal_input_queue(AgentTerminalInput *in, const void *data, size_t size);
void agent_terminal_input_resize(AgentTerminalInput *in, unsigned rows, unsigned columns);
int agent_terminal_input_process(AgentTerminalInput *in, int *ret_fd, short *ret_events);
/* Sends what is queued and waits for the replies (at most 5 s each). */
int agent_terminal_input_flush(AgentTerminalInput *in);
int agent_resize(sd_varlink *link, const char *session, uint64_t id, unsigned rows, unsigned columns);
int agent_kill(sd_varlink *link, uint64_t id, int sig);
int agent_describe(sd_varlink *link, AgentInfo *ret);

/* Maps an agent error reply to a negative errno (see above). */
int agent_error_to_errno(const char *error_id, sd_json_variant *parameters);

/* Standard base64 (padding optional, no whitespace). */
int agent_base64_decode(const char *s, uint8_t **ret, size_t *ret_size);
