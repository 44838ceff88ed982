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
} AttachState;

static void attach_winch(void *userdata, unsigned rows, unsigned columns) {
        AttachState *s = userdata;

        (void) agent_resize(s->link, s->session, AGENT_ID_MAIN, rows, columns);
}

int verb_attach(int argc, char **argv) {
        enum { ARG_READ_ONLY = 0x100, ARG_AGENT_SOCKET };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "read-only",    no_argument,       NULL, ARG_READ_ONLY    },
                { "agent-socket", required_argument, NULL, ARG_AGENT_SOCKET },
                {}
        };
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *agent_socket = NULL, *name, *address;
        bool read_only = false, raw, tty;
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
                               "     --agent-socket=PATH  talk to a session agent directly (root, tests)\n");
                        return 0;
                case ARG_READ_ONLY:
                        read_only = true;
                        break;
                case ARG_AGENT_SOCKET:
                        agent_socket = optarg;
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
        r = agent_attach(link, s.session, read_only, &fd, NULL);
        if (r < 0) {
                if (r == -ENOTTY)
                        fprintf(stderr, "Session %s has no terminal (Terminal=yes).\n", name);
                else if (r == -ENXIO)
                        fprintf(stderr, "No such session: %s\n", name);
                else if (r == -ESHUTDOWN)
                        fprintf(stderr, "Session %s has ended.\n", name);
                else if (r == -EPROTONOSUPPORT)
                        fprintf(stderr, "Session %s is a VM (Backend=vmspawn): its agent is reached over AF_VSOCK, "
                                "which cannot hand over a terminal. Use sessionctl exec without --tty.\n", name);
                else
                        fprintf(stderr, "Failed to attach to session %s: %s\n", name, strerror(-r));
                return 1;
        }

        tty = isatty(STDIN_FILENO);
        if (tty)
                fprintf(stderr, "Attached to session %s%s. Press Ctrl-] to detach.\r\n",
                        name, read_only ? " (read-only)" : "");

        /* The viewer who types decides the size; watchers leave it alone. */
        if (!read_only && pty_forward_get_size(STDOUT_FILENO, &rows, &columns) >= 0)
                (void) agent_resize(link, s.session, AGENT_ID_MAIN, rows, columns);

        raw = pty_forward_raw(STDIN_FILENO, &saved) >= 0;
        r = pty_forward_run(fd, PTY_FORWARD_DETACH_CHAR, read_only,
                            &(PtyForwardHooks) { .winch = read_only ? NULL : attach_winch, .userdata = &s });
        if (raw)
                pty_forward_restore(STDIN_FILENO, &saved);

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
