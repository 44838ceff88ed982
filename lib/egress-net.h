/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The addresses of an nspawn session's veth: a point-to-point /30 out of EGRESS_NET_POOL, the host
 * side .1, the container side .2. The first choice is derived from the session's name; a /30 of
 * which any address is in use (on any link of the host) is skipped for the next one. */

#include <netinet/in.h>
#include <stddef.h>

#define EGRESS_NET_POOL "10.222.0.0"
#define EGRESS_NET_POOL_PREFIXLEN 16
#define EGRESS_NET_PREFIXLEN 30

/* Where sessiond-egress keeps one file per session with a configured veth ("IFNAME HOST CONTAINER"). */
#define EGRESS_NET_DIR SESSIOND_RUNTIME_DIR "/egress-net"

/* -EADDRNOTAVAIL if every /30 of the pool is in use. */
int egress_net_pick(const char *session, const struct in_addr *used, size_t n_used,
                    struct in_addr *ret_host, struct in_addr *ret_container);

/* EGRESS_NET_DIR/NAME: present while the session's veth is set up (an nspawn session with network). */
int egress_net_record_path(const char *session, char **ret);
