/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The /30 and /64 of an nspawn session's veth: derived from the name, stable, in the pools, and
 * never one of which an address (IPv4 or IPv6) is in use. */

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "egress-net.h"
#include "macro.h"
#include "tests.h"

static uint32_t h(struct in_addr a) {
        return ntohl(a.s_addr);
}

/* The old interface, IPv4 only, for the cases below. */
static int pick(const char *session, const struct in_addr *used, size_t n_used,
                struct in_addr *ret_host, struct in_addr *ret_container) {
        EgressNetAddresses n;
        int r;

        r = egress_net_pick(session, used, n_used, NULL, 0, &n);
        if (r < 0)
                return r;
        *ret_host = n.host;
        *ret_container = n.container;
        return 0;
}

static void test_pick6(void) {
        EgressNetAddresses n, m;
        struct in6_addr pool, used6[2];
        char s[INET6_ADDRSTRLEN];
        uint32_t k;

        ASSERT_EQ(inet_pton(AF_INET6, EGRESS_NET6_POOL, &pool), 1);
        ASSERT_OK(egress_net_pick("web", NULL, 0, NULL, 0, &n));
        /* the same index in both pools: fd5e:55d0:e6:K::1 and ::2 */
        k = (h(n.host) - 0x0ade0000U) / 4;
        ASSERT_EQ(memcmp(n.host6.s6_addr, pool.s6_addr, 6), 0);
        ASSERT_EQ((uint32_t) n.host6.s6_addr[6] << 8 | n.host6.s6_addr[7], k);
        for (size_t i = 8; i < 15; i++)
                ASSERT_EQ(n.host6.s6_addr[i] | n.container6.s6_addr[i], 0);
        ASSERT_EQ(n.host6.s6_addr[15], 1);
        ASSERT_EQ(n.container6.s6_addr[15], 2);
        ASSERT_EQ(memcmp(n.host6.s6_addr, n.container6.s6_addr, 8), 0);
        ASSERT_TRUE(inet_ntop(AF_INET6, &n.host6, s, sizeof(s)));
        fprintf(stderr, "web: %s\n", s);

        /* an IPv6 address in use anywhere in the /64 moves both on */
        used6[0] = n.host6;
        used6[0].s6_addr[12] = 0x42;
        ASSERT_OK(egress_net_pick("web", NULL, 0, used6, 1, &m));
        ASSERT_TRUE(m.host.s_addr != n.host.s_addr);
        ASSERT_TRUE(memcmp(m.host6.s6_addr, n.host6.s6_addr, 8) != 0);
        ASSERT_EQ((uint32_t) m.host6.s6_addr[6] << 8 | m.host6.s6_addr[7], (h(m.host) - 0x0ade0000U) / 4);
        /* outside the pool, or another /48: no matter */
        used6[0] = n.host6;
        used6[0].s6_addr[0] = 0xfc;
        used6[1] = n.host6;
        used6[1].s6_addr[5] ^= 1;
        ASSERT_OK(egress_net_pick("web", NULL, 0, used6, 2, &m));
        ASSERT_EQ(m.host.s_addr, n.host.s_addr);
        ASSERT_EQ(memcmp(&m.host6, &n.host6, sizeof(m.host6)), 0);
}

static void test_pick(void) {
        struct in_addr host, container, host2, container2, pool, used[3];
        uint32_t first;

        ASSERT_EQ(inet_pton(AF_INET, EGRESS_NET_POOL, &pool), 1);

        ASSERT_OK(pick("web", NULL, 0, &host, &container));
        ASSERT_EQ(h(host) & 3, 1);                      /* .1 and .2 of a /30 */
        ASSERT_EQ(h(container), h(host) + 1);
        ASSERT_EQ(h(host) >> 16, h(pool) >> 16);        /* inside 10.222.0.0/16 */
        first = h(host) & ~3U;

        /* the same name, the same /30 */
        ASSERT_OK(pick("web", NULL, 0, &host2, &container2));
        ASSERT_EQ(h(host2), h(host));
        /* another name, (almost surely) another */
        ASSERT_OK(pick("db", NULL, 0, &host2, &container2));
        ASSERT_TRUE(h(host2) != h(host));

        /* any address of the /30 in use (host side, container side, the network address) moves
         * the pick on, to a /30 of which nothing is in use */
        for (uint32_t off = 0; off < 4; off++) {
                used[0].s_addr = htonl(first + off);
                ASSERT_OK(pick("web", used, 1, &host2, &container2));
                ASSERT_TRUE((h(host2) & ~3U) != first);
                ASSERT_EQ(h(host2) >> 16, h(pool) >> 16);
        }
        used[0].s_addr = htonl(first + 1);
        used[1].s_addr = htonl(((first + 4) & 0xffffU) | (h(pool) & 0xffff0000U));
        used[2].s_addr = htonl(0x7f000001);             /* unrelated addresses do not matter */
        ASSERT_OK(pick("web", used, 3, &host2, &container2));
        ASSERT_TRUE((h(host2) & ~3U) != first);
        ASSERT_TRUE((h(host2) & ~3U) != (h(used[1]) & ~3U));

        ASSERT_ERROR(pick("-bad", NULL, 0, &host, &container), EINVAL);
}

static void test_full(void) {
        const size_t n = 1U << (32 - 16 - 2);
        _cleanup_free_ struct in_addr *used = calloc(n, sizeof(struct in_addr));
        struct in_addr pool, host, container;

        ASSERT_TRUE(used);
        ASSERT_EQ(inet_pton(AF_INET, EGRESS_NET_POOL, &pool), 1);
        for (size_t i = 0; i < n; i++)
                used[i].s_addr = htonl(h(pool) + (uint32_t) i * 4 + 1);
        ASSERT_ERROR(pick("web", used, n, &host, &container), EADDRNOTAVAIL);
        /* one free /30 left: that one */
        used[77].s_addr = htonl(0x7f000001);
        ASSERT_OK(pick("web", used, n, &host, &container));
        ASSERT_EQ(h(host), h(pool) + 77 * 4 + 1);
}

int main(void) {
        test_pick();
        test_full();
        test_pick6();
        return 0;
}
