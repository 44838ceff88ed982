/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Network reachability and resource limits, observed by trying: connect to denied addresses,
 * allocate past memory.max in a child, fork until the pids controller says no. */

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "check.h"

/* "192.0.2.1:80" or "[2001:db8::1]:443". */
static int parse_addr_port(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        char host[INET6_ADDRSTRLEN + 1];
        const char *colon;
        char *end;
        unsigned long port;
        size_t n;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');

                if (!close || close[1] != ':')
                        return -EINVAL;
                n = close - s - 1;
                if (n >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, n);
                colon = close + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon)
                        return -EINVAL;
                n = colon - s;
                if (n >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s, n);
        }
        host[n] = 0;

        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno != 0 || end == colon + 1 || *end != 0 || port == 0 || port > 65535)
                return -EINVAL;

        struct sockaddr_in *in = (struct sockaddr_in *) ret;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ret;
        memset(ret, 0, sizeof(*ret));
        if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
                in->sin_family = AF_INET;
                in->sin_port = htons(port);
                *ret_len = sizeof(*in);
                return 0;
        }
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                *ret_len = sizeof(*in6);
                return 0;
        }
        return -EINVAL;
}

/* Returns 0 when a connection was established, -ECONNREFUSED when a host answered with a reset,
 * -ETIMEDOUT when nothing answered in time, or the errno of socket()/connect(). */
static int try_connect(const struct sockaddr_storage *sa, socklen_t len, unsigned timeout_ms) {
        _cleanup_close_ int fd = -EBADF;
        struct pollfd p;
        int err = 0, k;
        socklen_t l = sizeof(err);

        fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) sa, len) >= 0)
                return 0;
        if (errno != EINPROGRESS)
                return -errno;

        p = (struct pollfd) { .fd = fd, .events = POLLOUT };
        do
                k = poll(&p, 1, (int) timeout_ms);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        if (k == 0)
                return -ETIMEDOUT;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
                return -errno;
        return -err;
}

void check_egress_deny(const CheckContext *c, CheckResult *r) {
        char all[sizeof(r->detail)] = "";

        if (!c->deny_addrs || !c->deny_addrs[0])
                return unknown(r, "no --deny-addr= given");

        for (char **a = c->deny_addrs; *a; a++) {
                struct sockaddr_storage sa;
                socklen_t len;
                int k;

                k = parse_addr_port(*a, &sa, &len);
                if (k < 0)
                        return unknown(r, "cannot parse --deny-addr=%s, expected ADDRESS:PORT or [ADDRESS6]:PORT", *a);

                k = try_connect(&sa, len, c->timeout_ms);
                if (k == 0)
                        return exposed(r, "connected to %s", *a);
                if (k == -ECONNREFUSED)
                        return exposed(r, "%s answered (connection refused): packets reach it", *a);
                snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s: %s",
                         a == c->deny_addrs ? "" : "; ", *a, strerror(-k));
        }
        isolated(r, "%s", all);
}

static void format_bytes(uint64_t v, char *buf, size_t size) {
        if (v == UINT64_MAX)
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%" PRIu64 "M", v / (1024 * 1024));
}

typedef struct AllocArgs {
        size_t size;
} AllocArgs;

static int do_allocate(void *userdata) {
        AllocArgs *a = userdata;
        long page = sysconf(_SC_PAGESIZE);
        uint8_t *p;

        p = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
                return -errno;
        /* Touch every page so that it is charged to the cgroup. */
        for (size_t i = 0; i < a->size; i += page)
                p[i] = 1;
        return 0;
}

void check_memory_limit(const CheckContext *c, CheckResult *r) {
        _cleanup_free_ char *where = NULL;
        char limit_str[32], buf[128];
        uint64_t limit, swap = UINT64_MAX;
        int k, error, sig;

        k = cgroup_effective_limit("memory.max", &limit, &where);
        if (k < 0)
                return unknown(r, "cannot read memory.max of this cgroup: %s", strerror(-k));
        if (limit == UINT64_MAX) {
                /* In a cgroup namespace (Backend=nspawn) the session slice carrying the limit is
                 * above the visible root. Only a probe can tell then: past the limit given from
                 * outside, a child must be killed. Without one the limit is not shown: exposed. */
                if (!c->memory_probe || c->memory_max == 0)
                        return exposed(r, "memory.max is \"max\" on this cgroup and all its ancestors");
                AllocArgs a = { .size = c->memory_max + 64 * 1024 * 1024 };
                k = probe_in_child(do_allocate, &a, &error, &sig);
                if (k < 0)
                        return unknown(r, "cannot fork: %s", strerror(-k));
                if (sig == SIGKILL)
                        return isolated(r, "no memory.max visible (cgroup namespace), but a child touching %zuM (--memory-max= + 64M) was killed (OOM)",
                                        a.size / (1024 * 1024));
                return exposed(r, "no memory.max visible, and a child touching %zuM (--memory-max= + 64M): %s",
                               a.size / (1024 * 1024),
                               sig == 0 && error == 0 ? "succeeded" : probe_describe(error, sig, buf, sizeof(buf)));
        }
        format_bytes(limit, limit_str, sizeof(limit_str));

        if (!c->memory_probe)
                return isolated(r, "memory.max=%s on %s (not probed; --memory-probe tries)", limit_str, where);

        (void) cgroup_effective_limit("memory.swap.max", &swap, NULL);
        AllocArgs a = { .size = limit + 64 * 1024 * 1024 };
        k = probe_in_child(do_allocate, &a, &error, &sig);
        if (k < 0)
                return unknown(r, "cannot fork: %s", strerror(-k));
        if (sig == SIGKILL)
                return isolated(r, "memory.max=%s on %s: a child touching %zuM was killed (OOM)",
                                limit_str, where, a.size / (1024 * 1024));
        if (sig == 0 && error == 0)
                return exposed(r, "a child touched %zuM although memory.max=%s on %s%s", a.size / (1024 * 1024),
                               limit_str, where, swap != 0 ? " (swap is not limited to 0)" : "");
        isolated(r, "memory.max=%s on %s: allocating %zuM: %s", limit_str, where, a.size / (1024 * 1024),
                 probe_describe(error, sig, buf, sizeof(buf)));
}

void check_tasks_limit(const CheckContext *c, CheckResult *r) {
        _cleanup_free_ char *where = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        uint64_t limit;
        size_t n = 0;
        int k, fork_error = 0;

        k = cgroup_effective_limit("pids.max", &limit, &where);
        if (k < 0)
                return unknown(r, "cannot read pids.max of this cgroup: %s", strerror(-k));
        /* No pids.max visible (a cgroup namespace below the session slice, Backend=nspawn): the
         * fork probe alone decides, and without a bound there is nothing to show. */
        if (limit == UINT64_MAX && c->tasks_max == 0)
                return exposed(r, "pids.max is \"max\" on this cgroup and all its ancestors");
        if (c->tasks_max == 0)
                return isolated(r, "pids.max=%" PRIu64 " on %s (not probed; --tasks-max= tries)", limit, where);

        /* Fork idle children until fork() fails, but never more than the bound: a session that
         * lets us go past it is exposed. */
        pids = calloc(c->tasks_max + 1, sizeof(pid_t));
        if (!pids)
                return unknown(r, "out of memory");

        fflush(NULL);
        while (n <= c->tasks_max) {
                pid_t pid = fork();

                if (pid < 0) {
                        fork_error = errno;
                        break;
                }
                if (pid == 0) {
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        for (;;)
                                pause();
                }
                pids[n++] = pid;
        }

        for (size_t i = 0; i < n; i++)
                (void) kill(pids[i], SIGKILL);
        for (size_t i = 0; i < n; i++)
                (void) waitpid(pids[i], NULL, 0);

        if (limit == UINT64_MAX) {
                if (fork_error == 0)
                        return exposed(r, "no pids.max visible, and forked %zu processes without an error, more than --tasks-max=%" PRIu64,
                                       n, c->tasks_max);
                if (fork_error != EAGAIN)
                        return unknown(r, "fork() failed with %s after %zu processes", strerrorname_np(fork_error) ?: "?", n);
                return isolated(r, "no pids.max visible (cgroup namespace), but fork() failed with EAGAIN after %zu processes (bound %" PRIu64 ")",
                                n, c->tasks_max);
        }
        if (fork_error == 0)
                return exposed(r, "forked %zu processes without an error, more than --tasks-max=%" PRIu64 " (pids.max=%" PRIu64 " on %s)",
                               n, c->tasks_max, limit, where);
        if (fork_error != EAGAIN)
                return unknown(r, "fork() failed with %s after %zu processes", strerrorname_np(fork_error) ?: "?", n);
        isolated(r, "fork() failed with EAGAIN after %zu processes (pids.max=%" PRIu64 " on %s, bound %" PRIu64 ")",
                 n, limit, where, c->tasks_max);
}
