/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl status NAME...: the session as sessiond tracks it, with live figures from PID 1. */

#include <inttypes.h>
#include <time.h>

#include "sessionctl-egress.h"
#include "sessionctl.h"

static const char *str_field(sd_json_variant *v, const char *key) {
        sd_json_variant *f = sd_json_variant_by_key(v, key);
        return f && sd_json_variant_is_string(f) ? sd_json_variant_string(f) : NULL;
}

static bool u64_field(sd_json_variant *v, const char *key, uint64_t *ret) {
        sd_json_variant *f = sd_json_variant_by_key(v, key);

        if (!f || !sd_json_variant_is_unsigned(f))
                return false;
        *ret = sd_json_variant_unsigned(f);
        return true;
}

static void print_status(sd_json_variant *reply) {
        sd_json_variant *s = sd_json_variant_by_key(reply, "session");
        sd_json_variant *f = sd_json_variant_by_key(reply, "figures");
        char a[32], b[32];
        uint64_t u, v;

        printf("%s %s - %s\n", streq_ptr(str_field(s, "state"), "running") ? "\u25cf" : "\u25cb",
               strna(str_field(s, "name")), strna(str_field(s, "unit")));
        printf("     State: %s", strna(str_field(s, "state")));
        if (str_field(s, "result"))
                printf(" (%s)", str_field(s, "result"));
        if (f && str_field(f, "activeState"))
                printf(", unit %s%s%s", str_field(f, "activeState"), str_field(f, "subState") ? "/" : "",
                       strempty(str_field(f, "subState")));
        printf("\n");
        if (str_field(s, "origin"))
                printf("    Origin: %s\n", str_field(s, "origin"));
        if (u64_field(s, "owner", &u))
                printf("     Owner: %" PRIu64 "\n", u);
        if (str_field(s, "backend"))
                printf("   Backend: %s\n", str_field(s, "backend"));
        printf("     Slice: %s\n", strna(str_field(s, "slice")));
        if (u64_field(s, "createdUSec", &u)) {
                time_t t = (time_t) (u / 1000000ULL);
                char when[64];
                strftime(when, sizeof when, "%a %Y-%m-%d %H:%M:%S %Z", localtime(&t));
                printf("   Started: %s\n", when);
        }
        printf("     OnEnd: %s\n", strna(str_field(s, "onEnd")));
        if (f) {
                if (u64_field(f, "mainPID", &u))
                        printf("  Main PID: %" PRIu64 "\n", u);
                if (u64_field(f, "tasksCurrent", &u))
                        printf("     Tasks: %" PRIu64 "\n", u);
                if (u64_field(f, "memoryCurrent", &u)) {
                        format_bytes(u, a, sizeof a);
                        printf("    Memory: %s", a);
                        if (u64_field(f, "memoryPeak", &v)) {
                                format_bytes(v, b, sizeof b);
                                printf(" (peak %s)", b);
                        }
                        printf("\n");
                }
                if (u64_field(f, "cpuUsageNSec", &u)) {
                        format_timespan(u / 1000ULL, a, sizeof a);
                        printf("       CPU: %s\n", a);
                }
                if (u64_field(f, "ipIngressBytes", &u) && u64_field(f, "ipEgressBytes", &v)) {
                        format_bytes(u, a, sizeof a);
                        format_bytes(v, b, sizeof b);
                        printf("        IP: %s in, %s out\n", a, b);
                }
                if (u64_field(f, "lifetimeLeftUSec", &u)) {
                        format_timespan(u, a, sizeof a);
                        printf("  Lifetime: %s left\n", a);
                }
                if (u64_field(f, "idleUSec", &u) && u64_field(s, "idleTimeoutUSec", &v)) {
                        format_timespan(u, a, sizeof a);
                        format_timespan(v, b, sizeof b);
                        printf("      Idle: %s (ends after %s)\n", a, b);
                }
        }
}

int verb_status(int argc, char **argv) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        int r, ret = EXIT_OK;

        if (argc < 2) {
                fprintf(stderr, "status needs at least one session name.\n");
                return EXIT_USAGE;
        }
        r = sessionctl_connect(&vl);
        if (r < 0)
                return -r;
        for (int i = 1; i < argc; i++) {
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
                sd_json_variant *reply = NULL;

                r = sd_json_buildo(&params, SD_JSON_BUILD_PAIR_STRING("name", argv[i]));
                if (r < 0)
                        return EXIT_FAIL;
                r = sessionctl_call(vl, "io.sessiond.Manager.Describe", params, &reply);
                if (r < 0) {
                        if (ret == EXIT_OK)
                                ret = -r;
                        continue;
                }
                if (arg_json != SD_JSON_FORMAT_OFF)
                        sessionctl_print_json(reply);
                else {
                        if (i > 1)
                                printf("\n");
                        print_status(reply);
                        sessionctl_print_egress(argv[i]);
                }
        }
        return ret;
}
