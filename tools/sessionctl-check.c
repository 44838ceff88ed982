/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "sessionctl.h"
#include "sessionctl-check.h"
#include "sessionctl-exec.h"

int verb_check(int argc, char **argv) {
        _cleanup_free_ char **args = NULL;
        size_t n = 0;

        if (argc < 2 || argv[1][0] == '-') {
                fprintf(stderr, "check: expected a session name: sessionctl check NAME [OPTIONS...]\n");
                return EXIT_USAGE;
        }

        /* exec NAME -- sessiond-check [--json=...] OPTIONS... */
        args = calloc(argc + 6, sizeof(char *));
        if (!args)
                return EXIT_FAIL;
        args[n++] = (char *) "exec";
        args[n++] = argv[1];
        args[n++] = (char *) "--";
        args[n++] = (char *) SESSIOND_CHECK_PATH;
        if (arg_json != SD_JSON_FORMAT_OFF)
                args[n++] = (char *) (arg_json & SD_JSON_FORMAT_PRETTY ? "--json=pretty" : "--json=short");
        for (int i = 2; i < argc; i++)
                args[n++] = argv[i];
        args[n] = NULL;

        return verb_exec((int) n, args);
}
