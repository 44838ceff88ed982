/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-egress net-up / the network part of remove: the veth of an nspawn session, made by
 * systemd-nspawn --network-veth-extra=, becomes a point-to-point link. ExecStartPost=+ (the
 * machine is up, the veth exists) runs
 *
 *   sessiond-egress net-up NAME --interface=IFNAME --machine=MACHINE
 *
 * which picks a free /30 out of 10.222.0.0/16 (lib/egress-net.h; under a lock, so two sessions
 * never take the same one), puts .1 on the host side and .2 on the container's host0 (entering the
 * machine's network namespace, found through machined), routes the container's default through .1,
 * masquerades what it sends (nft, the session's rule in chain machines_nat) and turns IPv4
 * forwarding on. IPv6 is off on both sides: the policy is IPv4 here. What the machine sends goes
 * through the session's chain (egress_session_add_interface(), at setup): default deny, counted.
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
 * EGRESS_NET_DIR/NAME records the veth; remove deletes it, the host side if nspawn left it, and
 * turns forwarding off again when it was sessiond-egress that turned it on and no session uses it
 * any more. */

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
#include "rtnl.h"
#include "session.h"
#include "sessiond-egress.h"
#include "string-util.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
/* Present while sessiond-egress has turned IPv4 forwarding on. */
#define FORWARD_MARK EGRESS_NET_DIR "/.ip_forward"
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

static int disable_ipv6(const char *ifname) {
        _cleanup_free_ char *p = strjoin("/proc/sys/net/ipv6/conf/", ifname, "/disable_ipv6");
        int r;

        if (!p)
                return -ENOMEM;
        r = write_sysctl(p, "1");
        return r == -ENOENT ? 0 : r;    /* a kernel without IPv6 */
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


/* Turns forwarding on, noting that it was off, with the guard that keeps the host from routing
 * anything but machines' traffic. Called under the lock. */
static int forwarding_on(EgressContext *ctx) {
        _cleanup_free_ char *v = NULL;
        int r;

        r = read_full_file(IP_FORWARD, 16, &v, NULL);
        if (r < 0)
                return log_error_errno(r, "cannot read " IP_FORWARD);
        if (v[0] == '1')
                return 0;
        r = egress_forward_guard(ctx, true);
        if (r < 0)
                return log_error_errno(r, "cannot add the forwarding guard: %s", egress_last_error(ctx));
        r = write_string_file_atomic_at(AT_FDCWD, FORWARD_MARK, "", 0644);
        if (r >= 0)
                r = write_sysctl(IP_FORWARD, "1");
        if (r < 0)
                return log_error_errno(r, "cannot turn IPv4 forwarding on");
        fprintf(stderr, "sessiond-egress: IPv4 forwarding turned on (off again with the last nspawn session)\n");
        return 0;
}

/* Inside the machine's network namespace: host0 up with its address, default route. */
static int configure_container(struct in_addr host, struct in_addr container) {
        _cleanup_(rtnl_closep) Rtnl *rtnl = NULL;
        int r, ifindex, lo;

        r = rtnl_open(&rtnl);
        if (r < 0)
                return log_error_errno(r, "cannot open rtnetlink in the machine");
        ifindex = rtnl_link_index(rtnl, CONTAINER_IFNAME);
        if (ifindex < 0)
                return log_error_errno(ifindex, "no %s in the machine", CONTAINER_IFNAME);
        r = disable_ipv6(CONTAINER_IFNAME);
        if (r < 0)
                return log_error_errno(r, "cannot turn IPv6 off on %s in the machine", CONTAINER_IFNAME);
        r = rtnl_address_add_ipv4(rtnl, ifindex, container, EGRESS_NET_PREFIXLEN);
        if (r < 0 && r != -EEXIST)
                return log_error_errno(r, "cannot add the address of %s in the machine", CONTAINER_IFNAME);
        r = rtnl_link_set_up(rtnl, ifindex);
        if (r < 0)
                return log_error_errno(r, "cannot set %s up in the machine", CONTAINER_IFNAME);
        lo = rtnl_link_index(rtnl, "lo");
        if (lo >= 0)
                (void) rtnl_link_set_up(rtnl, lo);
        r = rtnl_route_add_default_ipv4(rtnl, ifindex, host);
        if (r < 0 && r != -EEXIST)
                return log_error_errno(r, "cannot add the default route in the machine");
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

/* Rewrites the file in place: nspawn bound its inode into the machine. */
static int write_machine_resolv_conf(const char *name, struct in_addr host) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};
        _cleanup_free_ char *file = NULL, *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n;
        int r;

        r = egress_stub_resolv_file(name, &file);
        if (r < 0)
                return r;
        path = strjoin(EGRESS_STUB_DIR "/", file);
        if (!path)
                return -ENOMEM;
        memcpy(c.listen, &host, 4);
        r = egress_stub_resolv_conf(&c, &text);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = strlen(text);
        if (write(fd, text, n) != (ssize_t) n)
                return errno > 0 ? -errno : -EIO;
        return 0;
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
        _cleanup_free_ char *record = NULL, *line = NULL;
        _cleanup_close_ int lock = -EBADF, self_ns = -EBADF, machine_ns = -EBADF;
        const char *ifname = NULL, *machine = NULL;
        char nsp[64], hs[INET_ADDRSTRLEN], cs[INET_ADDRSTRLEN];
        struct in_addr host, container;
        size_t n_used;
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
        r = egress_net_pick(name, used, n_used, &host, &container);
        if (r < 0)
                return log_error_errno(r, "no free /%d left in " EGRESS_NET_POOL "/%d", EGRESS_NET_PREFIXLEN,
                                       EGRESS_NET_POOL_PREFIXLEN);
        inet_ntop(AF_INET, &host, hs, sizeof(hs));
        inet_ntop(AF_INET, &container, cs, sizeof(cs));

        /* The record first: from here on, remove cleans up whatever of this was done. */
        r = egress_net_record_path(name, &record);
        if (r >= 0 && asprintf(&line, "%s %s %s\n", ifname, hs, cs) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = write_string_file_atomic_at(AT_FDCWD, record, line, 0644);
        if (r < 0)
                return log_error_errno(r, "cannot write %s", strempty(record));

        r = disable_ipv6(ifname);
        if (r < 0)
                return log_error_errno(r, "cannot turn IPv6 off on %s", ifname);
        r = rtnl_address_add_ipv4(rtnl, ifindex, host, EGRESS_NET_PREFIXLEN);
        if (r < 0)
                return log_error_errno(r, "cannot add %s/%d to %s", hs, EGRESS_NET_PREFIXLEN, ifname);
        r = rtnl_link_set_up(rtnl, ifindex);
        if (r < 0)
                return log_error_errno(r, "cannot set %s up", ifname);
        /* The address is on the link: the next session's pick sees it, the lock can go. */
        lock = safe_close(lock);

        r = egress_session_set_masquerade(ctx, name, ifname, container);
        if (r < 0)
                return log_error_errno(r, "cannot add the masquerade of session %s: %s", name, egress_last_error(ctx));
        r = dns_up(ctx, name, ifname, host);
        if (r < 0)
                return r;
        r = lock_dir(&lock);
        if (r >= 0)
                r = forwarding_on(ctx);
        lock = safe_close(lock);
        if (r < 0)
                return r;

        if (setns(machine_ns, CLONE_NEWNET) < 0)
                return log_error_errno(-errno, "cannot enter the network namespace of machine %s", machine);
        r = configure_container(host, container);
        if (setns(self_ns, CLONE_NEWNET) < 0) {
                k = log_error_errno(-errno, "cannot go back to the host's network namespace");
                return r < 0 ? r : k;
        }
        if (r < 0)
                return r;

        fprintf(stderr, "sessiond-egress: session %s: %s %s/%d, machine %s %s/%d, default route via %s\n",
                name, ifname, hs, EGRESS_NET_PREFIXLEN, machine, cs, EGRESS_NET_PREFIXLEN, hs);
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
        if (r == 0 && access(FORWARD_MARK, F_OK) >= 0) {
                r = write_sysctl(IP_FORWARD, "0");
                if (r < 0)
                        return log_error_errno(r, "cannot turn IPv4 forwarding off");
                if (unlink(FORWARD_MARK) < 0 && errno != ENOENT)
                        return log_error_errno(-errno, "cannot remove " FORWARD_MARK);
                r = egress_forward_guard(ctx, false);
                if (r < 0)
                        return log_error_errno(r, "cannot remove the forwarding guard: %s", egress_last_error(ctx));
                fprintf(stderr, "sessiond-egress: IPv4 forwarding turned off again\n");
        }
        if (r == 0 && rmdir(EGRESS_NET_DIR) < 0 && errno != ENOENT && errno != ENOTEMPTY)
                return log_error_errno(-errno, "cannot remove " EGRESS_NET_DIR);
        return 0;
}
