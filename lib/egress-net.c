/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egress-net.h"
#include "macro.h"
#include "session.h"
#include "string-util.h"


int egress_net_pick(const char *session, const struct in_addr *used, size_t n_used,
                    const struct in6_addr *used6, size_t n_used6, EgressNetAddresses *ret) {
        const uint32_t n_subnets = 1U << (EGRESS_NET_PREFIXLEN - EGRESS_NET_POOL_PREFIXLEN);
        _cleanup_free_ uint8_t *taken = NULL;
        struct in_addr pool;
        struct in6_addr pool6;
        uint32_t base, first;

        assert(ret);
        assert(used || n_used == 0);
        assert(used6 || n_used6 == 0);
        /* the IPv6 index (16 bits between the /48 and the /64) holds every IPv4 one */
        static_assert(EGRESS_NET6_PREFIXLEN - EGRESS_NET6_POOL_PREFIXLEN >=
                      EGRESS_NET_PREFIXLEN - EGRESS_NET_POOL_PREFIXLEN, "IPv6 pool too small");

        if (!session_name_is_valid(session))
                return -EINVAL;
        if (inet_pton(AF_INET, EGRESS_NET_POOL, &pool) != 1 || inet_pton(AF_INET6, EGRESS_NET6_POOL, &pool6) != 1)
                return -EINVAL;
        base = ntohl(pool.s_addr);
        first = string_hash32(session) % n_subnets;

        /* which indexes have an address in use: one bit each */
        taken = calloc(n_subnets / 8, 1);
        if (!taken)
                return -ENOMEM;
        for (size_t j = 0; j < n_used; j++) {
                uint32_t a = ntohl(used[j].s_addr);

                if ((a >> (32 - EGRESS_NET_POOL_PREFIXLEN)) != (base >> (32 - EGRESS_NET_POOL_PREFIXLEN)))
                        continue;
                a = (a - base) / 4;
                taken[a / 8] |= (uint8_t) (1U << (a % 8));
        }
        for (size_t j = 0; j < n_used6; j++) {
                const uint8_t *a = used6[j].s6_addr;
                uint32_t k;

                if (memcmp(a, pool6.s6_addr, EGRESS_NET6_POOL_PREFIXLEN / 8) != 0)
                        continue;
                k = (uint32_t) a[6] << 8 | a[7];
                if (k < n_subnets)
                        taken[k / 8] |= (uint8_t) (1U << (k % 8));
        }

        for (uint32_t i = 0; i < n_subnets; i++) {
                uint32_t k = (first + i) % n_subnets;
                EgressNetAddresses n = {};

                if (taken[k / 8] & (1U << (k % 8)))
                        continue;
                n.host.s_addr = htonl(base + k * 4 + 1);
                n.container.s_addr = htonl(base + k * 4 + 2);
                n.host6 = pool6;
                n.host6.s6_addr[6] = (uint8_t) (k >> 8);
                n.host6.s6_addr[7] = (uint8_t) k;
                n.container6 = n.host6;
                n.host6.s6_addr[15] = 1;
                n.container6.s6_addr[15] = 2;
                *ret = n;
                return 0;
        }
        return -EADDRNOTAVAIL;
}

int egress_net_record_path(const char *session, char **ret) {
        char *p;

        assert(ret);
        if (!session_name_is_valid(session))
                return -EINVAL;
        p = strjoin(EGRESS_NET_DIR "/", session);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}
