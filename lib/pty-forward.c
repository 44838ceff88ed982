/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "macro.h"
#include "pty-forward.h"

int pty_forward_raw(int fd, struct termios *saved) {
        struct termios t;

        if (!isatty(fd))
                return -ENOTTY;
        if (tcgetattr(fd, &t) < 0)
                return -errno;
        *saved = t;
        cfmakeraw(&t);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        if (tcsetattr(fd, TCSANOW, &t) < 0)
                return -errno;
        return 0;
}

void pty_forward_restore(int fd, const struct termios *saved) {
        (void) tcsetattr(fd, TCSANOW, saved);
}

int pty_forward_get_size(int fd, unsigned *ret_rows, unsigned *ret_columns) {
        struct winsize ws = {};

        if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
                return -errno;
        if (ws.ws_row == 0 || ws.ws_col == 0)
                return -ENOTTY;
        *ret_rows = ws.ws_row;
        *ret_columns = ws.ws_col;
        return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                                (void) poll(&pfd, 1, -1);
                                continue;
                        }
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int pty_forward_run(int sock, int detach_char, bool read_only, const PtyForwardHooks *hooks) {
        _cleanup_close_ int sfd = -EBADF;
        sigset_t mask, old;
        bool stdin_open = true, extra_done = !hooks || !hooks->extra;
        uint8_t buf[65536];
        int r;

        /* Writes to a closed socket must fail with EPIPE, not kill us with the terminal in raw mode. */
        (void) signal(SIGPIPE, SIG_IGN);

        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
                return -errno;
        sfd = signalfd(-1, &mask, SFD_CLOEXEC|SFD_NONBLOCK);
        if (sfd < 0) {
                r = -errno;
                goto finish;
        }

        for (;;) {
                size_t room = sizeof(buf);
                struct pollfd p[3 + PTY_FORWARD_EXTRA_MAX] = {
                        { .fd = sock, .events = POLLIN },
                        { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = sfd, .events = POLLIN },
                        { .fd = -1 },
                        { .fd = -1 },
                };

                if (!extra_done) {
                        r = hooks->extra(hooks->userdata, p + 3);
                        if (r < 0)
                                goto finish;
                        if (r > 0) {
                                extra_done = true;
                                p[3].fd = p[4].fd = -1;
                                if (sock < 0) {
                                        r = 0;
                                        goto finish;
                                }
                        }
                }
                if (sock < 0 && !read_only) {
                        /* Streamed: read no more than the input side takes now. */
                        room = hooks->input_room(hooks->userdata);
                        if (room > sizeof(buf))
                                room = sizeof(buf);
                        if (room == 0)
                                p[1].fd = -1;
                }

                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto finish;
                }

                if (p[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                                if (si.ssi_signo != SIGWINCH) {
                                        r = -EINTR;
                                        goto finish;
                                }
                                unsigned rows, columns;
                                if (hooks && hooks->winch && pty_forward_get_size(STDOUT_FILENO, &rows, &columns) >= 0)
                                        hooks->winch(hooks->userdata, rows, columns);
                        }
                }

                if (p[0].revents & (POLLIN|POLLHUP|POLLERR)) {
                        ssize_t n = read(sock, buf, sizeof(buf));
                        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        if (n <= 0) { /* the other side ended: done */
                                r = 0;
                                goto finish;
                        }
                        r = write_all(STDOUT_FILENO, buf, (size_t) n);
                        if (r < 0)
                                goto finish;
                }

                if (p[1].revents & (POLLIN|POLLHUP|POLLERR)) {
                        ssize_t n = read(STDIN_FILENO, buf, room);
                        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        if (n <= 0) {
                                stdin_open = false;
                                continue;
                        }
                        if (detach_char >= 0) {
                                uint8_t *d = memchr(buf, detach_char, (size_t) n);
                                if (d) {
                                        if (sock >= 0)
                                                (void) write_all(sock, buf, (size_t) (d - buf));
                                        else if (!read_only)
                                                (void) hooks->input(hooks->userdata, buf, (size_t) (d - buf));
                                        r = 1;
                                        goto finish;
                                }
                        }
                        if (read_only)
                                continue; /* only the detach key counts */
                        if (sock < 0) {
                                r = hooks->input(hooks->userdata, buf, (size_t) n);
                                if (r < 0)
                                        goto finish;
                                continue;
                        }
                        r = write_all(sock, buf, (size_t) n);
                        if (r == -EPIPE || r == -ECONNRESET) {
                                r = 0; /* the other side ended while we typed */
                                goto finish;
                        }
                        if (r < 0)
                                goto finish;
                }
        }

finish:
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}
