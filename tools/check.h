/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The isolation battery run by sessiond-check from inside a session: each check tries one thing a
 * sandboxed process must not be able to do (or inspects one property the sandbox must have) and
 * reports whether the sandbox held ("isolated") or not ("exposed"). Whether a check is required
 * depends on the session's profile. Every probe that could be killed by a seccomp filter runs in
 * a forked child, so a SIGSYS counts as "blocked" instead of ending the battery. */

#include <assert.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "session.h"

typedef enum CheckState {
        CHECK_ISOLATED,         /* the sandbox held */
        CHECK_EXPOSED,          /* the attempt worked, or the property is missing */
        CHECK_UNKNOWN,          /* could not be determined (nothing to try, unexpected error) */
        _CHECK_STATE_MAX,
} CheckState;

typedef enum CheckExpect {
        EXPECT_ISOLATED,        /* required by the profile: exposed is a failure */
        EXPECT_ANY,             /* not required by the profile: exposed is reported, not failed */
} CheckExpect;

typedef enum CheckVerdict {
        VERDICT_PASS,
        VERDICT_FAIL,
        VERDICT_WARN,           /* exposed, but the profile allows it */
        VERDICT_SKIP,
        _VERDICT_MAX,
} CheckVerdict;

typedef struct CheckContext {
        SessionProfile profile;
        char **deny_addrs;      /* "ADDRESS:PORT" / "[ADDRESS6]:PORT" that must be unreachable */
        char **other_paths;     /* extra files or directories that must be unreadable */
        char **host_markers;    /* files of the host (e.g. in /tmp, /dev/shm) that must be invisible */
        const char *workspace;  /* a directory the session may write to */
        uint64_t tasks_max;     /* 0: only inspect pids.max; else fork until EAGAIN, at most this many */
        bool memory_probe;      /* allocate past memory.max in a child and expect it killed */
        uint64_t memory_max;    /* 0: unknown; else the limit set from outside, probed with
                                 * --memory-probe when no memory.max is visible (cgroup namespace) */
        unsigned timeout_ms;    /* per network probe */
} CheckContext;

typedef struct CheckResult {
        CheckState state;
        char detail[512];
} CheckResult;

typedef struct Check {
        const char *name;
        const char *category;
        const char *summary;
        CheckExpect expect[_SESSION_PROFILE_MAX];
        void (*run)(const CheckContext *c, CheckResult *ret);
} Check;

/* The battery, in the order it runs. */
extern const Check check_table[];
extern const size_t check_table_size;
const Check *check_find(const char *name);

CheckVerdict check_verdict(const Check *check, SessionProfile profile, CheckState state);
const char *check_verdict_to_string(CheckVerdict v) _const_;
const char *check_state_to_string(CheckState s) _const_;

/* Result helpers: set state and a printf-style detail. */
void check_result(CheckResult *r, CheckState state, const char *fmt, ...) _printf_(3, 4);
#define isolated(r, ...) check_result((r), CHECK_ISOLATED, __VA_ARGS__)
#define exposed(r, ...) check_result((r), CHECK_EXPOSED, __VA_ARGS__)
#define unknown(r, ...) check_result((r), CHECK_UNKNOWN, __VA_ARGS__)

/* Runs fn(userdata) in a forked child. fn returns 0 when the attempt succeeded or a negative errno.
 * On return, *ret_error holds that value and *ret_signal the signal that killed the child (0 if it
 * exited), e.g. SIGSYS when a seccomp filter stopped it. Returns 0, or a negative errno when the
 * child could not be forked. */
int probe_in_child(int (*fn)(void *userdata), void *userdata, int *ret_error, int *ret_signal);

/* Describes the outcome of probe_in_child() for a detail string. */
const char *probe_describe(int error, int sig, char *buf, size_t size);

/* Reads one "Key:\tvalue" line of /proc/self/status. */
int proc_status_field(const char *key, char **ret_value);

/* The effective limit for a cgroup v2 attribute ("memory.max", "pids.max") over this process's
 * cgroup and its ancestors: the smallest value, or UINT64_MAX for "max" everywhere. */
int cgroup_effective_limit(const char *attribute, uint64_t *ret_limit, char **ret_where);

/* A directory this process can create files in: the workspace, $TMPDIR, /tmp, /var/tmp. */
int find_writable_dir(const CheckContext *c, char **ret_path);

/* The check groups (check-*.c). */
void check_cap_effective(const CheckContext *c, CheckResult *r);
void check_cap_permitted(const CheckContext *c, CheckResult *r);
void check_cap_bounding(const CheckContext *c, CheckResult *r);
void check_cap_ambient(const CheckContext *c, CheckResult *r);
void check_no_new_privs(const CheckContext *c, CheckResult *r);
void check_seccomp(const CheckContext *c, CheckResult *r);
void check_user_namespace(const CheckContext *c, CheckResult *r);
void check_non_root(const CheckContext *c, CheckResult *r);

void check_read_shadow(const CheckContext *c, CheckResult *r);
void check_read_root_home(const CheckContext *c, CheckResult *r);
void check_read_home(const CheckContext *c, CheckResult *r);
void check_read_other_sessions(const CheckContext *c, CheckResult *r);
void check_read_proc1_environ(const CheckContext *c, CheckResult *r);
void check_write_rootfs(const CheckContext *c, CheckResult *r);
void check_write_usr(const CheckContext *c, CheckResult *r);
void check_write_etc(const CheckContext *c, CheckResult *r);
void check_write_var(const CheckContext *c, CheckResult *r);
void check_private_tmp(const CheckContext *c, CheckResult *r);
void check_private_dev_shm(const CheckContext *c, CheckResult *r);
void check_setuid_file(const CheckContext *c, CheckResult *r);

void check_ptrace_traceme(const CheckContext *c, CheckResult *r);
void check_ptrace_attach(const CheckContext *c, CheckResult *r);
void check_host_processes(const CheckContext *c, CheckResult *r);
void check_mount(const CheckContext *c, CheckResult *r);
void check_module_load(const CheckContext *c, CheckResult *r);
void check_raw_socket(const CheckContext *c, CheckResult *r);
void check_userns_create(const CheckContext *c, CheckResult *r);
void check_keyctl(const CheckContext *c, CheckResult *r);
void check_clock(const CheckContext *c, CheckResult *r);
void check_reboot(const CheckContext *c, CheckResult *r);
void check_bpf(const CheckContext *c, CheckResult *r);
void check_perf_event(const CheckContext *c, CheckResult *r);
void check_io_uring(const CheckContext *c, CheckResult *r);

void check_egress_deny(const CheckContext *c, CheckResult *r);
void check_memory_limit(const CheckContext *c, CheckResult *r);
void check_tasks_limit(const CheckContext *c, CheckResult *r);
