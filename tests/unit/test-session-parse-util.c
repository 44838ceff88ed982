/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <sys/socket.h>

#include "parse-util.h"
#include "strv.h"
#include "tests.h"

static void test_size(void) {
        uint64_t v;

        ASSERT_OK(parse_size("512M", false, &v));
        ASSERT_EQ(v, 512ULL << 20);
        ASSERT_OK(parse_size("2G", false, &v));
        ASSERT_EQ(v, 2ULL << 30);
        ASSERT_OK(parse_size("4096", false, &v));
        ASSERT_EQ(v, 4096);
        ASSERT_OK(parse_size("0", false, &v));
        ASSERT_EQ(v, 0);
        ASSERT_OK(parse_size("infinity", true, &v));
        ASSERT_EQ(v, UINT64_INFINITY);
        ASSERT_ERROR(parse_size("infinity", false, &v), EINVAL);
        ASSERT_ERROR(parse_size("2GB", false, &v), EINVAL);
        ASSERT_ERROR(parse_size("2g", false, &v), EINVAL);
        ASSERT_ERROR(parse_size("-1", false, &v), EINVAL);
        ASSERT_ERROR(parse_size(" 1", false, &v), EINVAL);
        ASSERT_ERROR(parse_size("", false, &v), EINVAL);
        ASSERT_ERROR(parse_size("1.5G", false, &v), EINVAL);
        ASSERT_ERROR(parse_size("16E", false, &v), ERANGE);
        ASSERT_ERROR(parse_size("99999999999999999999", false, &v), ERANGE);
}

static void test_duration(void) {
        uint64_t v;

        ASSERT_OK(parse_duration("30s", &v));
        ASSERT_EQ(v, 30 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("15min", &v));
        ASSERT_EQ(v, 900 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("2h", &v));
        ASSERT_EQ(v, 7200 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("1d", &v));
        ASSERT_EQ(v, 86400 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("1h 30min", &v));
        ASSERT_EQ(v, 5400 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("1h30m", &v));
        ASSERT_EQ(v, 5400 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("45", &v));
        ASSERT_EQ(v, 45 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("500ms", &v));
        ASSERT_EQ(v, 500000);
        ASSERT_OK(parse_duration("2 weeks", &v));
        ASSERT_EQ(v, 14 * 86400 * USEC_PER_SEC);
        ASSERT_OK(parse_duration("infinity", &v));
        ASSERT_EQ(v, UINT64_INFINITY);
        ASSERT_ERROR(parse_duration("", &v), EINVAL);
        ASSERT_ERROR(parse_duration("h", &v), EINVAL);
        ASSERT_ERROR(parse_duration("2 fortnights", &v), EINVAL);
        ASSERT_ERROR(parse_duration("-5s", &v), EINVAL);
        ASSERT_ERROR(parse_duration("1.5h", &v), EINVAL);
        ASSERT_ERROR(parse_duration("99999999999999999w", &v), ERANGE);
}

static void test_percent_range_bool(void) {
        uint64_t v;

        ASSERT_OK(parse_percent("200%", 100000, &v));
        ASSERT_EQ(v, 200);
        ASSERT_ERROR(parse_percent("200", 100000, &v), EINVAL);
        ASSERT_ERROR(parse_percent("20.5%", 100000, &v), EINVAL);
        ASSERT_ERROR(parse_percent("101%", 100, &v), ERANGE);

        ASSERT_OK(parse_uint64_range("10000", 1, 10000, &v));
        ASSERT_ERROR(parse_uint64_range("0", 1, 10000, &v), ERANGE);
        ASSERT_ERROR(parse_uint64_range("+1", 1, 10000, &v), EINVAL);

        ASSERT_EQ(parse_boolean("yes"), 1);
        ASSERT_EQ(parse_boolean("On"), 1);
        ASSERT_EQ(parse_boolean("0"), 0);
        ASSERT_EQ(parse_boolean("false"), 0);
        ASSERT_ERROR(parse_boolean("maybe"), EINVAL);
        ASSERT_ERROR(parse_boolean(""), EINVAL);
}

static void test_cidr(void) {
        uint8_t a[16];
        unsigned len;
        int family;
        uint16_t port;

        ASSERT_OK(parse_cidr("192.0.2.0/24", &family, a, &len));
        ASSERT_EQ(family, AF_INET);
        ASSERT_EQ(len, 24);
        ASSERT_EQ(a[0], 192);
        ASSERT_EQ(a[2], 2);
        ASSERT_OK(parse_cidr("192.0.2.7", &family, a, &len));
        ASSERT_EQ(len, 32);
        ASSERT_OK(parse_cidr("2001:db8::/32", &family, a, &len));
        ASSERT_EQ(family, AF_INET6);
        ASSERT_EQ(len, 32);
        ASSERT_OK(parse_cidr("::1", &family, a, &len));
        ASSERT_EQ(len, 128);
        ASSERT_OK(parse_cidr("0.0.0.0/0", &family, a, &len));
        ASSERT_EQ(len, 0);
        ASSERT_ERROR(parse_cidr("192.0.2.1/24", &family, a, &len), EINVAL);  /* host bits */
        ASSERT_ERROR(parse_cidr("10.0.0.0/33", &family, a, &len), EINVAL);
        ASSERT_ERROR(parse_cidr("2001:db8::/129", &family, a, &len), EINVAL);
        ASSERT_ERROR(parse_cidr("10.0.0.0/", &family, a, &len), EINVAL);
        ASSERT_ERROR(parse_cidr("300.0.0.0/8", &family, a, &len), EINVAL);
        ASSERT_ERROR(parse_cidr("example.org", &family, a, &len), EINVAL);

        ASSERT_OK(parse_port("443", &port));
        ASSERT_EQ(port, 443);
        ASSERT_ERROR(parse_port("0", &port), EINVAL);
        ASSERT_ERROR(parse_port("65536", &port), EINVAL);
}

static void test_names_paths(void) {
        ASSERT_TRUE(hostname_is_valid("example.org"));
        ASSERT_TRUE(hostname_is_valid("a-b.c0.example"));
        ASSERT_TRUE(hostname_is_valid("localhost"));
        ASSERT_TRUE(!hostname_is_valid("-bad.example"));
        ASSERT_TRUE(!hostname_is_valid("bad-.example"));
        ASSERT_TRUE(!hostname_is_valid("a..b"));
        ASSERT_TRUE(!hostname_is_valid("example.org."));
        ASSERT_TRUE(!hostname_is_valid("192.0.2.1"));
        ASSERT_TRUE(!hostname_is_valid("under_score.org"));
        ASSERT_TRUE(!hostname_is_valid(""));

        ASSERT_TRUE(path_is_normalized_absolute("/"));
        ASSERT_TRUE(path_is_normalized_absolute("/srv/src/foo"));
        ASSERT_TRUE(!path_is_normalized_absolute("srv"));
        ASSERT_TRUE(!path_is_normalized_absolute("/srv/"));
        ASSERT_TRUE(!path_is_normalized_absolute("/srv//x"));
        ASSERT_TRUE(!path_is_normalized_absolute("/srv/../etc"));
        ASSERT_TRUE(!path_is_normalized_absolute("/srv/./x"));
        ASSERT_TRUE(path_is_normalized_absolute("/srv/..x"));

        ASSERT_TRUE(path_is_unit_safe("/srv/a-b_c"));
        ASSERT_TRUE(!path_is_unit_safe("/srv/a b"));
        ASSERT_TRUE(!path_is_unit_safe("/srv/a:b"));
        ASSERT_TRUE(!path_is_unit_safe("/srv/a\"b"));

        ASSERT_TRUE(user_name_is_valid("agent"));
        ASSERT_TRUE(user_name_is_valid("_svc-1"));
        ASSERT_TRUE(!user_name_is_valid("1agent"));
        ASSERT_TRUE(!user_name_is_valid("a b"));
        ASSERT_TRUE(!user_name_is_valid("averyveryveryveryverylongusername"));
        ASSERT_TRUE(!user_name_is_valid(""));

        ASSERT_TRUE(env_assignment_is_valid("FOO=bar"));
        ASSERT_TRUE(env_assignment_is_valid("_X="));
        ASSERT_TRUE(!env_assignment_is_valid("1FOO=bar"));
        ASSERT_TRUE(!env_assignment_is_valid("FOO"));
        ASSERT_TRUE(!env_assignment_is_valid("=x"));
        ASSERT_TRUE(!env_assignment_is_valid("F-O=x"));

        ASSERT_TRUE(credential_name_is_valid("token"));
        ASSERT_TRUE(!credential_name_is_valid("a/b"));
        ASSERT_TRUE(!credential_name_is_valid(".."));
}

static void test_syscalls(void) {
        ASSERT_TRUE(syscall_filter_entry_is_valid("read"));
        ASSERT_TRUE(syscall_filter_entry_is_valid("sched_getaffinity"));
        ASSERT_TRUE(syscall_filter_entry_is_valid("@system-service"));
        ASSERT_TRUE(syscall_filter_entry_is_valid("@timer"));
        ASSERT_TRUE(!syscall_filter_entry_is_valid("not_a_syscall"));
        ASSERT_TRUE(!syscall_filter_entry_is_valid("@everything"));
        ASSERT_TRUE(!syscall_filter_entry_is_valid("READ"));
        ASSERT_TRUE(!syscall_filter_entry_is_valid(""));
}

static void test_split(void) {
        _cleanup_strv_free_ char **l = NULL;

        ASSERT_OK(split_quoted("/bin/sh -c 'echo a ; echo b'  \"x y\" a\\ b \\\\ ''", &l));
        ASSERT_EQ(strv_length(l), 7);
        ASSERT_STREQ(l[0], "/bin/sh");
        ASSERT_STREQ(l[1], "-c");
        ASSERT_STREQ(l[2], "echo a ; echo b");
        ASSERT_STREQ(l[3], "x y");
        ASSERT_STREQ(l[4], "a b");
        ASSERT_STREQ(l[5], "\\");
        ASSERT_STREQ(l[6], "");
        l = strv_free(l);

        ASSERT_OK(split_quoted("   ", &l));
        ASSERT_EQ(strv_length(l), 0);
        ASSERT_TRUE(l);
        l = strv_free(l);

        ASSERT_OK(split_quoted("a\"b c\"d", &l));
        ASSERT_EQ(strv_length(l), 1);
        ASSERT_STREQ(l[0], "ab cd");
        l = strv_free(l);

        ASSERT_ERROR(split_quoted("'open", &l), EBADMSG);
        ASSERT_ERROR(split_quoted("\"open", &l), EBADMSG);
        ASSERT_ERROR(split_quoted("bad\\q", &l), EINVAL);
        ASSERT_ERROR(split_quoted("trailing\\", &l), EINVAL);
        ASSERT_TRUE(!l);
}

int main(void) {
        test_size();
        test_duration();
        test_percent_range_bool();
        test_cidr();
        test_names_paths();
        test_syscalls();
        test_split();
        return 0;
}
