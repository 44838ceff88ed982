/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The isolation battery's own logic: the expectation table, verdicts, the child probe, and checks
 * run against conditions this test makes itself (a seccomp filter, no_new_privs, a listening
 * socket), so each check is seen both ways. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "check.h"
#include "tests.h"

static void test_table(void) {
        ASSERT_TRUE(check_table_size >= 30);
        for (size_t i = 0; i < check_table_size; i++) {
                const Check *c = check_table + i;

                ASSERT_TRUE(check_find(c->name) == c);          /* names are unique */
                ASSERT_TRUE(c->run && !isempty(c->category) && !isempty(c->summary));
                /* The restrictive profile promises every check. */
                ASSERT_EQ(c->expect[SESSION_PROFILE_RESTRICTIVE], EXPECT_ISOLATED);
                /* A looser profile never requires more than a stricter one. */
                if (c->expect[SESSION_PROFILE_PERMISSIVE] == EXPECT_ISOLATED)
                        ASSERT_EQ(c->expect[SESSION_PROFILE_MODERATE], EXPECT_ISOLATED);
        }
        ASSERT_TRUE(check_find("no-such-check") == NULL);
}

static void test_verdict(void) {
        const Check *home = check_find("read-home"), *root = check_find("non-root");

        ASSERT_TRUE(home && root);
        ASSERT_EQ(check_verdict(home, SESSION_PROFILE_RESTRICTIVE, CHECK_ISOLATED), VERDICT_PASS);
        ASSERT_EQ(check_verdict(home, SESSION_PROFILE_RESTRICTIVE, CHECK_EXPOSED), VERDICT_FAIL);
        ASSERT_EQ(check_verdict(home, SESSION_PROFILE_PERMISSIVE, CHECK_EXPOSED), VERDICT_WARN);
        ASSERT_EQ(check_verdict(home, SESSION_PROFILE_PERMISSIVE, CHECK_UNKNOWN), VERDICT_SKIP);
        ASSERT_EQ(check_verdict(root, SESSION_PROFILE_PERMISSIVE, CHECK_EXPOSED), VERDICT_FAIL);

        ASSERT_STREQ(check_verdict_to_string(VERDICT_FAIL), "FAIL");
        ASSERT_STREQ(check_state_to_string(CHECK_EXPOSED), "exposed");
        for (int p = 0; p < _SESSION_PROFILE_MAX; p++)
                ASSERT_EQ(session_profile_from_string(session_profile_to_string(p)), p);
        ASSERT_EQ(session_profile_from_string("strict"), _SESSION_PROFILE_INVALID);
        ASSERT_EQ(session_profile_from_string(NULL), _SESSION_PROFILE_INVALID);
}

static int return_eperm(void *userdata) {
        return -EPERM;
}

static int return_ok(void *userdata) {
        return 0;
}

static int raise_sigsys(void *userdata) {
        raise(SIGSYS);
        return 0;
}

static void test_probe_in_child(void) {
        char buf[128];
        int error, sig;

        ASSERT_OK(probe_in_child(return_eperm, NULL, &error, &sig));
        ASSERT_EQ(error, -EPERM);
        ASSERT_EQ(sig, 0);
        ASSERT_STREQ(probe_describe(error, sig, buf, sizeof(buf)), "Operation not permitted (EPERM)");

        ASSERT_OK(probe_in_child(return_ok, NULL, &error, &sig));
        ASSERT_EQ(error, 0);
        ASSERT_EQ(sig, 0);

        ASSERT_OK(probe_in_child(raise_sigsys, NULL, &error, &sig));
        ASSERT_EQ(sig, SIGSYS);
        ASSERT_STREQ(probe_describe(error, sig, buf, sizeof(buf)), "killed by SIGSYS (seccomp filter)");
}

/* In a child: before, the checks see no filter and no no_new_privs (as meson runs us); after
 * installing a filter that kills on ptrace() and returns EPERM for add_key(), they see both. */
static void test_seccomp_child(void) {
        scmp_filter_ctx ctx;
        CheckResult r;
        CheckContext c = {};

        check_seccomp(&c, &r);
        if (r.state == CHECK_ISOLATED) {
                fprintf(stderr, "already under a seccomp filter, skipping the before/after test\n");
                return;
        }
        ASSERT_EQ(r.state, CHECK_EXPOSED);
        check_ptrace_traceme(&c, &r);
        ASSERT_EQ(r.state, CHECK_EXPOSED);

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        ASSERT_TRUE(ctx);
        ASSERT_OK(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(ptrace), 0));
        ASSERT_OK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(add_key), 0));
        ASSERT_OK(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1));
        ASSERT_OK(seccomp_load(ctx));
        seccomp_release(ctx);

        check_seccomp(&c, &r);
        ASSERT_EQ(r.state, CHECK_ISOLATED);
        check_no_new_privs(&c, &r);
        ASSERT_EQ(r.state, CHECK_ISOLATED);
        check_ptrace_traceme(&c, &r);
        ASSERT_EQ(r.state, CHECK_ISOLATED);
        ASSERT_TRUE(strstr(r.detail, "SIGSYS"));
        check_keyctl(&c, &r);
        ASSERT_EQ(r.state, CHECK_ISOLATED);
        ASSERT_TRUE(strstr(r.detail, "EPERM"));
}

static void test_seccomp(void) {
        pid_t pid;
        int status;

        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                test_seccomp_child();
                _exit(EXIT_SUCCESS);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_egress(void) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof(sa);
        char addr[64], *addrs[2] = { addr, NULL };
        CheckContext c = { .deny_addrs = addrs, .timeout_ms = 2000 };
        CheckResult r;

        /* No address: nothing to try. */
        check_egress_deny(&(CheckContext) {}, &r);
        ASSERT_EQ(r.state, CHECK_UNKNOWN);

        snprintf(addr, sizeof(addr), "not-an-address");
        check_egress_deny(&c, &r);
        ASSERT_EQ(r.state, CHECK_UNKNOWN);

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                fprintf(stderr, "no loopback here (%m), skipping the egress test\n");
                return;
        }
        ASSERT_TRUE(listen(fd, 4) >= 0);
        ASSERT_TRUE(getsockname(fd, (struct sockaddr *) &sa, &l) >= 0);

        snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));
        check_egress_deny(&c, &r);
        ASSERT_EQ(r.state, CHECK_EXPOSED);
        ASSERT_TRUE(strstr(r.detail, "connected"));

        /* A closed port still answers: packets reach the host, that is exposure too. */
        fd = safe_close(fd);
        check_egress_deny(&c, &r);
        ASSERT_EQ(r.state, CHECK_EXPOSED);
        ASSERT_TRUE(strstr(r.detail, "refused"));
}

/* As meson runs us in the build root: root with capabilities. The battery must see that. */
static void test_unconfined_root(void) {
        CheckContext c = {};
        CheckResult r;

        if (geteuid() != 0) {
                fprintf(stderr, "not root, skipping the unconfined-root test\n");
                return;
        }
        check_non_root(&c, &r);
        ASSERT_EQ(r.state, CHECK_EXPOSED);
        check_cap_effective(&c, &r);
        ASSERT_EQ(r.state, CHECK_EXPOSED);
        if (access("/etc/shadow", F_OK) >= 0) {
                check_read_shadow(&c, &r);
                ASSERT_EQ(r.state, CHECK_EXPOSED);
        }
        check_write_etc(&c, &r);
        ASSERT_EQ(r.state, CHECK_EXPOSED);
}

int main(void) {
        test_table();
        test_verdict();
        test_probe_in_child();
        test_seccomp();
        test_egress();
        test_unconfined_root();
        return EXIT_SUCCESS;
}
