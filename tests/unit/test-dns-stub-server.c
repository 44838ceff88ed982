/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The DNS stub on real sockets in a private network namespace, with a fake upstream played by the
 * test: an allowed name is forwarded, its answer lands in the session's nft set before the client
 * gets it; names that are not allowed are refused and the upstream never sees them. */

#include <arpa/inet.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "dns-stub-server.h"
#include "tests.h"


static void loopback_up(void) {
        struct ifreq ifr = {};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        ASSERT_TRUE(fd >= 0);
        strcpy(ifr.ifr_name, "lo");
        ASSERT_OK(ioctl(fd, SIOCGIFFLAGS, &ifr));
        ifr.ifr_flags |= IFF_UP;
        ASSERT_OK(ioctl(fd, SIOCSIFFLAGS, &ifr));
        close(fd);
}

static int udp_socket(struct sockaddr_in *ret) {
        socklen_t len = sizeof(*ret);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        ASSERT_TRUE(fd >= 0);
        *ret = (struct sockaddr_in) { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ASSERT_OK(bind(fd, (struct sockaddr *) ret, sizeof(*ret)));
        ASSERT_OK(getsockname(fd, (struct sockaddr *) ret, &len));
        return fd;
}

static size_t query(uint8_t *b, uint16_t id, const char *name) {
        size_t n = 12;

        memcpy(b, "\x00\x00\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
        b[0] = id >> 8;
        b[1] = id & 0xff;
        while (*name) {
                size_t l = strcspn(name, ".");
                b[n++] = (uint8_t) l;
                memcpy(b + n, name, l);
                n += l;
                name += l + (name[l] == '.');
        }
        memcpy(b + n, "\x00\x00\x01\x00\x01", 5);
        return n + 5;
}

static bool readable(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        return poll(&p, 1, 0) > 0;
}

static int tcp_connect(const struct sockaddr_in *to) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(connect(fd, (const struct sockaddr *) to, sizeof(*to)));
        return fd;
}

/* A query with its 2-byte length in front, as DNS over TCP frames it. */
static size_t tcp_query(uint8_t *b, uint16_t id, const char *name) {
        size_t n = query(b + 2, id, name);

        b[0] = (uint8_t) (n >> 8);
        b[1] = (uint8_t) n;
        return n + 2;
}

/* Runs the loop until fd is readable, at most 2 s. */
static void run_until(sd_event *e, int fd) {
        for (int i = 0; i < 200 && !readable(fd); i++)
                ASSERT_OK(sd_event_run(e, 10000));
        ASSERT_TRUE(readable(fd));
}

int main(void) {
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        _cleanup_(dns_stub_server_freep) DnsStubServer *s = NULL;
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_close_ int upstream = -EBADF, client = -EBADF, tmp = -EBADF;
        struct sockaddr_in up_addr, stub_addr, client_addr, from;
        socklen_t from_len = sizeof(from);
        EgressHost hosts[] = { { .name = (char *) "allowed.test" } };
        uint8_t q[512], buf[512];
        const DnsStubCounters *c;
        struct nft_ctx *nft;
        ssize_t n;
        size_t qn;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNET): %m, skipping\n");
                return 77;
        }
        loopback_up();

        ASSERT_OK(egress_ctx_new(&ctx));
        ASSERT_OK(egress_table_ensure(ctx));
        ASSERT_OK(egress_session_add(ctx, "t", NULL, 0, NULL));

        upstream = udp_socket(&up_addr);
        client = udp_socket(&client_addr);
        tmp = udp_socket(&stub_addr);   /* find a free port for the stub */
        tmp = safe_close(tmp);

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(dns_stub_server_new(e, ctx, "t", (struct sockaddr *) &stub_addr, sizeof(stub_addr),
                                      (struct sockaddr *) &up_addr, sizeof(up_addr), hosts, 1, &s));

        /* Not allowed: REFUSED from the stub, nothing upstream. Also for 50 "tunnel" subdomains. */
        for (int i = 0; i < 50; i++) {
                char name[64];

                snprintf(name, sizeof(name), "%04x%08x.exfil.test", i, (unsigned) rand());
                qn = query(q, (uint16_t) (100 + i), name);
                ASSERT_EQ(sendto(client, q, qn, 0, (struct sockaddr *) &stub_addr, sizeof(stub_addr)), (ssize_t) qn);
                run_until(e, client);
                n = recv(client, buf, sizeof(buf), 0);
                ASSERT_EQ(n, (ssize_t) qn);
                ASSERT_EQ(buf[3] & 0xf, DNS_RCODE_REFUSED);
        }
        ASSERT_TRUE(!readable(upstream));

        /* Allowed: forwarded unchanged; the answer is applied to the set, then passed on. */
        qn = query(q, 0x4242, "Allowed.Test");
        ASSERT_EQ(sendto(client, q, qn, 0, (struct sockaddr *) &stub_addr, sizeof(stub_addr)), (ssize_t) qn);
        run_until(e, upstream);
        n = recvfrom(upstream, buf, sizeof(buf), 0, (struct sockaddr *) &from, &from_len);
        ASSERT_EQ(n, (ssize_t) qn);
        ASSERT_EQ(memcmp(buf, q, qn), 0);
        ASSERT_TRUE(!readable(client));

        buf[2] = 0x81;
        buf[3] = 0x80;
        buf[7] = 1;
        memcpy(buf + n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc6\x33\x64\x0a", 16);  /* 198.51.100.10 TTL 60 */
        ASSERT_EQ(sendto(upstream, buf, (size_t) n + 16, 0, (struct sockaddr *) &from, from_len), n + 16);
        run_until(e, client);
        ASSERT_EQ(recv(client, q, sizeof(q), 0), n + 16);
        ASSERT_EQ(memcmp(q, buf, (size_t) n + 16), 0);

        nft = nft_ctx_new(NFT_CTX_DEFAULT);
        ASSERT_TRUE(nft);
        ASSERT_OK(nft_ctx_buffer_output(nft));
        ASSERT_EQ(nft_run_cmd_from_buffer(nft, "list set inet sessiond s_t_dns4"), 0);
        ASSERT_TRUE(strstr(nft_ctx_get_output_buffer(nft), "198.51.100.10 timeout 1m"));
        nft_ctx_free(nft);

        c = dns_stub_server_counters(s);
        ASSERT_EQ(c->queries, 51);
        ASSERT_EQ(c->refused, 50);
        ASSERT_EQ(c->forwarded, 1);
        ASSERT_EQ(c->answered, 1);
        ASSERT_EQ(c->addresses, 1);

        /* DNS over TCP: two queries in one write (a denied one, then an allowed one, whose length
         * prefix arrives in two pieces), answered in order with length prefixes; the allowed one
         * is forwarded as over UDP. */
        {
                _cleanup_close_ int t = tcp_connect(&stub_addr);
                uint8_t tq[1024], tb[1024];
                size_t a, b;

                a = tcp_query(tq, 0x5151, "deny.exfil.test");
                b = tcp_query(tq + a, 0x5252, "allowed.test");
                ASSERT_EQ(send(t, tq, a + 1, 0), (ssize_t) (a + 1));
                for (int i = 0; i < 20; i++)
                        ASSERT_OK(sd_event_run(e, 10000));
                ASSERT_EQ(send(t, tq + a + 1, b - 1, 0), (ssize_t) (b - 1));

                run_until(e, t);
                ASSERT_EQ(recv(t, tb, 2, MSG_WAITALL), 2);
                ASSERT_EQ((size_t) (tb[0] << 8 | tb[1]), a - 2);
                ASSERT_EQ(recv(t, tb, a - 2, MSG_WAITALL), (ssize_t) (a - 2));
                ASSERT_EQ(tb[0], 0x51);
                ASSERT_EQ(tb[3] & 0xf, DNS_RCODE_REFUSED);

                run_until(e, upstream);
                n = recvfrom(upstream, buf, sizeof(buf), 0, (struct sockaddr *) &from, &from_len);
                ASSERT_EQ(n, (ssize_t) (b - 2));
                ASSERT_EQ(memcmp(buf, tq + a + 2, b - 2), 0);
                buf[2] = 0x81;
                buf[3] = 0x80;
                buf[7] = 1;
                memcpy(buf + n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc6\x33\x64\x0b", 16);  /* 198.51.100.11 */
                ASSERT_EQ(sendto(upstream, buf, (size_t) n + 16, 0, (struct sockaddr *) &from, from_len), n + 16);
                run_until(e, t);
                ASSERT_EQ(recv(t, tb, 2, MSG_WAITALL), 2);
                ASSERT_EQ((size_t) (tb[0] << 8 | tb[1]), (size_t) n + 16);
                ASSERT_EQ(recv(t, tb, (size_t) n + 16, MSG_WAITALL), n + 16);
                ASSERT_EQ(memcmp(tb, buf, (size_t) n + 16), 0);

                /* a zero length is no DNS message: the stub closes the connection */
                ASSERT_EQ(send(t, "\0\0", 2, 0), 2);
                run_until(e, t);
                ASSERT_EQ(recv(t, tb, sizeof(tb), 0), 0);
        }

        /* After a policy update the name is refused. */
        ASSERT_OK(dns_stub_server_set_hosts(s, NULL, 0));
        qn = query(q, 0x4343, "allowed.test");
        ASSERT_EQ(sendto(client, q, qn, 0, (struct sockaddr *) &stub_addr, sizeof(stub_addr)), (ssize_t) qn);
        run_until(e, client);
        n = recv(client, buf, sizeof(buf), 0);
        ASSERT_EQ(buf[3] & 0xf, DNS_RCODE_REFUSED);
        ASSERT_TRUE(!readable(upstream));

        return EXIT_SUCCESS;
}
