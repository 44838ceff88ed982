/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Who the session runs as: capabilities, no_new_privs, seccomp, user namespace, uid. */

#include <grp.h>
#include <inttypes.h>
#include <sys/prctl.h>

#include "check.h"

static void check_cap_set(const char *field, CheckResult *r) {
        _cleanup_free_ char *v = NULL;
        unsigned long long mask;
        char *end;
        int k;

        k = proc_status_field(field, &v);
        if (k < 0)
                return unknown(r, "cannot read %s from /proc/self/status: %s", field, strerror(-k));

        errno = 0;
        mask = strtoull(v, &end, 16);
        if (errno != 0 || end == v || *end != 0)
                return unknown(r, "cannot parse %s: \"%s\"", field, v);
        if (mask != 0)
                return exposed(r, "%s is %s (%d capabilities)", field, v, __builtin_popcountll(mask));
        isolated(r, "%s is empty", field);
}

void check_cap_effective(const CheckContext *c, CheckResult *r) {
        check_cap_set("CapEff", r);
}

void check_cap_permitted(const CheckContext *c, CheckResult *r) {
        check_cap_set("CapPrm", r);
}

void check_cap_bounding(const CheckContext *c, CheckResult *r) {
        check_cap_set("CapBnd", r);
}

void check_cap_ambient(const CheckContext *c, CheckResult *r) {
        check_cap_set("CapAmb", r);
}

void check_no_new_privs(const CheckContext *c, CheckResult *r) {
        int k = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

        if (k < 0)
                return unknown(r, "PR_GET_NO_NEW_PRIVS failed: %m");
        if (k == 0)
                return exposed(r, "no_new_privs is not set: setuid binaries and file capabilities can raise privileges");
        isolated(r, "no_new_privs is set");
}

void check_seccomp(const CheckContext *c, CheckResult *r) {
        _cleanup_free_ char *v = NULL;
        int k;

        k = proc_status_field("Seccomp", &v);
        if (k < 0)
                return unknown(r, "cannot read Seccomp from /proc/self/status: %s", strerror(-k));
        if (!streq(v, "2"))
                return exposed(r, "Seccomp: %s, expected 2 (filter mode)", v);

        _cleanup_free_ char *filters = NULL;
        (void) proc_status_field("Seccomp_filters", &filters);
        isolated(r, "Seccomp: 2 (filter mode, %s filters)", filters ?: "?");
}

void check_user_namespace(const CheckContext *c, CheckResult *r) {
        _cleanup_fclose_ FILE *f = NULL;
        char map[256] = "";
        uint64_t total = 0;
        unsigned long long in, out, count;

        f = fopen("/proc/self/uid_map", "re");
        if (!f)
                return unknown(r, "cannot open /proc/self/uid_map: %m");

        while (fscanf(f, "%llu %llu %llu", &in, &out, &count) == 3) {
                size_t l = strlen(map);

                snprintf(map + l, sizeof(map) - l, "%s%llu %llu %llu", l > 0 ? ", " : "", in, out, count);
                total += count;
        }
        if (total == 0)
                return unknown(r, "/proc/self/uid_map is empty");
        if (total >= UINT32_MAX)
                return exposed(r, "initial user namespace: uid_map \"%s\" maps every uid", map);
        if (total > 65536)
                return exposed(r, "user namespace maps %" PRIu64 " uids (%s)", total, map);
        isolated(r, "user namespace maps %" PRIu64 " uid(s): %s", total, map);
}

void check_non_root(const CheckContext *c, CheckResult *r) {
        uid_t uid = getuid(), euid = geteuid();
        gid_t gid = getgid(), egid = getegid();
        gid_t groups[256];
        int n;

        if (uid == 0 || euid == 0 || gid == 0 || egid == 0)
                return exposed(r, "runs as uid=%u euid=%u gid=%u egid=%u", uid, euid, gid, egid);

        n = getgroups(ELEMENTSOF(groups), groups);
        if (n < 0)
                return unknown(r, "getgroups failed: %m");
        for (int i = 0; i < n; i++)
                if (groups[i] == 0)
                        return exposed(r, "uid %u is a member of group 0", uid);

        isolated(r, "uid=%u gid=%u%s", uid, gid,
                 uid >= 61184 && uid <= 65519 ? " (dynamic user range)" : "");
}
