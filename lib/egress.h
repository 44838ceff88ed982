/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Egress enforcement in nftables, through libnftables (never by running nft).
 *
 * One table, "inet sessiond":
 *
 *   chain output  { type filter hook output priority filter; policy accept;
 *                   socket cgroupv2 level 2 vmap @session_chains
 *                   socket cgroupv2 level 1 @sessions_cg jump sessions
 *                   jump unmatched }
 *   chain forward { type filter hook forward priority filter; policy accept; jump machines }
 *   chain input   { type filter hook input priority filter; policy accept; jump machines }
 *   chain postrouting { type nat hook postrouting priority srcnat; policy accept; jump machines_nat }
 *   chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump machines_dns }
 *   map session_chains { type cgroupsv2 : verdict }   session slice -> "jump s_N", one lookup per
 *                    packet whatever the number of sessions: egress_session_bind_cgroup() adds a
 *                    slice once it exists (systemd's NFTSet= fills only plain sets, not maps).
 *   chain sessions   the fallback for a slice not bound in the map (yet): per session
 *                    "socket cgroupv2 level 2 @s_N_cg jump s_N", one lookup per session, and only
 *                    for sockets below sessiond.slice.
 *   chain machines   per machine veth: "iifname "vs-x" jump s_N" (egress_session_add_interface(); for
 *                    nspawn sessions, whose packets reach the host through the forward hook; the
 *                    session's chain is the same one; before it "iifname "vs-x" icmpv6 type
 *                    { mld-listener-report, nd-neighbor-solicit, nd-neighbor-advert,
 *                    mld2-listener-report } accept", the link's own IPv6 neighbour discovery and
 *                    multicast listener reports, which never leave the link; also "oifname "vs-x"
 *                    ct state established,related accept" and "oifname "vs-x" drop"; all but the
 *                    jump commented with the chain's name. Removed with the session.)
 *   chain machines_nat per machine: "ip saddr A oifname != "vs-x" masquerade" and the same with
 *                    "ip6 saddr A6" (A, A6 its side of the veth), commented with the chain's name
 *                    (egress_session_set_masquerade()).
 *   chain machines_dns per machine with a DNS stub: "iifname "vs-x" ip daddr H udp/tcp dport 53 dnat
 *                    ip to S:53" (H the host's side of the veth, S the stub's loopback address),
 *                    commented with the chain's name (egress_session_set_dns_redirect()).
 *   chain unmatched  "socket cgroupv2 level 1 @sessions_cg counter name unmatched_drop drop": a process in
 *                    sessiond.slice (set filled by NFTSet= on sessiond.slice) whose session has no
 *                    chain (yet, or any more) is dropped: fail closed.
 *   set sessions_cg  { type cgroupsv2 }
 *   counter unmatched_drop
 *
 * Per session N (the escaped session name, see below):
 *   set s_N_cg     { type cgroupsv2 }       the session slice, filled by systemd: NFTSet=cgroup:inet:sessiond:s_N_cg
 *   set s_N_dns4/6 { type ipv4_addr; flags timeout }                     addresses of AllowHost= names
 *   set s_N_dns4p/6p { type ipv4_addr . inet_proto . inet_service; flags timeout }  ... with a port
 *   counter s_N_drop
 *   chain s_N      ct state established,related accept (a flow outlives the TTL of the name it was
 *                  opened for); one accept rule per Allow= prefix (and for the DNS stub); accept daddr
 *                  in the resolved sets; rate-limited log; counter s_N_drop + drop.
 *
 * Why Allow= prefixes are rules and not interval sets: before any set element command, libnftables
 * (1.1) reads the elements of every interval set in the ruleset, one netlink round trip per set, so
 * per-session interval sets would make each update and each resolved address O(sessions). There
 * are no interval sets at all here. A policy change flushes and refills the session's own chain (and,
 * if asked, its resolved sets) in one transaction: atomic, and touching nothing of other sessions.
 * Established connections continue; new ones see the new policy.
 *
 * DNS: a session with AllowHost= has its own stub (lib/egress-stub-config.h) on a 127.128.0.0/9
 * address of its own; EgressStub makes its chain accept udp/tcp to that address and port only.
 *
 * Names: session names are [a-zA-Z0-9_.-]; in nft names '_' becomes "__", '-' "_m" and '.' "_d",
 * which is reversible, so the sessions can be listed back after a daemon restart.
 *
 * Errors are negative errno; what libnftables said about the last failure is in
 * egress_last_error(). Nothing here logs. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "session.h"

#define EGRESS_TABLE "sessiond"
#define EGRESS_FAMILY "inet"
#define EGRESS_SESSIONS_CGROUP_SET "sessions_cg"
#define EGRESS_SESSION_MAP "session_chains"
#define EGRESS_UNMATCHED_COUNTER "unmatched_drop"
#define EGRESS_MACHINES_NAT_CHAIN "machines_nat"
#define EGRESS_MACHINES_DNS_CHAIN "machines_dns"
/* Depth of a session slice in the cgroup tree: /sessiond.slice/sessiond-NAME.slice */
#define EGRESS_SESSION_CGROUP_LEVEL 2
#define EGRESS_SESSIONS_CGROUP_LEVEL 1
/* nft element timeouts for resolved addresses are clamped to this range (seconds). The floor is
 * there because clients cache answers longer than tiny TTLs (Java 30 s, browsers 60 s); connections
 * that are established live on regardless (see the chain below). */
#define EGRESS_TTL_MIN 60U
#define EGRESS_TTL_MAX 86400U

typedef struct EgressContext EgressContext;

/* Where a session's DNS stub listens; allowed for udp and tcp. family 0: no stub. */
typedef struct EgressStub {
        int family;
        uint8_t address[16];
        uint16_t port;
} EgressStub;

int egress_ctx_new(EgressContext **ret);
EgressContext *egress_ctx_free(EgressContext *ctx);
DEFINE_TRIVIAL_CLEANUP_FUNC(EgressContext *, egress_ctx_free);

/* The error text libnftables gave for the last failed command, or "" */
const char *egress_last_error(EgressContext *ctx);

/* Creates the table, its base chains and the fail-closed catch-all if missing; keeps every
 * session that is already there (a restarted daemon finds its sessions with egress_list_sessions()).
 * Rewrites the two base chains, so a damaged table is repaired. Idempotent. */
int egress_table_ensure(EgressContext *ctx);
/* Deletes the whole table (uninstall, tests). -ENOENT if there is none. */
int egress_table_remove(EgressContext *ctx);

/* Names: "s_N_cg" is what the unit needs as NFTSet=cgroup:inet:sessiond:s_N_cg */
#define EGRESS_SYSTEMD_SET_NAME_MAX 31U
int egress_session_object_name(const char *session, const char *suffix, char **ret);
/* The set NFTSet= fills: "s_N_cg", or "c_HASH_cg" where that would be too long for systemd. */
int egress_cgroup_set_name(const char *session, char **ret);
/* Reverses the escaping of an nft chain name "s_N"; -EINVAL if it is not one of ours. */
int egress_session_from_chain(const char *chain, char **ret);

/* Adds a cgroup, as a path below the cgroup root ("sessiond.slice/sessiond-x.slice"), to one of
 * the table's cgroupsv2 sets, as NFTSet= does; the kernel keeps the cgroup's id, so the cgroup must
 * exist (-ENOENT otherwise). For a cgroup that was made before its set existed. */
int egress_cgroup_set_add(EgressContext *ctx, const char *set, const char *cgroup);

/* Binds the session's slice cgroup (a path below the cgroup root, "sessiond.slice/sessiond-x.slice",
 * which must exist) to its chain in the verdict map: from then on its packets find the chain in
 * one lookup. Replaces an older binding of the same cgroup. -ENOENT if the cgroup or the session's
 * chain does not exist. */
int egress_session_bind_cgroup(EgressContext *ctx, const char *session, const char *cgroup);

/* Creates all of a session's sets, rules and counter in one transaction. -EEXIST if present. */
int egress_session_add(EgressContext *ctx, const char *session,
                       const EgressRule *rules, size_t n_rules, const EgressStub *stub);
/* Replaces the session's Allow= rules (and stub) in one transaction; its counter, the jump to it
 * and other sessions are untouched. With flush_resolved, the addresses resolved so far are dropped
 * as well (do this when AllowHost= changed). -ENOENT if the session is not loaded. */
int egress_session_update(EgressContext *ctx, const char *session,
                          const EgressRule *rules, size_t n_rules, const EgressStub *stub,
                          bool flush_resolved);
/* Removes everything of the session in one transaction, its map bindings included (a binding whose
 * cgroup is gone can only be removed by rewriting the map: then every binding whose cgroup still
 * exists is written back in the same transaction, and stale ones of other sessions go too).
 * -ENOENT if it is not loaded. */
int egress_session_remove(EgressContext *ctx, const char *session);

/* Adds (or refreshes) an address that an allowed host name resolved to, for ttl seconds
 * (clamped to EGRESS_TTL_MIN..MAX). protocol/port as in EgressHost: port 0 (and protocol 0)
 * allows anything; a port without a protocol means tcp and udp; a protocol needs a port. */
int egress_session_add_resolved(EgressContext *ctx, const char *session, int family, const void *address,
                                int protocol, uint16_t port, uint32_t ttl_sec);

/* Sends what comes in from a machine's veth (host side) through the session's chain, forwarded or
 * to the host itself, and lets out to it only what answers its connections; a second call for the
 * same interface adds nothing. */
int egress_session_add_interface(EgressContext *ctx, const char *session, const char *ifname);
/* While sessiond-egress has turned IPv4 (ipv4) and/or IPv6 (ipv6) forwarding on for machines, the
 * host must not start routing anything else of that family: a base chain drops what of it is
 * forwarded neither from nor to a session's veth (EGRESS_VETH_PREFIXES); a family whose forwarding
 * was on before is left alone (the host routes it by its own choice). Both false removes the
 * chain; removing one that is not there is not an error. */
#define EGRESS_FORWARD_GUARD_CHAIN "forward_guard"
int egress_forward_guard(EgressContext *ctx, bool ipv4, bool ipv6);
/* Masquerades what the machine sends from ADDRESS (and from ADDRESS6 unless NULL: its sides of the
 * veth IFNAME) out of any other interface; replaces the session's earlier masquerade rules. */
int egress_session_set_masquerade(EgressContext *ctx, const char *session, const char *ifname,
                                  struct in_addr address, const struct in6_addr *address6);
/* DNS (udp and tcp port 53) that the machine sends to HOST (the host's side of the veth IFNAME) goes
 * to STUB port 53 instead, the session's DNS stub on the host's loopback (the session's chain
 * accepts it there, and nothing else on port 53); replaces the session's earlier redirect. The
 * kernel routes to a loopback address from the veth only with route_localnet on it. */
int egress_session_set_dns_redirect(EgressContext *ctx, const char *session, const char *ifname,
                                    struct in_addr host, struct in_addr stub);

/* Takes the session's DNS redirect away (its AllowHost= names are gone); none there is not an error. */
int egress_session_remove_dns_redirect(EgressContext *ctx, const char *session);

/* Packets/bytes dropped for the session so far. */
int egress_session_counters(EgressContext *ctx, const char *session, uint64_t *ret_packets, uint64_t *ret_bytes);

/* The names of all sessions in the table, NULL-terminated, sorted. */
int egress_list_sessions(EgressContext *ctx, char ***ret);

/* Renders one Allow= rule in nft element syntax ("192.0.2.0/24", "198.51.100.0/24 . tcp . 443"), as
 * it is normalized before it becomes a rule: host bits cleared, a port without protocol split into
 * tcp and udp. Exposed for tests and the fuzzer. Returns the number of elements in ret (1..2). */
int egress_rule_to_elements(const EgressRule *rule, char *ret[static 2]);
