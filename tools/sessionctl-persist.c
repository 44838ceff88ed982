/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessionctl persist / snapshot: thin Varlink clients of io.sessiond.Manager. The work itself
 * (atomic copies, exchange of the saved state) happens in sessiond through lib/workspace.c. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-json.h>
#include <systemd/sd-varlink.h>

#include "macro.h"
#include "sessionctl-persist.h"

int sessionctl_persist_json_format = 0;
const char *sessionctl_persist_address = NULL;

static int connect_manager(sd_varlink **ret) {
        const char *address = sessionctl_persist_address ?: SESSIOND_MANAGER_ADDRESS;
        int r;

        r = sd_varlink_connect_address(ret, address);
        if (r < 0) {
                fprintf(stderr, "Cannot reach sessiond at %s: %s\n", address, strerror(-r));
                return -9;
        }
        return 0;
}

/* A Varlink error as a message and an exit code (negative). */
static int report(const char *error_id, sd_json_variant *params, const char *name, const char *snap) {
        static const struct { const char *id; int code; const char *what; } map[] = {
                { "io.sessiond.Manager.NoSuchSession",    4, "No such session" },
                { "io.sessiond.Manager.NoSuchSnapshot",   4, "No such snapshot" },
                { "io.sessiond.Manager.NothingSaved",     4, "Nothing saved" },
                { "io.sessiond.Manager.SnapshotExists",   5, "Snapshot exists already" },
                { "io.sessiond.Manager.NotRunning",       3, "Session is not running" },
                { "io.sessiond.Manager.PermissionDenied", 7, "Permission denied" },
                { "io.sessiond.Manager.InvalidParameter", 2, "Invalid parameter" },
                { "org.varlink.service.InvalidParameter", 2, "Invalid parameter" },
                { "org.varlink.service.MethodNotFound",   1, "sessiond does not support this" },
        };
        sd_json_variant *m = params ? sd_json_variant_by_key(params, "message") : NULL;

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(error_id, map[i].id)) {
                        fprintf(stderr, "%s: %s%s%s%s%s\n", map[i].what, name, snap ? "/" : "", strempty(snap),
                                m && sd_json_variant_is_string(m) ? ": " : "",
                                m && sd_json_variant_is_string(m) ? sd_json_variant_string(m) : "");
                        return -map[i].code;
                }
        fprintf(stderr, "sessiond failed: %s\n", error_id);
        return -1;
}

static int call(const char *method, const char *name, const char *snap, sd_json_variant **ret_reply) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        sd_json_variant *reply = NULL;
        const char *error_id = NULL;
        int r;

        r = connect_manager(&vl);
        if (r < 0)
                return r;
        r = sd_varlink_callbo(vl, method, &reply, &error_id,
                              SD_JSON_BUILD_PAIR_STRING("name", name),
                              SD_JSON_BUILD_PAIR_CONDITION(!!snap, "snapshot", SD_JSON_BUILD_STRING(snap)));
        if (r < 0) {
                fprintf(stderr, "Calling %s failed: %s\n", method, strerror(-r));
                return -1;
        }
        if (error_id)
                return report(error_id, reply, name, snap);
        if (ret_reply)
                *ret_reply = sd_json_variant_ref(reply);     /* the reply belongs to vl */
        return 0;
}

int verb_persist(int argc, char **argv) {
        int r, ret = 0;

        if (argc < 2) {
                fprintf(stderr, "persist needs at least one session name.\n");
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                r = call("io.sessiond.Manager.Persist", argv[i], NULL, NULL);
                if (r < 0 && ret == 0)
                        ret = -r;
        }
        return ret;
}

static void format_size(uint64_t v, char *buf, size_t size) {
        static const char suffix[] = "BKMGTPE";
        double d = v;
        size_t i = 0;

        while (d >= 1024 && i < sizeof(suffix) - 2) {
                d /= 1024;
                i++;
        }
        if (i == 0)
                snprintf(buf, size, "%" PRIu64 "B", v);
        else
                snprintf(buf, size, "%.1f%c", d, suffix[i]);
}

static int list(const char *name) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *reply = NULL;
        sd_json_variant *snaps;
        int r;

        r = call("io.sessiond.Manager.SnapshotList", name, NULL, &reply);
        if (r < 0)
                return -r;
        snaps = sd_json_variant_by_key(reply, "snapshots");
        if (sessionctl_persist_json_format != 0) {
                sd_json_variant_dump(snaps, (sd_json_format_flags_t) sessionctl_persist_json_format, stdout, NULL);
                return 0;
        }
        if (!snaps || sd_json_variant_elements(snaps) == 0) {
                printf("No snapshots of %s.\n", name);
                return 0;
        }
        printf("%-24s %10s %8s\n", "SNAPSHOT", "SIZE", "ENTRIES");
        for (size_t i = 0; i < sd_json_variant_elements(snaps); i++) {
                sd_json_variant *e = sd_json_variant_by_index(snaps, i), *n = sd_json_variant_by_key(e, "snapshot"),
                        *s = sd_json_variant_by_key(e, "size"),
                        *c = sd_json_variant_by_key(e, "entries");
                char sz[32];

                format_size(s && sd_json_variant_is_unsigned(s) ? sd_json_variant_unsigned(s) : 0, sz, sizeof(sz));
                printf("%-24s %10s %8" PRIu64 "\n",
                       n && sd_json_variant_is_string(n) ? sd_json_variant_string(n) : "?", sz,
                       c && sd_json_variant_is_unsigned(c) ? sd_json_variant_unsigned(c) : 0);
        }
        return 0;
}

int verb_snapshot(int argc, char **argv) {
        const char *sub, *method;
        int r;

        /* "snapshot save NAME SNAP" and "snapshot-save NAME SNAP" alike */
        if (strncmp(argv[0], "snapshot-", 9) == 0) {
                sub = argv[0] + 9;
                argv += 1;
                argc -= 1;
        } else {
                if (argc < 2) {
                        fprintf(stderr, "snapshot needs save, restore, list or delete.\n");
                        return 2;
                }
                sub = argv[1];
                argv += 2;
                argc -= 2;
        }

        if (streq(sub, "list")) {
                if (argc != 1) {
                        fprintf(stderr, "snapshot list needs one session name.\n");
                        return 2;
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
                fprintf(stderr, "Unknown snapshot verb: %s\n", sub);
                return 2;
        }
        if (argc != 2) {
                fprintf(stderr, "snapshot %s needs a session name and a snapshot name.\n", sub);
                return 2;
        }
        r = call(method, argv[0], argv[1], NULL);
        return r < 0 ? -r : 0;
}
