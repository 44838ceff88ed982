/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/rtnl.c against the real kernel, in a private network namespace: an address on a link, the
 * link up, the dump of addresses, a default route, and the errors of each. */

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "macro.h"
#include "rtnl.h"
#include "tests.h"

static struct in_addr a4(const char *s) {
        struct in_addr a;

        ASSERT_EQ(inet_pton(AF_INET, s, &a), 1);
        return a;
}

static struct in6_addr a6(const char *s) {
        struct in6_addr a;

        ASSERT_EQ(inet_pton(AF_INET6, s, &a), 1);
        return a;
}

static bool has6(const struct in6_addr *l, size_t n, const char *s) {
        struct in6_addr a = a6(s);

        for (size_t i = 0; i < n; i++)
                if (memcmp(&l[i], &a, sizeof(a)) == 0)
                        return true;
        return false;
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

        /* IPv6: the same, the address usable at once (no DAD: not "tentative") */
        {
                _cleanup_free_ struct in6_addr *l6 = NULL;
                struct in6_addr h = a6("fd5e:55d0:e6:7::1"), g = a6("fd5e:55d0:e6:7::2");

                ASSERT_OK(rtnl_address_add_ipv6(rtnl, lo, &h, 64));
                ASSERT_ERROR(rtnl_address_add_ipv6(rtnl, lo, &h, 64), EEXIST);
                ASSERT_ERROR(rtnl_address_add_ipv6(rtnl, lo, &g, 129), EINVAL);
                ASSERT_ERROR(rtnl_address_add_ipv6(rtnl, 999999, &g, 64), ENODEV);
                ASSERT_OK(rtnl_addresses_ipv6(rtnl, &l6, &n));
                ASSERT_TRUE(has6(l6, n, "fd5e:55d0:e6:7::1"));
                ASSERT_TRUE(has6(l6, n, "::1"));
                ASSERT_TRUE(!has6(l6, n, "fd5e:55d0:e6:7::2"));
                /* the v4 dump has none of them */
                ASSERT_OK(rtnl_addresses_ipv4(rtnl, &l, &n));
                ASSERT_TRUE(has(l, n, "10.222.0.1"));
                l = mfree(l);
                /* IPv6 takes no gateway on lo (the kernel's answer, not ours): the success of
                 * the route is shown on a real veth, in the VM case backend-nspawn-net6 */
                ASSERT_ERROR(rtnl_route_add_default_ipv6(rtnl, lo, &g), EHOSTUNREACH);
        }

        ASSERT_ERROR(rtnl_link_delete(rtnl, 999999), ENODEV);
        return 0;
}
