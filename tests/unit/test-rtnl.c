/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/rtnl.c against the real kernel, in a private network namespace: an address on a link, the
 * link up, the dump of addresses, a default route, and the errors of each. */

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>

#include "macro.h"
#include "rtnl.h"
#include "tests.h"

static struct in_addr a4(const char *s) {
        struct in_addr a;

        ASSERT_EQ(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static bool has(const struct in_addr *l, size_t n, const char *s) {
        struct in_addr a = a4(s);

        for (size_t i = 0; i < n; i++)
                if (l[i].s_addr == a.s_addr)
                        return true;
        return false;
}

int main(void) {
        _cleanup_(rtnl_closep) Rtnl *rtnl = NULL;
        _cleanup_free_ struct in_addr *l = NULL;
        size_t n;
        int lo;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNET): %m, skipping\n");
                return 77;
        }
        ASSERT_OK(rtnl_open(&rtnl));
        lo = rtnl_link_index(rtnl, "lo");
        ASSERT_TRUE(lo > 0);
        ASSERT_ERROR(rtnl_link_index(rtnl, "nosuch0"), ENODEV);
        ASSERT_ERROR(rtnl_link_index(rtnl, "a-name-much-too-long"), EINVAL);

        /* a fresh namespace: lo is down, no addresses */
        ASSERT_OK(rtnl_addresses_ipv4(rtnl, &l, &n));
        ASSERT_EQ(n, 0);
        l = mfree(l);

        ASSERT_OK(rtnl_link_set_up(rtnl, lo));
        ASSERT_OK(rtnl_address_add_ipv4(rtnl, lo, a4("10.222.0.1"), 30));
        ASSERT_ERROR(rtnl_address_add_ipv4(rtnl, lo, a4("10.222.0.1"), 30), EEXIST);
        ASSERT_ERROR(rtnl_address_add_ipv4(rtnl, lo, a4("10.222.0.5"), 33), EINVAL);
        ASSERT_ERROR(rtnl_address_add_ipv4(rtnl, 999999, a4("10.222.0.5"), 30), ENODEV);
        ASSERT_OK(rtnl_addresses_ipv4(rtnl, &l, &n));
        ASSERT_TRUE(has(l, n, "10.222.0.1"));
        ASSERT_TRUE(has(l, n, "127.0.0.1"));            /* lo up brings its own */
        ASSERT_TRUE(!has(l, n, "10.222.0.5"));
        l = mfree(l);

        ASSERT_OK(rtnl_route_add_default_ipv4(rtnl, lo, a4("10.222.0.2")));
        ASSERT_ERROR(rtnl_route_add_default_ipv4(rtnl, lo, a4("10.222.0.2")), EEXIST);
        /* the gateway must be reachable on the link */
        ASSERT_TRUE(rtnl_route_add_default_ipv4(rtnl, lo, a4("192.0.2.1")) < 0);

        ASSERT_ERROR(rtnl_link_delete(rtnl, 999999), ENODEV);
        return 0;
}
