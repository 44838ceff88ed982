/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-check: the isolation battery. Runs inside a session (through `sessionctl check NAME`,
 * or as any unit's command) and tries, one by one, what a sandboxed process must not be able to
 * do. Prints each check with PASS/FAIL and a score; exits 0 only when no check the profile
 * requires failed. */

#include <getopt.h>
#include <inttypes.h>
#include <systemd/sd-json.h>

#include "check.h"
#include "parse-util.h"

static SessionProfile arg_profile = _SESSION_PROFILE_INVALID;
static bool arg_json = false;
static sd_json_format_flags_t arg_json_format = SD_JSON_FORMAT_NEWLINE;
static char **arg_only = NULL;
static CheckContext arg_context = {
        .timeout_ms = 3000,
};

static void strv_free_all(void) {
        strv_freep(&arg_only);
        strv_freep(&arg_context.deny_addrs);
        strv_freep(&arg_context.other_paths);
        strv_freep(&arg_context.host_markers);
}

static int strv_push_dup(char ***l, const char *s) {
        size_t n = 0;
        char **m, *d;

        while (*l && (*l)[n])
                n++;
        d = strdup(s);
        if (!d)
                return -ENOMEM;
        m = realloc(*l, (n + 2) * sizeof(char *));
        if (!m) {
                free(d);
                return -ENOMEM;
        }
        m[n] = d;
        m[n + 1] = NULL;
        *l = m;
        return 0;
}

static int strv_push_split(char ***l, const char *s) {
        _cleanup_free_ char *copy = strdup(s);
        char *saveptr = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ",", &saveptr); w; w = strtok_r(NULL, ",", &saveptr)) {
                int r = strv_push_dup(l, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool strv_contains(char **l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Run the sessiond isolation battery from inside a session.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the package version\n"
               "     --profile=PROFILE   Expectations: restrictive, moderate or permissive\n"
               "                         (default: $SESSIOND_PROFILE, else restrictive)\n"
               "     --json[=MODE]       Print JSON (pretty or short; default short)\n"
               "     --list              List the checks and what each profile expects\n"
               "     --only=NAME[,...]   Run only these checks\n"
               "     --deny-addr=ADDR:PORT\n"
               "                         An address the session must not reach (repeatable)\n"
               "     --timeout=MSEC      Give up on a connection after this long (default 3000)\n"
               "     --other-path=PATH   Another session's file or directory (repeatable)\n"
               "     --host-marker=PATH  A host file in /tmp or /dev/shm that must be invisible\n"
               "     --workspace=DIR     The session's writable workspace\n"
               "     --memory-probe      Allocate past memory.max in a child, expect it killed\n"
               "     --memory-max=SIZE   The memory limit set from outside, probed when no\n"
               "                         memory.max is visible (a cgroup namespace, nspawn)\n"
               "     --tasks-max=N       Fork until EAGAIN, which must come within N processes\n",
               program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_PROFILE,
                ARG_JSON,
                ARG_LIST,
                ARG_ONLY,
                ARG_DENY_ADDR,
                ARG_TIMEOUT,
                ARG_OTHER_PATH,
                ARG_HOST_MARKER,
                ARG_WORKSPACE,
                ARG_MEMORY_PROBE,
                ARG_TASKS_MAX,
                ARG_MEMORY_MAX,
        };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "version",      no_argument,       NULL, ARG_VERSION      },
                { "profile",      required_argument, NULL, ARG_PROFILE      },
                { "json",         optional_argument, NULL, ARG_JSON         },
                { "list",         no_argument,       NULL, ARG_LIST         },
                { "only",         required_argument, NULL, ARG_ONLY         },
                { "deny-addr",    required_argument, NULL, ARG_DENY_ADDR    },
                { "timeout",      required_argument, NULL, ARG_TIMEOUT      },
                { "other-path",   required_argument, NULL, ARG_OTHER_PATH   },
                { "host-marker",  required_argument, NULL, ARG_HOST_MARKER  },
                { "workspace",    required_argument, NULL, ARG_WORKSPACE    },
                { "memory-probe", no_argument,       NULL, ARG_MEMORY_PROBE },
                { "tasks-max",    required_argument, NULL, ARG_TASKS_MAX    },
                { "memory-max",   required_argument, NULL, ARG_MEMORY_MAX   },
                {}
        };
        int c, r;
        char *end;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        puts(PACKAGE_VERSION);
                        return 0;
                case ARG_PROFILE:
                        arg_profile = session_profile_from_string(optarg);
                        if (arg_profile < 0) {
                                fprintf(stderr, "Unknown profile '%s', expected restrictive, moderate or permissive.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_JSON:
                        arg_json = true;
                        if (!optarg || streq(optarg, "short"))
                                arg_json_format = SD_JSON_FORMAT_NEWLINE;
                        else if (streq(optarg, "pretty"))
                                arg_json_format = SD_JSON_FORMAT_PRETTY | SD_JSON_FORMAT_NEWLINE;
                        else {
                                fprintf(stderr, "Unknown JSON mode '%s', expected pretty or short.\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_LIST:
                        for (size_t i = 0; i < check_table_size; i++) {
                                const Check *k = check_table + i;
                                printf("%-20s %-11s %-8s %-8s %-8s %s\n", k->name, k->category,
                                       k->expect[SESSION_PROFILE_RESTRICTIVE] == EXPECT_ISOLATED ? "required" : "-",
                                       k->expect[SESSION_PROFILE_MODERATE] == EXPECT_ISOLATED ? "required" : "-",
                                       k->expect[SESSION_PROFILE_PERMISSIVE] == EXPECT_ISOLATED ? "required" : "-",
                                       k->summary);
                        }
                        return 0;
                case ARG_ONLY:
                        r = strv_push_split(&arg_only, optarg);
                        if (r < 0)
                                return r;
                        for (char **n = arg_only; *n; n++)
                                if (!check_find(*n)) {
                                        fprintf(stderr, "Unknown check '%s' (see --list).\n", *n);
                                        return -EINVAL;
                                }
                        break;
                case ARG_DENY_ADDR:
                        r = strv_push_dup(&arg_context.deny_addrs, optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_TIMEOUT:
                        errno = 0;
                        unsigned long t = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != 0 || t == 0 || t > 600000) {
                                fprintf(stderr, "Invalid --timeout=%s, expected milliseconds (1..600000).\n", optarg);
                                return -EINVAL;
                        }
                        arg_context.timeout_ms = t;
                        break;
                case ARG_OTHER_PATH:
                        r = strv_push_dup(&arg_context.other_paths, optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_HOST_MARKER:
                        r = strv_push_dup(&arg_context.host_markers, optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_WORKSPACE:
                        arg_context.workspace = optarg;
                        break;
                case ARG_MEMORY_PROBE:
                        arg_context.memory_probe = true;
                        break;
                case ARG_TASKS_MAX:
                        errno = 0;
                        unsigned long long n = strtoull(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != 0 || n == 0 || n > 100000) {
                                fprintf(stderr, "Invalid --tasks-max=%s, expected a count (1..100000).\n", optarg);
                                return -EINVAL;
                        }
                        arg_context.tasks_max = n;
                        break;
                case ARG_MEMORY_MAX: {
                        uint64_t v;

                        if (parse_size(optarg, /* allow_infinity= */ false, &v) < 0 || v == 0 || v > UINT64_C(1) << 40) {
                                fprintf(stderr, "Invalid --memory-max=%s, expected a size (e.g. 256M).\n", optarg);
                                return -EINVAL;
                        }
                        arg_context.memory_max = v;
                        break;
                }
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind < argc) {
                fprintf(stderr, "%s takes no arguments.\n", program_invocation_short_name);
                return -EINVAL;
        }

        if (arg_profile < 0) {
                const char *e = getenv("SESSIOND_PROFILE");

                arg_profile = e ? session_profile_from_string(e) : SESSION_PROFILE_RESTRICTIVE;
                if (arg_profile < 0) {
                        fprintf(stderr, "Unknown profile in $SESSIOND_PROFILE: '%s'.\n", e);
                        return -EINVAL;
                }
        }
        arg_context.profile = arg_profile;
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *array = NULL, *v = NULL;
        unsigned counts[_VERDICT_MAX] = {};
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        if (arg_json) {
                r = sd_json_variant_new_array(&array, NULL, 0);
                if (r < 0)
                        goto json_fail;
        } else
                printf("sessiond-check: profile %s, uid %u, pid %d\n",
                       session_profile_to_string(arg_profile), getuid(), getpid());

        for (size_t i = 0; i < check_table_size; i++) {
                const Check *k = check_table + i;
                CheckResult res = { .state = CHECK_UNKNOWN };
                CheckVerdict verdict;

                if (arg_only && !strv_contains(arg_only, k->name))
                        continue;

                k->run(&arg_context, &res);
                verdict = check_verdict(k, arg_profile, res.state);
                counts[verdict]++;

                if (!arg_json) {
                        printf("%s  %-20s %s\n", check_verdict_to_string(verdict), k->name, res.detail);
                        fflush(stdout);
                        continue;
                }

                _cleanup_(sd_json_variant_unrefp) sd_json_variant *e = NULL;
                r = sd_json_build(&e, SD_JSON_BUILD_OBJECT(
                                SD_JSON_BUILD_PAIR_STRING("name", k->name),
                                SD_JSON_BUILD_PAIR_STRING("category", k->category),
                                SD_JSON_BUILD_PAIR_STRING("summary", k->summary),
                                SD_JSON_BUILD_PAIR_BOOLEAN("required", k->expect[arg_profile] == EXPECT_ISOLATED),
                                SD_JSON_BUILD_PAIR_STRING("state", check_state_to_string(res.state)),
                                SD_JSON_BUILD_PAIR_STRING("verdict", check_verdict_to_string(verdict)),
                                SD_JSON_BUILD_PAIR_STRING("detail", res.detail)));
                if (r < 0)
                        goto json_fail;
                r = sd_json_variant_append_array(&array, e);
                if (r < 0)
                        goto json_fail;
        }

        unsigned decided = counts[VERDICT_PASS] + counts[VERDICT_FAIL] + counts[VERDICT_WARN];
        double score = decided > 0 ? 100.0 * counts[VERDICT_PASS] / decided : 0.0;

        if (!arg_json) {
                printf("score: %u/%u isolated (%.0f%%), %u failed, %u warned, %u skipped: %s\n",
                       counts[VERDICT_PASS], decided, score, counts[VERDICT_FAIL], counts[VERDICT_WARN],
                       counts[VERDICT_SKIP], counts[VERDICT_FAIL] == 0 ? "PASS" : "FAIL");
                return counts[VERDICT_FAIL] == 0 ? 0 : 1;
        }

        r = sd_json_build(&v, SD_JSON_BUILD_OBJECT(
                        SD_JSON_BUILD_PAIR_STRING("profile", session_profile_to_string(arg_profile)),
                        SD_JSON_BUILD_PAIR_UNSIGNED("uid", getuid()),
                        SD_JSON_BUILD_PAIR_VARIANT("checks", array),
                        SD_JSON_BUILD_PAIR_UNSIGNED("passed", counts[VERDICT_PASS]),
                        SD_JSON_BUILD_PAIR_UNSIGNED("failed", counts[VERDICT_FAIL]),
                        SD_JSON_BUILD_PAIR_UNSIGNED("warned", counts[VERDICT_WARN]),
                        SD_JSON_BUILD_PAIR_UNSIGNED("skipped", counts[VERDICT_SKIP]),
                        SD_JSON_BUILD_PAIR_UNSIGNED("score", (unsigned) (score + 0.5)),
                        SD_JSON_BUILD_PAIR_BOOLEAN("ok", counts[VERDICT_FAIL] == 0)));
        if (r < 0)
                goto json_fail;
        r = sd_json_variant_dump(v, arg_json_format, stdout, NULL);
        if (r < 0)
                goto json_fail;
        return counts[VERDICT_FAIL] == 0 ? 0 : 1;

json_fail:
        fprintf(stderr, "Failed to format JSON: %s\n", strerror(-r));
        return 2;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        strv_free_all();
        return r;
}
