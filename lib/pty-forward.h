/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The local end of a terminal carried over a socket (sessionctl attach, exec -t): raw mode for the
 * user's terminal and a byte pump between it and the socket. Does not log. */

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#define PTY_FORWARD_DETACH_CHAR 0x1d /* Ctrl-] */

#define PTY_FORWARD_EXTRA_MAX 2

typedef struct PtyForwardHooks {
        /* Called once before every poll; fills up to PTY_FORWARD_EXTRA_MAX fds to watch (.fd = -1:
         * none) and is called again whenever they are ready; returns < 0 on error (ends the pump),
         * > 0 once done (nothing more is watched; without a socket the pump then ends), 0 to go on. */
        int (*extra)(void *userdata, struct pollfd ret[PTY_FORWARD_EXTRA_MAX]);
        /* The local window size changed (SIGWINCH). */
        void (*winch)(void *userdata, unsigned rows, unsigned columns);
        /* Without a socket (streamed terminals): how many bytes of stdin the pump may read now (0:
         * stdin is not read; the detach character then waits too), and where they go. */
        size_t (*input_room)(void *userdata);
        int (*input)(void *userdata, const void *data, size_t size);
        void *userdata;
} PtyForwardHooks;

/* Puts fd (a tty) into raw mode; *saved receives the old settings. -ENOTTY if fd is no tty. */
int pty_forward_raw(int fd, struct termios *saved);
void pty_forward_restore(int fd, const struct termios *saved);

/* The size of the terminal on fd; -ENOTTY if none. */
int pty_forward_get_size(int fd, unsigned *ret_rows, unsigned *ret_columns);

/* Copies stdin to sock (sock < 0: to hooks->input) and sock to stdout until sock reaches EOF or,
 * without a socket, the extra hook is done (returns 0), the detach character
 * is typed on stdin (detach_char >= 0; returns 1), or SIGTERM/SIGHUP/SIGINT arrives (returns
 * -EINTR). A read_only pump reads stdin only for the detach character and sends nothing. SIGWINCH,
 * SIGTERM, SIGHUP and SIGINT are blocked while it runs; SIGPIPE is ignored from then on. */
int pty_forward_run(int sock, int detach_char, bool read_only, const PtyForwardHooks *hooks);
