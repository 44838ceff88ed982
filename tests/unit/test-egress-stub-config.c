/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The per-session DNS stub's config: addresses, the file format, resolv.conf both ways. */

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "egress-policy.h"
#include "egress-stub-config.h"
#include "fileio.h"
#include "strv.h"
#include "tests.h"

static void test_candidate(void) {
        uint8_t a[4], b[4];

        /* Deterministic, in 127.128.0.0/9, never .0 or .255, different per attempt and name. */
        egress_stub_address_candidate("alpha", 0, a);
        egress_stub_address_candidate("alpha", 0, b);
        ASSERT_TRUE(memcmp(a, b, 4) == 0);
        for (unsigned i = 0; i < 2000; i++) {
                egress_stub_address_candidate("alpha", i, a);
                ASSERT_EQ(a[0], 127);
                ASSERT_TRUE(a[1] >= 128);
                ASSERT_TRUE(a[3] != 0 && a[3] != 255);
        }
        egress_stub_address_candidate("alpha", 0, a);
        egress_stub_address_candidate("alpha", 1, b);
        ASSERT_TRUE(memcmp(a, b, 4) != 0);
        egress_stub_address_candidate("beta", 0, b);
        ASSERT_TRUE(memcmp(a, b, 4) != 0);
}

static void test_format_parse(void) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {}, back = {};
        _cleanup_free_ char *text = NULL, *again = NULL, *resolv = NULL;

        memcpy(c.listen, (uint8_t[]) { 127, 200, 1, 2 }, 4);
        ASSERT_OK(strv_extend(&c.upstreams, "203.0.113.2"));
        ASSERT_OK(strv_extend(&c.upstreams, "2001:db8::53"));
        c.hosts = calloc(2, sizeof(EgressHost));
        ASSERT_TRUE(c.hosts);
        ASSERT_OK(egress_host_from_string("allowed.test tcp:80", &c.hosts[0]));
        ASSERT_OK(egress_host_from_string("*.example.org", &c.hosts[1]));
        c.n_hosts = 2;

        ASSERT_OK(egress_stub_config_format(&c, &text));
        ASSERT_STREQ(text,
                     "listen 127.200.1.2\n"
                     "upstream 203.0.113.2\n"
                     "upstream 2001:db8::53\n"
                     "host allowed.test tcp:80\n"
                     "host *.example.org\n");
        ASSERT_OK(egress_stub_config_parse(text, &back));
        ASSERT_OK(egress_stub_config_format(&back, &again));
        ASSERT_STREQ(again, text);
        ASSERT_EQ(back.n_hosts, 2u);
        ASSERT_EQ(back.hosts[0].port, 80);

        ASSERT_OK(egress_stub_resolv_conf(&c, &resolv));
        ASSERT_TRUE(strstr(resolv, "\nnameserver 127.200.1.2\n"));
}

static void parse_fails(const char *text, int err) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};

        ASSERT_ERROR(egress_stub_config_parse(text, &c), err);
}

static void test_parse_bad(void) {
        parse_fails("", EINVAL);
        parse_fails("listen 127.1.2.3\n", EINVAL);                      /* no upstream */
        parse_fails("upstream 192.0.2.53\n", EINVAL);                   /* no listen */
        parse_fails("listen 192.0.2.1\nupstream 192.0.2.53\n", EBADMSG); /* not loopback */
        parse_fails("listen ::1\nupstream 192.0.2.53\n", EBADMSG);
        parse_fails("listen 127.1.2.3\nupstream dns.example\n", EBADMSG);
        parse_fails("listen 127.1.2.3\nupstream 192.0.2.53\nhost bad name here x\n", EBADMSG);
        parse_fails("listen 127.1.2.3\nupstream 192.0.2.53\nbogus 1\n", EBADMSG);
}

static void test_nameservers(void) {
        _cleanup_strv_free_ char **l = NULL, **none = NULL;

        ASSERT_OK(egress_stub_nameservers_from_resolv_conf(
                        "# comment\nsearch example.org\nnameserver 192.0.2.53\n"
                        "nameserver\t2001:db8::53 # trailing\nnameserver fe80::1%eth0\nnameserverx 1.2.3.4\n"
                        "nameserver 198.51.100.53", &l));
        ASSERT_EQ(strv_length(l), 3u);
        ASSERT_STREQ(l[0], "192.0.2.53");
        ASSERT_STREQ(l[1], "2001:db8::53");
        ASSERT_STREQ(l[2], "198.51.100.53");
        ASSERT_OK(egress_stub_nameservers_from_resolv_conf("search x\n", &none));
        ASSERT_EQ(strv_length(none), 0u);
}

static void write_config(int dir_fd, const char *session, const uint8_t listen[4]) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};
        _cleanup_free_ char *text = NULL, *file = NULL;

        memcpy(c.listen, listen, 4);
        ASSERT_OK(strv_extend(&c.upstreams, "192.0.2.53"));
        ASSERT_OK(egress_stub_config_format(&c, &text));
        ASSERT_OK(egress_stub_config_file(session, &file));
        ASSERT_OK(write_string_file_atomic_at(dir_fd, file, text, 0644));
}

static void test_pick(void) {
        char dir[] = "/tmp/test-egress-stub-XXXXXX";
        _cleanup_close_ int dir_fd = -EBADF;
        uint8_t first[4], second[4], a[4], own[4];

        ASSERT_TRUE(mkdtemp(dir));
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dir_fd >= 0);

        egress_stub_address_candidate("s1", 0, first);
        egress_stub_address_candidate("s1", 1, second);

        ASSERT_OK(egress_stub_address_pick(dir_fd, "s1", a));
        ASSERT_TRUE(memcmp(a, first, 4) == 0);

        /* Another session holds s1's first candidate: s1 takes the next one. */
        write_config(dir_fd, "other", first);
        ASSERT_OK(egress_stub_address_pick(dir_fd, "s1", a));
        ASSERT_TRUE(memcmp(a, second, 4) == 0);

        /* s1's own config: its address is kept (a policy update), unless another session has it. */
        egress_stub_address_candidate("s1", 5, own);
        write_config(dir_fd, "s1", own);
        ASSERT_OK(egress_stub_address_pick(dir_fd, "s1", a));
        ASSERT_TRUE(memcmp(a, own, 4) == 0);
        write_config(dir_fd, "s1", first);
        ASSERT_OK(egress_stub_address_pick(dir_fd, "s1", a));
        ASSERT_TRUE(memcmp(a, second, 4) == 0);

        /* Files that are not configs are ignored. */
        write_config(dir_fd, "s1", own);
        ASSERT_OK(write_string_file_atomic_at(dir_fd, "s1.resolv", "nameserver 127.1.1.1\n", 0644));
        ASSERT_OK(write_string_file_atomic_at(dir_fd, "junk.conf", "garbage\n", 0644));
        ASSERT_OK(egress_stub_address_pick(dir_fd, "s1", a));
        ASSERT_TRUE(memcmp(a, own, 4) == 0);

        ASSERT_OK(unlinkat(dir_fd, "other.conf", 0));
        ASSERT_OK(unlinkat(dir_fd, "s1.conf", 0));
        ASSERT_OK(unlinkat(dir_fd, "s1.resolv", 0));
        ASSERT_OK(unlinkat(dir_fd, "junk.conf", 0));
        ASSERT_OK(rmdir(dir));
}

static void test_names(void) {
        _cleanup_free_ char *c = NULL, *r = NULL, *u = NULL, *bad = NULL;

        ASSERT_OK(egress_stub_config_file("my-agent", &c));
        ASSERT_STREQ(c, "my-agent.conf");
        ASSERT_OK(egress_stub_resolv_file("my-agent", &r));
        ASSERT_STREQ(r, "my-agent.resolv");
        ASSERT_OK(egress_stub_unit_name("my-agent", &u));
        ASSERT_STREQ(u, "sessiond-dns@my-agent.service");
        ASSERT_ERROR(egress_stub_config_file("../x", &bad), EINVAL);
}

static void test_policy(void) {
        _cleanup_free_ char *text = NULL, *file = NULL, *empty = NULL;
        _cleanup_strv_free_ char **dns = NULL;
        EgressRule rules[2];
        EgressHost h = {};

        ASSERT_OK(egress_rule_from_string("192.0.2.0/24", &rules[0]));
        ASSERT_OK(egress_rule_from_string("198.51.100.7/32 tcp:443", &rules[1]));
        ASSERT_OK(egress_host_from_string("allowed.test tcp:80", &h));
        ASSERT_OK(strv_extend(&dns, "203.0.113.2"));
        ASSERT_OK(egress_policy_format(rules, 2, &h, 1, dns, &text));
        ASSERT_STREQ(text, "allow 192.0.2.0/24\nallow 198.51.100.7/32 tcp:443\nhost allowed.test tcp:80\ndns 203.0.113.2\n");
        ASSERT_OK(egress_policy_format(NULL, 0, NULL, 0, NULL, &empty));
        ASSERT_STREQ(empty, "");
        ASSERT_OK(egress_policy_file("x", &file));
        ASSERT_STREQ(file, "x.policy");
        {
                _cleanup_free_ char *path = NULL;

                ASSERT_OK(egress_policy_path("x", &path));
                ASSERT_STREQ(path, EGRESS_STUB_DIR "/x.policy");
                ASSERT_ERROR(egress_policy_path("../x", &path), EINVAL);
        }
        egress_host_done(&h);
}

int main(void) {
        test_policy();
        test_candidate();
        test_format_parse();
        test_parse_bad();
        test_nameservers();
        test_pick();
        test_names();
        return 0;
}
