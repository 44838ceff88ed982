/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Any bytes as a client's stream to sessiond-agent's io.sessiond.Agent server: the real method
 * table (agent_server_new()), one connection over a socketpair, the input written in fragments
 * whose sizes come from its first two bytes, with the event loop run between them. agent_spawn()
 * is told to refuse (agent_spawn_refuse), so Exec and ExecTerminal run every check and set-up step
 * (pipes, PTYs, exec objects) but never fork; Kill finds nothing to kill (no main command, no
 * running exec). */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_varlink_server_unrefp) sd_varlink_server *server = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_close_ int peer = -EBADF;
        Agent a = { .name = (char *) "fuzz", .next_id = 1 };
        int fds[2], r;
        unsigned max_fragment, state;
        size_t done = 0;
        unsigned stalled = 0;

        if (size < 2 || size > 256 * 1024)
                return 0;

        agent_spawn_refuse = true;
        agent_log_level = -1;           /* quiet: refused spawns and bad calls are the normal case here */
        agent_journal = false;

        /* The first two bytes shape the fragments: a maximum size and a seed for the sizes. */
        max_fragment = 1 + data[0] % 64;
        if (data[0] >= 192)
                max_fragment = 4096;    /* sometimes all at once */
        state = data[1];
        data += 2;
        size -= 2;

        if (sd_event_new(&event) < 0)
                return 0;
        a.event = event;
        a.last_activity_usec = now_usec();
        if (agent_server_new(&a, &server) < 0)
                return 0;
        a.server = server;
        if (sd_varlink_server_attach_event(server, event, SD_EVENT_PRIORITY_NORMAL) < 0)
                return 0;

        if (socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0, fds) < 0)
                return 0;
        peer = fds[1];
        r = sd_varlink_server_add_connection(server, fds[0], NULL);
        if (r < 0) {
                safe_close(fds[0]);
                return 0;
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

        (void) sd_varlink_server_shutdown(server);
        while (a.execs)
                exec_free(a.execs);
        a.terminal = terminal_free(a.terminal);
        return 0;
}
