/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl logs NAME [-f] [-n N]: journalctl over the session's journal field. Every unit of
 * a session carries LogExtraFields=SESSIOND_SESSION=NAME, so this finds the output of the
 * session's processes, whichever unit they ran in, and works without sessiond running. */

#include <getopt.h>
#include <stdlib.h>

#include "session.h"
#include "sessionctl.h"

int verb_logs(int argc, char **argv) {
        static const struct option options[] = {
                { "follow", no_argument,       NULL, 'f' },
                { "lines",  required_argument, NULL, 'n' },
                {}
        };
        _cleanup_free_ char *match = NULL;
        const char *lines = NULL;
        const char *args[16];
        size_t n = 0;
        bool follow = false;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "fn:", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        follow = true;
                        break;
                case 'n':
                        lines = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind != argc - 1) {
                fprintf(stderr, "logs needs exactly one session name.\n");
                return EXIT_USAGE;
        }
        if (!session_name_is_valid(argv[optind])) {
                fprintf(stderr, "Invalid session name: %s\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (asprintf(&match, "SESSIOND_SESSION=%s", argv[optind]) < 0)
                return EXIT_FAIL;

        args[n++] = "journalctl";
        args[n++] = "--output=short-precise";
        if (arg_no_pager)
                args[n++] = "--no-pager";
        if (follow)
                args[n++] = "--follow";
        if (lines) {
                args[n++] = "--lines";
                args[n++] = lines;
        }
        if (arg_json == SD_JSON_FORMAT_PRETTY)
                args[n++] = "--output=json-pretty";
        else if (arg_json != SD_JSON_FORMAT_OFF)
                args[n++] = "--output=json";
        args[n++] = match;
        args[n] = NULL;

        fflush(stdout);
        execvp("journalctl", (char **) args);
        fprintf(stderr, "Failed to run journalctl: %s\n", strerror(errno));
        return EXIT_FAIL;
}
