/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl start NAME | --file=PATH [NAME] | --text=TEXT NAME */

#include <getopt.h>
#include <libgen.h>

#include "fileio.h"
#include "sessionctl.h"

#define SESSION_TEXT_MAX (1024U * 1024U)

static int print_session(sd_json_variant *reply) {
        sd_json_variant *s = sd_json_variant_by_key(reply, "session");
        sd_json_variant *state, *result, *name;

        if (arg_json != SD_JSON_FORMAT_OFF) {
                sessionctl_print_json(s ?: reply);
                return 0;
        }
        name = sd_json_variant_by_key(s, "name");
        state = sd_json_variant_by_key(s, "state");
        result = sd_json_variant_by_key(s, "result");
        printf("%s: %s%s%s\n", name ? sd_json_variant_string(name) : "?",
               state ? sd_json_variant_string(state) : "?",
               result ? " (" : "", result ? sd_json_variant_string(result) : "");
        if (result)
                printf("%s", ")\n");
        return 0;
}

int verb_start(int argc, char **argv) {
        enum { ARG_FILE = 0x100, ARG_TEXT, ARG_RESTORE };
        static const struct option options[] = {
                { "file",    required_argument, NULL, ARG_FILE },
                { "text",    required_argument, NULL, ARG_TEXT },
                { "restore", no_argument,       NULL, ARG_RESTORE },
                {}
        };
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        _cleanup_free_ char *text = NULL, *name = NULL;
        const char *file = NULL, *inline_text = NULL;
        sd_json_variant *reply = NULL;
        bool restore = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case ARG_FILE:
                        file = optarg;
                        break;
                case ARG_TEXT:
                        inline_text = optarg;
                        break;
                case ARG_RESTORE:
                        restore = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (file && inline_text) {
                fprintf(stderr, "--file= and --text= exclude each other.\n");
                return EXIT_USAGE;
        }

        if (optind < argc)
                name = strdup(argv[optind++]);
        if (optind < argc) {
                fprintf(stderr, "start takes one session name.\n");
                return EXIT_USAGE;
        }

        if (file) {
                r = read_full_file(file, SESSION_TEXT_MAX, &text, NULL);
                if (r < 0) {
                        fprintf(stderr, "Cannot read %s: %s\n", file, strerror(-r));
                        return r == -ENOENT ? EXIT_NO_SUCH_SESSION : EXIT_FAIL;
                }
                if (!name) {
                        _cleanup_free_ char *copy = strdup(file);
                        char *b, *dot;

                        if (!copy)
                                return EXIT_FAIL;
                        b = basename(copy);
                        dot = strrchr(b, '.');
                        if (dot && streq(dot, ".session"))
                                *dot = 0;
                        name = strdup(b);
                }
        } else if (inline_text)
                text = strdup(inline_text);

        if (!name) {
                fprintf(stderr, "start needs a session name.\n");
                return EXIT_USAGE;
        }
        if ((file || inline_text) && !text)
                return EXIT_FAIL;

        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_STRING("name", name),
                           SD_JSON_BUILD_PAIR_CONDITION(!!text, "sessionText", SD_JSON_BUILD_STRING(text)),
                           SD_JSON_BUILD_PAIR_CONDITION(restore, "restore", SD_JSON_BUILD_BOOLEAN(true)));
        if (r < 0)
                return EXIT_FAIL;

        r = sessionctl_connect(&vl);
        if (r < 0)
                return -r;
        r = sessionctl_call(vl, "io.sessiond.Manager.Start", params, &reply);
        if (r < 0)
                return -r;
        return print_session(reply);
}
