/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-egress net-up / the network part of remove: the veth of an nspawn session, made by
 * systemd-nspawn --network-veth-extra=, becomes a point-to-point link. ExecStartPost=+ (the
 * machine is up, the veth exists) runs
 *
 *   sessiond-egress net-up NAME --interface=IFNAME --machine=MACHINE
 *
 * which picks a free /30 out of 10.222.0.0/16 and with it a /64 out of fd5e:55d0:e6::/48
 * (lib/egress-net.h; under a lock, so two sessions never take the same one), puts .1 and ::1 on the
 * host side and .2 and ::2 on the container's host0 (entering the machine's network namespace,
 * found through machined), routes the container's default (both families) through the host's
 * side, masquerades what it sends (nft, the session's rules in chain machines_nat) and turns IPv4
 * and IPv6 forwarding on. Both ends of the veth take no router advertisements and do no duplicate
 * address detection (the link has two ends, both ours): the addresses are usable at once. What the
 * machine sends goes through the session's chain (egress_session_add_interface(), at setup):
 * default deny, counted, for IPv6 as for IPv4. A kernel without IPv6 gets IPv4 only.
 *
 * A session with AllowHost= names has a DNS stub on a loopback address of the host (see
 * lib/egress-stub-config.h), which the machine cannot reach as such: its DNS to the host's side of
 * the veth is redirected there (DNAT in the session's rule of chain machines_dns, route_localnet on
 * the veth), where the session's chain accepts it, as for a service session. The machine's
 * /etc/resolv.conf is EGRESS_STUB_DIR/NAME.resolv, bound by nspawn (--bind-ro=) before the veth
 * has addresses; net-up rewrites it in place (a new file would not be what the machine sees) to
 * name the host's side of the veth. Before that the machine has no route anywhere; without the
 * redirect its DNS meets the chain's drop: fail closed.
 *
 * An update of a running machine's policy (sessiond-egress update, UpdateEgress) with AllowHost=
 * names first points the machine's own /etc/resolv.conf (nspawn's, not bound from the host) at the
 * host's side of the veth, through its root (lib/root-file.h: /proc/LEADER/root, openat2() with
 * RESOLVE_IN_ROOT, nothing in the machine can point the write at a file of the host), before the
 * chain changes: net_dns_begin(). That file is the machine's, so the write may fail (a directory
 * there, an immutable file); failing first, it leaves the old policy whole. If a later step fails,
 * net_dns_abort() puts the old text back. The update then follows with net_dns_update(): a machine
 * started without names gets the redirect; names all gone, the redirect goes and the machine's DNS
 * meets the chain's drop. (Until the redirect is there, which is a few steps later, the machine's
 * DNS to the veth meets the old chain's drop: the names are not allowed yet either.)
 *
 * EGRESS_NET_DIR/NAME records the veth; remove deletes it, the host side if nspawn left it, and
 * turns forwarding (each family) off again when it was sessiond-egress that turned it on and no
 * session uses it any more.
 *
 * Turning IPv6 forwarding on (net.ipv6.conf.all.forwarding) makes the host a router for IPv6: an
 * interface with accept_ra=1 no longer takes router advertisements (accept_ra=2 does) while an
 * nspawn session runs. */

#include <arpa/inet.h>
#include <inttypes.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "dirent-util.h"
#include "egress-net.h"
#include "egress-stub-config.h"
#include "fileio.h"
#include "root-file.h"
#include "rtnl.h"
#include "session-render.h"
#include "session.h"
#include "sessiond-egress.h"
#include "string-util.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define IP6_FORWARD "/proc/sys/net/ipv6/conf/all/forwarding"
/* Present while sessiond-egress has turned IPv4 (IPv6) forwarding on. */
#define FORWARD_MARK EGRESS_NET_DIR "/.ip_forward"
#define FORWARD6_MARK EGRESS_NET_DIR "/.ipv6_forward"
#define CONTAINER_IFNAME "host0"

static int write_sysctl(const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(value);

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, value, n) != (ssize_t) n)
                return -errno;
        return 0;
}

static bool have_ipv6(void) {
        return access("/proc/sys/net/ipv6", F_OK) >= 0;
}

/* IPv6 on IFNAME (of the network namespace that is current) as a plain point-to-point link: no
 * router advertisements taken, no duplicate address detection (also for the link-local address),
 * then IPv6 on. */
static int enable_ipv6(const char *ifname) {
        static const struct { const char *key, *value; } settings[] = {
                { "accept_ra",    "0" },
                { "autoconf",     "0" },
                { "accept_dad",   "0" },
                { "disable_ipv6", "0" },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(settings); i++) {
                _cleanup_free_ char *p = strjoin("/proc/sys/net/ipv6/conf/", ifname, "/", settings[i].key);

                if (!p)
                        return -ENOMEM;
                r = write_sysctl(p, settings[i].value);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The directory itself is the lock (no lock file to leave behind); remove takes the directory
 * away when it holds nothing, so a lock on a directory that is gone is tried again. */
static int lock_dir(int *ret_fd) {
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (mkdir(EGRESS_NET_DIR, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(-errno, "cannot make %s", EGRESS_NET_DIR);
                fd = open(EGRESS_NET_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT)
                        continue;
                if (fd < 0)
                        return log_error_errno(-errno, "cannot open %s", EGRESS_NET_DIR);
                if (flock(fd, LOCK_EX) < 0)
                        return log_error_errno(-errno, "cannot lock %s", EGRESS_NET_DIR);
                if (fstat(fd, &st) < 0)
                        return log_error_errno(-errno, "cannot stat %s", EGRESS_NET_DIR);
                if (st.st_nlink == 0)
                        continue;       /* removed while we waited */
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        return log_error_errno(-EBUSY, "cannot lock %s", EGRESS_NET_DIR);
}

/* The machine's PID 1, from machined; checked to be in the session's unit. */
static int machine_leader(const char *name, const char *machine, pid_t *ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *cgpath = NULL, *cg = NULL, *unit = NULL;
        const char *path;
        uint32_t leader;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "cannot connect to the system bus");
        r = sd_bus_call_method(bus, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                               "org.freedesktop.machine1.Manager", "GetMachine", &error, &reply, "s", machine);
        if (r < 0)
                return log_error_errno(r, "machined does not know machine %s: %s", machine,
                                       error.message ?: "no message");
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_error_errno(r, "bad answer from machined");
        r = sd_bus_get_property_trivial(bus, "org.freedesktop.machine1", path, "org.freedesktop.machine1.Machine",
                                        "Leader", &error, 'u', &leader);
        if (r < 0)
                return log_error_errno(r, "cannot read the leader of machine %s: %s", machine,
                                       error.message ?: "no message");

        /* The PID is the session's machine, not a PID that came free and was taken again. */
        if (asprintf(&cgpath, "/proc/%" PRIu32 "/cgroup", leader) < 0)
                return log_error_errno(-ENOMEM, "out of memory");
        unit = strjoin("/sessiond-", name, ".service/");
        if (!unit)
                return log_error_errno(-ENOMEM, "out of memory");
        r = read_full_file(cgpath, 4096, &cg, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot read %s", cgpath);
        if (!strstr(cg, unit))
                return log_error_errno(-ESRCH, "PID %" PRIu32 " of machine %s is not in session %s", leader, machine, name);
        *ret = (pid_t) leader;
        return 0;
}


/* Whether forwarding of one family is sessiond-egress's: 0 if it is on and was on before the first
 * session (not ours), 1 if it is on and ours, 2 if it is off: then it is noted as ours, to be
 * turned on. Called under the lock. */
static int forwarding_family(const char *sysctl, const char *mark) {
        _cleanup_free_ char *v = NULL;
        int r;

        r = read_full_file(sysctl, 16, &v, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot read %s", sysctl);
        if (v[0] == '1')
                return access(mark, F_OK) >= 0;
        r = write_string_file_atomic_at(AT_FDCWD, mark, "", 0644);
        if (r < 0)
                return log_error_errno(r, "cannot write %s", mark);
        return 2;
}

/* Turns forwarding on (IPv6 too if IPV6), with the guard that keeps the host from routing anything
 * but machines' traffic in a family whose forwarding is sessiond-egress's. The guard comes first:
 * the host never forwards unguarded. Called under the lock. */
static int forwarding_on(EgressContext *ctx, bool ipv6) {
        int f4, f6, r;

        f4 = forwarding_family(IP_FORWARD, FORWARD_MARK);
        if (f4 < 0)
                return f4;
        f6 = ipv6 ? forwarding_family(IP6_FORWARD, FORWARD6_MARK) : access(FORWARD6_MARK, F_OK) >= 0;
        if (f6 < 0)
                return f6;
        if (f4 > 0 || f6 > 0) {
                r = egress_forward_guard(ctx, f4 > 0, f6 > 0);
                if (r < 0)
                        return log_error_errno(r, "cannot add the forwarding guard: %s", egress_last_error(ctx));
        }
        if (f4 == 2) {
                r = write_sysctl(IP_FORWARD, "1");
                if (r < 0)
                        return log_error_errno(r, "cannot turn IPv4 forwarding on");
                fprintf(stderr, "sessiond-egress: IPv4 forwarding turned on (off again with the last nspawn session)\n");
        }
        if (f6 == 2) {
                r = write_sysctl(IP6_FORWARD, "1");
                if (r < 0)
                        return log_error_errno(r, "cannot turn IPv6 forwarding on");
                fprintf(stderr, "sessiond-egress: IPv6 forwarding turned on (off again with the last nspawn session)\n");
        }
        return 0;
}

/* Inside the machine's network namespace: host0 up with its addresses, default routes. */
static int configure_container(const EgressNetAddresses *a, bool ipv6) {
        _cleanup_(rtnl_closep) Rtnl *rtnl = NULL;
        int r, ifindex, lo;

        r = rtnl_open(&rtnl);
        if (r < 0)
                return log_error_errno(r, "cannot open rtnetlink in the machine");
        ifindex = rtnl_link_index(rtnl, CONTAINER_IFNAME);
        if (ifindex < 0)
                return log_error_errno(ifindex, "no %s in the machine", CONTAINER_IFNAME);
        if (ipv6) {
                r = enable_ipv6(CONTAINER_IFNAME);
                if (r < 0)
                        return log_error_errno(r, "cannot set up IPv6 on %s in the machine", CONTAINER_IFNAME);
                r = rtnl_address_add_ipv6(rtnl, ifindex, &a->container6, EGRESS_NET6_PREFIXLEN);
                if (r < 0 && r != -EEXIST)
                        return log_error_errno(r, "cannot add the IPv6 address of %s in the machine", CONTAINER_IFNAME);
        }
        r = rtnl_address_add_ipv4(rtnl, ifindex, a->container, EGRESS_NET_PREFIXLEN);
        if (r < 0 && r != -EEXIST)
                return log_error_errno(r, "cannot add the address of %s in the machine", CONTAINER_IFNAME);
        r = rtnl_link_set_up(rtnl, ifindex);
        if (r < 0)
                return log_error_errno(r, "cannot set %s up in the machine", CONTAINER_IFNAME);
        lo = rtnl_link_index(rtnl, "lo");
        if (lo >= 0)
                (void) rtnl_link_set_up(rtnl, lo);
        r = rtnl_route_add_default_ipv4(rtnl, ifindex, a->host);
        if (r < 0 && r != -EEXIST)
                return log_error_errno(r, "cannot add the default route in the machine");
        if (ipv6) {
                r = rtnl_route_add_default_ipv6(rtnl, ifindex, &a->host6);
                if (r < 0 && r != -EEXIST)
                        return log_error_errno(r, "cannot add the IPv6 default route in the machine");
        }
        return 0;
}

/* The session's stub address, if it has a stub: 1 and *ret set; 0 if it has none. */
static int stub_address(const char *name, struct in_addr *ret) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};
        _cleanup_free_ char *file = NULL, *path = NULL, *text = NULL;
        int r;

        r = egress_stub_config_file(name, &file);
        if (r < 0)
                return r;
        path = strjoin(EGRESS_STUB_DIR "/", file);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, 1024 * 1024, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = egress_stub_config_parse(text, &c);
        if (r < 0)
                return r;
        memcpy(ret, c.listen, 4);
        return 1;
}

/* "nameserver HOST": the machine's resolver is the host's side of its veth alone. */
static int machine_resolv_text(struct in_addr host, char **ret) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};

        memcpy(c.listen, &host, 4);
        return egress_stub_resolv_conf(&c, ret);
}

static int write_all(int fd, const char *text) {
        size_t n = strlen(text);

        if (write(fd, text, n) != (ssize_t) n)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* Rewrites the file in place: nspawn bound its inode into the machine. */
static int write_machine_resolv_conf(const char *name, struct in_addr host) {
        _cleanup_free_ char *file = NULL, *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = egress_stub_resolv_file(name, &file);
        if (r < 0)
                return r;
        path = strjoin(EGRESS_STUB_DIR "/", file);
        if (!path)
                return -ENOMEM;
        r = machine_resolv_text(host, &text);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        return write_all(fd, text);
}

static int dns_up(EgressContext *ctx, const char *name, const char *ifname, struct in_addr host) {
        _cleanup_free_ char *p = NULL;
        struct in_addr stub;
        int r;

        r = stub_address(name, &stub);
        if (r < 0)
                return log_error_errno(r, "cannot read the DNS stub config of session %s", name);
        if (r == 0)
                return 0;
        p = strjoin("/proc/sys/net/ipv4/conf/", ifname, "/route_localnet");
        if (!p)
                return log_error_errno(-ENOMEM, "out of memory");
        r = write_sysctl(p, "1");
        if (r < 0)
                return log_error_errno(r, "cannot write %s", p);
        r = egress_session_set_dns_redirect(ctx, name, ifname, host, stub);
        if (r < 0)
                return log_error_errno(r, "cannot redirect the DNS of session %s to its stub: %s", name,
                                       egress_last_error(ctx));
        r = write_machine_resolv_conf(name, host);
        if (r < 0)
                return log_error_errno(r, "cannot write the resolv.conf of machine %s", name);
        return 0;
}

int verb_net_up(EgressContext *ctx, const char *name, int argc, char *argv[]) {
        _cleanup_(rtnl_closep) Rtnl *rtnl = NULL;
        _cleanup_free_ struct in_addr *used = NULL;
        _cleanup_free_ struct in6_addr *used6 = NULL;
        _cleanup_free_ char *record = NULL, *line = NULL;
        _cleanup_close_ int lock = -EBADF, self_ns = -EBADF, machine_ns = -EBADF;
        const char *ifname = NULL, *machine = NULL;
        char nsp[64], hs[INET_ADDRSTRLEN], cs[INET_ADDRSTRLEN], hs6[INET6_ADDRSTRLEN] = "-", cs6[INET6_ADDRSTRLEN] = "-";
        EgressNetAddresses a;
        size_t n_used, n_used6 = 0;
        bool ipv6 = have_ipv6();
        pid_t leader = 0;
        int r, ifindex, k;

        for (int i = 0; i < argc; i++) {
                if (strncmp(argv[i], "--interface=", strlen("--interface=")) == 0)
                        ifname = argv[i] + strlen("--interface=");
                else if (strncmp(argv[i], "--machine=", strlen("--machine=")) == 0)
                        machine = argv[i] + strlen("--machine=");
                else
                        return log_error_errno(-EINVAL, "unknown argument '%s'", argv[i]);
        }
        if (isempty(ifname) || strlen(ifname) > 15 || ifname[strcspn(ifname, "\"/ \t\n;{}")] || isempty(machine))
                return log_error_errno(-EINVAL, "net-up needs --interface=IFNAME and --machine=MACHINE");

        r = machine_leader(name, machine, &leader);
        if (r < 0)
                return r;
        snprintf(nsp, sizeof(nsp), "/proc/%d/ns/net", (int) leader);
        self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        machine_ns = open(nsp, O_RDONLY | O_CLOEXEC);
        if (self_ns < 0 || machine_ns < 0)
                return log_error_errno(-errno, "cannot open the network namespaces");

        r = lock_dir(&lock);
        if (r < 0)
                return r;
        r = rtnl_open(&rtnl);
        if (r < 0)
                return log_error_errno(r, "cannot open rtnetlink");
        ifindex = rtnl_link_index(rtnl, ifname);
        if (ifindex < 0)
                return log_error_errno(ifindex, "no interface %s", ifname);
        r = rtnl_addresses_ipv4(rtnl, &used, &n_used);
        if (r < 0)
                return log_error_errno(r, "cannot list the host's addresses");
        if (ipv6) {
                r = rtnl_addresses_ipv6(rtnl, &used6, &n_used6);
                if (r < 0)
                        return log_error_errno(r, "cannot list the host's IPv6 addresses");
        }
        r = egress_net_pick(name, used, n_used, used6, n_used6, &a);
        if (r < 0)
                return log_error_errno(r, "no free /%d left in " EGRESS_NET_POOL "/%d (with its /%d in " EGRESS_NET6_POOL "/%d)",
                                       EGRESS_NET_PREFIXLEN, EGRESS_NET_POOL_PREFIXLEN,
                                       EGRESS_NET6_PREFIXLEN, EGRESS_NET6_POOL_PREFIXLEN);
        inet_ntop(AF_INET, &a.host, hs, sizeof(hs));
        inet_ntop(AF_INET, &a.container, cs, sizeof(cs));
        if (ipv6) {
                inet_ntop(AF_INET6, &a.host6, hs6, sizeof(hs6));
                inet_ntop(AF_INET6, &a.container6, cs6, sizeof(cs6));
        }

        /* The record first: from here on, remove cleans up whatever of this was done. */
        r = egress_net_record_path(name, &record);
        if (r >= 0 && asprintf(&line, "%s %s %s %s %s\n", ifname, hs, cs, hs6, cs6) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = write_string_file_atomic_at(AT_FDCWD, record, line, 0644);
        if (r < 0)
                return log_error_errno(r, "cannot write %s", strempty(record));

        if (ipv6) {
                r = enable_ipv6(ifname);
                if (r < 0)
                        return log_error_errno(r, "cannot set up IPv6 on %s", ifname);
                r = rtnl_address_add_ipv6(rtnl, ifindex, &a.host6, EGRESS_NET6_PREFIXLEN);
                if (r < 0)
                        return log_error_errno(r, "cannot add %s/%d to %s", hs6, EGRESS_NET6_PREFIXLEN, ifname);
        }
        r = rtnl_address_add_ipv4(rtnl, ifindex, a.host, EGRESS_NET_PREFIXLEN);
        if (r < 0)
                return log_error_errno(r, "cannot add %s/%d to %s", hs, EGRESS_NET_PREFIXLEN, ifname);
        r = rtnl_link_set_up(rtnl, ifindex);
        if (r < 0)
                return log_error_errno(r, "cannot set %s up", ifname);
        /* The addresses are on the link: the next session's pick sees them, the lock can go. */
        lock = safe_close(lock);

        r = egress_session_set_masquerade(ctx, name, ifname, a.container, ipv6 ? &a.container6 : NULL);
        if (r < 0)
                return log_error_errno(r, "cannot add the masquerade of session %s: %s", name, egress_last_error(ctx));
        r = dns_up(ctx, name, ifname, a.host);
        if (r < 0)
                return r;
        r = lock_dir(&lock);
        if (r >= 0)
                r = forwarding_on(ctx, ipv6);
        lock = safe_close(lock);
        if (r < 0)
                return r;

        if (setns(machine_ns, CLONE_NEWNET) < 0)
                return log_error_errno(-errno, "cannot enter the network namespace of machine %s", machine);
        r = configure_container(&a, ipv6);
        if (setns(self_ns, CLONE_NEWNET) < 0) {
                k = log_error_errno(-errno, "cannot go back to the host's network namespace");
                return r < 0 ? r : k;
        }
        if (r < 0)
                return r;

        fprintf(stderr, "sessiond-egress: session %s: %s %s/%d, machine %s %s/%d, default route via %s\n",
                name, ifname, hs, EGRESS_NET_PREFIXLEN, machine, cs, EGRESS_NET_PREFIXLEN, hs);
        if (ipv6)
                fprintf(stderr, "sessiond-egress: session %s: %s %s/%d, machine %s %s/%d, IPv6 default route via %s\n",
                        name, ifname, hs6, EGRESS_NET6_PREFIXLEN, machine, cs6, EGRESS_NET6_PREFIXLEN, hs6);
        return 0;
}

static int records_left(void) {
        _cleanup_closedir_ DIR *d = NULL;

        d = opendir(EGRESS_NET_DIR);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (;;) {
                struct dirent *de;
                int r = readdir_next(d, &de);

                if (r <= 0)
                        return r;
                if (de->d_name[0] != '.')
                        return 1;
        }
}

int net_remove(EgressContext *ctx, const char *name) {
        _cleanup_free_ char *record = NULL, *line = NULL;
        _cleanup_close_ int lock = -EBADF;
        char ifname[16];
        int r;

        r = egress_net_record_path(name, &record);
        if (r < 0)
                return log_error_errno(r, "out of memory");
        if (access(EGRESS_NET_DIR, F_OK) < 0 && errno == ENOENT)
                return 0;       /* no veth set up, and forwarding is none of ours */

        r = lock_dir(&lock);
        if (r < 0)
                return r;
        r = read_full_file(record, 256, &line, NULL);
        if (r >= 0 && sscanf(line, "%15s", ifname) == 1) {
                _cleanup_(rtnl_closep) Rtnl *rtnl = NULL;
                int ifindex;

                /* nspawn deletes the veth when it ends; if it could not (killed), here it goes. */
                r = rtnl_open(&rtnl);
                if (r < 0)
                        return log_error_errno(r, "cannot open rtnetlink");
                ifindex = rtnl_link_index(rtnl, ifname);
                if (ifindex >= 0) {
                        r = rtnl_link_delete(rtnl, ifindex);
                        if (r < 0 && r != -ENODEV)
                                return log_error_errno(r, "cannot delete %s", ifname);
                }
        } else if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "cannot read %s", record);
        if (unlink(record) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "cannot remove %s", record);

        r = records_left();
        if (r < 0)
                return log_error_errno(r, "cannot read " EGRESS_NET_DIR);
        if (r == 0) {
                static const struct { const char *sysctl, *mark, *what; } families[] = {
                        { IP_FORWARD,  FORWARD_MARK,  "IPv4" },
                        { IP6_FORWARD, FORWARD6_MARK, "IPv6" },
                };
                bool any = false;

                /* Forwarding off first, then the guard: the host never forwards unguarded. */
                for (size_t i = 0; i < ELEMENTSOF(families); i++) {
                        if (access(families[i].mark, F_OK) < 0)
                                continue;
                        r = write_sysctl(families[i].sysctl, "0");
                        if (r < 0)
                                return log_error_errno(r, "cannot turn %s forwarding off", families[i].what);
                        if (unlink(families[i].mark) < 0 && errno != ENOENT)
                                return log_error_errno(-errno, "cannot remove %s", families[i].mark);
                        fprintf(stderr, "sessiond-egress: %s forwarding turned off again\n", families[i].what);
                        any = true;
                }
                if (any) {
                        r = egress_forward_guard(ctx, false, false);
                        if (r < 0)
                                return log_error_errno(r, "cannot remove the forwarding guard: %s", egress_last_error(ctx));
                }
                r = 0;
        }
        if (r == 0 && rmdir(EGRESS_NET_DIR) < 0 && errno != ENOENT && errno != ENOTEMPTY)
                return log_error_errno(-errno, "cannot remove " EGRESS_NET_DIR);
        return 0;
}

/* The session's veth record: 1 with its interface and the host's side of it, 0 if it has none (no
 * machine with a veth: a service session). */
static int net_record(const char *name, char ret_ifname[static 16], struct in_addr *ret_host) {
        _cleanup_free_ char *record = NULL, *line = NULL;
        char ifname[16], hs[INET_ADDRSTRLEN];
        struct in_addr host;
        int r;

        r = egress_net_record_path(name, &record);
        if (r < 0)
                return log_error_errno(r, "out of memory");
        r = read_full_file(record, 256, &line, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "cannot read %s", record);
        if (sscanf(line, "%15s %15s", ifname, hs) != 2 || inet_pton(AF_INET, hs, &host) != 1)
                return log_error_errno(-EBADMSG, "bad record %s", record);
        memcpy(ret_ifname, ifname, sizeof(ifname));
        *ret_host = host;
        return 1;
}

int net_dns_begin(const char *name, RootFileChange *ret) {
        _cleanup_free_ char *machine = NULL, *text = NULL;
        _cleanup_close_ int root_fd = -EBADF;
        char ifname[16], root[64], hs[INET_ADDRSTRLEN];
        struct in_addr host;
        pid_t leader;
        int r;

        r = net_record(name, ifname, &host);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = ROOT_FILE_CHANGE_NULL;
                return 0;
        }
        inet_ntop(AF_INET, &host, hs, sizeof(hs));
        r = session_machine_name(name, &machine);
        if (r < 0)
                return log_error_errno(r, "invalid session name '%s'", name);
        r = machine_leader(name, machine, &leader);
        if (r < 0)
                return r;
        r = machine_resolv_text(host, &text);
        if (r < 0)
                return log_error_errno(r, "out of memory");

        /* Through the machine's root: nothing in the machine can point the write at a host file. */
        snprintf(root, sizeof(root), "/proc/%d/root", (int) leader);
        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(-errno, "cannot open the root of machine %s", machine);
        r = root_file_replace(root_fd, "etc/resolv.conf", text, ret);
        if (r < 0)
                return log_error_errno(r, "cannot point /etc/resolv.conf of the machine of session %s at %s", name, hs);
        if (r > 0)
                fprintf(stderr, "sessiond-egress: session %s: /etc/resolv.conf of its machine names %s now\n", name, hs);
        return 0;
}

void net_dns_abort(const char *name, RootFileChange *c) {
        int r;

        if (c->fd < 0)
                return;
        r = root_file_restore(c);
        if (r < 0)
                log_error_errno(r, "cannot set /etc/resolv.conf of the machine of session %s back", name);
        else
                fprintf(stderr, "sessiond-egress: session %s: /etc/resolv.conf of its machine set back\n", name);
}

int net_dns_update(EgressContext *ctx, const char *name) {
        char ifname[16], hs[INET_ADDRSTRLEN];
        struct in_addr host, stub;
        int r;

        r = net_record(name, ifname, &host);
        if (r <= 0)
                return r;       /* no machine with a veth: a service session's stub needs nothing here */

        r = stub_address(name, &stub);
        if (r < 0)
                return log_error_errno(r, "cannot read the DNS stub config of session %s", name);
        if (r == 0) {
                /* No AllowHost= any more: the machine's DNS to the veth meets the chain's drop. */
                r = egress_session_remove_dns_redirect(ctx, name);
                if (r < 0)
                        return log_error_errno(r, "cannot remove the DNS redirect of session %s: %s", name,
                                               egress_last_error(ctx));
                return 0;
        }

        /* The redirect to the (new) stub; the machine's own /etc/resolv.conf names the veth since
         * net_dns_begin(). */
        r = dns_up(ctx, name, ifname, host);
        if (r < 0)
                return r;
        inet_ntop(AF_INET, &host, hs, sizeof(hs));
        fprintf(stderr, "sessiond-egress: session %s: its machine resolves through %s (its DNS stub)\n", name, hs);
        return 0;
}
