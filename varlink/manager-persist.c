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
#include "session-render-bus.h"
#include "time-util.h"
#include "workspace.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

struct WorkspaceOp {
        Manager *manager;
        sd_varlink *link;
        char *name;             /* session */
        char *snapshot;         /* NULL for Persist */
        char *unit;             /* sessiond-workspace-…service, unique */
        const char *method;     /* for messages */
        bool finished;          /* JobRemoved seen */
};

typedef struct PersistParams {
        const char *name;
        const char *snapshot;
} PersistParams;

static void workspace_op_free(WorkspaceOp *op) {
        if (!op)
                return;
        sd_varlink_unref(op->link);
        free(op->name);
        free(op->snapshot);
        free(op->unit);
        free(op);
}

static void workspace_op_done(WorkspaceOp *op) {
        Manager *m = op->manager;

        for (size_t i = 0; i < m->n_workspace_ops; i++)
                if (m->workspace_ops[i] == op) {
                        memmove(m->workspace_ops + i, m->workspace_ops + i + 1,
                                (m->n_workspace_ops - i - 1) * sizeof(WorkspaceOp *));
                        m->n_workspace_ops--;
                        break;
                }
        workspace_op_free(op);
        if (m->n_pending_calls > 0)
                m->n_pending_calls--;
        manager_check_exit(m);
}

void manager_workspace_ops_free(Manager *m) {
        for (size_t i = 0; i < m->n_workspace_ops; i++)
                workspace_op_free(m->workspace_ops[i]);
        free(m->workspace_ops);
        m->workspace_ops = NULL;
        m->n_workspace_ops = 0;
        m->workspace_job_slot = sd_bus_slot_unref(m->workspace_job_slot);
}

static int reply_error(WorkspaceOp *op, int status, const char *reason) {
        const char *name = op->name, *snap = op->snapshot;

        switch (status) {
        case WORKSPACE_EXIT_NO_LIVE:
                return sd_varlink_errorbo(op->link, SESSIOND_ERROR_NO_WORKSPACE,
                                          SD_JSON_BUILD_PAIR_STRING("name", name),
                                          SD_JSON_BUILD_PAIR_STRING("reason", "the session has no live workspace (overlay or tmpfs) to save"));
        case WORKSPACE_EXIT_NOT_FOUND:
                if (snap && !streq(op->method, "SnapshotSave"))
                        return sd_varlink_errorbo(op->link, SESSIOND_ERROR_NO_SUCH_SNAPSHOT,
                                                  SD_JSON_BUILD_PAIR_STRING("name", name),
                                                  SD_JSON_BUILD_PAIR_STRING("snapshot", snap));
                return sd_varlink_errorbo(op->link, SESSIOND_ERROR_NOTHING_SAVED,
                                          SD_JSON_BUILD_PAIR_STRING("name", name));
        case WORKSPACE_EXIT_EXISTS:
                return sd_varlink_errorbo(op->link, SESSIOND_ERROR_SNAPSHOT_EXISTS,
                                          SD_JSON_BUILD_PAIR_STRING("name", name),
                                          SD_JSON_BUILD_PAIR_STRING("snapshot", strempty(snap)));
        default:
                return sd_varlink_errorbo(op->link, SESSIOND_ERROR_UNIT_FAILED,
                                          SD_JSON_BUILD_PAIR_STRING("unit", op->unit),
                                          SD_JSON_BUILD_PAIR_STRING("reason", reason));
        }
}

static int on_exec_main_status(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        WorkspaceOp *op = userdata;
        int32_t status = -1;
        char reason[64];

        if (!sd_bus_message_is_method_error(reply, NULL))
                (void) sd_bus_message_read(reply, "v", "i", &status);
        snprintf(reason, sizeof reason, "sessiond-workspace exited with status %i", (int) status);
        (void) reply_error(op, status, reason);
        fprintf(stderr, "%s of %s%s%s failed: %s.\n", op->method, op->name, op->snapshot ? "/" : "",
                strempty(op->snapshot), reason);
        /* a failed unit stays loaded until reset: it was only there for this call */
        (void) sd_bus_call_method_async(op->manager->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        "ResetFailedUnit", NULL, NULL, "s", op->unit);
        workspace_op_done(op);
        return 0;
}

static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *get = NULL;
        _cleanup_free_ char *path = NULL;
        Manager *m = userdata;
        const char *job, *unit, *result;
        WorkspaceOp *op = NULL;
        uint32_t id;
        int r;

        if (sd_bus_message_read(msg, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        for (size_t i = 0; i < m->n_workspace_ops; i++)
                if (streq(m->workspace_ops[i]->unit, unit) && !m->workspace_ops[i]->finished)
                        op = m->workspace_ops[i];
        if (!op)
                return 0;
        op->finished = true;

        if (streq(result, "done")) {
                (void) sd_varlink_reply(op->link, NULL);
                workspace_op_done(op);
                return 0;
        }
        /* Failed: the exit status says why. */
        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r >= 0)
                r = sd_bus_message_new_method_call(m->bus, &get, SYSTEMD_DEST, path,
                                                   "org.freedesktop.DBus.Properties", "Get");
        if (r >= 0)
                r = sd_bus_message_append(get, "ss", "org.freedesktop.systemd1.Service", "ExecMainStatus");
        if (r >= 0)
                r = sd_bus_call_async(m->bus, NULL, get, on_exec_main_status, op, 0);
        if (r < 0) {
                (void) reply_error(op, -1, result);
                workspace_op_done(op);
        }
        return 0;
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        WorkspaceOp *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e || op->finished)
                return 0;       /* JobRemoved tells the rest */
        op->finished = true;
        (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_UNIT_FAILED,
                                  SD_JSON_BUILD_PAIR_STRING("unit", op->unit),
                                  SD_JSON_BUILD_PAIR_STRING("reason", e->message ?: e->name));
        workspace_op_done(op);
        return 0;
}

/* Starts "sessiond-workspace VERB NAME [SNAPSHOT]" as a transient oneshot service; the reply to
 * op->link follows when its job is done. Takes ownership of op. */
static int workspace_op_start(Manager *m, WorkspaceOp *op, const char *verb) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        _cleanup_free_ char *description = NULL;
        char *argv[] = { (char *) SESSIOND_WORKSPACE_PATH, (char *) verb, op->name, op->snapshot, NULL };
        WorkspaceOp **l;
        int r;

        if (!m->workspace_job_slot) {
                r = sd_bus_match_signal_async(m->bus, &m->workspace_job_slot, SYSTEMD_DEST, SYSTEMD_PATH,
                                              SYSTEMD_MANAGER, "JobRemoved", on_job_removed, NULL, m);
                if (r < 0)
                        goto fail;
        }
        if (asprintf(&op->unit, "sessiond-workspace-%" PRIu64 "-%zu.service", now_realtime_usec(),
                     m->n_workspace_ops) < 0 ||
            asprintf(&description, "sessiond workspace %s %s%s%s", verb, op->name, op->snapshot ? " " : "",
                     strempty(op->snapshot)) < 0) {
                r = -ENOMEM;
                goto fail;
        }

        r = sd_bus_message_new_method_call(m->bus, &msg, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(msg, "ss", op->unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Description", "s", description);
        if (r >= 0)
                r = bus_append_unit_setting(msg, "Type", "oneshot", false);
        if (r >= 0)
                r = bus_append_exec_command_full(msg, "ExecStart", argv, false);
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "a(sa(sv))", 0);
        if (r < 0)
                goto fail;

        l = realloc(m->workspace_ops, (m->n_workspace_ops + 1) * sizeof(WorkspaceOp *));
        if (!l) {
                r = -ENOMEM;
                goto fail;
        }
        m->workspace_ops = l;
        m->workspace_ops[m->n_workspace_ops++] = op;
        m->n_pending_calls++;           /* keeps the daemon up until it is answered */

        r = sd_bus_call_async(m->bus, NULL, msg, on_start_reply, op, 0);
        if (r < 0) {
                op->finished = true;
                (void) sd_varlink_error_errno(op->link, r);
                workspace_op_done(op);
                return 0;
        }
        fprintf(stderr, "%s: %s.\n", op->method, description);
        return 0;

fail:
        workspace_op_free(op);
        return r;
}

/* Root may do anything; others only with sessions they own. A session sessiond does not track
 * (a generator session never started through it, or one forgotten) is root's. Returns 1 if the
 * call may go on, 0 if it was answered. */
static int check_access(Manager *m, sd_varlink *link, const char *name, ManagedSession **ret) {
        ManagedSession *s;
        uid_t uid;
        int r;

        if (!session_name_is_valid(name))
                return sd_varlink_error_invalid_parameter_name(link, "name");
        r = sd_varlink_get_peer_uid(link, &uid);
        if (r < 0)
                return r;
        s = manager_find_session(m, name);
        if (!s && uid != 0)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NO_SUCH_SESSION, SD_JSON_BUILD_PAIR_STRING("name", name));
        if (s && uid != 0 && uid != s->record.owner)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_PERMISSION_DENIED,
                                          SD_JSON_BUILD_PAIR_STRING("reason", "the session belongs to another user"));
        if (ret)
                *ret = s;
        return 1;
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
        WorkspaceOp *op;
        int r;

        r = dispatch(link, parameters, with_snapshot, &p);
        if (r != 0)
                return r;
        r = check_access(m, link, p.name, &s);
        if (r <= 0)
                return r;
        if (streq(verb, "persist") && s && s->record.state != SESSION_RUNNING)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOT_RUNNING, SD_JSON_BUILD_PAIR_STRING("name", p.name));

        op = calloc(1, sizeof(WorkspaceOp));
        if (!op)
                return -ENOMEM;
        op->manager = m;
        op->method = method;
        op->link = sd_varlink_ref(link);
        op->name = strdup(p.name);
        op->snapshot = p.snapshot ? strdup(p.snapshot) : NULL;
        if (!op->name || (p.snapshot && !op->snapshot)) {
                workspace_op_free(op);
                return -ENOMEM;
        }
        return workspace_op_start(m, op, verb);
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
        r = check_access(userdata, link, p.name, NULL);
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
