/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "rtnl.h"

struct Rtnl {
        int fd;
        uint32_t seq;
};

#define RTNL_BUFFER 32768

typedef struct Request {
        struct nlmsghdr nh;
        union {
                struct ifinfomsg ifi;
                struct ifaddrmsg ifa;
                struct rtmsg rtm;
        };
        char attrs[256];
} Request;

int rtnl_open(Rtnl **ret) {
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        Rtnl *rtnl;

        rtnl = calloc(1, sizeof(*rtnl));
        if (!rtnl)
                return -ENOMEM;
        rtnl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (rtnl->fd < 0 || bind(rtnl->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;

                rtnl_close(rtnl);
                return r;
        }
        *ret = rtnl;
        return 0;
}

Rtnl *rtnl_close(Rtnl *rtnl) {
        if (!rtnl)
                return NULL;
        if (rtnl->fd >= 0)
                close(rtnl->fd);
        free(rtnl);
        return NULL;
}

static void add_attr(Request *req, unsigned short type, const void *data, size_t len) {
        struct rtattr *rta = (struct rtattr *) ((char *) &req->nh + NLMSG_ALIGN(req->nh.nlmsg_len));

        assert(NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_SPACE(len) <= sizeof(*req));
        rta->rta_type = type;
        rta->rta_len = RTA_LENGTH(len);
        memcpy(RTA_DATA(rta), data, len);
        req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_SPACE(len);
}

static int send_request(Rtnl *rtnl, Request *req) {
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

        req->nh.nlmsg_seq = ++rtnl->seq;
        if (sendto(rtnl->fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        return 0;
}

/* Reads answers to the request with sequence number seq until its ACK/error (or, for a dump, its
 * NLMSG_DONE), handing each data message to cb. */
static int receive(Rtnl *rtnl, int (*cb)(const struct nlmsghdr *nh, void *userdata), void *userdata) {
        _cleanup_free_ char *buf = malloc(RTNL_BUFFER);

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = recv(rtnl->fd, buf, RTNL_BUFFER, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (struct nlmsghdr *nh = (struct nlmsghdr *) buf; NLMSG_OK(nh, (size_t) n); nh = NLMSG_NEXT(nh, n)) {
                        if (nh->nlmsg_seq != rtnl->seq)
                                continue;
                        if (nh->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (nh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(nh);

                                return e->error;        /* 0 for an ACK */
                        }
                        if (cb) {
                                int r = cb(nh, userdata);
                                if (r < 0)
                                        return r;
                        }
                }
        }
}

static int transact(Rtnl *rtnl, Request *req) {
        int r;

        req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        r = send_request(rtnl, req);
        if (r < 0)
                return r;
        return receive(rtnl, NULL, NULL);
}

int rtnl_link_index(Rtnl *rtnl, const char *ifname) {
        unsigned idx;

        assert(rtnl);
        if (!ifname || strlen(ifname) >= IFNAMSIZ)
                return -EINVAL;
        /* if_nametoindex() opens its socket in the namespace that is current, as rtnl_open() did */
        idx = if_nametoindex(ifname);
        if (idx == 0)
                return errno == ENXIO || errno == ENODEV ? -ENODEV : -errno;
        return (int) idx;
}

int rtnl_link_set_up(Rtnl *rtnl, int ifindex) {
        Request req = {
                .nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
                .nh.nlmsg_type = RTM_NEWLINK,
                .ifi.ifi_family = AF_UNSPEC,
                .ifi.ifi_index = ifindex,
                .ifi.ifi_flags = IFF_UP,
                .ifi.ifi_change = IFF_UP,
        };

        assert(rtnl);
        return transact(rtnl, &req);
}

int rtnl_link_delete(Rtnl *rtnl, int ifindex) {
        Request req = {
                .nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
                .nh.nlmsg_type = RTM_DELLINK,
                .ifi.ifi_family = AF_UNSPEC,
                .ifi.ifi_index = ifindex,
        };

        assert(rtnl);
        return transact(rtnl, &req);
}

static int address_add(Rtnl *rtnl, int ifindex, int family, const void *address, size_t size,
                       unsigned prefixlen) {
        Request req = {
                .nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
                .nh.nlmsg_type = RTM_NEWADDR,
                .nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL,
                .ifa.ifa_family = family,
                .ifa.ifa_prefixlen = prefixlen,
                /* IPv6: usable at once, no duplicate address detection (the link has two ends,
                 * both ours; DAD would hold the address "tentative" for a second or more) */
                .ifa.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0,
                .ifa.ifa_scope = RT_SCOPE_UNIVERSE,
                .ifa.ifa_index = ifindex,
        };

        assert(rtnl);
        if (prefixlen > size * 8)
                return -EINVAL;
        add_attr(&req, IFA_LOCAL, address, size);
        add_attr(&req, IFA_ADDRESS, address, size);
        return transact(rtnl, &req);
}

int rtnl_address_add_ipv4(Rtnl *rtnl, int ifindex, struct in_addr address, unsigned prefixlen) {
        return address_add(rtnl, ifindex, AF_INET, &address, sizeof(address), prefixlen);
}

int rtnl_address_add_ipv6(Rtnl *rtnl, int ifindex, const struct in6_addr *address, unsigned prefixlen) {
        assert(address);
        return address_add(rtnl, ifindex, AF_INET6, address, sizeof(*address), prefixlen);
}

static int route_add_default(Rtnl *rtnl, int ifindex, int family, const void *gateway, size_t size) {
        Request req = {
                .nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
                .nh.nlmsg_type = RTM_NEWROUTE,
                .nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL,
                .rtm.rtm_family = family,
                .rtm.rtm_dst_len = 0,
                .rtm.rtm_table = RT_TABLE_MAIN,
                .rtm.rtm_protocol = RTPROT_STATIC,
                .rtm.rtm_scope = RT_SCOPE_UNIVERSE,
                .rtm.rtm_type = RTN_UNICAST,
        };
        uint32_t oif = (uint32_t) ifindex;

        assert(rtnl);
        add_attr(&req, RTA_GATEWAY, gateway, size);
        add_attr(&req, RTA_OIF, &oif, sizeof(oif));
        return transact(rtnl, &req);
}

int rtnl_route_add_default_ipv4(Rtnl *rtnl, int ifindex, struct in_addr gateway) {
        return route_add_default(rtnl, ifindex, AF_INET, &gateway, sizeof(gateway));
}

int rtnl_route_add_default_ipv6(Rtnl *rtnl, int ifindex, const struct in6_addr *gateway) {
        assert(gateway);
        return route_add_default(rtnl, ifindex, AF_INET6, gateway, sizeof(*gateway));
}

typedef struct Addresses {
        int family;
        size_t size;            /* of one address */
        void *a;
        size_t n, allocated;
} Addresses;

static int address_cb(const struct nlmsghdr *nh, void *userdata) {
        Addresses *l = userdata;
        const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
        int len;

        if (nh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != l->family)
                return 0;
        len = (int) IFA_PAYLOAD(nh);
        for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
                if ((rta->rta_type != IFA_LOCAL && rta->rta_type != IFA_ADDRESS) ||
                    RTA_PAYLOAD(rta) != l->size)
                        continue;
                if (l->n == l->allocated) {
                        size_t m = l->allocated ? l->allocated * 2 : 16;
                        void *p = reallocarray(l->a, m, l->size);

                        if (!p)
                                return -ENOMEM;
                        l->a = p;
                        l->allocated = m;
                }
                memcpy((uint8_t *) l->a + l->n++ * l->size, RTA_DATA(rta), l->size);
        }
        return 0;
}

static int addresses(Rtnl *rtnl, int family, size_t size, void **ret, size_t *ret_n) {
        Request req = {
                .nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
                .nh.nlmsg_type = RTM_GETADDR,
                .nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                .ifa.ifa_family = family,
        };
        Addresses l = { .family = family, .size = size };
        int r;

        assert(rtnl);
        assert(ret);
        assert(ret_n);

        r = send_request(rtnl, &req);
        if (r >= 0)
                r = receive(rtnl, address_cb, &l);
        if (r < 0) {
                free(l.a);
                return r;
        }
        *ret = l.a;
        *ret_n = l.n;
        return 0;
}

int rtnl_addresses_ipv4(Rtnl *rtnl, struct in_addr **ret, size_t *ret_n) {
        return addresses(rtnl, AF_INET, sizeof(struct in_addr), (void **) ret, ret_n);
}

int rtnl_addresses_ipv6(Rtnl *rtnl, struct in6_addr **ret, size_t *ret_n) {
        return addresses(rtnl, AF_INET6, sizeof(struct in6_addr), (void **) ret, ret_n);
}
