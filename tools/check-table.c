/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>

#include "check.h"

/* Expectations per profile, in the order restrictive, moderate, permissive, following the
 * hardening table in lib/session-profile.c. R: the profile promises isolation, an exposed result
 * fails the battery. A: allowed by the profile, reported as WARN. What a non-root user without
 * capabilities can never do is required everywhere: every profile runs as a non-root user with
 * an empty bounding set and no_new_privs. Moderate keeps home directories read-only (read-home),
 * has no user namespace, and allows @keyring, @debug and io_uring; permissive has no system call
 * filter (ptrace, keyctl, bpf, perf, io_uring) and no namespace restriction. */
#define R EXPECT_ISOLATED
#define A EXPECT_ANY

const Check check_table[] = {
        /* identity */
        { "cap-effective",   "identity", "no effective capabilities",                     { R, R, R }, check_cap_effective },
        { "cap-permitted",   "identity", "no permitted capabilities",                     { R, R, R }, check_cap_permitted },
        { "cap-bounding",    "identity", "empty capability bounding set",                 { R, R, A }, check_cap_bounding },
        { "cap-ambient",     "identity", "no ambient capabilities",                       { R, R, R }, check_cap_ambient },
        { "no-new-privs",    "identity", "no_new_privs is set",                           { R, R, R }, check_no_new_privs },
        { "seccomp",         "identity", "a seccomp filter is installed (Seccomp: 2)",    { R, R, A }, check_seccomp },
        { "user-namespace",  "identity", "runs in a user namespace with a narrow mapping", { R, A, A }, check_user_namespace },
        { "non-root",        "identity", "runs as a non-root uid and gid",                { R, R, R }, check_non_root },

        /* filesystem */
        { "read-shadow",     "filesystem", "cannot read /etc/shadow",                    { R, R, R }, check_read_shadow },
        { "read-root-home",  "filesystem", "cannot list /root",                          { R, R, R }, check_read_root_home },
        { "read-home",       "filesystem", "cannot list the contents of /home",          { R, A, A }, check_read_home },
        { "read-other-sessions", "filesystem", "cannot read sessiond's state or other sessions' files", { R, R, R }, check_read_other_sessions },
        { "read-proc1-environ", "filesystem", "cannot read /proc/1/environ",             { R, R, R }, check_read_proc1_environ },
        { "write-rootfs",    "filesystem", "cannot create files in /",                   { R, R, R }, check_write_rootfs },
        { "write-usr",       "filesystem", "cannot create files in /usr",                { R, R, R }, check_write_usr },
        { "write-etc",       "filesystem", "cannot create files in /etc",                { R, R, R }, check_write_etc },
        { "write-var",       "filesystem", "cannot create files in /var and /var/lib",   { R, R, R }, check_write_var },
        { "private-tmp",     "filesystem", "/tmp is private to the session",             { R, R, A }, check_private_tmp },
        { "private-dev-shm", "filesystem", "/dev/shm is private to the session",         { R, A, A }, check_private_dev_shm },
        { "setuid-file",     "filesystem", "cannot create setuid/setgid files",          { R, R, A }, check_setuid_file },

        /* processes */
        { "ptrace-traceme",  "process", "cannot ptrace (PTRACE_TRACEME in a child)",      { R, A, A }, check_ptrace_traceme },
        { "ptrace-attach",   "process", "cannot attach to another process (PID 1)",      { R, R, R }, check_ptrace_attach },
        { "host-processes",  "process", "cannot see processes outside the session",      { R, A, A }, check_host_processes },

        /* kernel interfaces */
        { "mount",           "kernel", "cannot mount a file system",                     { R, R, R }, check_mount },
        { "module-load",     "kernel", "cannot load kernel modules",                     { R, R, R }, check_module_load },
        { "raw-socket",      "kernel", "cannot open raw or packet sockets",              { R, R, R }, check_raw_socket },
        { "userns-create",   "kernel", "cannot create user namespaces",                  { R, A, A }, check_userns_create },
        { "keyctl",          "kernel", "cannot use the kernel keyring",                  { R, A, A }, check_keyctl },
        { "clock",           "kernel", "cannot set the clock",                           { R, R, R }, check_clock },
        { "reboot",          "kernel", "cannot reboot",                                  { R, R, R }, check_reboot },
        { "bpf",             "kernel", "cannot use bpf()",                               { R, R, A }, check_bpf },
        { "perf-event",      "kernel", "cannot open perf events",                        { R, A, A }, check_perf_event },
        { "io-uring",        "kernel", "cannot set up io_uring",                         { R, A, A }, check_io_uring },

        /* limits */
        { "egress-deny",     "limits", "cannot reach denied addresses (--deny-addr=)",  { R, R, R }, check_egress_deny },
        { "memory-limit",    "limits", "memory is bounded (memory.max; --memory-probe)", { R, R, R }, check_memory_limit },
        { "tasks-limit",     "limits", "tasks are bounded (pids.max; --tasks-max=)",    { R, R, R }, check_tasks_limit },
};
const size_t check_table_size = ELEMENTSOF(check_table);

#undef R
#undef A

const Check *check_find(const char *name) {
        for (size_t i = 0; i < check_table_size; i++)
                if (streq(check_table[i].name, name))
                        return check_table + i;
        return NULL;
}

CheckVerdict check_verdict(const Check *check, SessionProfile profile, CheckState state) {
        assert(check);
        assert(profile >= 0 && profile < _SESSION_PROFILE_MAX);

        switch (state) {
        case CHECK_ISOLATED:
                return VERDICT_PASS;
        case CHECK_EXPOSED:
                return check->expect[profile] == EXPECT_ISOLATED ? VERDICT_FAIL : VERDICT_WARN;
        default:
                return VERDICT_SKIP;
        }
}

static const char *const verdict_table[_VERDICT_MAX] = {
        [VERDICT_PASS] = "PASS",
        [VERDICT_FAIL] = "FAIL",
        [VERDICT_WARN] = "WARN",
        [VERDICT_SKIP] = "SKIP",
};

const char *check_verdict_to_string(CheckVerdict v) {
        return v >= 0 && v < _VERDICT_MAX ? verdict_table[v] : NULL;
}

static const char *const state_table[_CHECK_STATE_MAX] = {
        [CHECK_ISOLATED] = "isolated",
        [CHECK_EXPOSED] = "exposed",
        [CHECK_UNKNOWN] = "unknown",
};

const char *check_state_to_string(CheckState s) {
        return s >= 0 && s < _CHECK_STATE_MAX ? state_table[s] : NULL;
}
