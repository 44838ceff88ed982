/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl list */

#include <inttypes.h>

#include "sessionctl.h"

static const char *str_field(sd_json_variant *v, const char *key) {
        sd_json_variant *f = sd_json_variant_by_key(v, key);
        return f && sd_json_variant_is_string(f) ? sd_json_variant_string(f) : NULL;
}

int verb_list(int argc, char **argv) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *sessions = NULL;
        sd_json_variant *replies = NULL;
        const char *error_id = NULL;
        size_t n;
        int r;

        if (argc > 1) {
                fprintf(stderr, "list takes no arguments.\n");
                return EXIT_USAGE;
        }
        r = sessionctl_connect(&vl);
        if (r < 0)
                return -r;
        r = sd_varlink_collect(vl, "io.sessiond.Manager.List", NULL, &replies, &error_id);
        if (r < 0) {
                fprintf(stderr, "Failed to list sessions: %s\n", strerror(-r));
                return EXIT_NO_DAEMON;
        }
        if (error_id)
                return sessionctl_report_error(error_id, replies);

        r = sd_json_variant_new_array(&sessions, NULL, 0);
        if (r < 0)
                return EXIT_FAIL;
        for (size_t i = 0; i < sd_json_variant_elements(replies); i++) {
                sd_json_variant *s = sd_json_variant_by_key(sd_json_variant_by_index(replies, i), "session");
                if (s && sd_json_variant_append_array(&sessions, s) < 0)
                        return EXIT_FAIL;
        }
        n = sd_json_variant_elements(sessions);

        if (arg_json != SD_JSON_FORMAT_OFF) {
                sessionctl_print_json(sessions);
                return EXIT_OK;
        }

        if (!arg_no_legend)
                printf("%-24s %-9s %-8s %6s %s\n", "NAME", "STATE", "RESULT", "OWNER", "UNIT");
        for (size_t i = 0; i < n; i++) {
                sd_json_variant *s = sd_json_variant_by_index(sessions, i);
                sd_json_variant *owner = sd_json_variant_by_key(s, "owner");

                printf("%-24s %-9s %-8s %6" PRIu64 " %s\n", strna(str_field(s, "name")), strna(str_field(s, "state")),
                       str_field(s, "result") ?: "-", owner ? sd_json_variant_unsigned(owner) : 0,
                       strna(str_field(s, "unit")));
        }
        if (!arg_no_legend)
                printf("\n%zu session%s listed.\n", n, n == 1 ? "" : "s");
        return EXIT_OK;
}
