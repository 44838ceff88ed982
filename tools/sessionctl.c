/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Temporary sessionctl: dispatches only `verify` until the full CLI lands. */

#include "macro.h"
#include "sessionctl-verify.h"

int main(int argc, char *argv[]) {
        if (argc >= 2 && streq(argv[1], "verify"))
                return verb_verify(argc - 1, argv + 1);
        if (argc >= 2 && streq(argv[1], "--version")) {
                printf("sessionctl %s\n", PACKAGE_VERSION);
                return 0;
        }
        fprintf(stderr, "Usage: sessionctl verify FILE|NAME...\n");
        return 2;
}
