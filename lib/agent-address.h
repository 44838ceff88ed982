/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where sessiond reaches a session's sessiond-agent, as an address for agent_connect():
 *  - Backend=service and nspawn: the agent's unix socket, RUNTIME_DIR/agents/NAME/agent.sock
 *    (the session's RuntimeDirectory=, bound into an nspawn container);
 *  - Backend=vmspawn: "vsock:CID:PORT", the VM's CID (session_vsock_cid(NAME), which the renderer
 *    passes to systemd-vmspawn --vsock-cid=) and SESSION_AGENT_VSOCK_PORT, where the agent listens
 *    inside the guest. AF_VSOCK passes no fds: callers use the agent's streaming mode there.
 * A pure function of its arguments: no I/O. -EINVAL for an invalid name or backend or a relative
 * runtime_dir. */

#include "session.h"

int agent_address(SessionBackend backend, const char *name, const char *runtime_dir, char **ret);
