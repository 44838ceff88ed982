/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* --sandbox=PROFILE (Backend=nspawn): the agent is the container's PID 1 and root of the
 * container's user namespace, with nspawn's capability set. The commands it starts (the main
 * command, Exec, ExecTerminal) must not be: each drops to AGENT_SANDBOX_UID/GID with no
 * supplementary groups, an empty capability bounding set and no_new_privs, and gets a seccomp
 * filter for what nspawn's own filter cannot say (it matches system call names only, never
 * arguments), following the profile's systemd settings (lib/session-profile.c):
 *   RestrictSUIDSGID=yes (every profile)  chmod/mkdir/mknod/open with setuid or setgid+x bits
 *   RestrictNamespaces=yes (restrictive, moderate)  unshare/clone with CLONE_NEW*, setns, clone3
 *   ~bpf (restrictive, moderate: @privileged)
 *   ~ptrace ~perf_event_open (restrictive: outside @system-service), ~@keyring (restrictive)
 * Denied calls fail with EPERM, as SystemCallErrorNumber=EPERM; clone3 and openat2 (their flags
 * live in a struct seccomp cannot read) with ENOSYS, so that libc falls back to clone/openat. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/capability.h>

#include "agent.h"
#include "macro.h"
#include "session.h"

static scmp_filter_ctx sandbox_filter = NULL;
static bool sandbox_enabled = false;

static int add(scmp_filter_ctx f, int err, const char *name, unsigned n, const struct scmp_arg_cmp *cmp) {
        int nr = seccomp_syscall_resolve_name(name);

        /* Not known to this libseccomp or architecture: nothing to deny. */
        if (nr == __NR_SCMP_ERROR)
                return 0;
        return seccomp_rule_add_array(f, SCMP_ACT_ERRNO(err), nr, n, cmp);
}

static int add_mode_rules(scmp_filter_ctx f, const char *name, unsigned mode_arg, int flags_arg) {
        /* setuid, or setgid together with group execute (setgid without it is mandatory locking) */
        const struct scmp_arg_cmp modes[2] = {
                { mode_arg, SCMP_CMP_MASKED_EQ, S_ISUID, S_ISUID },
                { mode_arg, SCMP_CMP_MASKED_EQ, S_ISGID | S_IXGRP, S_ISGID | S_IXGRP },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                if (flags_arg >= 0) {
                        struct scmp_arg_cmp both[2] = {
                                { (unsigned) flags_arg, SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT },
                                modes[i],
                        };
                        r = add(f, EPERM, name, 2, both);
                } else
                        r = add(f, EPERM, name, 1, modes + i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_filter(SessionProfile p, scmp_filter_ctx *ret) {
        scmp_filter_ctx f;
        int r = 0;

        f = seccomp_init(SCMP_ACT_ALLOW);
        if (!f)
                return -ENOMEM;

        /* RestrictSUIDSGID=yes */
        r = add_mode_rules(f, "chmod", 1, -1);
        if (r >= 0)
                r = add_mode_rules(f, "fchmod", 1, -1);
        if (r >= 0)
                r = add_mode_rules(f, "fchmodat", 2, -1);
        if (r >= 0)
                r = add_mode_rules(f, "fchmodat2", 2, -1);
        if (r >= 0)
                r = add_mode_rules(f, "mkdir", 1, -1);
        if (r >= 0)
                r = add_mode_rules(f, "mkdirat", 2, -1);
        if (r >= 0)
                r = add_mode_rules(f, "mknod", 1, -1);
        if (r >= 0)
                r = add_mode_rules(f, "mknodat", 2, -1);
        if (r >= 0)
                r = add_mode_rules(f, "creat", 1, -1);
        if (r >= 0)
                r = add_mode_rules(f, "open", 2, 1);
        if (r >= 0)
                r = add_mode_rules(f, "openat", 3, 2);
        if (r >= 0)
                r = add(f, ENOSYS, "openat2", 0, NULL);

        if (r >= 0 && p != SESSION_PROFILE_PERMISSIVE) {
                /* RestrictNamespaces=yes */
                const struct scmp_arg_cmp any_ns[] = {
                        { 0, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER },
                        { 0, SCMP_CMP_MASKED_EQ, CLONE_NEWNS, CLONE_NEWNS },
                        { 0, SCMP_CMP_MASKED_EQ, CLONE_NEWPID, CLONE_NEWPID },
                        { 0, SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET },
                        { 0, SCMP_CMP_MASKED_EQ, CLONE_NEWUTS, CLONE_NEWUTS },
                        { 0, SCMP_CMP_MASKED_EQ, CLONE_NEWIPC, CLONE_NEWIPC },
                        { 0, SCMP_CMP_MASKED_EQ, CLONE_NEWCGROUP, CLONE_NEWCGROUP },
                        { 0, SCMP_CMP_MASKED_EQ, 0x00000080, 0x00000080 },
                };

                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(any_ns); i++) {
                        r = add(f, EPERM, "unshare", 1, any_ns + i);
                        /* clone's flags are its first argument on x86-64, arm64, ... (not s390) */
                        if (r >= 0)
                                r = add(f, EPERM, "clone", 1, any_ns + i);
                }
                if (r >= 0)
                        r = add(f, EPERM, "setns", 0, NULL);
                if (r >= 0)
                        r = add(f, ENOSYS, "clone3", 0, NULL);
                if (r >= 0)
                        r = add(f, EPERM, "bpf", 0, NULL);
        }
        if (r >= 0 && p == SESSION_PROFILE_RESTRICTIVE) {
                static const char *const denied[] = {
                        "ptrace", "perf_event_open", "keyctl", "add_key", "request_key",
                };

                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(denied); i++)
                        r = add(f, EPERM, denied[i], 0, NULL);
        }
        if (r < 0) {
                seccomp_release(f);
                return r;
        }
        *ret = f;
        return 0;
}

int agent_sandbox_setup(const char *profile) {
        SessionProfile p;
        scmp_filter_ctx f;
        int r;

        p = session_profile_from_string(profile);
        if (p < 0)
                return -EINVAL;
        r = build_filter(p, &f);
        if (r < 0)
                return r;
        if (sandbox_filter)
                seccomp_release(sandbox_filter);
        sandbox_filter = f;
        sandbox_enabled = true;
        return 0;
}

/* In the forked child, before execve(): async-signal-safe calls only, but seccomp_load(), which
 * allocates (the agent is single-threaded, so that is safe after fork()). */
int agent_sandbox_enter(void) {
        int r;

        if (!sandbox_enabled)
                return 0;

        for (unsigned long cap = 0; cap <= CAP_LAST_CAP; cap++)
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return -errno;
        if (setgroups(0, NULL) < 0)
                return -errno;
        if (setresgid(AGENT_SANDBOX_GID, AGENT_SANDBOX_GID, AGENT_SANDBOX_GID) < 0)
                return -errno;
        /* Without SECBIT_KEEP_CAPS, leaving uid 0 clears the permitted and effective sets. */
        if (setresuid(AGENT_SANDBOX_UID, AGENT_SANDBOX_UID, AGENT_SANDBOX_UID) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        r = seccomp_load(sandbox_filter);
        return r < 0 ? r : 0;
}
