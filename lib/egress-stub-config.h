/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The per-session DNS stub of a session with AllowHost= names, as the units run it:
 *
 *   ExecStartPre=+sessiond-egress setup NAME ... --allow-host=H --dns=UPSTREAM
 *       picks the session's stub address (a 127.0.0.0/8 address of its own, port 53), writes
 *       EGRESS_STUB_DIR/NAME.conf (below) and NAME.resolv ("nameserver ADDRESS"), loads the
 *       session's chain with an accept rule for that address alone, and starts
 *       sessiond-dns@NAME.service, which serves the stub (sessiond-egress stub NAME).
 *   BindReadOnlyPaths=EGRESS_STUB_DIR/NAME.resolv:/etc/resolv.conf in the session's service.
 *   ExecStopPost=+sessiond-egress remove NAME stops the stub and removes both files.
 *
 * Sessions of the service backend share the host's network namespace, so the stubs are told
 * apart by address: every session has its own, and its chain accepts DNS to that one only (the
 * other stubs' addresses, and the upstream resolvers, fall to the chain's final drop).
 *
 * NAME.conf, one "KEY VALUE" per line:
 *   listen 127.A.B.C        the stub's address (port 53)
 *   upstream ADDRESS        a resolver the stub forwards allowed names to (the first one is used)
 *   host NAME[ PROTO:PORT]  an AllowHost= name, as egress_host_to_string() writes it
 *
 * Nothing here logs. */

#include <stdint.h>

#include "macro.h"
#include "session.h"

#define EGRESS_STUB_DIR SESSIOND_RUNTIME_DIR "/egress"
#define EGRESS_STUB_PORT 53
#define EGRESS_STUB_UNIT_PREFIX "sessiond-dns@"

typedef struct EgressStubConfig {
        uint8_t listen[4];              /* IPv4, in 127.128.0.0/9 */
        char **upstreams;               /* IP addresses, NULL-terminated */
        EgressHost *hosts;
        size_t n_hosts;
} EgressStubConfig;

void egress_stub_config_done(EgressStubConfig *c);

/* Candidate number 'attempt' for the session's stub address: a hash of the name into
 * 127.128.0.0/9 (away from 127.0.0.1 and systemd-resolved's 127.0.0.53/54); the next attempts
 * probe further on. Never .0 or .255 in the last byte. */
void egress_stub_address_candidate(const char *session, unsigned attempt, uint8_t ret[static 4]);

/* The address the session's own NAME.conf in dir lists, if no other session's lists it too (a
 * policy update keeps its stub where the session's resolv.conf points); else the first candidate
 * address that no other session's NAME.conf lists. The caller holds a lock on the directory. */
int egress_stub_address_pick(int dir_fd, const char *session, uint8_t ret[static 4]);

int egress_stub_config_format(const EgressStubConfig *c, char **ret);
/* -EBADMSG for a line that is not one of the above; -EINVAL for a config without listen or
 * upstream. */
int egress_stub_config_parse(const char *text, EgressStubConfig *ret);
/* "nameserver 127.A.B.C\n": the session's resolver is its stub alone. */
int egress_stub_resolv_conf(const EgressStubConfig *c, char **ret);

/* The "nameserver" addresses of a resolv.conf text, NULL-terminated (empty if there are none). */
int egress_stub_nameservers_from_resolv_conf(const char *text, char ***ret);

/* NAME.policy, written by sessiond-egress setup/update for every session with a chain, for
 * `sessionctl status` and `sessionctl egress --show`: the policy as loaded, one "KEY VALUE" a line,
 * "allow RULE" (egress_rule_to_string()), "host HOST" (egress_host_to_string()), "dns ADDRESS". */
int egress_policy_format(const EgressRule *rules, size_t n_rules, const EgressHost *hosts, size_t n_hosts,
                         char **dns, char **ret);
int egress_policy_file(const char *session, char **ret);
/* The same below EGRESS_STUB_DIR. */
int egress_policy_path(const char *session, char **ret);

/* "NAME.conf", "NAME.resolv", "sessiond-dns@NAME.service" */
int egress_stub_config_file(const char *session, char **ret);
int egress_stub_resolv_file(const char *session, char **ret);
int egress_stub_unit_name(const char *session, char **ret);
