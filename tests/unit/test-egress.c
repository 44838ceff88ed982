/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The nftables layer of egress, against the real kernel, in a private network namespace: the table
 * is made idempotently, a session's sets and rules appear in one piece, a policy update changes
 * only set elements (rule handles stay), and removing sessions leaves exactly the empty table. */

#include <arpa/inet.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "egress.h"
#include "tests.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ctx *, nft_ctx_free);

/* ASSERT_OK() that shows what libnftables said */
#define ASSERT_NFT(ctx, expr)                                                                  \
        do {                                                                                   \
                int _r = (expr);                                                               \
                if (_r < 0) {                                                                  \
                        fprintf(stderr, "%s:%d: %s failed: %s\n%s\n", __FILE__, __LINE__, #expr,\
                                strerror(-_r), egress_last_error(ctx));                        \
                        exit(EXIT_FAILURE);                                                    \
                }                                                                              \
        } while (0)

/* Our own view of the ruleset, through a second libnftables context (text output). */
static char *ruleset_full(const char *what, bool handles) {
        _cleanup_(nft_ctx_freep) struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
        char *cmd = NULL, *out;

        ASSERT_TRUE(nft);
        ASSERT_OK(nft_ctx_buffer_output(nft));
        ASSERT_OK(nft_ctx_buffer_error(nft));
        if (handles)
                nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_HANDLE);
        ASSERT_TRUE(asprintf(&cmd, "list %s", what) > 0);
        if (nft_run_cmd_from_buffer(nft, cmd) != 0)
                out = strdup("");       /* missing object */
        else
                out = strdup(nft_ctx_get_output_buffer(nft));
        free(cmd);
        ASSERT_TRUE(out);
        return out;
}

static char *ruleset(const char *what) {
        return ruleset_full(what, true);
}

static size_t count(const char *haystack, const char *needle) {
        size_t n = 0;

        for (const char *p = haystack; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static EgressRule rule(const char *addr, unsigned prefixlen, int protocol, uint16_t port) {
        EgressRule r = { .prefixlen = prefixlen, .protocol = protocol, .port = port };

        r.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
        ASSERT_EQ(inet_pton(r.family, addr, r.address), 1);
        return r;
}

static void test_names(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        ASSERT_OK(egress_cgroup_set_name("a-b.c_d", &a));
        ASSERT_STREQ(a, "s_a_mb_dc__d_cg");
        ASSERT_OK(egress_session_object_name("a-b.c_d", NULL, &b));
        ASSERT_STREQ(b, "s_a_mb_dc__d");
        ASSERT_OK(egress_session_from_chain(b, &c));
        ASSERT_STREQ(c, "a-b.c_d");

        /* NFTSet= takes at most 31 characters: longer names are hashed, distinct, and valid */
        {
                _cleanup_free_ char *x = NULL, *y = NULL, *z = NULL;

                ASSERT_OK(egress_cgroup_set_name("aaaaaaaaaaaaaaaaaaaaaaaaaa", &x));        /* 26 */
                ASSERT_STREQ(x, "s_aaaaaaaaaaaaaaaaaaaaaaaaaa_cg");
                ASSERT_EQ(strlen(x), 31);
                ASSERT_OK(egress_cgroup_set_name("nsnet-with-a-rather-long-name", &y));
                ASSERT_EQ(strlen(y), 13);
                ASSERT_TRUE(strncmp(y, "c_", 2) == 0 && strcmp(y + 10, "_cg") == 0);
                ASSERT_TRUE(strspn(y, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(y));
                ASSERT_OK(egress_cgroup_set_name("nsnet-with-a-rather-long-namf", &z));
                ASSERT_TRUE(!streq(y, z));
                ASSERT_ERROR(egress_session_from_chain(y, &c), EINVAL);
        }

        ASSERT_ERROR(egress_cgroup_set_name("", &a), EINVAL);
        ASSERT_ERROR(egress_cgroup_set_name("a b", &a), EINVAL);
        ASSERT_ERROR(egress_cgroup_set_name("a;drop", &a), EINVAL);
        ASSERT_ERROR(egress_cgroup_set_name("-a", &a), EINVAL);
        ASSERT_ERROR(egress_cgroup_set_name("a\"", &a), EINVAL);
        ASSERT_ERROR(egress_session_from_chain("s_a_cg", &a), EINVAL);  /* a set, not a chain */
        ASSERT_ERROR(egress_session_from_chain("output", &a), EINVAL);
        ASSERT_ERROR(egress_session_from_chain("s_", &a), EINVAL);
}

static void test_elements(void) {
        char *e[2] = {};
        EgressRule r;

        r = rule("192.0.2.77", 24, 0, 0);       /* host bits are masked */
        ASSERT_EQ(egress_rule_to_elements(&r, e), 1);
        ASSERT_STREQ(e[0], "192.0.2.0/24");
        free(e[0]);

        r = rule("2001:db8::1", 128, IPPROTO_TCP, 443);
        ASSERT_EQ(egress_rule_to_elements(&r, e), 1);
        ASSERT_STREQ(e[0], "2001:db8::1/128 . tcp . 443");
        free(e[0]);

        r = rule("198.51.100.0", 24, 0, 53);    /* port without protocol: tcp and udp */
        ASSERT_EQ(egress_rule_to_elements(&r, e), 2);
        ASSERT_STREQ(e[0], "198.51.100.0/24 . tcp . 53");
        ASSERT_STREQ(e[1], "198.51.100.0/24 . udp . 53");
        free(e[0]);
        free(e[1]);

        r = rule("198.51.100.0", 24, IPPROTO_UDP, 0);
        ASSERT_EQ(egress_rule_to_elements(&r, e), 1);
        ASSERT_STREQ(e[0], "198.51.100.0/24 . udp . 0-65535");
        free(e[0]);

        r = rule("198.51.100.0", 33, 0, 0);
        ASSERT_ERROR(egress_rule_to_elements(&r, e), EINVAL);
        r = rule("198.51.100.0", 24, IPPROTO_ICMP, 0);
        ASSERT_ERROR(egress_rule_to_elements(&r, e), EPROTONOSUPPORT);
}

static void test_nft(void) {
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        _cleanup_free_ char *empty = NULL, *all = NULL, *sessions_before = NULL, *sessions_after = NULL,
                *set = NULL, *other = NULL, *dns = NULL;
        _cleanup_strv_free_ char **l = NULL;
        EgressRule a_rules[] = {
                rule("192.0.2.0", 24, 0, 0),
                rule("192.0.2.0", 25, 0, 0),            /* contained in the one above */
                rule("198.51.100.7", 32, IPPROTO_TCP, 443),
                rule("198.51.100.0", 24, IPPROTO_TCP, 0),       /* contains the one above */
                rule("2001:db8::", 32, IPPROTO_UDP, 53),
                rule("2001:db8::", 32, IPPROTO_UDP, 53),        /* duplicate */
        };
        EgressRule b_rules[] = { rule("203.0.113.0", 24, 0, 0) };
        EgressRule a_new[] = { rule("203.0.113.9", 32, IPPROTO_TCP, 80) };
        EgressStub stub = { .family = AF_INET, .port = 5353 };
        uint8_t addr[16];
        uint64_t packets = 1, bytes = 1;

        ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", stub.address), 1);

        ASSERT_OK(egress_ctx_new(&ctx));
        ASSERT_NFT(ctx, egress_table_ensure(ctx));
        empty = ruleset_full("table inet sessiond", false);
        ASSERT_TRUE(strstr(empty, "hook output"));
        ASSERT_TRUE(strstr(empty, "jump unmatched"));
        /* Idempotent: a second run gives the same table. */
        ASSERT_NFT(ctx, egress_table_ensure(ctx));
        all = ruleset_full("table inet sessiond", false);
        ASSERT_STREQ(all, empty);
        free(all);

        ASSERT_OK(egress_list_sessions(ctx, &l));
        ASSERT_TRUE(l[0] == NULL);
        l = (strv_freep(&l), NULL);

        ASSERT_NFT(ctx, egress_session_add(ctx, "a-b.c_d", a_rules, ELEMENTSOF(a_rules), &stub));
        ASSERT_ERROR(egress_session_add(ctx, "a-b.c_d", a_rules, ELEMENTSOF(a_rules), &stub), EEXIST);
        ASSERT_NFT(ctx, egress_session_add(ctx, "b", b_rules, ELEMENTSOF(b_rules), NULL));
        ASSERT_ERROR(egress_session_add(ctx, "bad name", b_rules, 1, NULL), EINVAL);

        set = ruleset_full("chain inet sessiond s_a_mb_dc__d", false);
        ASSERT_TRUE(strstr(set, "ip daddr 192.0.2.0/24 accept"));
        ASSERT_TRUE(!strstr(set, "192.0.2.0/25"));                      /* contained in the /24 */
        ASSERT_TRUE(strstr(set, "ip daddr 198.51.100.0/24 meta l4proto tcp accept"));
        ASSERT_TRUE(!strstr(set, "198.51.100.7"));                      /* contained in the /24 */
        ASSERT_TRUE(strstr(set, "ip daddr 127.0.0.1 udp dport 5353 accept"));
        ASSERT_TRUE(strstr(set, "ip daddr 127.0.0.1 tcp dport 5353 accept"));
        ASSERT_EQ(count(set, "ip6 daddr 2001:db8::/32 udp dport 53 accept"), 1);     /* deduplicated */
        ASSERT_TRUE(strstr(set, "ip daddr @s_a_mb_dc__d_dns4 accept"));
        ASSERT_TRUE(strstr(set, "ip6 daddr . meta l4proto . th dport @s_a_mb_dc__d_dns6p accept"));
        ASSERT_TRUE(strstr(set, "ct state established,related accept"));
        ASSERT_TRUE(strstr(set, "counter name \"s_a_mb_dc__d_drop\" drop"));
        ASSERT_TRUE(strstr(set, "log prefix \"sessiond-drop a-b.c_d: \""));
        free(set);
        set = ruleset("chain inet sessiond sessions");
        ASSERT_TRUE(strstr(set, "socket cgroupv2 level 2 @s_a_mb_dc__d_cg jump s_a_mb_dc__d"));
        free(set);
        set = NULL;

        ASSERT_OK(egress_list_sessions(ctx, &l));
        ASSERT_STREQ(l[0], "a-b.c_d");
        ASSERT_STREQ(l[1], "b");
        ASSERT_TRUE(l[2] == NULL);

        /* Resolved addresses carry the TTL as timeout; a second add refreshes, never duplicates. */
        ASSERT_EQ(inet_pton(AF_INET, "203.0.113.50", addr), 1);
        ASSERT_NFT(ctx, egress_session_add_resolved(ctx, "a-b.c_d", AF_INET, addr, 0, 0, 300));
        ASSERT_NFT(ctx, egress_session_add_resolved(ctx, "a-b.c_d", AF_INET, addr, 0, 0, 600));
        ASSERT_NFT(ctx, egress_session_add_resolved(ctx, "a-b.c_d", AF_INET, addr, IPPROTO_TCP, 443, 0));
        ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::50", addr), 1);
        ASSERT_NFT(ctx, egress_session_add_resolved(ctx, "a-b.c_d", AF_INET6, addr, 0, 8443, 100000));
        ASSERT_ERROR(egress_session_add_resolved(ctx, "a-b.c_d", AF_INET6, addr, IPPROTO_TCP, 0, 60), EINVAL);
        ASSERT_ERROR(egress_session_add_resolved(ctx, "nosuch", AF_INET6, addr, 0, 0, 60), ENOENT);
        dns = ruleset("set inet sessiond s_a_mb_dc__d_dns4");
        ASSERT_TRUE(strstr(dns, "203.0.113.50 timeout 10m"));
        ASSERT_EQ(count(dns, "203.0.113.50"), 1);
        free(dns);
        dns = ruleset("set inet sessiond s_a_mb_dc__d_dns4p");
        ASSERT_TRUE(strstr(dns, "203.0.113.50 . tcp . 443 timeout 1m"));      /* TTL 0: the floor */
        free(dns);
        dns = ruleset("set inet sessiond s_a_mb_dc__d_dns6p");
        ASSERT_TRUE(strstr(dns, "2001:db8::50 . tcp . 8443 timeout 1d"));     /* the ceiling */
        ASSERT_TRUE(strstr(dns, "2001:db8::50 . udp . 8443 timeout 1d"));
        free(dns);
        dns = NULL;

        ASSERT_NFT(ctx, egress_session_add_interface(ctx, "b", "ve-b"));
        ASSERT_ERROR(egress_session_add_interface(ctx, "b", "ve\" }; flush ruleset"), EINVAL);
        set = ruleset("chain inet sessiond machines");
        ASSERT_TRUE(strstr(set, "iifname \"ve-b\" jump s_b"));
        free(set);
        /* again (a restart of the unit): still one rule; another interface gets its own */
        ASSERT_NFT(ctx, egress_session_add_interface(ctx, "b", "ve-b"));
        ASSERT_NFT(ctx, egress_session_add_interface(ctx, "b", "ve-b2"));
        set = ruleset("chain inet sessiond machines");
        {
                const char *first = strstr(set, "iifname \"ve-b\" jump s_b");
                ASSERT_TRUE(first && !strstr(first + 1, "iifname \"ve-b\" jump s_b"));
        }
        ASSERT_TRUE(strstr(set, "iifname \"ve-b2\" jump s_b"));
        /* into the machine only replies, once per interface too */
        ASSERT_EQ(count(set, "oifname \"ve-b\" ct state established,related accept comment \"s_b\""), 1);
        ASSERT_EQ(count(set, "oifname \"ve-b\" drop comment \"s_b\""), 1);
        /* the link's IPv6 neighbour discovery, once, before the jump */
        ASSERT_EQ(count(set, "iifname \"ve-b\" icmpv6 type { mld-listener-report, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report } accept comment \"s_b\""), 1);
        ASSERT_TRUE(strstr(set, "iifname \"ve-b\" icmpv6") < strstr(set, "iifname \"ve-b\" jump s_b"));
        ASSERT_EQ(count(set, "oifname \"ve-b2\" drop comment \"s_b\""), 1);
        free(set);
        /* what the machine sends to the host itself goes through the same chains */
        set = ruleset("chain inet sessiond input");
        ASSERT_TRUE(strstr(set, "jump machines"));
        free(set);
        {
                struct in_addr m1, m2;
                struct in6_addr m61, m62;

                ASSERT_EQ(inet_pton(AF_INET, "10.222.0.6", &m1), 1);
                ASSERT_EQ(inet_pton(AF_INET, "10.222.0.10", &m2), 1);
                ASSERT_EQ(inet_pton(AF_INET6, "fd5e:55d0:e6:1::2", &m61), 1);
                ASSERT_EQ(inet_pton(AF_INET6, "fd5e:55d0:e6:2::2", &m62), 1);
                ASSERT_NFT(ctx, egress_session_set_masquerade(ctx, "b", "ve-b", m1, &m61));
                set = ruleset("chain inet sessiond machines_nat");
                ASSERT_TRUE(strstr(set, "ip6 saddr fd5e:55d0:e6:1::2 oifname != \"ve-b\" masquerade comment \"s_b\""));
                free(set);
                /* a restart with other addresses replaces both rules */
                ASSERT_NFT(ctx, egress_session_set_masquerade(ctx, "b", "ve-b", m2, &m62));
                ASSERT_ERROR(egress_session_set_masquerade(ctx, "b", "ve\" masquerade", m1, NULL), EINVAL);
                set = ruleset("chain inet sessiond machines_nat");
                ASSERT_TRUE(strstr(set, "ip saddr 10.222.0.10 oifname != \"ve-b\" masquerade comment \"s_b\""));
                ASSERT_TRUE(strstr(set, "ip6 saddr fd5e:55d0:e6:2::2 oifname != \"ve-b\" masquerade comment \"s_b\""));
                ASSERT_TRUE(!strstr(set, "10.222.0.6"));
                ASSERT_TRUE(!strstr(set, "fd5e:55d0:e6:1::2"));
                free(set);
                /* IPv4 only: the IPv6 rule goes */
                ASSERT_NFT(ctx, egress_session_set_masquerade(ctx, "b", "ve-b", m2, NULL));
                set = ruleset("chain inet sessiond machines_nat");
                ASSERT_TRUE(strstr(set, "ip saddr 10.222.0.10"));
                ASSERT_TRUE(!strstr(set, "ip6 saddr"));
                free(set);
                set = ruleset("chain inet sessiond postrouting");
                ASSERT_TRUE(strstr(set, "type nat hook postrouting"));
                ASSERT_TRUE(strstr(set, "jump machines_nat"));
                free(set);

                /* DNS to the host's side of the veth goes to the stub; a restart replaces it */
                struct in_addr h1, h2, stub1;

                ASSERT_EQ(inet_pton(AF_INET, "10.222.0.5", &h1), 1);
                ASSERT_EQ(inet_pton(AF_INET, "10.222.0.9", &h2), 1);
                ASSERT_EQ(inet_pton(AF_INET, "127.130.1.2", &stub1), 1);
                ASSERT_NFT(ctx, egress_session_set_dns_redirect(ctx, "b", "ve-b", h1, stub1));
                ASSERT_NFT(ctx, egress_session_set_dns_redirect(ctx, "b", "ve-b", h2, stub1));
                ASSERT_ERROR(egress_session_set_dns_redirect(ctx, "b", "ve\" accept", h1, stub1), EINVAL);
                set = ruleset("chain inet sessiond machines_dns");
                ASSERT_TRUE(strstr(set, "iifname \"ve-b\" ip daddr 10.222.0.9 udp dport 53 dnat ip to 127.130.1.2:53 comment \"s_b\""));
                ASSERT_TRUE(strstr(set, "iifname \"ve-b\" ip daddr 10.222.0.9 tcp dport 53 dnat ip to 127.130.1.2:53 comment \"s_b\""));
                ASSERT_TRUE(!strstr(set, "10.222.0.5"));
                free(set);
                set = ruleset("chain inet sessiond prerouting");
                ASSERT_TRUE(strstr(set, "type nat hook prerouting"));
                ASSERT_TRUE(strstr(set, "jump machines_dns"));
                free(set);
                /* AllowHost= gone in an update: the redirect goes, twice is no error; it comes back */
                ASSERT_NFT(ctx, egress_session_remove_dns_redirect(ctx, "b"));
                ASSERT_NFT(ctx, egress_session_remove_dns_redirect(ctx, "b"));
                set = ruleset("chain inet sessiond machines_dns");
                ASSERT_TRUE(!strstr(set, "dnat"));
                free(set);
                ASSERT_NFT(ctx, egress_session_set_dns_redirect(ctx, "b", "ve-b", h2, stub1));
        }
        set = NULL;

        ASSERT_NFT(ctx, egress_session_counters(ctx, "a-b.c_d", &packets, &bytes));
        ASSERT_EQ(packets, 0);
        ASSERT_EQ(bytes, 0);
        ASSERT_ERROR(egress_session_counters(ctx, "nosuch", &packets, &bytes), ENOENT);

        /* Update: only the session's own chain changes; the jumps, the other sessions and the
         * resolved addresses stay. */
        sessions_before = ruleset("chain inet sessiond sessions");
        other = ruleset("chain inet sessiond s_b");
        ASSERT_NFT(ctx, egress_session_update(ctx, "a-b.c_d", a_new, ELEMENTSOF(a_new), &stub, false));
        sessions_after = ruleset("chain inet sessiond sessions");
        ASSERT_STREQ(sessions_after, sessions_before);
        set = ruleset_full("chain inet sessiond s_a_mb_dc__d", false);
        ASSERT_TRUE(strstr(set, "ip daddr 203.0.113.9 tcp dport 80 accept"));
        ASSERT_TRUE(strstr(set, "ip daddr 127.0.0.1 udp dport 5353 accept"));
        ASSERT_TRUE(!strstr(set, "198.51.100.0"));
        ASSERT_TRUE(!strstr(set, "192.0.2.0"));
        ASSERT_EQ(count(set, "ct state established,related accept"), 1);
        ASSERT_EQ(count(set, "counter name"), 1);
        free(set);
        dns = ruleset("set inet sessiond s_a_mb_dc__d_dns4");     /* kept without flush_resolved */
        ASSERT_TRUE(strstr(dns, "203.0.113.50"));
        free(dns);
        set = ruleset("chain inet sessiond s_b");
        ASSERT_STREQ(set, other);               /* b's chain, with handles, unchanged */
        free(set);
        ASSERT_NFT(ctx, egress_session_update(ctx, "a-b.c_d", a_new, ELEMENTSOF(a_new), NULL, true));
        dns = ruleset("set inet sessiond s_a_mb_dc__d_dns4");
        ASSERT_TRUE(!strstr(dns, "203.0.113.50"));
        free(dns);
        set = ruleset("chain inet sessiond s_a_mb_dc__d");
        ASSERT_TRUE(!strstr(set, "5353"));
        free(set);
        set = NULL;
        dns = NULL;
        ASSERT_ERROR(egress_session_update(ctx, "nosuch", a_new, 1, NULL, false), ENOENT);
        /* A bad rule fails before anything is sent: the policy stays. */
        EgressRule bad = rule("203.0.113.0", 40, 0, 0);
        ASSERT_ERROR(egress_session_update(ctx, "b", &bad, 1, NULL, false), EINVAL);
        set = ruleset("chain inet sessiond s_b");
        ASSERT_STREQ(set, other);
        free(set);
        set = NULL;

        /* Remove: nothing of the session is left; with both gone, the table is as new. */
        ASSERT_NFT(ctx, egress_session_remove(ctx, "a-b.c_d"));
        ASSERT_ERROR(egress_session_remove(ctx, "a-b.c_d"), ENOENT);
        all = ruleset("ruleset");
        ASSERT_TRUE(!strstr(all, "s_a_mb_dc__d"));
        ASSERT_TRUE(strstr(all, "s_b"));
        free(all);
        ASSERT_NFT(ctx, egress_session_remove(ctx, "b"));
        all = ruleset_full("table inet sessiond", false);        /* handles grow: compare without */
        ASSERT_STREQ(all, empty);
        all = mfree(all);
        l = (strv_freep(&l), NULL);
        ASSERT_OK(egress_list_sessions(ctx, &l));
        ASSERT_TRUE(l[0] == NULL);

        /* The table survives a re-ensure with sessions in it (daemon restart). */
        ASSERT_NFT(ctx, egress_session_add(ctx, "c", b_rules, 1, NULL));
        ASSERT_NFT(ctx, egress_table_ensure(ctx));
        l = (strv_freep(&l), NULL);
        ASSERT_OK(egress_list_sessions(ctx, &l));
        ASSERT_STREQ(l[0], "c");

        /* The forwarding guard drops only the families whose forwarding is sessiond's. */
        ASSERT_NFT(ctx, egress_forward_guard(ctx, true, false));
        set = ruleset("chain inet sessiond " EGRESS_FORWARD_GUARD_CHAIN);
        ASSERT_TRUE(strstr(set, "oifname \"vs_*\" accept"));
        ASSERT_EQ(count(set, "meta nfproto ipv4 counter"), 1);
        ASSERT_EQ(count(set, "meta nfproto ipv6"), 0);
        set = mfree(set);
        ASSERT_NFT(ctx, egress_forward_guard(ctx, true, true));
        ASSERT_NFT(ctx, egress_forward_guard(ctx, false, true));
        set = ruleset("chain inet sessiond " EGRESS_FORWARD_GUARD_CHAIN);
        ASSERT_EQ(count(set, "meta nfproto ipv4"), 0);
        ASSERT_EQ(count(set, "meta nfproto ipv6 counter"), 1);
        ASSERT_EQ(count(set, "iifname \"vs-*\" accept"), 1);
        set = mfree(set);
        ASSERT_NFT(ctx, egress_forward_guard(ctx, false, false));
        ASSERT_NFT(ctx, egress_forward_guard(ctx, false, false));
        all = ruleset("ruleset");
        ASSERT_TRUE(!strstr(all, EGRESS_FORWARD_GUARD_CHAIN));
        all = mfree(all);

        ASSERT_NFT(ctx, egress_table_remove(ctx));
        ASSERT_ERROR(egress_table_remove(ctx), ENOENT);
}

/* The verdict map: a bound slice jumps straight to its chain; removing a session takes its
 * bindings out, also when its cgroup is gone already (then the others' live bindings survive a
 * rewrite of the map). Needs a cgroup2 hierarchy of our own at /sys/fs/cgroup. */
static void test_bind(void) {
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        _cleanup_free_ char *map = NULL, *out = NULL;
        EgressRule rules[] = { rule("192.0.2.0", 24, 0, 0) };

        /* Private first, so that nothing propagates back out of our mount namespace; "/" is no
         * mount point in a chroot, /sys is one. */
        if (unshare(CLONE_NEWNS) < 0 ||
            (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 &&
             mount(NULL, "/sys", NULL, MS_REC | MS_PRIVATE, NULL) < 0) ||
            mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0) {
                fprintf(stderr, "no cgroup2 hierarchy of our own (%m): skipping the verdict map part\n");
                return;
        }
        (void) rmdir("/sys/fs/cgroup/sessiond.slice/sessiond-m1.slice");
        (void) rmdir("/sys/fs/cgroup/sessiond.slice/sessiond-m2.slice");
        (void) rmdir("/sys/fs/cgroup/sessiond.slice");
        ASSERT_OK(mkdir("/sys/fs/cgroup/sessiond.slice", 0755));
        ASSERT_OK(mkdir("/sys/fs/cgroup/sessiond.slice/sessiond-m1.slice", 0755));
        ASSERT_OK(mkdir("/sys/fs/cgroup/sessiond.slice/sessiond-m2.slice", 0755));

        ASSERT_OK(egress_ctx_new(&ctx));
        ASSERT_NFT(ctx, egress_table_ensure(ctx));
        out = ruleset_full("chain inet sessiond output", false);
        ASSERT_TRUE(strstr(out, "socket cgroupv2 level 2 vmap @" EGRESS_SESSION_MAP));
        ASSERT_NFT(ctx, egress_session_add(ctx, "m1", rules, 1, NULL));
        ASSERT_NFT(ctx, egress_session_add(ctx, "m2", rules, 1, NULL));
        ASSERT_ERROR(egress_session_bind_cgroup(ctx, "m1", "sessiond.slice/nope.slice"), ENOENT);
        ASSERT_ERROR(egress_session_bind_cgroup(ctx, "m1", "a\" }"), EINVAL);
        ASSERT_NFT(ctx, egress_session_bind_cgroup(ctx, "m1", "sessiond.slice/sessiond-m1.slice"));
        ASSERT_NFT(ctx, egress_session_bind_cgroup(ctx, "m1", "sessiond.slice/sessiond-m1.slice"));  /* again */
        ASSERT_NFT(ctx, egress_session_bind_cgroup(ctx, "m2", "sessiond.slice/sessiond-m2.slice"));
        map = ruleset_full("map inet sessiond " EGRESS_SESSION_MAP, false);
        ASSERT_TRUE(strstr(map, "\"sessiond.slice/sessiond-m1.slice\" : jump s_m1"));
        ASSERT_TRUE(strstr(map, "\"sessiond.slice/sessiond-m2.slice\" : jump s_m2"));
        free(map);

        /* m1's cgroup is gone: its binding shows as a bare id, and still goes with the session. */
        ASSERT_OK(rmdir("/sys/fs/cgroup/sessiond.slice/sessiond-m1.slice"));
        ASSERT_NFT(ctx, egress_session_remove(ctx, "m1"));
        map = ruleset_full("map inet sessiond " EGRESS_SESSION_MAP, false);
        ASSERT_TRUE(!strstr(map, "s_m1"));
        ASSERT_TRUE(strstr(map, "\"sessiond.slice/sessiond-m2.slice\" : jump s_m2"));
        free(map);

        /* m2's cgroup is there: its binding is deleted by key. */
        ASSERT_NFT(ctx, egress_session_remove(ctx, "m2"));
        map = ruleset_full("map inet sessiond " EGRESS_SESSION_MAP, false);
        ASSERT_TRUE(!strstr(map, "jump"));
        ASSERT_NFT(ctx, egress_table_remove(ctx));
        ASSERT_OK(rmdir("/sys/fs/cgroup/sessiond.slice/sessiond-m2.slice"));
        ASSERT_OK(rmdir("/sys/fs/cgroup/sessiond.slice"));
}

int main(void) {
        test_names();
        test_elements();

        /* Everything below changes the kernel's nftables state: only in a network namespace of our own. */
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNET): %m, skipping the nftables part\n");
                return 77;
        }
        test_nft();
        test_bind();
        return EXIT_SUCCESS;
}
