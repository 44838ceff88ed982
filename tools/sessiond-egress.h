/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by sessiond-egress.c and sessiond-egress-dns.c (the AllowHost= stub). */

#include <inttypes.h>
#include <stddef.h>

#include "egress.h"
#include "macro.h"
#include "parse-util.h"
#include "root-file.h"
#include "tool-log.h"

/* Writes the session's stub config and resolv.conf (see lib/egress-stub-config.h); upstreams may
 * be empty: then the host's resolv.conf names them. Returns where the stub will listen. */
int dns_stub_write_config(const char *name, char **upstreams, const EgressHost *hosts, size_t n_hosts,
                          EgressStub *ret_stub);
/* (Re)starts sessiond-dns@NAME.service and waits until the stub answers. */
int dns_stub_start(const char *name, const EgressStub *stub);
/* Stops the stub unit and removes its files; nothing to do is success. */
int dns_stub_remove(const char *name);
/* EGRESS_STUB_DIR/NAME.policy, the policy as loaded (see lib/egress-stub-config.h) */
int egress_write_policy(const char *name, const EgressRule *rules, size_t n_rules,
                        const EgressHost *hosts, size_t n_hosts, char **dns);
int egress_remove_policy(const char *name);
/* Serves the stub of the session until SIGTERM. */
int verb_stub(EgressContext *ctx, const char *name);

/* sessiond-egress-net.c: the veth of an nspawn session (net-up NAME --interface=IF --machine=M),
 * and its part of remove. */
int verb_net_up(EgressContext *ctx, const char *name, int argc, char *argv[]);
int net_remove(EgressContext *ctx, const char *name);
/* An update of a running nspawn session's policy with AllowHost= names, before anything else changes:
 * its machine must be there (machined knows it, its leader is in the session's unit), and the
 * machine's own /etc/resolv.conf is pointed at the host's side of its veth first (the step that the
 * machine can make fail: a directory, an immutable or read-only file there). Nothing to do for a
 * session without a veth (*ret has nothing to restore). On failure nothing has changed. */
int net_dns_begin(const char *name, RootFileChange *ret);
/* The update failed after net_dns_begin(): that file is set back (logged if it cannot be). */
void net_dns_abort(const char *name, RootFileChange *c);
/* After an update: the DNS of a running nspawn session follows its AllowHost= (redirect to its stub,
 * or no redirect); nothing for a session without a veth. */
int net_dns_update(EgressContext *ctx, const char *name);
