/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl egress NAME --show | [--allow=RULE...] [--allow-host=HOST...] [--dns=ADDRESS...]
 *
 * Shows a running session's egress policy as loaded (EGRESS_STUB_DIR/NAME.policy) with its drop
 * counters, or replaces the policy without restarting the session through sessiond's
 * UpdateEgress (one nftables transaction flushes and refills the session's chain; established
 * connections live on, names resolve again under the new policy). Reading the drop counters
 * needs root (nftables), as for `sessionctl status`. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "egress-policy.h"
#include "egress-stub-config.h"
#include "egress.h"
#include "fileio.h"
#include "parse-util.h"
#include "session.h"
#include "sessionctl-egress.h"
#include "sessionctl.h"
#include "string-util.h"
#include "strv.h"

/* The policy file as JSON: {"allow":[...], "allowHost":[...], "dns":[...]}; -ENOENT if the session
 * has no egress chain (not running, or no network at all). */
static int policy_json(const char *name, sd_json_variant **ret) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_strv_free_ char **allow = NULL, **hosts = NULL, **dns = NULL;
        int r;

        r = egress_policy_path(name, &path);
        if (r < 0)
                return r;
        r = read_full_file(path, 1024 * 1024, &text, NULL);
        if (r < 0)
                return r;
        allow = calloc(1, sizeof(char *));
        hosts = calloc(1, sizeof(char *));
        dns = calloc(1, sizeof(char *));
        if (!allow || !hosts || !dns)
                return -ENOMEM;
        for (const char *p = text; *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, n);
                char *sp;

                if (!line)
                        return -ENOMEM;
                p += n + (p[n] == '\n');
                sp = strchr(line, ' ');
                if (!sp)
                        continue;
                *sp++ = 0;
                r = 0;
                if (streq(line, "allow"))
                        r = strv_extend(&allow, sp);
                else if (streq(line, "host"))
                        r = strv_extend(&hosts, sp);
                else if (streq(line, "dns"))
                        r = strv_extend(&dns, sp);
                if (r < 0)
                        return r;
        }
        r = sd_json_buildo(&v,
                           SD_JSON_BUILD_PAIR_STRV("allow", allow),
                           SD_JSON_BUILD_PAIR_STRV("allowHost", hosts),
                           SD_JSON_BUILD_PAIR_STRV("dns", dns));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

int sessionctl_egress_json(const char *name, sd_json_variant **ret) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        uint64_t packets, bytes;
        int r;

        assert(ret);

        r = policy_json(name, &v);
        if (r < 0)
                return r;
        /* Reading nftables needs CAP_NET_ADMIN: without it, the policy alone. */
        if (egress_ctx_new(&ctx) >= 0 && egress_session_counters(ctx, name, &packets, &bytes) >= 0) {
                r = sd_json_variant_set_field_unsigned(&v, "droppedPackets", packets);
                if (r >= 0)
                        r = sd_json_variant_set_field_unsigned(&v, "droppedBytes", bytes);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static void print_list(const char *label, sd_json_variant *l) {
        printf("%s", label);
        if (sd_json_variant_elements(l) == 0)
                printf(" -");
        for (size_t i = 0; i < sd_json_variant_elements(l); i++)
                printf("%s %s", i > 0 ? "," : "", sd_json_variant_string(sd_json_variant_by_index(l, i)));
        printf("\n");
}

void sessionctl_print_egress(const char *name) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        sd_json_variant *p, *b;

        if (sessionctl_egress_json(name, &v) < 0)
                return;         /* no chain: nothing to show */
        print_list("    Egress: allow", sd_json_variant_by_key(v, "allow"));
        print_list("            hosts", sd_json_variant_by_key(v, "allowHost"));
        if (sd_json_variant_elements(sd_json_variant_by_key(v, "dns")) > 0)
                print_list("            dns", sd_json_variant_by_key(v, "dns"));
        p = sd_json_variant_by_key(v, "droppedPackets");
        b = sd_json_variant_by_key(v, "droppedBytes");
        if (p && b)
                printf("   Dropped: %" PRIu64 " packets, %" PRIu64 " bytes\n",
                       sd_json_variant_unsigned(p), sd_json_variant_unsigned(b));
        else
                printf("   Dropped: unknown (reading nftables needs root)\n");
}

static int show(const char *name) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        int r;

        r = sessionctl_egress_json(name, &v);
        if (r == -ENOENT) {
                fprintf(stderr, "Session %s has no egress policy loaded (not running, or no network at all).\n", name);
                return EXIT_NO_SUCH_SESSION;
        }
        if (r < 0) {
                fprintf(stderr, "Cannot read the egress policy of %s: %s\n", name, strerror(-r));
                return EXIT_FAIL;
        }
        if (arg_json != SD_JSON_FORMAT_OFF) {
                (void) sd_json_variant_dump(v, arg_json, stdout, NULL);
                return EXIT_OK;
        }
        sessionctl_print_egress(name);
        return EXIT_OK;
}

int verb_egress(int argc, char **argv) {
        enum { ARG_SHOW = 0x100, ARG_ALLOW, ARG_ALLOW_HOST, ARG_DNS };
        static const struct option options[] = {
                { "show",       no_argument,       NULL, ARG_SHOW },
                { "allow",      required_argument, NULL, ARG_ALLOW },
                { "allow-host", required_argument, NULL, ARG_ALLOW_HOST },
                { "dns",        required_argument, NULL, ARG_DNS },
                {}
        };
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        _cleanup_strv_free_ char **allow = NULL, **hosts = NULL, **dns = NULL;
        bool do_show = false;
        const char *name;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case ARG_SHOW:
                        do_show = true;
                        continue;
                case ARG_ALLOW: {
                        EgressRule rule;

                        if (egress_rule_from_string(optarg, &rule) < 0) {
                                fprintf(stderr, "Invalid --allow=, expected a rule as in Allow=: '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        r = strv_extend(&allow, optarg);
                        break;
                }
                case ARG_ALLOW_HOST: {
                        EgressHost h = {};

                        if (egress_host_from_string(optarg, &h) < 0) {
                                fprintf(stderr, "Invalid --allow-host=, expected a name as in AllowHost=: '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        egress_host_done(&h);
                        r = strv_extend(&hosts, optarg);
                        break;
                }
                case ARG_DNS: {
                        uint8_t a[16];
                        int family;

                        if (parse_ip_address(optarg, &family, a) < 0) {
                                fprintf(stderr, "Invalid --dns=, expected an IP address: '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        r = strv_extend(&dns, optarg);
                        break;
                }
                default:
                        return EXIT_USAGE;
                }
                if (r < 0)
                        return EXIT_FAIL;
        }
        if (optind + 1 != argc) {
                fprintf(stderr, "egress takes one session name.\n");
                return EXIT_USAGE;
        }
        name = argv[optind];
        if (!session_name_is_valid(name)) {
                fprintf(stderr, "Invalid session name '%s'.\n", name);
                return EXIT_USAGE;
        }
        if (do_show) {
                if (allow || hosts || dns) {
                        fprintf(stderr, "--show excludes --allow=, --allow-host= and --dns=.\n");
                        return EXIT_USAGE;
                }
                return show(name);
        }
        if (!allow && !hosts && !dns) {
                fprintf(stderr, "Give --show, or the new policy: --allow=, --allow-host=, --dns=.\n");
                return EXIT_USAGE;
        }

        /* sessiond checks that the caller owns the session and has PID 1 load the new policy. */
        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_STRING("name", name),
                           SD_JSON_BUILD_PAIR_STRV("allow", allow),
                           SD_JSON_BUILD_PAIR_STRV("allowHost", hosts),
                           SD_JSON_BUILD_PAIR_STRV("dns", dns));
        if (r < 0)
                return EXIT_FAIL;
        r = sessionctl_connect(&vl);
        if (r < 0)
                return -r;
        r = sessionctl_call(vl, "io.sessiond.Manager.UpdateEgress", params, NULL);
        if (r < 0) {
                fprintf(stderr, "The egress policy of %s was not changed.\n", name);
                return -r;
        }
        if (arg_json == SD_JSON_FORMAT_OFF)
                printf("Egress policy of %s replaced.\n", name);
        (void) show(name);      /* for information: the change is made */
        return EXIT_OK;
}
