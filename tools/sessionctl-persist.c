/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl persist / snapshot: thin Varlink clients of io.sessiond.Manager. The work itself
 * (atomic copies, exchange of the saved state) happens in sessiond-workspace, which sessiond
 * runs through PID 1 (varlink/manager-persist.c). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "io.sessiond.Manager.h"
#include "sessionctl-persist.h"
#include "sessionctl.h"

/* Returns 0 or a negative exit code. */
static int call(const char *method, const char *name, const char *snap, sd_varlink **vl, sd_json_variant **ret_reply) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        sd_json_variant *reply = NULL;
        const char *error_id = NULL;
        int r;

        if (!*vl) {
                r = sessionctl_connect(vl);
                if (r < 0)
                        return r;
        }
        r = sd_json_buildo(&params,
                           SD_JSON_BUILD_PAIR_STRING("name", name),
                           SD_JSON_BUILD_PAIR_CONDITION(!!snap, "snapshot", SD_JSON_BUILD_STRING(snap)));
        if (r < 0)
                return -EXIT_FAIL;
        r = sd_varlink_call(*vl, method, params, &reply, &error_id);
        if (r < 0) {
                fprintf(stderr, "Failed to call %s: %s\n", method, strerror(-r));
                return -EXIT_NO_DAEMON;
        }
        if (error_id)
                return -sessionctl_report_error(error_id, reply);
        if (ret_reply)
                *ret_reply = reply;     /* owned by the connection */
        return 0;
}

int verb_persist(int argc, char **argv) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        int r, ret = EXIT_OK;

        if (argc < 2) {
                fprintf(stderr, "persist needs at least one session name.\n");
                return EXIT_USAGE;
        }
        for (int i = 1; i < argc; i++) {
                r = call("io.sessiond.Manager.Persist", argv[i], NULL, &vl, NULL);
                if (r < 0 && ret == EXIT_OK)
                        ret = -r;
        }
        return ret;
}

static int list(const char *name) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        sd_json_variant *reply = NULL, *snaps;
        int r;

        r = call("io.sessiond.Manager.SnapshotList", name, NULL, &vl, &reply);
        if (r < 0)
                return -r;
        snaps = sd_json_variant_by_key(reply, "snapshots");
        if (arg_json != SD_JSON_FORMAT_OFF) {
                sessionctl_print_json(snaps);
                return EXIT_OK;
        }
        if (!snaps || sd_json_variant_elements(snaps) == 0) {
                if (!arg_no_legend)
                        printf("No snapshots of %s.\n", name);
                return EXIT_OK;
        }
        if (!arg_no_legend)
                printf("%-24s %10s %8s\n", "SNAPSHOT", "SIZE", "ENTRIES");
        for (size_t i = 0; i < sd_json_variant_elements(snaps); i++) {
                sd_json_variant *e = sd_json_variant_by_index(snaps, i),
                        *n = sd_json_variant_by_key(e, "snapshot"),
                        *s = sd_json_variant_by_key(e, "size"),
                        *c = sd_json_variant_by_key(e, "entries");
                char sz[32];

                format_bytes(s && sd_json_variant_is_unsigned(s) ? sd_json_variant_unsigned(s) : 0, sz, sizeof(sz));
                printf("%-24s %10s %8" PRIu64 "\n",
                       n && sd_json_variant_is_string(n) ? sd_json_variant_string(n) : "?", sz,
                       c && sd_json_variant_is_unsigned(c) ? sd_json_variant_unsigned(c) : 0);
        }
        return EXIT_OK;
}

int verb_snapshot(int argc, char **argv) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        const char *sub, *method;
        int r;

        if (argc < 2) {
                fprintf(stderr, "snapshot needs save, restore, list or delete.\n");
                return EXIT_USAGE;
        }
        sub = argv[1];
        argv += 2;
        argc -= 2;

        if (streq(sub, "list")) {
                if (argc != 1) {
                        fprintf(stderr, "snapshot list needs one session name.\n");
                        return EXIT_USAGE;
                }
                return list(argv[0]);
        }
        if (streq(sub, "save"))
                method = "io.sessiond.Manager.SnapshotSave";
        else if (streq(sub, "restore"))
                method = "io.sessiond.Manager.SnapshotRestore";
        else if (streq(sub, "delete"))
                method = "io.sessiond.Manager.SnapshotDelete";
        else {
                fprintf(stderr, "Unknown snapshot command: %s (save, restore, list, delete)\n", sub);
                return EXIT_USAGE;
        }
        if (argc != 2) {
                fprintf(stderr, "snapshot %s needs a session name and a snapshot name.\n", sub);
                return EXIT_USAGE;
        }
        r = call(method, argv[0], argv[1], &vl, NULL);
        return r < 0 ? -r : EXIT_OK;
}
