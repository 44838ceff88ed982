/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A minimal rtnetlink client: what an nspawn session's veth needs (IPv4 and IPv6 addresses, link up,
 * a default route, a link deleted) and no more. A socket belongs to the network namespace that was
 * current when rtnl_open() made it. Errors are negative errno, as the kernel gave them. */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef struct Rtnl Rtnl;

int rtnl_open(Rtnl **ret);
Rtnl *rtnl_close(Rtnl *rtnl);
DEFINE_TRIVIAL_CLEANUP_FUNC(Rtnl *, rtnl_close);

/* ifindex of a link by name, -ENODEV if there is none. */
int rtnl_link_index(Rtnl *rtnl, const char *ifname);
int rtnl_link_set_up(Rtnl *rtnl, int ifindex);
int rtnl_link_delete(Rtnl *rtnl, int ifindex);
/* Adds ADDRESS/PREFIXLEN to the link; -EEXIST if it has it already. */
int rtnl_address_add_ipv4(Rtnl *rtnl, int ifindex, struct in_addr address, unsigned prefixlen);
/* The default route through GATEWAY on the link. */
int rtnl_route_add_default_ipv4(Rtnl *rtnl, int ifindex, struct in_addr gateway);
/* The same for IPv6, without duplicate address detection (IFA_F_NODAD): usable at once. */
int rtnl_address_add_ipv6(Rtnl *rtnl, int ifindex, const struct in6_addr *address, unsigned prefixlen);
int rtnl_route_add_default_ipv6(Rtnl *rtnl, int ifindex, const struct in6_addr *gateway);
/* Every IPv4 address (local and peer) of every link, in network byte order. */
int rtnl_addresses_ipv4(Rtnl *rtnl, struct in_addr **ret, size_t *ret_n);
/* Every IPv6 address of every link. */
int rtnl_addresses_ipv6(Rtnl *rtnl, struct in6_addr **ret, size_t *ret_n);
