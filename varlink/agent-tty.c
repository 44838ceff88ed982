/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* PTYs held by the agent: the main command's terminal (--terminal) and ExecTerminal's. The agent
 * owns the master; each viewer is one end of a socketpair over which raw terminal bytes flow both
 * ways. Output is kept in a scrollback ring that a new viewer receives first. A viewer that falls
 * AGENT_VIEWER_BUFFER_MAX behind is dropped rather than stalling the terminal.
 *
 * Streamed terminals (ExecTerminal and Attach with "stream": true), for callers that cannot take an
 * fd: sessiond reaches a Backend=vmspawn session's agent over AF_VSOCK. The viewer is then the call
 * itself: output goes out base64 in 'more' replies, and input comes in by Input calls on another
 * connection, keyed like Resize (the command's id, or none for the main terminal). Why a second
 * call: a Varlink connection carries one call at a time, so nothing more can be sent on the one
 * that waits for the 'more' replies, and sd-varlink in systemd 257 (trixie) has no connection
 * upgrade to raw bytes. Input calls keep their order (a caller sends the next after the reply) and
 * are answered only once their bytes are in the PTY, which throttles a fast typist to the command.
 * Anyone who may call Input may also call Attach and Exec: the id is no secret and need not be.
 * A streamed ExecTerminal's own viewer is never dropped: while it has a chunk unsent, the agent
 * stops reading the master, so the command blocks on its output as on a slow real terminal. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include "agent-client.h"
#include "agent.h"
#include "macro.h"

static void viewer_free(Viewer *v);

static void terminal_maybe_free(Terminal *t) {
        /* An ExecTerminal terminal outlives its command until the viewers have read everything. */
        if (t->hangup && !t->in_hangup && t->master_fd < 0 && t->n_viewers == 0 && t != t->agent->terminal)
                terminal_free(t);
}

static void viewer_update_events(Viewer *v) {
        uint32_t events = 0;

        if (!v->closing && !v->input_eof && v->terminal->in_len == 0)
                events |= EPOLLIN;
        if (v->out_len > 0)
                events |= EPOLLOUT;
        (void) sd_event_source_set_io_events(v->source, events);
}

/* A streamed command's own viewer has output not yet handed to its connection. */
static bool terminal_blocked(Terminal *t) {
        for (Viewer *v = t->viewers; v; v = v->next)
                if (v->exec && v->out_len >= AGENT_CHUNK)
                        return true;
        return false;
}

static void terminal_update_events(Terminal *t) {
        if (t->master_source) {
                bool input = t->in_len > 0 || t->inputs;
                /* Off while blocked: a hung-up master would report EPOLLHUP over and over. */
                (void) sd_event_source_set_io_events(t->master_source, EPOLLIN | (input ? EPOLLOUT : 0));
                (void) sd_event_source_set_enabled(t->master_source, terminal_blocked(t) ? SD_EVENT_OFF : SD_EVENT_ON);
        }
        for (Viewer *v = t->viewers; v; v = v->next)
                if (!v->link)
                        viewer_update_events(v);
}

static bool viewer_flush(Viewer *v);

static int on_viewer_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Viewer *v = userdata;

        v->retry_source = sd_event_source_disable_unref(v->retry_source);
        (void) viewer_flush(v);
        return 0;
}

/* Streamed: one chunk per reply, and none while the connection still has a reply unsent (sd-varlink
 * would buffer without bound); then checked again after 1 ms, as the streamed Exec does. */
static bool viewer_flush_stream(Viewer *v) {
        Terminal *t = v->terminal;
        int r;

        while (v->out_len > 0) {
                if (sd_varlink_get_events(v->link) & EPOLLOUT) {
                        if (!v->retry_source &&
                            sd_event_add_time_relative(t->agent->event, &v->retry_source, CLOCK_MONOTONIC,
                                                       1000, 500, on_viewer_retry, v) < 0) {
                                viewer_free(v);
                                return false;
                        }
                        break;
                }
                size_t n = v->out_len < AGENT_CHUNK ? v->out_len : AGENT_CHUNK;
                r = sd_varlink_notifybo(v->link, SD_JSON_BUILD_PAIR_BASE64("output", v->out, n));
                if (r < 0) {
                        log_warn("Dropping a streamed terminal viewer: %s", strerror(-r));
                        viewer_free(v);
                        return false;
                }
                memmove(v->out, v->out + n, v->out_len - n);
                v->out_len -= n;
        }
        if (v->out_len == 0 && v->closing) {
                viewer_free(v);
                return false;
        }
        terminal_update_events(t);
        return true;
}

/* Returns false if the viewer was dropped. */
static bool viewer_flush(Viewer *v) {
        if (v->link)
                return viewer_flush_stream(v);

        while (v->out_len > 0) {
                ssize_t n = write(v->fd, v->out, v->out_len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        viewer_free(v);
                        return false;
                }
                memmove(v->out, v->out + n, v->out_len - (size_t) n);
                v->out_len -= (size_t) n;
        }
        if (v->out_len == 0 && v->closing) {
                viewer_free(v);
                return false;
        }
        viewer_update_events(v);
        return true;
}

static bool viewer_queue(Viewer *v, const uint8_t *data, size_t size) {
        if (size == 0)
                return true;
        if (v->out_len + size > AGENT_VIEWER_BUFFER_MAX && !v->exec) {
                log_warn("Dropping a terminal viewer that is %zu bytes behind.", v->out_len);
                viewer_free(v);
                return false;
        }
        if (v->out_len + size > v->out_allocated) {
                size_t a = v->out_allocated ? v->out_allocated : 16384;
                while (a < v->out_len + size)
                        a *= 2;
                uint8_t *p = realloc(v->out, a);
                if (!p) {
                        viewer_free(v);
                        return false;
                }
                v->out = p;
                v->out_allocated = a;
        }
        memcpy(v->out + v->out_len, data, size);
        v->out_len += size;
        return viewer_flush(v);
}

static void ring_append(Terminal *t, const uint8_t *data, size_t size) {
        if (size >= AGENT_SCROLLBACK_SIZE) {
                memcpy(t->ring, data + size - AGENT_SCROLLBACK_SIZE, AGENT_SCROLLBACK_SIZE);
                t->ring_len = AGENT_SCROLLBACK_SIZE;
                return;
        }
        if (t->ring_len + size > AGENT_SCROLLBACK_SIZE) {
                size_t drop = t->ring_len + size - AGENT_SCROLLBACK_SIZE;
                memmove(t->ring, t->ring + drop, t->ring_len - drop);
                t->ring_len -= drop;
        }
        memcpy(t->ring + t->ring_len, data, size);
        t->ring_len += size;
}

static void input_request_free(InputRequest *i) {
        sd_varlink_unref(i->link);
        free(i->data);
        free(i);
}

/* Answers and frees the Input calls in the queue: with success once written, else NotRunning. */
static void terminal_reply_inputs(Terminal *t, bool all_failed) {
        while (t->inputs && (all_failed || t->inputs->done >= t->inputs->size)) {
                InputRequest *i = t->inputs;
                t->inputs = i->next;
                if (!t->inputs)
                        t->inputs_tail = NULL;
                if (all_failed)
                        (void) sd_varlink_error(i->link, "io.sessiond.Agent.NotRunning", NULL);
                else
                        (void) sd_varlink_reply(i->link, NULL);
                input_request_free(i);
        }
}

static void terminal_write_requests(Terminal *t) {
        while (t->inputs && t->in_len == 0 && t->master_fd >= 0) {
                InputRequest *i = t->inputs;
                ssize_t n = write(t->master_fd, i->data + i->done, i->size - i->done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                terminal_reply_inputs(t, true);
                        break;
                }
                i->done += (size_t) n;
                terminal_reply_inputs(t, false);
        }
        if (t->master_fd < 0)
                terminal_reply_inputs(t, true);
}

static void terminal_write_input(Terminal *t) {
        while (t->in_len > 0 && t->master_fd >= 0) {
                ssize_t n = write(t->master_fd, t->in, t->in_len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                t->in_len = 0; /* EIO: nobody reads the terminal any more */
                        break;
                }
                memmove(t->in, t->in + n, t->in_len - (size_t) n);
                t->in_len -= (size_t) n;
        }
        if (t->master_fd < 0)
                t->in_len = 0;
        terminal_write_requests(t);
        terminal_update_events(t);
}

/* Reads what the master has; returns 0 on EAGAIN, -EIO when no slave is open any more. Stops early
 * while a streamed command's viewer is behind, unless all must be read now (hangup). */
static int terminal_read(Terminal *t, bool all) {
        uint8_t buf[AGENT_CHUNK];

        for (int rounds = 0; rounds < 16; rounds++) {
                if (!all && terminal_blocked(t)) {
                        terminal_update_events(t);
                        return 0;
                }
                ssize_t n = read(t->master_fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0)
                        return -EIO;

                ring_append(t, buf, (size_t) n);
                for (Viewer *v = t->viewers, *next; v; v = next) {
                        next = v->next;
                        (void) viewer_queue(v, buf, (size_t) n);
                }
        }
        return 0;
}

static int on_master(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Terminal *t = userdata;

        if (revents & EPOLLOUT)
                terminal_write_input(t);

        if (revents & (EPOLLIN|EPOLLHUP|EPOLLERR))
                if (terminal_read(t, false) < 0) {
                        /* Every slave fd is closed; for the main terminal the agent exits soon. */
                        t->master_source = sd_event_source_disable_unref(t->master_source);
                }
        return 0;
}

static void viewer_free(Viewer *v) {
        Terminal *t = v->terminal;

        if (v->prev)
                v->prev->next = v->next;
        else
                t->viewers = v->next;
        if (v->next)
                v->next->prev = v->prev;
        t->n_viewers--;

        sd_event_source_disable_unrefp_safe(&v->source);
        sd_event_source_disable_unrefp_safe(&v->retry_source);
        safe_close(v->fd);
        free(v->out);
        if (v->link) {
                Exec *e = v->exec;
                if (e) {
                        /* the command's own: its final reply (exit status) follows the output */
                        e->stream_viewer = NULL;
                        v->exec = NULL;
                } else if (v->closing && v->out_len == 0) {
                        (void) sd_varlink_reply(v->link, NULL); /* Attach: the terminal closed */
                        if (t == t->agent->terminal)
                                agent_linger_link(t->agent, v->link);
                } else
                        (void) sd_varlink_error(v->link, "io.sessiond.Agent.ViewerDropped", NULL);
                sd_varlink_unref(v->link);
                free(v);
                if (e)
                        exec_maybe_finish(e);
        } else
                free(v);
        agent_touch(t->agent);
        if (!t->hangup)
                terminal_update_events(t); /* a viewer that held the terminal back is gone */
        if (t == t->agent->terminal)
                agent_linger_check(t->agent); /* the last viewer of an ended main command */
        else
                terminal_maybe_free(t);
}

static int on_viewer(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Viewer *v = userdata;
        Terminal *t = v->terminal;

        if (revents & EPOLLOUT)
                if (!viewer_flush(v))
                        return 0;

        if (revents & EPOLLIN) {
                uint8_t discard[4096];
                bool to_master = !v->read_only && !t->hangup && t->master_fd >= 0 && t->in_len == 0;
                ssize_t n;

                if (to_master)
                        n = read(fd, t->in, sizeof(t->in));
                else
                        n = read(fd, discard, sizeof(discard));
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0) {
                        /* The viewer went away (detached). */
                        viewer_free(v);
                        return 0;
                }
                if (to_master) {
                        t->in_len = (size_t) n;
                        terminal_write_input(t);
                }
                return 0;
        }

        if (revents & (EPOLLHUP|EPOLLERR))
                viewer_free(v);
        return 0;
}

int terminal_add_viewer(Terminal *t, bool read_only, bool with_scrollback, int *ret_peer_fd) {
        int sp[2], r;
        Viewer *v;

        if (t->n_viewers >= AGENT_VIEWERS_MAX)
                return -EUSERS;
        if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, sp) < 0)
                return -errno;
        if (fcntl(sp[0], F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                goto fail_fds;
        }

        v = calloc(1, sizeof(Viewer));
        if (!v) {
                r = -ENOMEM;
                goto fail_fds;
        }
        *v = (Viewer) {
                .terminal = t,
                .fd = sp[0],
                .read_only = read_only,
        };
        r = sd_event_add_io(t->agent->event, &v->source, v->fd, EPOLLIN, on_viewer, v);
        if (r < 0) {
                free(v);
                goto fail_fds;
        }

        v->next = t->viewers;
        if (t->viewers)
                t->viewers->prev = v;
        t->viewers = v;
        t->n_viewers++;

        *ret_peer_fd = sp[1];
        if (with_scrollback && t->ring_len > 0)
                (void) viewer_queue(v, t->ring, t->ring_len); /* cannot drop: ring < buffer max */
        else
                viewer_update_events(v);
        return 0;

fail_fds:
        safe_close(sp[0]);
        safe_close(sp[1]);
        return r;
}

/* Streamed viewer: the call on link gets the output; exec, if set, is the command it runs for. */
static int terminal_add_stream_viewer(Terminal *t, sd_varlink *link, Exec *exec) {
        Viewer *v;

        if (t->n_viewers >= AGENT_VIEWERS_MAX)
                return -EUSERS;
        v = calloc(1, sizeof(Viewer));
        if (!v)
                return -ENOMEM;
        *v = (Viewer) {
                .terminal = t,
                .fd = -EBADF,
                .link = sd_varlink_ref(link),
                .exec = exec,
        };
        v->next = t->viewers;
        if (t->viewers)
                t->viewers->prev = v;
        t->viewers = v;
        t->n_viewers++;
        if (exec)
                exec->stream_viewer = v;

        if (t->ring_len > 0)
                (void) viewer_queue(v, t->ring, t->ring_len); /* cannot drop: ring < buffer max */
        return 0;
}

void agent_terminals_drop_link(Agent *a, sd_varlink *link) {
        /* Streamed viewers are the main terminal's (Attach) and the commands' own (ExecTerminal). */
        if (a->terminal)
                for (Viewer *v = a->terminal->viewers, *next; v; v = next) {
                        next = v->next;
                        if (v->link == link)
                                viewer_free(v);
                }
        for (Exec *e = a->execs, *next; e; e = next) {
                next = e->next;
                if (e->stream_viewer && e->stream_viewer->link == link)
                        viewer_free(e->stream_viewer);
        }
}

int terminal_resize(Terminal *t, unsigned rows, unsigned columns) {
        struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) columns };

        if (t->master_fd < 0)
                return -EIO;
        if (ioctl(t->master_fd, TIOCSWINSZ, &ws) < 0)
                return -errno;
        return 0;
}

int terminal_new(Agent *a, unsigned rows, unsigned columns, Terminal **ret, int *ret_slave_fd) {
        _cleanup_close_ int master = -EBADF, slave = -EBADF;
        Terminal *t;
        int r;

        master = posix_openpt(O_RDWR|O_NOCTTY|O_CLOEXEC|O_NONBLOCK);
        if (master < 0)
                return -errno;
        if (unlockpt(master) < 0)
                return -errno;
        slave = ioctl(master, TIOCGPTPEER, O_RDWR|O_NOCTTY|O_CLOEXEC);
        if (slave < 0) {
                char name[64];
                if (ptsname_r(master, name, sizeof(name)) != 0)
                        return -errno;
                slave = open(name, O_RDWR|O_NOCTTY|O_CLOEXEC);
                if (slave < 0)
                        return -errno;
        }

        t = calloc(1, sizeof(Terminal));
        if (!t)
                return -ENOMEM;
        t->agent = a;
        t->master_fd = -EBADF;
        t->ring = malloc(AGENT_SCROLLBACK_SIZE);
        if (!t->ring) {
                free(t);
                return -ENOMEM;
        }
        r = sd_event_add_io(a->event, &t->master_source, master, EPOLLIN, on_master, t);
        if (r < 0) {
                free(t->ring);
                free(t);
                return r;
        }
        t->master_fd = TAKE_FD(master);
        (void) terminal_resize(t, rows, columns);

        *ret = t;
        *ret_slave_fd = TAKE_FD(slave);
        return 0;
}

Terminal *terminal_free(Terminal *t) {
        if (!t)
                return NULL;
        t->hangup = true;
        while (t->viewers) {
                Viewer *v = t->viewers;
                t->viewers = v->next;
                sd_event_source_disable_unrefp_safe(&v->source);
                sd_event_source_disable_unrefp_safe(&v->retry_source);
                safe_close(v->fd);
                if (v->exec)
                        v->exec->stream_viewer = NULL;
                sd_varlink_unref(v->link);
                free(v->out);
                free(v);
        }
        terminal_reply_inputs(t, true);
        sd_event_source_disable_unrefp_safe(&t->master_source);
        safe_close(t->master_fd);
        free(t->ring);
        free(t);
        return NULL;
}

void terminal_hangup(Terminal *t) {
        /* The command ended: pass on what it wrote last, then close the master (its leftovers
         * get SIGHUP from the kernel) and let each viewer drain and close. */
        if (t->master_fd >= 0)
                (void) terminal_read(t, true);
        sd_event_source_disable_unrefp_safe(&t->master_source);
        t->master_fd = safe_close(t->master_fd);
        t->in_len = 0;
        terminal_reply_inputs(t, true);
        t->hangup = true;

        t->in_hangup = true; /* viewers closing below must not free t under our feet */
        for (Viewer *v = t->viewers, *next; v; v = next) {
                next = v->next;
                v->closing = true;
                (void) viewer_flush(v);
        }
        t->in_hangup = false;
        terminal_maybe_free(t);
}

/* ---- methods ---- */

typedef struct AttachParams {
        int read_only;
        int stream;
} AttachParams;

int vl_method_attach(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "readOnly", SD_JSON_VARIANT_BOOLEAN, sd_json_dispatch_intbool, offsetof(AttachParams, read_only), SD_JSON_NULLABLE },
                { "stream",   SD_JSON_VARIANT_BOOLEAN, sd_json_dispatch_intbool, offsetof(AttachParams, stream),    SD_JSON_NULLABLE },
                {}
        };
        AttachParams p = {};
        Agent *a = userdata;
        size_t scrollback;
        int fd, r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        if (p.stream && !(flags & SD_VARLINK_METHOD_MORE))
                return sd_varlink_error(link, SD_VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (!a->terminal)
                return sd_varlink_error(link, "io.sessiond.Agent.NoTerminal", NULL);
        if (a->main_pid <= 0 || a->terminal->master_fd < 0)
                return sd_varlink_error(link, "io.sessiond.Agent.NotRunning", NULL);

        scrollback = a->terminal->ring_len;
        if (p.stream) {
                /* First reply: the scrollback size; then the scrollback and all further output.
                 * A read-only viewer simply sends no Input. */
                if (a->terminal->n_viewers >= AGENT_VIEWERS_MAX)
                        return sd_varlink_error(link, "io.sessiond.Agent.TooManyViewers", NULL);
                r = sd_varlink_notifybo(link, SD_JSON_BUILD_PAIR_UNSIGNED("scrollback", scrollback));
                if (r < 0)
                        return r;
                r = terminal_add_stream_viewer(a->terminal, link, NULL);
                if (r < 0)
                        return sd_varlink_error_errno(link, r);
                agent_touch(a);
                return 0;
        }
        r = terminal_add_viewer(a->terminal, p.read_only, true, &fd);
        if (r == -EUSERS)
                return sd_varlink_error(link, "io.sessiond.Agent.TooManyViewers", NULL);
        if (r < 0)
                return r;
        r = sd_varlink_push_fd(link, fd);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        agent_touch(a);
        return sd_varlink_replybo(link, SD_JSON_BUILD_PAIR_UNSIGNED("scrollback", scrollback));
}

/* The terminal an Input or Resize call means: the command id's, or with no id (UINT64_MAX) the main
 * command's. Returns 1 with *ret_terminal set; else what answering NoSuchExec (no such command, or
 * one without a terminal) or NoTerminal (the agent runs its main command without one) returned. */
static int terminal_lookup(sd_varlink *link, Agent *a, uint64_t id, Terminal **ret_terminal) {
        Terminal *t;

        if (id != UINT64_MAX) {
                Exec *e = agent_find_exec(a, id);
                if (!e || !e->terminal)
                        return sd_varlink_errorbo(link, "io.sessiond.Agent.NoSuchExec",
                                                  SD_JSON_BUILD_PAIR_UNSIGNED("id", id));
                t = e->terminal;
        } else {
                if (!a->terminal)
                        return sd_varlink_error(link, "io.sessiond.Agent.NoTerminal", NULL);
                t = a->terminal;
        }
        *ret_terminal = t;
        return 1;
}

typedef struct ResizeParams {
        uint64_t id;
        unsigned rows, columns;
} ResizeParams;

static int dispatch_dimension(const char *name, sd_json_variant *v, sd_json_dispatch_flags_t flags, void *userdata) {
        unsigned *u = userdata;
        int64_t i;

        if (!sd_json_variant_is_integer(v))
                return -EINVAL;
        i = sd_json_variant_integer(v);
        if (i < 1 || i > UINT16_MAX)
                return -ERANGE;
        *u = (unsigned) i;
        return 0;
}

int vl_method_resize(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "id",      _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64, offsetof(ResizeParams, id),      0                 },
                { "rows",    _SD_JSON_VARIANT_TYPE_INVALID, dispatch_dimension,      offsetof(ResizeParams, rows),    SD_JSON_MANDATORY },
                { "columns", _SD_JSON_VARIANT_TYPE_INVALID, dispatch_dimension,      offsetof(ResizeParams, columns), SD_JSON_MANDATORY },
                {}
        };
        ResizeParams p = { .id = UINT64_MAX };
        Agent *a = userdata;
        Terminal *t;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;

        r = terminal_lookup(link, a, p.id, &t);
        if (r <= 0)
                return r;

        r = terminal_resize(t, p.rows, p.columns);
        if (r == -EIO)
                return sd_varlink_error(link, "io.sessiond.Agent.NotRunning", NULL);
        if (r < 0)
                return sd_varlink_error_errno(link, r);
        return sd_varlink_reply(link, NULL);
}

typedef struct InputParams {
        uint64_t id;
        const char *data;
} InputParams;

int vl_method_input(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "id",   _SD_JSON_VARIANT_TYPE_INVALID, sd_json_dispatch_uint64,       offsetof(InputParams, id),   0                 },
                { "data", SD_JSON_VARIANT_STRING,        sd_json_dispatch_const_string, offsetof(InputParams, data), SD_JSON_MANDATORY },
                {}
        };
        InputParams p = { .id = UINT64_MAX };
        _cleanup_free_ uint8_t *data = NULL;
        Agent *a = userdata;
        InputRequest *i;
        Terminal *t;
        size_t size;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        if (strlen(p.data) > AGENT_INPUT_MAX / 3 * 4 + 4)
                return sd_varlink_error_invalid_parameter_name(link, "data");
        r = agent_base64_decode(p.data, &data, &size);
        if (r == -EINVAL || (r >= 0 && size > AGENT_INPUT_MAX))
                return sd_varlink_error_invalid_parameter_name(link, "data");
        if (r < 0)
                return r;

        r = terminal_lookup(link, a, p.id, &t);
        if (r <= 0)
                return r;
        if (t->master_fd < 0)
                return sd_varlink_error(link, "io.sessiond.Agent.NotRunning", NULL);
        if (size == 0)
                return sd_varlink_reply(link, NULL);

        i = calloc(1, sizeof(InputRequest));
        if (!i)
                return -ENOMEM;
        *i = (InputRequest) {
                .link = sd_varlink_ref(link),
                .data = TAKE_PTR(data),
                .size = size,
        };
        if (t->inputs_tail)
                t->inputs_tail->next = i;
        else
                t->inputs = i;
        t->inputs_tail = i;
        agent_touch(a);
        terminal_write_input(t);        /* replies at once if the PTY takes it all */
        return 0;
}

int vl_method_exec_terminal(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        _cleanup_(exec_params_done) ExecParams p = {};
        _cleanup_close_ int slave = -EBADF;
        Agent *a = userdata;
        const char *step = NULL;
        Terminal *t = NULL;
        Exec *e;
        int fd, r;

        r = exec_params_validate(link, parameters, &p);
        if (r != 0)
                return r;
        if (p.stdin_data)
                return sd_varlink_error_invalid_parameter_name(link, "stdin");
        if (sd_varlink_peek_fd(link, 0) >= 0)
                return sd_varlink_error_invalid_parameter_name(link, "fds");
        if (!(flags & SD_VARLINK_METHOD_MORE))
                return sd_varlink_error(link, SD_VARLINK_ERROR_EXPECTED_MORE, NULL);

        r = agent_exec_new(a, link, /* more= */ true, p.argv, &e);
        if (r == -EUSERS)
                return sd_varlink_error(link, "io.sessiond.Agent.TooManyExecs", NULL);
        if (r < 0)
                return r;

        r = terminal_new(a, p.rows ?: 24, p.columns ?: 80, &t, &slave);
        if (r < 0)
                goto fail;

        r = agent_spawn(&(SpawnParams) {
                                .argv = p.argv,
                                .environment = p.environment,
                                .working_directory = p.working_directory,
                                .fds = { slave, slave, slave },
                                .ctty_fd = slave,
                        }, &e->pid, &step);
        if (r < 0)
                goto fail;
        slave = safe_close(slave);
        e->terminal = t;

        if (p.stream) {
                /* id and pid first, then the output (the ring holds what came before). */
                r = exec_start_timeout(e, p.timeout_usec);
                if (r >= 0)
                        r = exec_started(e);
                if (r >= 0)
                        r = terminal_add_stream_viewer(t, link, e);
                if (r < 0) {
                        (void) kill(-e->pid, SIGKILL);
                        e->link = sd_varlink_unref(e->link);
                        log_warn("Exec %" PRIu64 ": %s", e->id, strerror(-r));
                        return sd_varlink_error_errno(link, r);
                }
                return 0;
        }

        r = terminal_add_viewer(t, /* read_only= */ false, /* with_scrollback= */ true, &fd);
        if (r >= 0) {
                r = sd_varlink_push_fd(link, fd);
                if (r < 0)
                        safe_close(fd);
        }
        if (r < 0) {
                /* Started but unreachable: do not leave it running blind. */
                (void) kill(-e->pid, SIGKILL);
                e->link = sd_varlink_unref(e->link);
                return sd_varlink_error_errno(link, r);
        }

        r = exec_start_timeout(e, p.timeout_usec);
        if (r >= 0)
                r = exec_started(e);
        if (r < 0)
                log_warn("Exec %" PRIu64 ": %s", e->id, strerror(-r));
        return 0;

fail:
        terminal_free(t);
        e->link = sd_varlink_unref(e->link);
        exec_free(e);
        log_info("Exec of %s on a terminal failed (%s): %s", p.argv[0], step ?: "setup", strerror(-r));
        return reply_spawn_error(link, r, step);
}
