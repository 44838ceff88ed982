/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl stop NAME...; sessionctl kill NAME... [--signal=SIG] [--kill-whom=all|main] */

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>

#include "sessionctl.h"

int verb_stop(int argc, char **argv) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        int r, ret = EXIT_OK;

        if (argc < 2) {
                fprintf(stderr, "stop needs at least one session name.\n");
                return EXIT_USAGE;
        }
        r = sessionctl_connect(&vl);
        if (r < 0)
                return -r;
        for (int i = 1; i < argc; i++) {
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;

                r = sd_json_buildo(&params, SD_JSON_BUILD_PAIR_STRING("name", argv[i]));
                if (r < 0)
                        return EXIT_FAIL;
                r = sessionctl_call(vl, "io.sessiond.Manager.Stop", params, NULL);
                if (r < 0 && ret == EXIT_OK)
                        ret = -r;
        }
        return ret;
}

static int parse_signal(const char *s) {
        char *end;
        long l;

        errno = 0;
        l = strtol(s, &end, 10);
        if (errno == 0 && *end == 0 && end != s)
                return l > 0 && l < _NSIG ? (int) l : -EINVAL;
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (int i = 1; i < NSIG; i++) {
                const char *n = sigabbrev_np(i);
                if (n && streq(n, s))
                        return i;
        }
        return -EINVAL;
}

int verb_kill(int argc, char **argv) {
        enum { ARG_SIGNAL = 0x100, ARG_WHOM };
        static const struct option options[] = {
                { "signal",    required_argument, NULL, 's' },
                { "kill-whom", required_argument, NULL, ARG_WHOM },
                {}
        };
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        const char *whom = "all";
        int c, r, signo = SIGTERM, ret = EXIT_OK;

        optind = 0;
        while ((c = getopt_long(argc, argv, "s:", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        signo = parse_signal(optarg);
                        if (signo < 0) {
                                fprintf(stderr, "Unknown signal: %s\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_WHOM:
                        if (!streq(optarg, "all") && !streq(optarg, "main")) {
                                fprintf(stderr, "--kill-whom= takes all or main.\n");
                                return EXIT_USAGE;
                        }
                        whom = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind >= argc) {
                fprintf(stderr, "kill needs at least one session name.\n");
                return EXIT_USAGE;
        }
        r = sessionctl_connect(&vl);
        if (r < 0)
                return -r;
        for (int i = optind; i < argc; i++) {
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;

                r = sd_json_buildo(&params,
                                   SD_JSON_BUILD_PAIR_STRING("name", argv[i]),
                                   SD_JSON_BUILD_PAIR_INTEGER("signal", signo),
                                   SD_JSON_BUILD_PAIR_STRING("whom", whom));
                if (r < 0)
                        return EXIT_FAIL;
                r = sessionctl_call(vl, "io.sessiond.Manager.Kill", params, NULL);
                if (r < 0 && ret == EXIT_OK)
                        ret = -r;
        }
        return ret;
}
