/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>

#include "agent-address.h"
#include "agent-client.h"
#include "session-render.h"
#include "tests.h"

static void test_unix_backends(void) {
        char *a = NULL;

        ASSERT_OK(agent_address(SESSION_BACKEND_SERVICE, "agent-1", "/run/sessiond", &a));
        ASSERT_STREQ(a, "/run/sessiond/agents/agent-1/agent.sock");
        ASSERT_TRUE(!agent_address_is_vsock(a));
        free(a);

        /* nspawn: the same socket, the runtime directory is bound into the container */
        ASSERT_OK(agent_address(SESSION_BACKEND_NSPAWN, "agent-1", "/tmp/rt", &a));
        ASSERT_STREQ(a, "/tmp/rt/agents/agent-1/agent.sock");
        free(a);
}

static void test_vmspawn(void) {
        char *a = NULL, want[64];

        /* the CID the renderer gives systemd-vmspawn --vsock-cid= (FNV-1a of the name, from 0x10000),
         * and the port the agent listens on in the guest; the runtime directory plays no part */
        ASSERT_OK(agent_address(SESSION_BACKEND_VMSPAWN, "vm", "/run/sessiond", &a));
        ASSERT_STREQ(a, "vsock:1078641196:1024");
        ASSERT_TRUE(agent_address_is_vsock(a));
        free(a);
        ASSERT_OK(agent_address(SESSION_BACKEND_VMSPAWN, "agent-1", NULL, &a));
        snprintf(want, sizeof(want), "vsock:%u:%u", session_vsock_cid("agent-1"), SESSION_AGENT_VSOCK_PORT);
        ASSERT_STREQ(a, want);
        ASSERT_STREQ(a, "vsock:1666607008:1024");
        free(a);
}

static void test_invalid(void) {
        char *a = (char *) "untouched";

        ASSERT_ERROR(agent_address(SESSION_BACKEND_SERVICE, "../x", "/run/sessiond", &a), EINVAL);
        ASSERT_ERROR(agent_address(SESSION_BACKEND_VMSPAWN, "", "/run/sessiond", &a), EINVAL);
        ASSERT_ERROR(agent_address(SESSION_BACKEND_SERVICE, NULL, "/run/sessiond", &a), EINVAL);
        ASSERT_ERROR(agent_address(SESSION_BACKEND_SERVICE, "x", "run/sessiond", &a), EINVAL);
        ASSERT_ERROR(agent_address(SESSION_BACKEND_NSPAWN, "x", NULL, &a), EINVAL);
        ASSERT_ERROR(agent_address(_SESSION_BACKEND_MAX, "x", "/run/sessiond", &a), EINVAL);
        ASSERT_ERROR(agent_address(_SESSION_BACKEND_INVALID, "x", "/run/sessiond", &a), EINVAL);
        ASSERT_STREQ(a, "untouched");
}

int main(void) {
        test_unix_backends();
        test_vmspawn();
        test_invalid();
        return 0;
}
