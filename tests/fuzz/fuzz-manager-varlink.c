/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Any bytes as a client's stream to sessiond's io.sessiond.Manager server (the real method table,
 * manager_varlink_new()), fed by fuzz_varlink_feed() in fragments. The manager has no bus (NULL)
 * and no state directory (sessions_fd is -EBADF): a valid Start parses, checks and renders the
 * session, then fails to save its record (EBADF) and forgets it, before PID 1 would hear of it;
 * with no sessions, Stop, Kill, Describe, Exec, ExecTerminal, Attach and Resize stop at their
 * lookup; Verify and List run fully; Subscribe stays pending until the hang-up. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-varlink.h"
#include "manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(manager_freep) Manager *m = NULL;

        if (size < 2 || size > 256 * 1024)
                return 0;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return 0;
        m->sessions_fd = -EBADF;
        m->exit_idle_usec = UINT64_MAX;

        if (sd_event_new(&m->event) < 0)
                return 0;
        if (manager_varlink_new(m) < 0)
                return 0;

        fuzz_varlink_feed(m->event, m->server, data, size);

        (void) sd_varlink_server_shutdown(m->server);
        return 0;
}
