/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent-address.h"
#include "session-render.h"

int agent_address(SessionBackend backend, const char *name, const char *runtime_dir, char **ret) {
        char *a;
        int r;

        if (!name || !session_name_is_valid(name))
                return -EINVAL;

        switch (backend) {
        case SESSION_BACKEND_SERVICE:
        case SESSION_BACKEND_NSPAWN:
                if (!runtime_dir || runtime_dir[0] != '/')
                        return -EINVAL;
                r = asprintf(&a, "%s/agents/%s/agent.sock", runtime_dir, name);
                break;
        case SESSION_BACKEND_VMSPAWN:
                r = asprintf(&a, "vsock:%u:%u", (unsigned) session_vsock_cid(name), SESSION_AGENT_VSOCK_PORT);
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return -ENOMEM;
        *ret = a;
        return 0;
}
