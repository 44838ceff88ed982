/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"

void check_result(CheckResult *r, CheckState state, const char *fmt, ...) {
        va_list ap;

        assert(r);
        r->state = state;
        va_start(ap, fmt);
        (void) vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
        va_end(ap);
}

int probe_in_child(int (*fn)(void *userdata), void *userdata, int *ret_error, int *ret_signal) {
        siginfo_t si = {};
        pid_t pid;

        assert(fn);
        assert(ret_error);
        assert(ret_signal);

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int r = fn(userdata);
                /* Exit codes carry errno values (all below 256); 0 means the attempt worked. */
                _exit(r < 0 ? (-r & 0xff) ?: 255 : 0);
        }

        for (;;) {
                if (waitid(P_PID, pid, &si, WEXITED) >= 0)
                        break;
                if (errno != EINTR)
                        return -errno;
        }

        if (si.si_code == CLD_EXITED) {
                *ret_error = si.si_status == 0 ? 0 : -si.si_status;
                *ret_signal = 0;
        } else {
                *ret_error = -EINTR;
                *ret_signal = si.si_status;
        }
        return 0;
}

const char *probe_describe(int error, int sig, char *buf, size_t size) {
        if (sig == SIGSYS)
                snprintf(buf, size, "killed by SIGSYS (seccomp filter)");
        else if (sig != 0)
                snprintf(buf, size, "killed by signal %s", sigabbrev_np(sig) ?: "?");
        else if (error == 0)
                snprintf(buf, size, "succeeded");
        else
                snprintf(buf, size, "%s (%s)", strerrordesc_np(-error) ?: "error", strerrorname_np(-error) ?: "?");
        return buf;
}

int proc_status_field(const char *key, char **ret_value) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0, k;

        assert(key);
        assert(ret_value);

        f = fopen("/proc/self/status", "re");
        if (!f)
                return -errno;

        k = strlen(key);
        while (getline(&line, &n, f) >= 0) {
                char *v, *e;

                if (strncmp(line, key, k) != 0 || line[k] != ':')
                        continue;
                v = line + k + 1;
                v += strspn(v, " \t");
                e = v + strcspn(v, "\n");
                *e = 0;
                v = strdup(v);
                if (!v)
                        return -ENOMEM;
                *ret_value = v;
                return 0;
        }
        return -ENOENT;
}

static int read_limit(const char *path, uint64_t *ret) {
        char buf[64];
        ssize_t l;
        _cleanup_close_ int fd = -EBADF;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        l = read(fd, buf, sizeof(buf) - 1);
        if (l < 0)
                return -errno;
        buf[l] = 0;
        buf[strcspn(buf, "\n")] = 0;
        if (streq(buf, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (errno != 0 || end == buf || *end != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int cgroup_effective_limit(const char *attribute, uint64_t *ret_limit, char **ret_where) {
        _cleanup_free_ char *contents = NULL, *where = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char path[PATH_MAX], *cg = NULL, *p;
        uint64_t best = UINT64_MAX;
        size_t n = 0;
        bool found = false;

        assert(attribute);
        assert(ret_limit);

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;
        /* cgroup v2 only: the line "0::/path". */
        while (getline(&contents, &n, f) >= 0)
                if (strncmp(contents, "0::", 3) == 0) {
                        cg = contents + 3;
                        cg[strcspn(cg, "\n")] = 0;
                        break;
                }
        if (!cg)
                return -ENOMEDIUM;

        /* Walk from our cgroup up to the (namespace) root; the root itself has no limit files. */
        for (p = cg + strlen(cg);;) {
                uint64_t v = UINT64_MAX;
                int r;

                if ((size_t) snprintf(path, sizeof(path), "/sys/fs/cgroup%.*s/%s", (int) (p - cg), cg, attribute) >= sizeof(path))
                        return -ENAMETOOLONG;
                r = read_limit(path, &v);
                if (r >= 0) {
                        found = true;
                        if (v < best) {
                                best = v;
                                free(where);
                                where = strndup(cg, p - cg);
                                if (!where)
                                        return -ENOMEM;
                        }
                } else if (r != -ENOENT)
                        return r;

                if (p == cg)
                        break;
                while (p > cg && *--p != '/')
                        ;
        }
        if (!found)
                return -ENOENT;

        *ret_limit = best;
        if (ret_where)
                *ret_where = TAKE_PTR(where);
        return 0;
}

static int dir_writable(const char *path) {
        char tmpl[PATH_MAX];
        int fd;

        if ((size_t) snprintf(tmpl, sizeof(tmpl), "%s/.sessiond-check-XXXXXX", path) >= sizeof(tmpl))
                return -ENAMETOOLONG;
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        (void) unlink(tmpl);
        safe_close(fd);
        return 0;
}

int find_writable_dir(const CheckContext *c, char **ret_path) {
        const char *candidates[] = { c->workspace, getenv("TMPDIR"), "/tmp", "/var/tmp" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                char *p;

                if (isempty(candidates[i]) || dir_writable(candidates[i]) < 0)
                        continue;
                p = strdup(candidates[i]);
                if (!p)
                        return -ENOMEM;
                *ret_path = p;
                return 0;
        }
        return -ENOENT;
}
