/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "egress-net.h"
#include "macro.h"
#include "session.h"
#include "string-util.h"


int egress_net_pick(const char *session, const struct in_addr *used, size_t n_used,
                    struct in_addr *ret_host, struct in_addr *ret_container) {
        const uint32_t n_subnets = 1U << (EGRESS_NET_PREFIXLEN - EGRESS_NET_POOL_PREFIXLEN);
        _cleanup_free_ uint8_t *taken = NULL;
        struct in_addr pool;
        uint32_t base, first;

        assert(ret_host);
        assert(ret_container);
        assert(used || n_used == 0);

        if (!session_name_is_valid(session))
                return -EINVAL;
        if (inet_pton(AF_INET, EGRESS_NET_POOL, &pool) != 1)
                return -EINVAL;
        base = ntohl(pool.s_addr);
        first = string_hash32(session) % n_subnets;

        /* which /30s of the pool have an address in use: one bit each */
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

        for (uint32_t i = 0; i < n_subnets; i++) {
                uint32_t k = (first + i) % n_subnets;

                if (taken[k / 8] & (1U << (k % 8)))
                        continue;
                ret_host->s_addr = htonl(base + k * 4 + 1);
                ret_container->s_addr = htonl(base + k * 4 + 2);
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
