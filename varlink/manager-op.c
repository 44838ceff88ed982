/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Privileged operations on behalf of a Varlink call. sessiond has no capabilities and its own
 * network namespace: what needs more (copying a workspace with its owners, loading nftables
 * rules) PID 1 runs for it, as a transient oneshot service with the helper's argv. The call is
 * answered when the job is done: on success by the op's done() (an empty reply if it has none),
 * on failure by its failed(), given the helper's exit status. */

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "io.sessiond.Manager.h"
#include "manager.h"
#include "session-render-bus.h"
#include "strv.h"
#include "time-util.h"

ManagerOp *manager_op_new(sd_varlink *link) {
        ManagerOp *op;

        op = calloc(1, sizeof(ManagerOp));
        if (!op)
                return NULL;
        op->link = sd_varlink_ref(link);
        return op;
}

void manager_op_free(ManagerOp *op) {
        if (!op)
                return;
        sd_varlink_unref(op->link);
        strv_free(op->argv);
        free(op->unit);
        free(op->description);
        if (op->free_userdata)
                op->free_userdata(op->userdata);
        free(op);
}

static void manager_op_done(ManagerOp *op) {
        Manager *m = op->manager;

        for (size_t i = 0; i < m->n_ops; i++)
                if (m->ops[i] == op) {
                        memmove(m->ops + i, m->ops + i + 1, (m->n_ops - i - 1) * sizeof(ManagerOp *));
                        m->n_ops--;
                        break;
                }
        manager_op_free(op);
        if (m->n_pending_calls > 0)
                m->n_pending_calls--;
        manager_check_exit(m);
}

void manager_ops_free(Manager *m) {
        for (size_t i = 0; i < m->n_ops; i++)
                manager_op_free(m->ops[i]);
        free(m->ops);
        m->ops = NULL;
        m->n_ops = 0;
        m->op_job_slot = sd_bus_slot_unref(m->op_job_slot);
}

static void reply_failed(ManagerOp *op, int status, const char *reason) {
        if (!op->failed || op->failed(op, status, reason) == 0)
                (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_UNIT_FAILED,
                                          SD_JSON_BUILD_PAIR_STRING("unit", op->unit),
                                          SD_JSON_BUILD_PAIR_STRING("reason", reason));
}

static int on_exec_main_status(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ManagerOp *op = userdata;
        int32_t status = -1;
        char reason[96];

        if (!sd_bus_message_is_method_error(reply, NULL))
                (void) sd_bus_message_read(reply, "v", "i", &status);
        snprintf(reason, sizeof reason, "%s exited with status %i", op->argv[0], (int) status);
        reply_failed(op, status, reason);
        fprintf(stderr, "%s failed: %s.\n", op->description, reason);
        /* a failed unit stays loaded until reset: it was only there for this call */
        (void) sd_bus_call_method_async(op->manager->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        "ResetFailedUnit", NULL, NULL, "s", op->unit);
        manager_op_done(op);
        return 0;
}

static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *get = NULL;
        _cleanup_free_ char *path = NULL;
        Manager *m = userdata;
        const char *job, *unit, *result;
        ManagerOp *op = NULL;
        uint32_t id;
        int r;

        if (sd_bus_message_read(msg, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        for (size_t i = 0; i < m->n_ops; i++)
                if (streq(m->ops[i]->unit, unit) && !m->ops[i]->finished)
                        op = m->ops[i];
        if (!op)
                return 0;
        op->finished = true;

        if (streq(result, "done")) {
                if (!op->done || op->done(op) == 0)
                        (void) sd_varlink_reply(op->link, NULL);
                manager_op_done(op);
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
                r = manager_bus_call_async(m, get, on_exec_main_status, op, NULL);
        if (r < 0) {
                reply_failed(op, -1, result);
                manager_op_done(op);
        }
        return 0;
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ManagerOp *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e || op->finished)
                return 0;       /* JobRemoved tells the rest */
        op->finished = true;
        (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_UNIT_FAILED,
                                  SD_JSON_BUILD_PAIR_STRING("unit", op->unit),
                                  SD_JSON_BUILD_PAIR_STRING("reason", e->message ?: e->name));
        manager_op_done(op);
        return 0;
}

int manager_op_start(Manager *m, ManagerOp *op, const char *unit_prefix) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        ManagerOp **l;
        int r;

        assert(m);
        assert(op);
        assert(op->link);
        assert(op->description);
        assert(op->argv && op->argv[0]);

        op->manager = m;
        if (!m->op_job_slot) {
                r = sd_bus_match_signal_async(m->bus, &m->op_job_slot, SYSTEMD_DEST, SYSTEMD_PATH,
                                              SYSTEMD_MANAGER, "JobRemoved", on_job_removed, NULL, m);
                if (r < 0)
                        goto fail;
        }
        if (asprintf(&op->unit, "%s-%" PRIu64 "-%zu.service", unit_prefix, now_realtime_usec(), m->n_ops) < 0) {
                op->unit = NULL;
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
                r = sd_bus_message_append(msg, "(sv)", "Description", "s", op->description);
        if (r >= 0)
                r = bus_append_unit_setting(msg, "Type", "oneshot", false);
        if (r >= 0)
                r = bus_append_exec_command_full(msg, "ExecStart", op->argv, false);
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r >= 0)
                r = sd_bus_message_append(msg, "a(sa(sv))", 0);
        if (r < 0)
                goto fail;

        l = reallocarray(m->ops, m->n_ops + 1, sizeof(ManagerOp *));
        if (!l) {
                r = -ENOMEM;
                goto fail;
        }
        m->ops = l;
        m->ops[m->n_ops++] = op;
        m->n_pending_calls++;           /* keeps the daemon up until it is answered */

        r = manager_bus_call_async(m, msg, on_start_reply, op, NULL);
        if (r < 0) {
                op->finished = true;
                (void) sd_varlink_error_errno(op->link, r);
                manager_op_done(op);
                return 0;
        }
        fprintf(stderr, "%s.\n", op->description);
        return 0;

fail:
        manager_op_free(op);
        return r;
}

/* Root may do anything; others only with sessions they own. A session sessiond does not track
 * (a generator session never started through it, or one forgotten) is root's. Returns 1 if the
 * call may go on, 0 if it was answered. */
int manager_op_check_access(Manager *m, sd_varlink *link, const char *name, ManagedSession **ret) {
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
