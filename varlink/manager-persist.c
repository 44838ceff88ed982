/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Persist, SnapshotSave, SnapshotRestore, SnapshotDelete, SnapshotList, and the restore flag of
 * Start. Copying a workspace keeps owners, overlay whiteouts (device nodes) and trusted.*
 * xattrs: work for CAP_CHOWN, CAP_MKNOD and CAP_SYS_ADMIN, none of which sessiond has. As for
 * everything privileged, it asks PID 1: each operation is a transient oneshot service running
 * sessiond-workspace (lib/workspace.c), and the call is answered when that job is done; the
 * helper's exit status (WORKSPACE_EXIT_*) names the error. Only SnapshotList, which reads,
 * runs in sessiond itself. Access as for the other methods: root may do anything, others only
 * with their own sessions. */

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "io.sessiond.Manager.h"
#include "manager.h"
#include "strv.h"
#include "workspace.h"

typedef struct PersistParams {
        const char *name;
        const char *snapshot;
} PersistParams;

typedef struct WorkspaceOpData {
        const char *method;     /* for messages */
        char *name;             /* session */
        char *snapshot;         /* NULL for Persist */
} WorkspaceOpData;

static void workspace_op_data_free(void *userdata) {
        WorkspaceOpData *d = userdata;

        if (!d)
                return;
        free(d->name);
        free(d->snapshot);
        free(d);
}

/* sessiond-workspace's exit status (WORKSPACE_EXIT_*) names the error. */
static int workspace_op_failed(ManagerOp *op, int status, const char *reason) {
        WorkspaceOpData *d = op->userdata;
        const char *name = d->name, *snap = d->snapshot;

        switch (status) {
        case WORKSPACE_EXIT_NO_LIVE:
                (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_NO_WORKSPACE,
                                          SD_JSON_BUILD_PAIR_STRING("name", name),
                                          SD_JSON_BUILD_PAIR_STRING("reason", "the session has no live workspace (overlay or tmpfs) to save"));
                return 1;
        case WORKSPACE_EXIT_NOT_FOUND:
                if (snap && !streq(d->method, "SnapshotSave"))
                        (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_NO_SUCH_SNAPSHOT,
                                                  SD_JSON_BUILD_PAIR_STRING("name", name),
                                                  SD_JSON_BUILD_PAIR_STRING("snapshot", snap));
                else
                        (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_NOTHING_SAVED,
                                                  SD_JSON_BUILD_PAIR_STRING("name", name));
                return 1;
        case WORKSPACE_EXIT_EXISTS:
                (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_SNAPSHOT_EXISTS,
                                          SD_JSON_BUILD_PAIR_STRING("name", name),
                                          SD_JSON_BUILD_PAIR_STRING("snapshot", strempty(snap)));
                return 1;
        default:
                return 0;
        }
}

static int dispatch(sd_varlink *link, sd_json_variant *parameters, bool with_snapshot, PersistParams *p) {
        const sd_json_dispatch_field table[] = {
                { "name",     SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(PersistParams, name),     SD_JSON_MANDATORY },
                { "snapshot", SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(PersistParams, snapshot), SD_JSON_MANDATORY },
                {}
        };
        const sd_json_dispatch_field table_name[] = { table[0], {} };
        int r;

        r = sd_varlink_dispatch(link, parameters, with_snapshot ? table : table_name, p);
        if (r != 0)
                return r;
        if (with_snapshot && !workspace_snapshot_name_is_valid(p->snapshot))
                return sd_varlink_error_invalid_parameter_name(link, "snapshot");
        return 0;
}

static int run_op(sd_varlink *link, sd_json_variant *parameters, void *userdata, const char *method,
                  const char *verb, bool with_snapshot) {
        Manager *m = userdata;
        PersistParams p = {};
        ManagedSession *s = NULL;
        _cleanup_(manager_op_freep) ManagerOp *op = NULL;
        WorkspaceOpData *d;
        int r;

        r = dispatch(link, parameters, with_snapshot, &p);
        if (r != 0)
                return r;
        r = manager_op_check_access(m, link, p.name, &s);
        if (r <= 0)
                return r;
        if (streq(verb, "persist") && s && s->record.state != SESSION_RUNNING)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOT_RUNNING, SD_JSON_BUILD_PAIR_STRING("name", p.name));

        op = manager_op_new(link);
        if (!op)
                return -ENOMEM;
        d = calloc(1, sizeof(WorkspaceOpData));
        if (!d)
                return -ENOMEM;
        op->userdata = d;
        op->free_userdata = workspace_op_data_free;
        op->failed = workspace_op_failed;
        d->method = method;
        d->name = strdup(p.name);
        if (!d->name)
                return -ENOMEM;
        if (p.snapshot) {
                d->snapshot = strdup(p.snapshot);
                if (!d->snapshot)
                        return -ENOMEM;
        }
        r = strv_extend(&op->argv, SESSIOND_WORKSPACE_PATH);
        if (r >= 0)
                r = strv_extend(&op->argv, verb);
        if (r >= 0)
                r = strv_extend(&op->argv, p.name);
        if (r >= 0 && p.snapshot)
                r = strv_extend(&op->argv, p.snapshot);
        if (r < 0)
                return r;
        if (asprintf(&op->description, "sessiond workspace %s %s%s%s", verb, p.name,
                     p.snapshot ? " " : "", strempty(p.snapshot)) < 0) {
                op->description = NULL;
                return -ENOMEM;
        }
        return manager_op_start(m, TAKE_PTR(op), "sessiond-workspace");
}

static int vl_method_persist(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return run_op(link, parameters, userdata, "Persist", "persist", false);
}

static int vl_method_snapshot_save(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return run_op(link, parameters, userdata, "SnapshotSave", "snapshot-save", true);
}

static int vl_method_snapshot_restore(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return run_op(link, parameters, userdata, "SnapshotRestore", "snapshot-restore", true);
}

static int vl_method_snapshot_delete(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        return run_op(link, parameters, userdata, "SnapshotDelete", "snapshot-delete", true);
}

static int vl_method_snapshot_list(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *array = NULL;
        WorkspacePaths paths = WORKSPACE_PATHS_DEFAULT;
        WorkspaceSnapshot *l = NULL;
        PersistParams p = {};
        size_t n = 0;
        int r;

        r = dispatch(link, parameters, false, &p);
        if (r != 0)
                return r;
        r = manager_op_check_access(userdata, link, p.name, NULL);
        if (r <= 0)
                return r;

        r = workspace_snapshot_list(&paths, p.name, &l, &n);
        if (r < 0)
                return r;
        r = sd_json_variant_new_array(&array, NULL, 0);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_json_variant_append_arraybo(&array,
                                SD_JSON_BUILD_PAIR_STRING("snapshot", l[i].name),
                                SD_JSON_BUILD_PAIR_UNSIGNED("size", l[i].size),
                                SD_JSON_BUILD_PAIR_UNSIGNED("entries", l[i].n_files),
                                SD_JSON_BUILD_PAIR_UNSIGNED("createdUSec", (uint64_t) l[i].mtime_sec * 1000000ULL));
        workspace_snapshots_free(l, n);
        if (r < 0)
                return r;
        return sd_varlink_replybo(link, SD_JSON_BUILD_PAIR_VARIANT("snapshots", array));
}

int manager_persist_bind(Manager *m) {
        return sd_varlink_server_bind_method_many(
                        m->server,
                        "io.sessiond.Manager.Persist", vl_method_persist,
                        "io.sessiond.Manager.SnapshotSave", vl_method_snapshot_save,
                        "io.sessiond.Manager.SnapshotRestore", vl_method_snapshot_restore,
                        "io.sessiond.Manager.SnapshotDelete", vl_method_snapshot_delete,
                        "io.sessiond.Manager.SnapshotList", vl_method_snapshot_list);
}

int manager_prepare_restore(sd_varlink *link, Session *session) {
        WorkspacePaths paths = WORKSPACE_PATHS_DEFAULT;
        int r;

        assert(session);

        /* Only workspaces that sessiond-workspace mounts have something to restore into. */
        if (session->workspace_mode != WORKSPACE_OVERLAY &&
            !(session->workspace_mode == WORKSPACE_TMPFS && session->on_end == SESSION_ON_END_PERSIST))
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NO_WORKSPACE,
                                          SD_JSON_BUILD_PAIR_STRING("name", session->name),
                                          SD_JSON_BUILD_PAIR_STRING("reason", "restore needs [Workspace] Mode=overlay, or Mode=tmpfs with OnEnd=persist"));
        r = workspace_has_saved(&paths, session->name);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOTHING_SAVED,
                                          SD_JSON_BUILD_PAIR_STRING("name", session->name));
        session->workspace_restore = true;      /* the unit stages it before setup */
        return 1;
}
