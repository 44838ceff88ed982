/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "agent-client.h"
#include "macro.h"
#include "pty-forward.h"
#include "sessionctl-attach.h"

typedef struct AttachState {
        sd_varlink *link;
        const char *session;
        /* streamed */
        AgentCall *call;
        sd_varlink *call_link;
        AgentTerminalInput *input;
        int error;
} AttachState;

static void attach_winch(void *userdata, unsigned rows, unsigned columns) {
        AttachState *s = userdata;

        if (s->input)
                agent_terminal_input_resize(s->input, rows, columns);
        else
                (void) agent_resize(s->link, s->session, AGENT_ID_MAIN, rows, columns);
}

static int attach_extra(void *userdata, struct pollfd ret[PTY_FORWARD_EXTRA_MAX]) {
        AttachState *s = userdata;
        int r;

        r = agent_call_process(s->call, NULL);
        if (r != 0) {
                s->error = r < 0 ? r : 0;
                return 1; /* the terminal closed (or the call failed): the pump ends */
        }
        ret[0].fd = sd_varlink_get_fd(s->call_link);
        ret[0].events = (short) sd_varlink_get_events(s->call_link);
        r = agent_terminal_input_process(s->input, &ret[1].fd, &ret[1].events);
        if (r < 0)
                s->error = r;
        return r;
}

static size_t attach_input_room(void *userdata) {
        AttachState *s = userdata;
        return agent_terminal_input_room(s->input);
}

static int attach_input(void *userdata, const void *data, size_t size) {
        AttachState *s = userdata;
        return agent_terminal_input_queue(s->input, data, size);
}

/* Streamed (a vmspawn session, whose agent takes no fds, or --stream): the terminal's bytes come in
 * the Attach call's replies; typed input and window sizes go as Input and Resize calls on link. */
static int attach_streamed(AttachState *s, const char *address) {
        static const AgentExecOptions o = { .output_fds = { STDOUT_FILENO, -EBADF } };
        int r;

        r = agent_connect(address, &s->call_link);
        if (r < 0)
                return r;
        r = agent_attach_stream_start(s->call_link, s->session, &o, &s->call, NULL);
        if (r < 0)
                return r;
        return agent_terminal_input_new(s->link, s->session, AGENT_ID_MAIN, &s->input);
}

static void attach_state_done(AttachState *s) {
        s->input = agent_terminal_input_free(s->input);
        s->call = agent_call_free(s->call);
        s->call_link = sd_varlink_unref(s->call_link);
}

int verb_attach(int argc, char **argv) {
        enum { ARG_READ_ONLY = 0x100, ARG_AGENT_SOCKET, ARG_STREAM };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "read-only",    no_argument,       NULL, ARG_READ_ONLY    },
                { "agent-socket", required_argument, NULL, ARG_AGENT_SOCKET },
                { "stream",       no_argument,       NULL, ARG_STREAM       },
                {}
        };
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *agent_socket = NULL, *name, *address;
        bool read_only = false, stream = false, raw, tty;
        struct termios saved;
        unsigned rows, columns;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("sessionctl attach [--read-only] NAME\n\n"
                               "Join the terminal of session NAME (Terminal=yes). The recent output is shown\n"
                               "first. Press Ctrl-] to detach; the session keeps running.\n\n"
                               "     --read-only          watch only: typed input is not sent\n"
                               "     --stream             stream the terminal through the agent's connection (as\n"
                               "                          in a VM, where it is the default) instead of taking its fd\n"
                               "     --agent-socket=PATH  talk to a session agent directly (root, tests)\n");
                        return 0;
                case ARG_READ_ONLY:
                        read_only = true;
                        break;
                case ARG_AGENT_SOCKET:
                        agent_socket = optarg;
                        break;
                case ARG_STREAM:
                        stream = true;
                        break;
                default:
                        return 1;
                }
        if (optind != argc - 1) {
                fprintf(stderr, "Expected exactly one session name.\n");
                return 1;
        }
        name = argv[optind];

        address = agent_socket ?: SESSIOND_MANAGER_ADDRESS;
        r = agent_connect(address, &link);
        if (r < 0) {
                if (agent_socket && (r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET))
                        fprintf(stderr, "Session %s is not running (no agent at %s).\n", name, address);
                else
                        fprintf(stderr, "Failed to connect to %s: %s\n", address, strerror(-r));
                return 1;
        }

        AttachState s = { .link = link, .session = agent_socket ? NULL : name };
        if (stream || agent_address_is_vsock(address))
                r = -EPROTONOSUPPORT;
        else
                r = agent_attach(link, s.session, read_only, &fd, NULL);
        if (r == -EPROTONOSUPPORT)
                r = attach_streamed(&s, address);
        if (r < 0) {
                if (r == -ENOTTY)
                        fprintf(stderr, "Session %s has no terminal (Terminal=yes).\n", name);
                else if (r == -ENXIO)
                        fprintf(stderr, "No such session: %s\n", name);
                else if (r == -ESHUTDOWN)
                        fprintf(stderr, "Session %s has ended.\n", name);
                else
                        fprintf(stderr, "Failed to attach to session %s: %s\n", name, strerror(-r));
                attach_state_done(&s);
                return 1;
        }

        tty = isatty(STDIN_FILENO);
        if (tty)
                fprintf(stderr, "Attached to session %s%s. Press Ctrl-] to detach.\r\n",
                        name, read_only ? " (read-only)" : "");

        /* The viewer who types decides the size; watchers leave it alone. */
        if (!read_only && pty_forward_get_size(STDOUT_FILENO, &rows, &columns) >= 0)
                attach_winch(&s, rows, columns);

        raw = pty_forward_raw(STDIN_FILENO, &saved) >= 0;
        if (s.call)
                r = pty_forward_run(-EBADF, PTY_FORWARD_DETACH_CHAR, read_only,
                                    &(PtyForwardHooks) {
                                            .extra = attach_extra,
                                            .winch = read_only ? NULL : attach_winch,
                                            .input_room = attach_input_room,
                                            .input = attach_input,
                                            .userdata = &s,
                                    });
        else
                r = pty_forward_run(fd, PTY_FORWARD_DETACH_CHAR, read_only,
                                    &(PtyForwardHooks) { .winch = read_only ? NULL : attach_winch, .userdata = &s });
        if (raw)
                pty_forward_restore(STDIN_FILENO, &saved);
        if (r == 1 && s.input)
                (void) agent_terminal_input_flush(s.input); /* what was typed before the detach key */
        if (r == 0 && s.error < 0)
                r = s.error;
        attach_state_done(&s);

        if (r == 1) {
                if (tty)
                        fprintf(stderr, "\r\nDetached from session %s.\n", name);
                return 0;
        }
        if (r == 0) {
                if (tty)
                        fprintf(stderr, "\r\nThe terminal of session %s closed.\n", name);
                return 0;
        }
        if (r == -EINTR)
                return 0;
        fprintf(stderr, "Terminal forwarding failed: %s\n", strerror(-r));
        return 1;
}
