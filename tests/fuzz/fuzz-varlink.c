/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-varlink.h"
#include "macro.h"

/* Run the loop until nothing is pending, bounded; discard what the server sent us (or show it on
 * stderr with $SESSIOND_FUZZ_DEBUG set, to see what a corpus entry exercises). */
static void pump(sd_event *event, int fd) {
        static uint8_t sink[4096];
        bool debug = getenv("SESSIOND_FUZZ_DEBUG");

        for (unsigned i = 0; i < 256; i++) {
                int r = sd_event_run(event, 0);
                ssize_t k;
                bool read_any = false;

                while ((k = recv(fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0) {
                        read_any = true;
                        if (debug) {
                                for (ssize_t j = 0; j < k; j++)
                                        fputc(sink[j] ?: '\n', stderr);
                        }
                }
                if (r <= 0 && !read_any)
                        break;
        }
}

void fuzz_varlink_feed(sd_event *event, sd_varlink_server *server, const uint8_t *data, size_t size) {
        _cleanup_close_ int peer = -EBADF;
        unsigned max_fragment, state, stalled = 0;
        size_t done = 0;
        int fds[2];

        if (size < 2)
                return;

        /* The first two bytes shape the fragments: a maximum size and a seed for the sizes. */
        max_fragment = 1 + data[0] % 64;
        if (data[0] >= 192)
                max_fragment = 4096;    /* sometimes all at once */
        state = data[1];
        data += 2;
        size -= 2;

        if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0, fds) < 0)
                return;
        peer = fds[1];
        if (sd_varlink_server_add_connection(server, fds[0], NULL) < 0) {
                safe_close(fds[0]);
                return;
        }

        while (done < size) {
                size_t n;
                ssize_t k;

                state = state * 1103515245U + 12345U;
                n = 1 + (state >> 16) % max_fragment;
                if (n > size - done)
                        n = size - done;
                k = send(peer, data + done, n, MSG_DONTWAIT|MSG_NOSIGNAL);
                if (k < 0 && errno != EAGAIN)
                        break;  /* the server hung up on us (a protocol error) */
                if (k > 0) {
                        done += (size_t) k;
                        stalled = 0;
                } else if (++stalled > 16)
                        break;  /* the server stopped reading: give up the rest */
                pump(event, peer);
        }

        /* End of input, then hang up, so the disconnect paths run too. */
        (void) shutdown(peer, SHUT_WR);
        pump(event, peer);
        peer = safe_close(peer);
        pump(event, -EBADF);
}
