/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Allow= and AllowHost= values, and host name patterns. */

#include <arpa/inet.h>

#include "egress-policy.h"
#include "tests.h"

static void rule_ok(const char *in, const char *expected) {
        _cleanup_free_ char *out = NULL;
        EgressRule r, again;

        ASSERT_OK(egress_rule_from_string(in, &r));
        ASSERT_OK(egress_rule_to_string(&r, &out));
        ASSERT_STREQ(out, expected);
        /* The text form reads back to the same rule. */
        ASSERT_OK(egress_rule_from_string(out, &again));
        ASSERT_EQ(memcmp(&r, &again, sizeof(r)), 0);
}

static void host_ok(const char *in, const char *expected) {
        _cleanup_free_ char *out = NULL;
        EgressHost h, again;

        ASSERT_OK(egress_host_from_string(in, &h));
        ASSERT_OK(egress_host_to_string(&h, &out));
        ASSERT_STREQ(out, expected);
        ASSERT_OK(egress_host_from_string(out, &again));
        ASSERT_STREQ(again.name, h.name);
        ASSERT_EQ(again.protocol, h.protocol);
        ASSERT_EQ(again.port, h.port);
        egress_host_done(&h);
        egress_host_done(&again);
}

static void test_rules(void) {
        EgressRule r;

        rule_ok("192.0.2.0/24", "192.0.2.0/24");
        rule_ok("192.0.2.1", "192.0.2.1/32");
        rule_ok("  198.51.100.7   tcp:443 ", "198.51.100.7/32 tcp:443");
        rule_ok("2001:db8::/32 udp", "2001:db8::/32 udp");
        rule_ok("203.0.113.0/24 :53", "203.0.113.0/24 :53");
        rule_ok("::/0", "::/0");

        ASSERT_OK(egress_rule_from_string("198.51.100.7/32 tcp:443", &r));
        ASSERT_EQ(r.family, AF_INET);
        ASSERT_EQ(r.prefixlen, 32);
        ASSERT_EQ(r.protocol, IPPROTO_TCP);
        ASSERT_EQ(r.port, 443);

        const char *bad[] = {
                "", " ", "192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/+8", "2001:db8::/129",
                "192.0.2", "example.org", "192.0.2.0/24 icmp", "192.0.2.0/24 tcp:0", "192.0.2.0/24 tcp:65536",
                "192.0.2.0/24 tcp:", "192.0.2.0/24 :", "192.0.2.0/24 tcp:443 x", "192.0.2.0/24 tcp:44x",
                "192.0.2.0/24 TCP", "192.0.2.0/0024", "192.0.2.0/24 tcp:+443", "192.0.2.0/24 tcp:000443",
                "192.0.2.0/24;tcp",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (egress_rule_from_string(bad[i], &r) != -EINVAL) {
                        fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
                        exit(EXIT_FAILURE);
                }
        }
}

static void test_hosts(void) {
        EgressHost h;

        host_ok("example.org", "example.org");
        host_ok("Example.ORG.", "example.org");
        host_ok("example.org:443", "example.org :443");
        host_ok("*.example.org tcp:443", "*.example.org tcp:443");
        host_ok("example.org:443 tcp", "example.org tcp:443");
        host_ok("_dmarc.example-1.org udp:53", "_dmarc.example-1.org udp:53");

        const char *bad[] = {
                "", "*", "*.", ".", "example..org", ".example.org", "ex ample.org", "example.org:0",
                "example.org:65536", "example.org:443 tcp:80", "foo.*.example.org", "*example.org",
                "**.example.org", "example.org/24", "example.org tcp", "example.org udp", "exa\"mple.org", "example.org:", "192.0.2.1:x",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",  /* 64-byte label */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (egress_host_from_string(bad[i], &h) != -EINVAL) {
                        fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
                        exit(EXIT_FAILURE);
                }
        }
}

static void test_match(void) {
        ASSERT_TRUE(egress_host_pattern_match("example.org", "example.org"));
        ASSERT_TRUE(egress_host_pattern_match("example.org", "EXAMPLE.org."));
        ASSERT_TRUE(!egress_host_pattern_match("example.org", "www.example.org"));
        ASSERT_TRUE(!egress_host_pattern_match("example.org", "example.org.evil.test"));
        ASSERT_TRUE(!egress_host_pattern_match("example.org", "badexample.org"));
        ASSERT_TRUE(!egress_host_pattern_match("example.org", ""));
        ASSERT_TRUE(!egress_host_pattern_match("example.org", "example.org.."));

        ASSERT_TRUE(egress_host_pattern_match("*.example.org", "www.example.org"));
        ASSERT_TRUE(egress_host_pattern_match("*.example.org", "a.b.Example.Org"));
        ASSERT_TRUE(!egress_host_pattern_match("*.example.org", "example.org"));
        ASSERT_TRUE(!egress_host_pattern_match("*.example.org", "wwwexample.org"));
        ASSERT_TRUE(!egress_host_pattern_match("*.example.org", ".example.org"));
        ASSERT_TRUE(!egress_host_pattern_match("*.example.org", "www.example.org.evil"));

        ASSERT_TRUE(egress_host_pattern_is_valid("*.example.org"));
        ASSERT_TRUE(egress_host_pattern_is_valid("localhost"));
        ASSERT_TRUE(!egress_host_pattern_is_valid("*"));
        ASSERT_TRUE(!egress_host_pattern_is_valid(NULL));
}

int main(void) {
        test_rules();
        test_hosts();
        test_match();
        return EXIT_SUCCESS;
}
