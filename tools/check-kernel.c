/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Processes and kernel interfaces: ptrace, /proc, mount, modules, raw sockets, namespaces,
 * keyrings, clock, reboot, bpf, perf, io_uring. Every attempt runs in a forked child: a seccomp
 * filter may kill it with SIGSYS, and anything that works dies with the child. No attempt changes
 * the system: modules and reboot are called with arguments that fail right after the permission
 * check, a mount is undone at once, the clock is set to the time just read. */

#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

/* Runs one attempt; fn returns 0 when the attempt was allowed, else a negative errno. */
static void probe(CheckResult *r, const char *what, int (*fn)(void *userdata), void *userdata) {
        char buf[128];
        int k, error, sig;

        k = probe_in_child(fn, userdata, &error, &sig);
        if (k < 0)
                return unknown(r, "cannot fork: %s", strerror(-k));
        if (sig == 0 && error == 0)
                return exposed(r, "%s was allowed", what);
        isolated(r, "%s: %s", what, probe_describe(error, sig, buf, sizeof(buf)));
}

static int fd_result(int fd) {
        if (fd < 0)
                return -errno;
        safe_close(fd);
        return 0;
}

static int do_traceme(void *userdata) {
        return ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? -errno : 0;
}

void check_ptrace_traceme(const CheckContext *c, CheckResult *r) {
        probe(r, "ptrace(PTRACE_TRACEME)", do_traceme, NULL);
}

static int do_seize_pid1(void *userdata) {
        /* PTRACE_SEIZE does not stop the tracee; the child's exit detaches it again. */
        return ptrace(PTRACE_SEIZE, 1, NULL, NULL) < 0 ? -errno : 0;
}

void check_ptrace_attach(const CheckContext *c, CheckResult *r) {
        probe(r, "ptrace(PTRACE_SEIZE, 1)", do_seize_pid1, NULL);
}

/* The cgroup of a process, cut after the first ".service" or ".scope" component: every process
 * of one session shares it, whatever sub-cgroups the session uses. */
static int unit_cgroup(const char *pid, char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        char path[64];
        size_t n = 0;

        snprintf(path, sizeof(path), "/proc/%s/cgroup", pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (getline(&line, &n, f) >= 0) {
                char *cg, *p;

                if (strncmp(line, "0::", 3) != 0)
                        continue;
                cg = line + 3;
                cg[strcspn(cg, "\n")] = 0;
                for (p = cg; (p = strchr(p + 1, '/')); ) {
                        if ((p - cg >= 8 && strncmp(p - 8, ".service", 8) == 0) ||
                            (p - cg >= 6 && strncmp(p - 6, ".scope", 6) == 0)) {
                                *p = 0;
                                break;
                        }
                }
                snprintf(buf, size, "%s", cg);
                return 0;
        }
        return -ENOMEDIUM;
}

void check_host_processes(const CheckContext *c, CheckResult *r) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        uid_t self = geteuid();
        unsigned own = 0, foreign = 0;
        char example[PATH_MAX + 64] = "", mine[PATH_MAX] = "";

        (void) unit_cgroup("self", mine, sizeof(mine));

        d = opendir("/proc");
        if (!d)
                return isolated(r, "cannot list /proc: %m");

        while ((de = readdir(d))) {
                char theirs[PATH_MAX] = "";
                struct stat st;
                char *end;
                unsigned long pid = strtoul(de->d_name, &end, 10);

                if (*end != 0 || pid == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                        continue;       /* gone meanwhile */

                /* The session is its unit's cgroup: a process in another unit's cgroup (e.g. the
                 * host's PID 1) or outside our cgroup namespace ("/..") is foreign, whatever its
                 * uid; one in ours is the session's even under another uid (Backend=nspawn: the
                 * agent, root of the container, is PID 1 there). Where the cgroup of a process
                 * cannot be read, another uid is foreign. */
                bool other;
                if (unit_cgroup(de->d_name, theirs, sizeof(theirs)) >= 0)
                        other = !streq(theirs, mine) || strstr(theirs, "/..");
                else
                        other = st.st_uid != self;
                if (!other) {
                        own++;
                        continue;
                }
                if (foreign++ == 0 || pid == 1)
                        snprintf(example, sizeof(example), "PID %lu (uid %u%s%s)", pid, st.st_uid,
                                 theirs[0] ? ", cgroup " : "", theirs);
        }

        if (foreign > 0)
                return exposed(r, "/proc shows %u processes outside the session, e.g. %s", foreign, example);
        isolated(r, "/proc shows only the session's %u processes (uid %u, cgroup %s)", own, self, mine);
}

typedef struct MountArgs {
        const char *dir;
} MountArgs;

static int do_mount(void *userdata) {
        MountArgs *a = userdata;
        char target[PATH_MAX];
        int fd;

        /* The new mount API first: it creates a file system context without attaching anything. */
        fd = (int) syscall(SYS_fsopen, "tmpfs", 0);
        if (fd >= 0) {
                safe_close(fd);
                return 0;
        }
        if (!a->dir)
                return -errno;

        if ((size_t) snprintf(target, sizeof(target), "%s/.sessiond-check-XXXXXX", a->dir) >= sizeof(target))
                return -ENAMETOOLONG;
        if (!mkdtemp(target))
                return -errno;
        if (mount("sessiond-check", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") < 0) {
                int k = -errno;
                (void) rmdir(target);
                return k;
        }
        (void) umount2(target, MNT_DETACH);
        (void) rmdir(target);
        return 0;
}

void check_mount(const CheckContext *c, CheckResult *r) {
        _cleanup_free_ char *dir = NULL;

        (void) find_writable_dir(c, &dir);
        probe(r, "fsopen(\"tmpfs\") / mount(tmpfs)", do_mount, &(MountArgs) { dir });
}

static int do_module(void *userdata) {
        /* Both fail after the permission check with these arguments: EPERM (or a seccomp errno)
         * means denied, anything else means the check was passed. */
        if (syscall(SYS_init_module, NULL, 0, "") >= 0 || (errno != EPERM && errno != ENOSYS && errno != EACCES))
                return 0;
        if (syscall(SYS_finit_module, -1, "", 0) >= 0 || (errno != EPERM && errno != ENOSYS && errno != EACCES))
                return 0;
        return -errno;
}

void check_module_load(const CheckContext *c, CheckResult *r) {
        probe(r, "init_module()/finit_module()", do_module, NULL);
}

static int do_raw_socket(void *userdata) {
        int k;

        k = fd_result(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
        if (k >= 0)
                return k;
        return fd_result(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
}

void check_raw_socket(const CheckContext *c, CheckResult *r) {
        probe(r, "socket(AF_PACKET/AF_INET, SOCK_RAW)", do_raw_socket, NULL);
}

static int do_userns(void *userdata) {
        return unshare(CLONE_NEWUSER) < 0 ? -errno : 0;
}

void check_userns_create(const CheckContext *c, CheckResult *r) {
        probe(r, "unshare(CLONE_NEWUSER)", do_userns, NULL);
}

static int do_keyctl(void *userdata) {
        long serial;

        serial = syscall(SYS_add_key, "user", "sessiond-check", "x", (size_t) 1, KEY_SPEC_PROCESS_KEYRING);
        if (serial < 0)
                return -errno;
        return syscall(SYS_keyctl, KEYCTL_INVALIDATE, serial) < 0 ? -errno : 0;
}

void check_keyctl(const CheckContext *c, CheckResult *r) {
        probe(r, "add_key()/keyctl()", do_keyctl, NULL);
}

static int do_clock(void *userdata) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return -errno;
        return clock_settime(CLOCK_REALTIME, &ts) < 0 ? -errno : 0;
}

void check_clock(const CheckContext *c, CheckResult *r) {
        probe(r, "clock_settime(CLOCK_REALTIME)", do_clock, NULL);
}

static int do_reboot(void *userdata) {
        /* Wrong magic numbers: EINVAL comes only after the CAP_SYS_BOOT check passed. */
        if (syscall(SYS_reboot, 0, 0, 0, NULL) >= 0 || errno == EINVAL)
                return 0;
        return -errno;
}

void check_reboot(const CheckContext *c, CheckResult *r) {
        probe(r, "reboot() (past the permission check)", do_reboot, NULL);
}

static int do_bpf(void *userdata) {
        union bpf_attr attr = {
                .map_type = BPF_MAP_TYPE_ARRAY,
                .key_size = 4,
                .value_size = 4,
                .max_entries = 1,
        };

        return fd_result((int) syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

void check_bpf(const CheckContext *c, CheckResult *r) {
        probe(r, "bpf(BPF_MAP_CREATE)", do_bpf, NULL);
}

static int do_perf(void *userdata) {
        struct perf_event_attr attr = {
                .type = PERF_TYPE_SOFTWARE,
                .size = sizeof(attr),
                .config = PERF_COUNT_SW_CPU_CLOCK,
                .disabled = 1,
                .exclude_kernel = 1,
                .exclude_hv = 1,
        };

        return fd_result((int) syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

void check_perf_event(const CheckContext *c, CheckResult *r) {
        probe(r, "perf_event_open()", do_perf, NULL);
}

static int do_io_uring(void *userdata) {
        struct io_uring_params p = {};

        return fd_result((int) syscall(SYS_io_uring_setup, 1, &p));
}

void check_io_uring(const CheckContext *c, CheckResult *r) {
        probe(r, "io_uring_setup()", do_io_uring, NULL);
}
