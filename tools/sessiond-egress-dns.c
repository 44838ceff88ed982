/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-egress's part for AllowHost=: writing the session's stub config, starting
 * sessiond-dns@NAME.service and waiting until it answers, serving the stub ("stub NAME", which
 * that unit runs), and removing it all again. See lib/egress-stub-config.h for the layout. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "dns-stub-server.h"
#include "egress-stub-config.h"
#include "fileio.h"
#include "sessiond-egress.h"
#include "string-util.h"
#include "strv.h"

#define HOST_RESOLV_CONF "/etc/resolv.conf"
/* TCG VMs are slow: the stub unit may take seconds to come up. */
#define STUB_READY_TIMEOUT_USEC (60 * 1000000ULL)


static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static int open_stub_dir(bool create) {
        int fd;

        if (create) {
                if (mkdir(SESSIOND_RUNTIME_DIR, 0755) < 0 && errno != EEXIST)
                        return -errno;
                if (mkdir(EGRESS_STUB_DIR, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        fd = open(EGRESS_STUB_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int dns_stub_write_config(const char *name, char **upstreams, const EgressHost *hosts, size_t n_hosts,
                          EgressStub *ret_stub) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};
        _cleanup_free_ char *conf_file = NULL, *resolv_file = NULL, *conf = NULL, *resolv = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        c.upstreams = strv_copy(upstreams);
        if (!c.upstreams)
                return log_error_errno(-ENOMEM, "out of memory");
        if (strv_length(c.upstreams) == 0) {
                /* No DNS=: the stub forwards to the host's resolvers. */
                _cleanup_free_ char *text = NULL;

                r = read_full_file(HOST_RESOLV_CONF, 1024 * 1024, &text, NULL);
                if (r < 0)
                        return log_error_errno(r, "session %s has AllowHost= but no DNS=, and " HOST_RESOLV_CONF
                                               " cannot be read", name);
                c.upstreams = strv_free(c.upstreams);
                r = egress_stub_nameservers_from_resolv_conf(text, &c.upstreams);
                if (r < 0)
                        return log_error_errno(r, "cannot parse " HOST_RESOLV_CONF);
                if (strv_length(c.upstreams) == 0)
                        return log_error_errno(-EINVAL, "session %s has AllowHost= but no DNS=, and "
                                               HOST_RESOLV_CONF " names no nameserver", name);
        }
        c.hosts = calloc(n_hosts, sizeof(EgressHost));
        if (!c.hosts)
                return log_error_errno(-ENOMEM, "out of memory");
        for (; c.n_hosts < n_hosts; c.n_hosts++) {
                c.hosts[c.n_hosts] = hosts[c.n_hosts];
                c.hosts[c.n_hosts].name = strdup(hosts[c.n_hosts].name);
                if (!c.hosts[c.n_hosts].name)
                        return log_error_errno(-ENOMEM, "out of memory");
        }

        dir_fd = open_stub_dir(true);
        if (dir_fd < 0)
                return log_error_errno(dir_fd, "cannot open " EGRESS_STUB_DIR);
        /* Two sessions starting at once must not pick the same address. */
        if (flock(dir_fd, LOCK_EX) < 0)
                return log_error_errno(-errno, "cannot lock " EGRESS_STUB_DIR);
        r = egress_stub_address_pick(dir_fd, name, c.listen);
        if (r < 0)
                return log_error_errno(r, "no free address for the DNS stub of session %s", name);

        r = egress_stub_config_file(name, &conf_file);
        if (r >= 0)
                r = egress_stub_resolv_file(name, &resolv_file);
        if (r >= 0)
                r = egress_stub_config_format(&c, &conf);
        if (r >= 0)
                r = egress_stub_resolv_conf(&c, &resolv);
        if (r < 0)
                return log_error_errno(r, "cannot format the DNS stub config of session %s", name);
        /* resolv.conf first: once NAME.conf is there, the address counts as taken. */
        r = write_string_file_atomic_at(dir_fd, resolv_file, resolv, 0644);
        if (r >= 0)
                r = write_string_file_atomic_at(dir_fd, conf_file, conf, 0644);
        if (r < 0)
                return log_error_errno(r, "cannot write the DNS stub config of session %s", name);

        *ret_stub = (EgressStub) { .family = AF_INET, .port = EGRESS_STUB_PORT };
        memcpy(ret_stub->address, c.listen, 4);
        return 0;
}

int egress_write_policy(const char *name, const EgressRule *rules, size_t n_rules,
                        const EgressHost *hosts, size_t n_hosts, char **dns) {
        _cleanup_free_ char *file = NULL, *text = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        r = egress_policy_file(name, &file);
        if (r >= 0)
                r = egress_policy_format(rules, n_rules, hosts, n_hosts, dns, &text);
        if (r < 0)
                return log_error_errno(r, "cannot format the policy of session %s", name);
        dir_fd = open_stub_dir(true);
        if (dir_fd < 0)
                return log_error_errno(dir_fd, "cannot open " EGRESS_STUB_DIR);
        r = write_string_file_atomic_at(dir_fd, file, text, 0644);
        if (r < 0)
                return log_error_errno(r, "cannot write %s/%s", EGRESS_STUB_DIR, file);
        return 0;
}

int egress_remove_policy(const char *name) {
        _cleanup_free_ char *file = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        r = egress_policy_file(name, &file);
        if (r < 0)
                return log_error_errno(r, "invalid session name '%s'", name);
        dir_fd = open_stub_dir(false);
        if (dir_fd == -ENOENT)
                return 0;
        if (dir_fd < 0)
                return log_error_errno(dir_fd, "cannot open " EGRESS_STUB_DIR);
        if (unlinkat(dir_fd, file, 0) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "cannot remove %s/%s", EGRESS_STUB_DIR, file);
        return 0;
}

/* A query for a name no session may resolve: the stub answers it REFUSED, itself. */
static int probe_stub(const EgressStub *stub, int timeout_ms) {
        static const uint8_t query[] =
                "\x53\x44\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                "\x0esessiond-probe\x07invalid\x00\x00\x01\x00\x01";
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(stub->port) };
        _cleanup_close_ int fd = -EBADF;
        struct pollfd p;
        uint8_t buf[512];
        ssize_t n;

        memcpy(&sa.sin_addr, stub->address, 4);
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || send(fd, query, sizeof(query) - 1, 0) < 0)
                return -errno;
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) <= 0)
                return -ETIMEDOUT;
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0)
                return -errno;          /* ECONNREFUSED: nobody listens yet */
        if (n < DNS_HEADER_SIZE || buf[0] != 0x53 || buf[1] != 0x44 || (buf[3] & 0x0f) != DNS_RCODE_REFUSED)
                return -EBADMSG;
        return 0;
}

static int bus_unit_call(const char *method, const char *unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "cannot connect to the system bus");
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", method, &error, &reply, "ss", unit, "replace");
        if (r < 0) {
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                        return -ENOENT;
                return log_error_errno(r, "%s %s: %s", method, unit, error.message ?: strerror(-r));
        }
        return 0;
}

int dns_stub_start(const char *name, const EgressStub *stub) {
        _cleanup_free_ char *unit = NULL;
        uint64_t deadline;
        int r;

        r = egress_stub_unit_name(name, &unit);
        if (r < 0)
                return log_error_errno(r, "invalid session name '%s'", name);
        /* The unit is not ordered against the session (only bound to it), so its start job runs
         * while ours waits here in ExecStartPre=. */
        r = bus_unit_call("RestartUnit", unit);
        if (r < 0)
                return r;

        /* Up when it answers: the session's first query must not find it missing. */
        deadline = now_usec() + STUB_READY_TIMEOUT_USEC;
        for (;;) {
                r = probe_stub(stub, 200);
                if (r >= 0)
                        return 0;
                if (now_usec() >= deadline)
                        return log_error_errno(r, "the DNS stub of session %s (%s) does not answer", name, unit);
                if (r != -ETIMEDOUT)
                        (void) usleep(100 * 1000);
        }
}

int dns_stub_remove(const char *name) {
        _cleanup_free_ char *unit = NULL, *conf_file = NULL, *resolv_file = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        r = egress_stub_unit_name(name, &unit);
        if (r >= 0)
                r = egress_stub_config_file(name, &conf_file);
        if (r >= 0)
                r = egress_stub_resolv_file(name, &resolv_file);
        if (r < 0)
                return log_error_errno(r, "invalid session name '%s'", name);

        dir_fd = open_stub_dir(false);
        if (dir_fd == -ENOENT)
                return 0;
        if (dir_fd < 0)
                return log_error_errno(dir_fd, "cannot open " EGRESS_STUB_DIR);
        if (faccessat(dir_fd, conf_file, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;       /* a session without AllowHost=, or removed already */
                return log_error_errno(-errno, "cannot access %s/%s", EGRESS_STUB_DIR, conf_file);
        }

        /* BindsTo= stops the stub with the session already; this covers a stub left behind. */
        r = bus_unit_call("StopUnit", unit);
        if (r < 0 && r != -ENOENT)
                return r;
        if (unlinkat(dir_fd, conf_file, 0) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "cannot remove %s/%s", EGRESS_STUB_DIR, conf_file);
        if (unlinkat(dir_fd, resolv_file, 0) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "cannot remove %s/%s", EGRESS_STUB_DIR, resolv_file);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int verb_stub(EgressContext *ctx, const char *name) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};
        _cleanup_(dns_stub_server_freep) DnsStubServer *server = NULL;
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_free_ char *conf_file = NULL, *path = NULL, *text = NULL;
        struct sockaddr_storage upstream = {};
        struct sockaddr_in listen_addr = { .sin_family = AF_INET, .sin_port = htons(EGRESS_STUB_PORT) };
        const DnsStubCounters *k;
        socklen_t upstream_len;
        uint8_t a[16];
        int family, r;

        r = egress_stub_config_file(name, &conf_file);
        if (r < 0)
                return log_error_errno(r, "invalid session name '%s'", name);
        path = strjoin(EGRESS_STUB_DIR "/", conf_file);
        if (!path)
                return log_error_errno(-ENOMEM, "out of memory");
        r = read_full_file(path, 1024 * 1024, &text, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot read %s", path);
        r = egress_stub_config_parse(text, &c);
        if (r < 0)
                return log_error_errno(r, "invalid stub config %s", path);

        memcpy(&listen_addr.sin_addr, c.listen, 4);
        r = parse_ip_address(c.upstreams[0], &family, a);
        if (r < 0)
                return log_error_errno(r, "invalid upstream %s", c.upstreams[0]);
        if (family == AF_INET) {
                struct sockaddr_in *u = (struct sockaddr_in *) &upstream;

                u->sin_family = AF_INET;
                u->sin_port = htons(53);
                memcpy(&u->sin_addr, a, 4);
                upstream_len = sizeof(*u);
        } else {
                struct sockaddr_in6 *u = (struct sockaddr_in6 *) &upstream;

                u->sin6_family = AF_INET6;
                u->sin6_port = htons(53);
                memcpy(&u->sin6_addr, a, 16);
                upstream_len = sizeof(*u);
        }

        r = sd_event_default(&e);
        if (r < 0)
                return log_error_errno(r, "cannot allocate an event loop");
        {
                sigset_t mask;

                sigemptyset(&mask);
                sigaddset(&mask, SIGTERM);
                sigaddset(&mask, SIGINT);
                if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                        return log_error_errno(-errno, "cannot block signals");
        }
        r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_signal, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot watch signals");

        r = dns_stub_server_new(e, ctx, name, (struct sockaddr *) &listen_addr, sizeof(listen_addr),
                                (struct sockaddr *) &upstream, upstream_len, c.hosts, c.n_hosts, &server);
        if (r < 0)
                return log_error_errno(r, "cannot serve the DNS stub of session %s on %s", name, text);

        fprintf(stderr, "sessiond-egress: DNS stub of session %s on %u.%u.%u.%u:%u, upstream %s, %zu names\n",
                name, c.listen[0], c.listen[1], c.listen[2], c.listen[3], EGRESS_STUB_PORT, c.upstreams[0], c.n_hosts);
        (void) sd_notify(false, "READY=1");

        r = sd_event_loop(e);
        k = dns_stub_server_counters(server);
        fprintf(stderr, "sessiond-egress: DNS stub of session %s: %" PRIu64 " queries, %" PRIu64 " refused, %"
                PRIu64 " forwarded, %" PRIu64 " answered, %" PRIu64 " errors, %" PRIu64 " addresses added\n",
                name, k->queries, k->refused, k->forwarded, k->answered, k->errors, k->addresses);
        if (r < 0)
                return log_error_errno(r, "event loop failed");
        return 0;
}
