/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl: the command-line client of sessiond (io.sessiond.Manager), shaped like systemctl:
 * one verb per operation, --json for scripts, exit codes that mean something. */

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "io.sessiond.Manager.h"
#include "sessionctl-attach.h"
#include "sessionctl-check.h"
#include "sessionctl-exec.h"
#include "sessionctl-persist.h"
#include "sessionctl-verify.h"
#include "sessionctl-egress.h"
#include "sessionctl.h"

sd_json_format_flags_t arg_json = SD_JSON_FORMAT_OFF;
bool arg_no_pager = false;
bool arg_no_legend = false;
const char *arg_address = NULL;

int sessionctl_connect(sd_varlink **ret) {
        const char *address = arg_address ?: getenv("SESSIOND_ADDRESS") ?: SESSIOND_MANAGER_ADDRESS;
        int r;

        r = sd_varlink_connect_address(ret, address);
        if (r < 0) {
                fprintf(stderr, "Cannot connect to sessiond at %s: %s\n", address, strerror(-r));
                return -EXIT_NO_DAEMON;
        }
        (void) sd_varlink_set_relative_timeout(*ret, 600ULL * 1000000ULL);
        return 0;
}

void sessionctl_print_json(sd_json_variant *v) {
        (void) sd_json_variant_dump(v, arg_json | SD_JSON_FORMAT_NEWLINE, stdout, NULL);
}

int sessionctl_report_error(const char *error_id, sd_json_variant *parameters) {
        sd_json_variant *name = sd_json_variant_by_key(parameters, "name");
        sd_json_variant *reason = sd_json_variant_by_key(parameters, "reason");
        const char *n = name && sd_json_variant_is_string(name) ? sd_json_variant_string(name) : NULL;
        const char *why = reason && sd_json_variant_is_string(reason) ? sd_json_variant_string(reason) : NULL;

        if (arg_json != SD_JSON_FORMAT_OFF) {
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
                if (sd_json_buildo(&v, SD_JSON_BUILD_PAIR_STRING("error", error_id),
                                   SD_JSON_BUILD_PAIR_CONDITION(!!parameters, "parameters", SD_JSON_BUILD_VARIANT(parameters))) >= 0)
                        (void) sd_json_variant_dump(v, arg_json | SD_JSON_FORMAT_NEWLINE, stderr, NULL);
        }

        if (streq(error_id, SESSIOND_ERROR_NO_SUCH_SESSION)) {
                fprintf(stderr, "No such session: %s\n", strna(n));
                return EXIT_NO_SUCH_SESSION;
        }
        if (streq(error_id, SESSIOND_ERROR_SESSION_EXISTS)) {
                fprintf(stderr, "Session %s exists already.\n", strna(n));
                return EXIT_SESSION_EXISTS;
        }
        if (streq(error_id, SESSIOND_ERROR_NOT_RUNNING)) {
                fprintf(stderr, "Session %s is not running.\n", strna(n));
                return EXIT_NOT_RUNNING;
        }
        if (streq(error_id, SESSIOND_ERROR_PERMISSION_DENIED) || streq(error_id, SD_VARLINK_ERROR_PERMISSION_DENIED)) {
                fprintf(stderr, "Permission denied%s%s\n", why ? ": " : ".", strempty(why));
                return EXIT_PERMISSION_DENIED;
        }
        if (streq(error_id, SESSIOND_ERROR_BACKEND_UNAVAILABLE)) {
                sd_json_variant *b = sd_json_variant_by_key(parameters, "backend");
                fprintf(stderr, "Backend %s unavailable%s%s\n",
                        b && sd_json_variant_is_string(b) ? sd_json_variant_string(b) : "",
                        why ? ": " : ".", strempty(why));
                return EXIT_BACKEND_UNAVAILABLE;
        }
        if (streq(error_id, SESSIOND_ERROR_UNIT_FAILED)) {
                sd_json_variant *u = sd_json_variant_by_key(parameters, "unit");
                fprintf(stderr, "PID 1 failed the unit %s: %s\n",
                        u && sd_json_variant_is_string(u) ? sd_json_variant_string(u) : "", strna(why));
                return EXIT_UNIT_FAILED;
        }
        if (streq(error_id, SESSIOND_ERROR_NOTHING_SAVED)) {
                fprintf(stderr, "Nothing saved for %s.\n", strna(n));
                return EXIT_NO_SUCH_SESSION;
        }
        if (streq(error_id, SESSIOND_ERROR_NO_SUCH_SNAPSHOT) || streq(error_id, SESSIOND_ERROR_SNAPSHOT_EXISTS)) {
                sd_json_variant *snap = sd_json_variant_by_key(parameters, "snapshot");
                bool exists = streq(error_id, SESSIOND_ERROR_SNAPSHOT_EXISTS);

                fprintf(stderr, "%s: %s/%s\n", exists ? "Snapshot exists already" : "No such snapshot", strna(n),
                        snap && sd_json_variant_is_string(snap) ? sd_json_variant_string(snap) : "?");
                return exists ? EXIT_SESSION_EXISTS : EXIT_NO_SUCH_SESSION;
        }
        if (streq(error_id, SESSIOND_ERROR_NO_WORKSPACE)) {
                fprintf(stderr, "No workspace to save or restore for %s%s%s\n", strna(n), why ? ": " : ".", strempty(why));
                return EXIT_FAIL;
        }
        if (streq(error_id, SESSIOND_ERROR_INVALID_SESSION)) {
                sd_json_variant *errors = sd_json_variant_by_key(parameters, "errors"), *e;

                fprintf(stderr, "Invalid session:\n");
                for (size_t i = 0; errors && i < sd_json_variant_elements(errors); i++) {
                        sd_json_variant *f, *l, *msg;

                        e = sd_json_variant_by_index(errors, i);
                        f = sd_json_variant_by_key(e, "file");
                        l = sd_json_variant_by_key(e, "line");
                        msg = sd_json_variant_by_key(e, "message");
                        if (f && sd_json_variant_is_string(f)) {
                                fputs(sd_json_variant_string(f), stderr);
                                if (l && sd_json_variant_unsigned(l) > 0)
                                        fprintf(stderr, ":%" PRIu64, sd_json_variant_unsigned(l));
                                fputs(": ", stderr);
                        }
                        fprintf(stderr, "%s\n", msg && sd_json_variant_is_string(msg) ? sd_json_variant_string(msg) : "?");
                }
                return EXIT_INVALID_SESSION;
        }
        if (streq(error_id, SD_VARLINK_ERROR_INVALID_PARAMETER)) {
                sd_json_variant *p = sd_json_variant_by_key(parameters, "parameter");
                fprintf(stderr, "Invalid parameter: %s\n", p && sd_json_variant_is_string(p) ? sd_json_variant_string(p) : "?");
                return EXIT_USAGE;
        }
        if (streq(error_id, SD_VARLINK_ERROR_DISCONNECTED) || streq(error_id, SD_VARLINK_ERROR_TIMEOUT)) {
                fprintf(stderr, "Lost sessiond: %s\n", error_id);
                return EXIT_NO_DAEMON;
        }
        fprintf(stderr, "sessiond: %s\n", error_id);
        return EXIT_FAIL;
}

int sessionctl_call(sd_varlink *vl, const char *method, sd_json_variant *params, sd_json_variant **ret_reply) {
        sd_json_variant *reply = NULL;
        const char *error_id = NULL;
        int r;

        r = sd_varlink_call(vl, method, params, &reply, &error_id);
        if (r < 0) {
                fprintf(stderr, "Failed to call %s: %s\n", method, strerror(-r));
                return -EXIT_NO_DAEMON;
        }
        if (error_id)
                return -sessionctl_report_error(error_id, reply);
        if (ret_reply)
                *ret_reply = reply;     /* owned by the connection, valid until the next call */
        return 0;
}

void format_bytes(uint64_t v, char *buf, size_t size) {
        static const char units[] = "BKMGTPE";
        double d = (double) v;
        size_t i = 0;

        while (d >= 1024.0 && i < sizeof(units) - 2) {
                d /= 1024.0;
                i++;
        }
        if (i == 0)
                snprintf(buf, size, "%" PRIu64 "B", v);
        else
                snprintf(buf, size, "%.1f%c", d, units[i]);
}

void format_timespan(uint64_t usec, char *buf, size_t size) {
        uint64_t s = usec / 1000000U;

        if (usec < 1000000U)
                snprintf(buf, size, "%" PRIu64 "ms", usec / 1000U);
        else if (s < 60)
                snprintf(buf, size, "%" PRIu64 ".%01" PRIu64 "s", s, (usec / 100000U) % 10);
        else if (s < 3600)
                snprintf(buf, size, "%" PRIu64 "min %" PRIu64 "s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "min", s / 3600, (s % 3600) / 60);
        else
                snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h", s / 86400, (s % 86400) / 3600);
}

static void help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n\n"
               "Start, stop and inspect sessiond sessions.\n\n"
               "Commands:\n"
               "  start NAME                 Start NAME.session from the search path\n"
               "  start --file=PATH [NAME]   Start the session in PATH (name: file name or NAME)\n"
               "  start --text=TEXT NAME     Start a session given inline\n"
               "  start --restore NAME       ... resuming from its saved workspace\n"
               "  stop NAME...               Stop sessions (waits until every process is gone)\n"
               "  kill NAME... [--signal=SIG] [--kill-whom=all|main]\n"
               "                             Send a signal to a session's processes\n"
               "  list                       List sessions\n"
               "  status NAME...             Show state and live figures of sessions\n"
               "  logs NAME [-f] [-n N]      Show the journal of a session\n"
               "  verify FILE|NAME...        Check session files (no daemon needed)\n"
               "  exec [-t] NAME [--] CMD... Run a command in a session (exit status: the command's)\n"
               "  attach [--read-only] NAME  Join a session's terminal (Ctrl-] detaches)\n"
               "  check NAME [OPTIONS...]    Run the isolation battery inside a session (see SECURITY.md)\n"
               "  persist NAME...            Save the workspace of running sessions now\n"
               "  snapshot save|restore|delete NAME SNAP\n"
               "  snapshot list NAME         Named copies of a session's workspace, with sizes\n"
               "  egress NAME --show         Show a session's egress policy and drop counters\n"
               "  egress NAME [--allow=RULE...] [--allow-host=HOST...] [--dns=ADDRESS...]\n"
               "                             Replace a running session's egress policy (root)\n\n"
               "Options:\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --json=pretty|short|off Print JSON\n"
               "     --no-pager              Do not pipe output into a pager\n"
               "     --no-legend             Do not print column headers and footers\n"
               "     --address=PATH          Talk to sessiond at PATH (default %s)\n\n"
               "Exit status: 0 ok, 1 failure, 2 usage, 3 not running, 4 no such session,\n"
               "5 session exists, 6 invalid session, 7 permission denied, 8 backend unavailable,\n"
               "9 sessiond unreachable, 10 PID 1 failed the unit. See sessionctl(1).\n",
               program_invocation_short_name, SESSIOND_MANAGER_ADDRESS);
}

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char **argv);
} Verb;

static const Verb verbs[] = {
        { "start",  verb_start },
        { "stop",   verb_stop },
        { "kill",   verb_kill },
        { "list",   verb_list },
        { "status", verb_status },
        { "logs",   verb_logs },
        { "verify", verb_verify },
        { "exec",   verb_exec },
        { "attach", verb_attach },
        { "check",  verb_check },
        { "persist",  verb_persist },
        { "snapshot", verb_snapshot },
        { "egress", verb_egress },
};


int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_NO_PAGER, ARG_NO_LEGEND, ARG_ADDRESS };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h' },
                { "version",   no_argument,       NULL, ARG_VERSION },
                { "json",      required_argument, NULL, ARG_JSON },
                { "no-pager",  no_argument,       NULL, ARG_NO_PAGER },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "address",   required_argument, NULL, ARG_ADDRESS },
                {}
        };
        _cleanup_strv_free_ char **rest = NULL;
        size_t n_rest = 0;
        int c;

        /* Pick the global options out of the whole command line, wherever they are; what is
         * left (verb, its arguments and its own options) goes to the verb. */
        rest = calloc(argc + 1, sizeof(char *));
        if (!rest)
                return EXIT_FAIL;
        rest[n_rest++] = strdup(argv[0]);
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                bool global = false;

                if (streq(a, "--")) {
                        for (; i < argc; i++)
                                rest[n_rest++] = strdup(argv[i]);
                        break;
                }
                if (streq(a, "-h") || streq(a, "--help")) {
                        help();
                        return EXIT_OK;
                }
                for (size_t k = 0; options[k].name; k++) {
                        size_t l = strlen(options[k].name);
                        if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, options[k].name, l) == 0 &&
                            (a[2 + l] == 0 || a[2 + l] == '=')) {
                                const char *val = a[2 + l] == '=' ? a + 3 + l : NULL;

                                global = true;
                                if (options[k].has_arg == required_argument && !val) {
                                        if (i + 1 >= argc) {
                                                fprintf(stderr, "--%s needs a value.\n", options[k].name);
                                                return EXIT_USAGE;
                                        }
                                        val = argv[++i];
                                }
                                c = options[k].val;
                                switch (c) {
                                case ARG_VERSION:
                                        printf("sessionctl %s\n", PACKAGE_VERSION);
                                        return EXIT_OK;
                                case ARG_JSON:
                                        if (streq(val, "pretty"))
                                                arg_json = SD_JSON_FORMAT_PRETTY;
                                        else if (streq(val, "short"))
                                                arg_json = 0;
                                        else if (streq(val, "off"))
                                                arg_json = SD_JSON_FORMAT_OFF;
                                        else {
                                                fprintf(stderr, "--json= takes pretty, short or off, not '%s'.\n", val);
                                                return EXIT_USAGE;
                                        }
                                        break;
                                case ARG_NO_PAGER:
                                        arg_no_pager = true;
                                        break;
                                case ARG_NO_LEGEND:
                                        arg_no_legend = true;
                                        break;
                                case ARG_ADDRESS:
                                        arg_address = val;
                                        break;
                                }
                                break;
                        }
                }
                if (!global)
                        rest[n_rest++] = strdup(a);
        }
        for (size_t i = 0; i < n_rest; i++)
                if (!rest[i])
                        return EXIT_FAIL;

        if (n_rest < 2) {
                help();
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, rest[1]))
                        return verbs[i].run((int) n_rest - 1, rest + 1);

        fprintf(stderr, "Unknown command '%s'. See %s --help.\n", rest[1], program_invocation_short_name);
        return EXIT_USAGE;
}
