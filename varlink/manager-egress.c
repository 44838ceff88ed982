/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* UpdateEgress: replaces the egress policy of a running session without restarting it.
 *
 * Two layers hold a policy (see lib/egress.h): the session's chain in table inet sessiond, and
 * for static policies the slice's IPAddressDeny=/IPAddressAllow= in cgroup BPF. nftables needs
 * CAP_NET_ADMIN in the host's network namespace, which sessiond lacks by design: PID 1 runs
 * "sessiond-egress update" for it (manager-op.c), one nftables transaction, the same helper and
 * arguments as the unit's own ExecStartPre=. Then the slice's address filter is set to what a
 * fresh start with the new policy would have (SetUnitProperties, runtime). Between the two steps
 * a packet must pass both the old filter and the new chain: never more than either policy allows.
 *
 * Access as for the other methods: the owner of a session may change its policy, since it could
 * have started the session with that policy in the first place; root may change any. */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "egress-net.h"
#include "egress-policy.h"
#include "io.sessiond.Manager.h"
#include "manager.h"
#include "parse-util.h"
#include "session-render-bus.h"
#include "session-render.h"
#include "strv.h"

typedef struct UpdateEgressParams {
        const char *name;
        char **allow;
        char **allow_host;
        char **dns;
} UpdateEgressParams;

static void update_egress_params_done(UpdateEgressParams *p) {
        strv_free(p->allow);
        strv_free(p->allow_host);
        strv_free(p->dns);
}

/* The policy as a Session (name and egress fields only), or 0 after answering InvalidParameter
 * with the field that is wrong. */
static int policy_from_params(sd_varlink *link, const UpdateEgressParams *p, Session **ret) {
        _cleanup_(session_freep) Session *s = NULL;

        s = session_new();
        if (!s)
                return -ENOMEM;
        s->name = strdup(p->name);
        s->egress_rules = calloc(strv_length(p->allow) + 1, sizeof(EgressRule));
        s->egress_hosts = calloc(strv_length(p->allow_host) + 1, sizeof(EgressHost));
        s->dns_servers = strv_copy(p->dns ?: (char *[]) { NULL });
        if (!s->name || !s->egress_rules || !s->egress_hosts || !s->dns_servers)
                return -ENOMEM;

        STRV_FOREACH(a, p->allow) {
                if (egress_rule_from_string(*a, s->egress_rules + s->n_egress_rules) < 0)
                        return sd_varlink_error_invalid_parameter_name(link, "allow");
                s->n_egress_rules++;
        }
        STRV_FOREACH(h, p->allow_host) {
                if (egress_host_from_string(*h, s->egress_hosts + s->n_egress_hosts) < 0)
                        return sd_varlink_error_invalid_parameter_name(link, "allowHost");
                s->n_egress_hosts++;
        }
        STRV_FOREACH(d, s->dns_servers) {
                uint8_t address[16];
                int family;

                if (parse_ip_address(*d, &family, address) < 0)
                        return sd_varlink_error_invalid_parameter_name(link, "dns");
        }
        *ret = TAKE_PTR(s);
        return 1;
}

typedef struct SliceUpdate {
        sd_varlink *link;
        char *slice;
} SliceUpdate;

static void slice_update_free(void *userdata) {
        SliceUpdate *u = userdata;

        if (!u)
                return;
        sd_varlink_unref(u->link);
        free(u->slice);
        free(u);
}

static int on_set_properties_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SliceUpdate *u = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e) {
                /* nftables has the new policy, the slice's filter the old one: what passes is
                 * what both allow. Say so rather than pretend either. */
                fprintf(stderr, "UpdateEgress: cannot set the address filter of %s: %s\n", u->slice,
                        e->message ?: e->name);
                (void) sd_varlink_errorbo(u->link, SESSIOND_ERROR_UNIT_FAILED,
                                          SD_JSON_BUILD_PAIR_STRING("unit", u->slice),
                                          SD_JSON_BUILD_PAIR_STRING("reason", e->message ?: e->name));
        } else
                (void) sd_varlink_reply(u->link, NULL);
        return 0;
}

/* An nspawn session with a veth (sessiond-egress net-up recorded it) gets no cgroup BPF filter:
 * its chain on the host filters and counts (see session_render_ip_policy()). */
static int policy_backend(Session *policy) {
        _cleanup_free_ char *record = NULL;
        int r;

        r = egress_net_record_path(policy->name, &record);
        if (r < 0)
                return r;
        if (access(record, F_OK) >= 0)
                policy->backend = SESSION_BACKEND_NSPAWN;
        else if (errno != ENOENT)
                return -errno;
        return 0;
}

/* The slice's IPAddressDeny=/IPAddressAllow= as a fresh start with the new policy would have
 * them: both lists reset (an empty list resets), then the rendered ones. */
static int set_slice_filter(Manager *m, sd_varlink *link, Session *policy) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments a = {};
        SliceUpdate *u;
        int r;

        u = calloc(1, sizeof(SliceUpdate));
        if (!u)
                return -ENOMEM;
        u->link = sd_varlink_ref(link);
        r = session_slice_name(policy->name, &u->slice);
        if (r >= 0)
                r = policy_backend(policy);
        if (r >= 0)
                r = session_render_ip_policy(policy, &a);
        if (r >= 0)
                r = sd_bus_message_new_method_call(m->bus, &msg, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                                   "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(msg, "sb", u->slice, true);
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r >= 0)
                r = bus_append_unit_setting(msg, "IPAddressDeny", "", false);
        if (r >= 0)
                r = bus_append_unit_setting(msg, "IPAddressAllow", "", false);
        if (r >= 0)
                r = bus_append_unit_assignments(msg, &a, NULL, NULL);
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r >= 0)
                r = manager_bus_call_async(m, msg, on_set_properties_reply, u, slice_update_free);
        if (r < 0)
                slice_update_free(u);
        return r;
}

static int update_done(ManagerOp *op) {
        int r;

        /* answered when PID 1 has answered */
        r = set_slice_filter(op->manager, op->link, op->userdata);
        if (r < 0)
                (void) sd_varlink_error_errno(op->link, r);
        return 1;
}

static int update_failed(ManagerOp *op, int status, const char *reason) {
        const Session *policy = op->userdata;

        if (status != EGRESS_EXIT_NOT_LOADED)
                return 0;
        (void) sd_varlink_errorbo(op->link, SESSIOND_ERROR_NOT_RUNNING,
                                  SD_JSON_BUILD_PAIR_STRING("name", policy->name),
                                  SD_JSON_BUILD_PAIR_STRING("reason", "the session has no egress policy loaded: it is not running, or was started without network"));
        return 1;
}

static void policy_free(void *userdata) {
        session_free(userdata);
}

static int vl_method_update_egress(sd_varlink *link, sd_json_variant *parameters, sd_varlink_method_flags_t flags, void *userdata) {
        static const sd_json_dispatch_field table[] = {
                { "name",      SD_JSON_VARIANT_STRING, sd_json_dispatch_const_string, offsetof(UpdateEgressParams, name),       SD_JSON_MANDATORY },
                { "allow",     SD_JSON_VARIANT_ARRAY,  sd_json_dispatch_strv,         offsetof(UpdateEgressParams, allow),      SD_JSON_NULLABLE  },
                { "allowHost", SD_JSON_VARIANT_ARRAY,  sd_json_dispatch_strv,         offsetof(UpdateEgressParams, allow_host), SD_JSON_NULLABLE  },
                { "dns",       SD_JSON_VARIANT_ARRAY,  sd_json_dispatch_strv,         offsetof(UpdateEgressParams, dns),        SD_JSON_NULLABLE  },
                {}
        };
        _cleanup_(update_egress_params_done) UpdateEgressParams p = {};
        _cleanup_(manager_op_freep) ManagerOp *op = NULL;
        _cleanup_(session_freep) Session *policy = NULL;
        Manager *m = userdata;
        ManagedSession *s = NULL;
        int r;

        r = sd_varlink_dispatch(link, parameters, table, &p);
        if (r != 0)
                return r;
        r = manager_op_check_access(m, link, p.name, &s);
        if (r <= 0)
                return r;
        if (s && s->record.state != SESSION_RUNNING)
                return sd_varlink_errorbo(link, SESSIOND_ERROR_NOT_RUNNING, SD_JSON_BUILD_PAIR_STRING("name", p.name));
        /* Everything is checked before anything changes. */
        r = policy_from_params(link, &p, &policy);
        if (r <= 0)
                return r;

        op = manager_op_new(link);
        if (!op)
                return -ENOMEM;
        r = session_egress_argv(policy, "update", NULL, &op->argv);
        if (r < 0)
                return r;
        if (asprintf(&op->description, "sessiond egress update %s", p.name) < 0) {
                op->description = NULL;
                return -ENOMEM;
        }
        op->done = update_done;
        op->failed = update_failed;
        op->userdata = TAKE_PTR(policy);
        op->free_userdata = policy_free;
        return manager_op_start(m, TAKE_PTR(op), "sessiond-egress-update");
}

int manager_egress_bind(Manager *m) {
        return sd_varlink_server_bind_method(m->server, "io.sessiond.Manager.UpdateEgress", vl_method_update_egress);
}
