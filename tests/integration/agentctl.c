/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* agentctl exec|attach ...: sessionctl's exec and attach verbs on their own, for tests that run
 * before (or without) sessiond: use them with --agent-socket=PATH. */

#include <stdio.h>
#include <string.h>

#include "sessionctl-attach.h"
#include "sessionctl-exec.h"

int main(int argc, char *argv[]) {
        if (argc >= 2 && strcmp(argv[1], "exec") == 0)
                return verb_exec(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "attach") == 0)
                return verb_attach(argc - 1, argv + 1);
        fprintf(stderr, "usage: %s exec|attach [ARGS...] (see sessionctl)\n", argv[0]);
        return 2;
}
