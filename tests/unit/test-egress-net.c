/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The /30 of an nspawn session's veth: derived from the name, stable, in the pool, and never one
 * of which an address is in use. */

#include <arpa/inet.h>

#include <errno.h>

#include "egress-net.h"
#include "macro.h"
#include "tests.h"

static uint32_t h(struct in_addr a) {
        return ntohl(a.s_addr);
}

static void test_pick(void) {
        struct in_addr host, container, host2, container2, pool, used[3];
        uint32_t first;

        ASSERT_EQ(inet_pton(AF_INET, EGRESS_NET_POOL, &pool), 1);

        ASSERT_OK(egress_net_pick("web", NULL, 0, &host, &container));
        ASSERT_EQ(h(host) & 3, 1);                      /* .1 and .2 of a /30 */
        ASSERT_EQ(h(container), h(host) + 1);
        ASSERT_EQ(h(host) >> 16, h(pool) >> 16);        /* inside 10.222.0.0/16 */
        first = h(host) & ~3U;

        /* the same name, the same /30 */
        ASSERT_OK(egress_net_pick("web", NULL, 0, &host2, &container2));
        ASSERT_EQ(h(host2), h(host));
        /* another name, (almost surely) another */
        ASSERT_OK(egress_net_pick("db", NULL, 0, &host2, &container2));
        ASSERT_TRUE(h(host2) != h(host));

        /* any address of the /30 in use (host side, container side, the network address) moves
         * the pick on, to a /30 of which nothing is in use */
        for (uint32_t off = 0; off < 4; off++) {
                used[0].s_addr = htonl(first + off);
                ASSERT_OK(egress_net_pick("web", used, 1, &host2, &container2));
                ASSERT_TRUE((h(host2) & ~3U) != first);
                ASSERT_EQ(h(host2) >> 16, h(pool) >> 16);
        }
        used[0].s_addr = htonl(first + 1);
        used[1].s_addr = htonl(((first + 4) & 0xffffU) | (h(pool) & 0xffff0000U));
        used[2].s_addr = htonl(0x7f000001);             /* unrelated addresses do not matter */
        ASSERT_OK(egress_net_pick("web", used, 3, &host2, &container2));
        ASSERT_TRUE((h(host2) & ~3U) != first);
        ASSERT_TRUE((h(host2) & ~3U) != (h(used[1]) & ~3U));

        ASSERT_ERROR(egress_net_pick("-bad", NULL, 0, &host, &container), EINVAL);
}

static void test_full(void) {
        const size_t n = 1U << (32 - 16 - 2);
        _cleanup_free_ struct in_addr *used = calloc(n, sizeof(struct in_addr));
        struct in_addr pool, host, container;

        ASSERT_TRUE(used);
        ASSERT_EQ(inet_pton(AF_INET, EGRESS_NET_POOL, &pool), 1);
        for (size_t i = 0; i < n; i++)
                used[i].s_addr = htonl(h(pool) + (uint32_t) i * 4 + 1);
        ASSERT_ERROR(egress_net_pick("web", used, n, &host, &container), EADDRNOTAVAIL);
        /* one free /30 left: that one */
        used[77].s_addr = htonl(0x7f000001);
        ASSERT_OK(egress_net_pick("web", used, n, &host, &container));
        ASSERT_EQ(h(host), h(pool) + 77 * 4 + 1);
}

int main(void) {
        test_pick();
        test_full();
        return 0;
}
