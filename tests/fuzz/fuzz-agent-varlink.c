/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Any bytes as a client's stream to sessiond-agent's io.sessiond.Agent server (the real method
 * table, agent_server_new()), fed by fuzz_varlink_feed() in fragments. agent_spawn()
 * is told to refuse (agent_spawn_refuse), so Exec and ExecTerminal run every check and set-up step
 * (pipes, PTYs, exec objects) but never fork; Kill finds nothing to kill (no main command, no
 * running exec). The session has a main terminal (a PTY whose slave nobody reads) without a main
 * command: Input writes to it, Resize sizes it, Attach finds it ended. */

#include <stdint.h>

#include "agent.h"
#include "fuzz-varlink.h"
#include "macro.h"
#include "time-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_varlink_server_unrefp) sd_varlink_server *server = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_close_ int slave = -EBADF;
        Agent a = { .name = (char *) "fuzz", .next_id = 1 };

        if (size < 2 || size > 256 * 1024)
                return 0;

        agent_spawn_refuse = true;
        agent_log_level = -1;           /* quiet: refused spawns and bad calls are the normal case here */
        agent_journal = false;

        if (sd_event_new(&event) < 0)
                return 0;
        a.event = event;
        a.last_activity_usec = now_monotonic_usec();
        if (terminal_new(&a, 24, 80, &a.terminal, &slave) < 0)
                return 0;
        if (agent_server_new(&a, &server) < 0)
                return 0;
        a.server = server;
        if (sd_varlink_server_attach_event(server, event, SD_EVENT_PRIORITY_NORMAL) < 0)
                return 0;

        fuzz_varlink_feed(event, server, data, size);

        (void) sd_varlink_server_shutdown(server);
        while (a.execs)
                exec_free(a.execs);
        a.terminal = terminal_free(a.terminal);
        return 0;
}
