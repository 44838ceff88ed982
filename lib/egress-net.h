/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The addresses of an nspawn session's veth: a point-to-point /30 out of EGRESS_NET_POOL, the host
 * side .1, the container side .2, and with the same index a /64 out of the unique local
 * EGRESS_NET6_POOL/48, the host side ::1, the container side ::2. The first choice is derived from
 * the session's name; an index of which any address is in use (on any link of the host), IPv4 or
 * IPv6, is skipped for the next one. */

#include <netinet/in.h>
#include <stddef.h>

#define EGRESS_NET_POOL "10.222.0.0"
#define EGRESS_NET_POOL_PREFIXLEN 16
#define EGRESS_NET_PREFIXLEN 30
#define EGRESS_NET6_POOL "fd5e:55d0:e6::"
#define EGRESS_NET6_POOL_PREFIXLEN 48
#define EGRESS_NET6_PREFIXLEN 64

/* Where sessiond-egress keeps one file per session with a configured veth ("IFNAME HOST CONTAINER"). */
#define EGRESS_NET_DIR SESSIOND_RUNTIME_DIR "/egress-net"

typedef struct EgressNetAddresses {
        struct in_addr host, container;
        struct in6_addr host6, container6;
} EgressNetAddresses;

/* USED and USED6: the addresses in use. -EADDRNOTAVAIL if every index is in use. */
int egress_net_pick(const char *session, const struct in_addr *used, size_t n_used,
                    const struct in6_addr *used6, size_t n_used6, EgressNetAddresses *ret);

/* EGRESS_NET_DIR/NAME: present while the session's veth is set up (an nspawn session with network). */
int egress_net_record_path(const char *session, char **ret);
