/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sessiond-agent: the tiny init inside every session. Shared state of its parts:
 *   sessiond-agent.c  main loop, main command, signals, Kill, Describe
 *   agent-exec.c      Exec (fds passed, or streamed through pipes) and the common spawn helper
 *   agent-tty.c       PTYs: the main terminal, Attach, Resize, ExecTerminal, viewers, scrollback */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include <systemd/sd-json.h>
#include <systemd/sd-varlink.h>

/* Bounds against the socket's peers. */
#define AGENT_EXECS_MAX 64U                 /* concurrently running Exec/ExecTerminal commands */
#define AGENT_VIEWERS_MAX 16U               /* viewers per terminal */
#define AGENT_CONNECTIONS_MAX 160U          /* varlink connections (each running exec holds one) */
#define AGENT_ARGV_MAX 4096U                /* argv entries */
#define AGENT_ENV_MAX 1024U                 /* environment entries */
#define AGENT_ARGS_BYTES_MAX (1024U * 1024U) /* argv + environment bytes */
#define AGENT_STDIN_MAX (8U * 1024U * 1024U) /* decoded streaming stdin */
#define AGENT_SCROLLBACK_SIZE (64U * 1024U)
#define AGENT_VIEWER_BUFFER_MAX (1024U * 1024U) /* a viewer this far behind is dropped */
#define AGENT_CHUNK 65536U
#define AGENT_LINGER_USEC (5U * 1000000U)   /* after the main command, for its viewers to drain */
#define AGENT_LINGER_LINKS_MAX AGENT_VIEWERS_MAX
#define AGENT_INPUT_MAX (64U * 1024U)       /* decoded bytes of one Input call */

typedef struct Agent Agent;
typedef struct Exec Exec;
typedef struct Terminal Terminal;
typedef struct Viewer Viewer;
typedef struct InputRequest InputRequest;

/* A viewer is either a socket (fd, handed to the caller) or a streamed call (link: output goes out
 * base64 in 'more' replies, input comes in by Input calls). */
struct Viewer {
        Terminal *terminal;
        int fd;
        sd_event_source *source;
        sd_varlink *link;       /* streamed: the pending ExecTerminal or Attach call */
        sd_event_source *retry_source;
        Exec *exec;             /* streamed ExecTerminal: the command's own viewer; holds the
                                 * terminal back instead of being dropped when behind */
        bool read_only;
        bool input_eof;
        bool closing;           /* close once the pending output is written */
        uint8_t *out;
        size_t out_len, out_allocated;
        Viewer *next, *prev;
};

/* One Input call: its bytes go to the master in order, the reply once all are written. */
struct InputRequest {
        sd_varlink *link;
        uint8_t *data;
        size_t size, done;
        InputRequest *next;
};

struct Terminal {
        Agent *agent;
        int master_fd;
        sd_event_source *master_source;
        uint8_t *ring;          /* scrollback: the last AGENT_SCROLLBACK_SIZE bytes */
        size_t ring_len;
        uint8_t in[4096];       /* viewer input not yet written to the master */
        size_t in_len;
        InputRequest *inputs, *inputs_tail;
        bool hangup;
        bool in_hangup;
        Viewer *viewers;
        unsigned n_viewers;
};

struct Exec {
        Agent *agent;
        uint64_t id;
        pid_t pid;
        sd_varlink *link;       /* the pending call; NULL once answered or disconnected */
        bool more;
        char *command;          /* argv joined, for the journal */
        uint64_t start_usec;
        sd_event_source *timeout_source;
        bool timed_out;
        bool exited;
        bool in_exit;           /* exec_child_exited() runs: not to be finished (freed) yet */
        int wait_status;

        /* streaming mode */
        bool streaming;
        int out_fd, err_fd, in_fd;
        sd_event_source *out_source, *err_source, *in_source, *resume_source;
        uint8_t *input;
        size_t input_len, input_done;

        /* ExecTerminal */
        Terminal *terminal;
        Viewer *stream_viewer;  /* streamed ExecTerminal: the final reply waits until it drained */

        Exec *next, *prev;
};

struct Agent {
        char *name;
        sd_event *event;
        sd_varlink_server *server;
        pid_t main_pid;         /* 0 once reaped */
        int main_status;
        Terminal *terminal;     /* the main command's PTY (--terminal) */
        Exec *execs;
        unsigned n_execs;
        uint64_t next_id;
        uint64_t last_activity_usec;

        /* The main command ended while its terminal had viewers: the agent lingers (at most
         * AGENT_LINGER_USEC) until they have what it wrote last, then exits with exit_code. */
        bool lingering;
        int exit_code;
        sd_event_source *linger_source, *linger_poll_source;
        sd_varlink *linger_links[AGENT_LINGER_LINKS_MAX]; /* closed streamed viewers still sending */
        unsigned n_linger_links;
};

/* agent-varlink.c */
extern bool agent_journal;
extern bool agent_log_prefix;
extern int agent_log_level;
void agent_touch(Agent *a);
/* The main command ended with this exit code: exits now, or once its terminal's viewers drained. */
int agent_main_ended(Agent *a, int code);
/* A streamed viewer of the main terminal closed while the agent lingers: keep its link until its
 * last replies are written. */
void agent_linger_link(Agent *a, sd_varlink *link);
/* Exits if the agent lingers and nothing is left to drain. */
void agent_linger_check(Agent *a);
int agent_server_new(Agent *a, sd_varlink_server **ret);

/* agent-exec.c */
typedef struct SpawnParams {
        char **argv;
        char **environment;     /* extra KEY=VALUE, may be NULL */
        const char *working_directory;
        int fds[3];             /* become 0, 1, 2 */
        int ctty_fd;            /* if >= 0: made the controlling terminal (fds point at it too) */
} SpawnParams;

typedef struct ExecParams {
        char **argv;
        char **environment;
        char *working_directory;
        uint64_t timeout_usec;
        sd_json_variant *stdin_data;
        unsigned rows, columns;
        int stream;             /* ExecTerminal: stream the terminal in 'more' replies, no fd */
} ExecParams;

void exec_params_done(ExecParams *p);
int exec_params_validate(sd_varlink *link, sd_json_variant *parameters, ExecParams *p);
/* Test-only, set by tests/fuzz/fuzz-agent-varlink.c and nothing else: agent_spawn() then fails with
 * -EPERM (step "setup") instead of forking, so fuzzed Exec calls run every check but start nothing. */
extern bool agent_spawn_refuse;
int agent_spawn(const SpawnParams *p, pid_t *ret_pid, const char **ret_step);
int agent_exec_new(Agent *a, sd_varlink *link, bool more, char **argv, Exec **ret);
int exec_start_timeout(Exec *e, uint64_t timeout_usec);
int exec_started(Exec *e);
int reply_spawn_error(sd_varlink *link, int r, const char *step);
Exec *exec_free(Exec *e);
Exec *agent_find_exec(Agent *a, uint64_t id);
Exec *agent_find_exec_by_pid(Agent *a, pid_t pid);
void exec_child_exited(Exec *e, int status);
void exec_maybe_finish(Exec *e);
void agent_link_disconnected(Agent *a, sd_varlink *link);
int vl_method_exec(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata);

/* agent-sandbox.c: --sandbox=PROFILE. The uid and gid the commands run as, inside the container's
 * user namespace (the first of systemd's dynamic user range; no user database entry needed). */
#define AGENT_SANDBOX_UID 61184U
#define AGENT_SANDBOX_GID 61184U
int agent_sandbox_setup(const char *profile);
int agent_sandbox_enter(void);

/* agent-tty.c */
int terminal_new(Agent *a, unsigned rows, unsigned columns, Terminal **ret, int *ret_slave_fd);
Terminal *terminal_free(Terminal *t);
void terminal_hangup(Terminal *t);
int terminal_add_viewer(Terminal *t, bool read_only, bool with_scrollback, int *ret_peer_fd);
int terminal_resize(Terminal *t, unsigned rows, unsigned columns);
int vl_method_exec_terminal(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata);
int vl_method_attach(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata);
int vl_method_resize(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata);
int vl_method_input(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata);
void agent_terminals_drop_link(Agent *a, sd_varlink *link);

static inline void sd_event_source_disable_unrefp_safe(sd_event_source **s) {
        *s = sd_event_source_disable_unref(*s);
}

/* Logging of the agent (an edge: it logs to stderr, which the unit sends to the journal). */
void agent_log(int level, const char *format, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) agent_log(3, __VA_ARGS__)
#define log_warn(...) agent_log(4, __VA_ARGS__)
#define log_info(...) agent_log(6, __VA_ARGS__)
#define log_dbg(...) agent_log(7, __VA_ARGS__)
