/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <time.h>

#include "dns-stub-server.h"

typedef struct Pending Pending;
typedef struct TcpConn TcpConn;

/* Where a reply goes: a UDP peer, or a TCP connection (conn set). */
typedef struct Client {
        struct sockaddr_storage address;
        socklen_t address_len;
        TcpConn *conn;
} Client;

struct DnsStubServer {
        sd_event *event;
        EgressContext *ctx;
        char *session;
        int fd;
        sd_event_source *source;
        int tcp_fd;
        sd_event_source *tcp_source;
        TcpConn *conns;
        size_t n_conns;
        struct sockaddr_storage upstream;
        socklen_t upstream_len;
        EgressHost *hosts;
        size_t n_hosts;
        Pending *pending;
        size_t n_pending;
        DnsStubCounters counters;
};

struct Pending {
        DnsStubServer *server;
        Pending *prev, *next;
        int fd;                         /* connected to upstream */
        sd_event_source *io, *timer;
        Client client;
        DnsQuestion question;
        uint8_t query[1232];            /* kept to build a SERVFAIL reply */
        size_t query_size;
};

/* DNS over TCP (RFC 7766): messages with a 2-byte length in front, several per connection. */
struct TcpConn {
        DnsStubServer *server;
        TcpConn *prev, *next;
        int fd;
        sd_event_source *io, *timer;
        size_t have;
        uint8_t buf[2 + DNS_STUB_TCP_MESSAGE_MAX];
};

static void pending_free(Pending *p) {
        if (!p)
                return;
        if (p->server) {
                if (p->prev)
                        p->prev->next = p->next;
                else
                        p->server->pending = p->next;
                if (p->next)
                        p->next->prev = p->prev;
                p->server->n_pending--;
        }
        sd_event_source_disable_unref(p->io);
        sd_event_source_disable_unref(p->timer);
        safe_close(p->fd);
        free(p);
}

static void hosts_free(EgressHost *hosts, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(hosts[i].name);
        free(hosts);
}

/* Closes the connection; forwards still waiting for it are dropped. */
static void tcp_conn_free(TcpConn *c) {
        DnsStubServer *s = c->server;
        Pending *next;

        for (Pending *p = s->pending; p; p = next) {
                next = p->next;
                if (p->client.conn == c)
                        pending_free(p);
        }
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_conns--;
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        safe_close(c->fd);
        free(c);
}

static bool tcp_conn_alive(DnsStubServer *s, TcpConn *c) {
        for (TcpConn *i = s->conns; i; i = i->next)
                if (i == c)
                        return true;
        return false;
}

DnsStubServer *dns_stub_server_free(DnsStubServer *s) {
        if (!s)
                return NULL;
        while (s->conns)
                tcp_conn_free(s->conns);
        while (s->pending)
                pending_free(s->pending);
        sd_event_source_disable_unref(s->tcp_source);
        safe_close(s->tcp_fd);
        sd_event_source_disable_unref(s->source);
        safe_close(s->fd);
        sd_event_unref(s->event);
        hosts_free(s->hosts, s->n_hosts);
        free(s->session);
        free(s);
        return NULL;
}

int dns_stub_server_set_hosts(DnsStubServer *s, const EgressHost *hosts, size_t n_hosts) {
        EgressHost *copy;

        assert(s);
        assert(hosts || n_hosts == 0);

        copy = calloc(n_hosts + 1, sizeof(EgressHost));
        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < n_hosts; i++) {
                copy[i] = hosts[i];
                copy[i].name = strdup(strempty(hosts[i].name));
                if (!copy[i].name) {
                        hosts_free(copy, i);
                        return -ENOMEM;
                }
        }
        hosts_free(s->hosts, s->n_hosts);
        s->hosts = copy;
        s->n_hosts = n_hosts;
        return 0;
}

const DnsStubCounters *dns_stub_server_counters(DnsStubServer *s) {
        assert(s);
        return &s->counters;
}

static void reply_to_client(DnsStubServer *s, const Client *c, const uint8_t *data, size_t size) {
        uint8_t buf[2 + 4096];

        if (!c->conn) {
                (void) sendto(s->fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL,
                              (const struct sockaddr *) &c->address, c->address_len);
                return;
        }
        /* A reply is small and the socket buffer empty unless the client stopped reading: then
         * it loses the connection rather than the stub blocking. */
        if (size > sizeof(buf) - 2) {
                tcp_conn_free(c->conn);
                return;
        }
        buf[0] = (uint8_t) (size >> 8);
        buf[1] = (uint8_t) size;
        memcpy(buf + 2, data, size);
        if (send(c->conn->fd, buf, size + 2, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t) (size + 2))
                tcp_conn_free(c->conn);
}

/* Answers p with an error and forgets it. */
static void fail_pending(DnsStubServer *s, Pending *p, int rcode) {
        uint8_t buf[512];
        Client client = p->client;
        int n;

        n = dns_reply_error(p->query, p->query_size, rcode, buf, sizeof(buf));
        pending_free(p);
        if (n > 0)
                reply_to_client(s, &client, buf, (size_t) n);
}

static int on_upstream(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Pending *p = userdata;
        DnsStubServer *s = p->server;
        DnsAddress a[DNS_ADDRESSES_MAX];
        uint8_t buf[4096];
        size_t n_addresses = 0;
        Client client;
        ssize_t n;
        int r;

        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                s->counters.errors++;
                fail_pending(s, p, DNS_RCODE_SERVFAIL);
                return 0;
        }

        r = dns_stub_handle_response(s->hosts, s->n_hosts, &p->question, buf, (size_t) n, a);
        if (r == -ESRCH)
                return 0;       /* not the answer to our question: keep waiting */
        if (r == -EPERM) {      /* the policy changed meanwhile */
                s->counters.refused++;
                fail_pending(s, p, DNS_RCODE_REFUSED);
                return 0;
        }
        if (r >= 0) {
                n_addresses = (size_t) r;
                r = dns_stub_apply(s->ctx, s->session, s->hosts, s->n_hosts, &p->question, a, n_addresses);
        }
        if (r < 0) {
                s->counters.errors++;
                fail_pending(s, p, DNS_RCODE_SERVFAIL);
                return 0;
        }

        /* The sets are updated: now the client may learn the addresses. */
        s->counters.answered++;
        s->counters.addresses += n_addresses;
        client = p->client;
        pending_free(p);        /* first: a failed TCP reply closes the connection and its forwards */
        reply_to_client(s, &client, buf, (size_t) n);
        return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        Pending *p = userdata;

        p->server->counters.errors++;
        pending_free(p);        /* no reply: the client retries */
        return 0;
}

static int forward(DnsStubServer *s, const uint8_t *query, size_t size, const DnsQuestion *q,
                   const Client *client) {
        _cleanup_free_ Pending *p = NULL;
        uint64_t now;
        int r;

        if (size > sizeof(p->query))
                return -EMSGSIZE;
        if (s->n_pending >= DNS_STUB_PENDING_MAX)
                return -EBUSY;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->fd = -EBADF;
        memcpy(p->query, query, size);
        p->query_size = size;
        p->question = *q;
        p->client = *client;

        p->fd = socket(s->upstream.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (p->fd < 0)
                goto fail_errno;
        if (connect(p->fd, (const struct sockaddr *) &s->upstream, s->upstream_len) < 0)
                goto fail_errno;
        if (send(p->fd, query, size, MSG_NOSIGNAL) < 0)
                goto fail_errno;

        r = sd_event_add_io(s->event, &p->io, p->fd, EPOLLIN, on_upstream, p);
        if (r < 0)
                goto fail;
        r = sd_event_now(s->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                goto fail;
        r = sd_event_add_time(s->event, &p->timer, CLOCK_MONOTONIC, now + DNS_STUB_FORWARD_TIMEOUT_USEC, 0,
                              on_timeout, p);
        if (r < 0)
                goto fail;

        p->server = s;
        p->next = s->pending;
        if (s->pending)
                s->pending->prev = p;
        s->pending = p;
        s->n_pending++;
        TAKE_PTR(p);
        return 0;

fail_errno:
        r = negative_errno();
fail:
        sd_event_source_disable_unref(p->io);
        sd_event_source_disable_unref(p->timer);
        safe_close(p->fd);
        return r;
}

/* One query from a client, over either transport. */
static void handle_message(DnsStubServer *s, const uint8_t *buf, size_t n, const Client *client) {
        uint8_t reply[4096];
        DnsStubDecision d;
        int r;

        s->counters.queries++;
        r = dns_stub_handle_query(s->hosts, s->n_hosts, buf, n, reply, sizeof(reply), &d);
        if (r < 0 || d.action == DNS_STUB_DROP) {
                s->counters.errors++;
                return;
        }
        if (d.action == DNS_STUB_REPLY) {
                if (d.rcode == DNS_RCODE_REFUSED)
                        s->counters.refused++;
                else
                        s->counters.errors++;
                reply_to_client(s, client, reply, d.reply_size);
                return;
        }

        r = forward(s, buf, n, &d.question, client);
        if (r < 0) {
                int k = dns_reply_error(buf, n, DNS_RCODE_SERVFAIL, reply, sizeof(reply));
                s->counters.errors++;
                if (k > 0)
                        reply_to_client(s, client, reply, (size_t) k);
                return;
        }
        s->counters.forwarded++;
}

static int on_query(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        DnsStubServer *s = userdata;
        Client client = { .address_len = sizeof(client.address) };
        uint8_t buf[4096];
        ssize_t n;

        n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *) &client.address, &client.address_len);
        if (n >= 0)
                handle_message(s, buf, (size_t) n, &client);
        return 0;
}

static int on_tcp_idle(sd_event_source *source, uint64_t usec, void *userdata) {
        tcp_conn_free(userdata);
        return 0;
}

static int on_tcp_data(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        TcpConn *c = userdata;
        DnsStubServer *s = c->server;
        uint64_t now;
        ssize_t n;

        n = recv(fd, c->buf + c->have, sizeof(c->buf) - c->have, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                /* EOF or error; forwards in flight would have nowhere to go */
                tcp_conn_free(c);
                return 0;
        }
        c->have += (size_t) n;
        if (sd_event_now(s->event, CLOCK_MONOTONIC, &now) >= 0)
                (void) sd_event_source_set_time(c->timer, now + DNS_STUB_TCP_IDLE_USEC);

        while (c->have >= 2) {
                size_t len = (size_t) c->buf[0] << 8 | c->buf[1];
                uint8_t msg[DNS_STUB_TCP_MESSAGE_MAX];
                Client client = { .conn = c };

                if (len == 0 || len > DNS_STUB_TCP_MESSAGE_MAX) {
                        s->counters.errors++;
                        tcp_conn_free(c);
                        return 0;
                }
                if (c->have < 2 + len)
                        break;
                /* out of the buffer first: a failed reply frees c */
                memcpy(msg, c->buf + 2, len);
                c->have -= 2 + len;
                memmove(c->buf, c->buf + 2 + len, c->have);
                handle_message(s, msg, len, &client);
                if (!tcp_conn_alive(s, c))
                        return 0;
        }
        return 0;
}

static int on_tcp_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        DnsStubServer *s = userdata;
        _cleanup_close_ int cfd = -EBADF;
        TcpConn *c;
        uint64_t now;
        int r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        if (s->n_conns >= DNS_STUB_TCP_CONNECTIONS_MAX) {
                s->counters.errors++;
                return 0;       /* closed: the client may try again */
        }
        c = calloc(1, sizeof(TcpConn));
        if (!c)
                return 0;
        c->server = s;
        c->fd = TAKE_FD(cfd);
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;

        r = sd_event_now(s->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_io(s->event, &c->io, c->fd, EPOLLIN, on_tcp_data, c);
        if (r >= 0)
                r = sd_event_add_time(s->event, &c->timer, CLOCK_MONOTONIC, now + DNS_STUB_TCP_IDLE_USEC, 0,
                                      on_tcp_idle, c);
        if (r < 0)
                tcp_conn_free(c);
        return 0;
}

int dns_stub_server_new(sd_event *event, EgressContext *ctx, const char *session,
                        const struct sockaddr *listen_addr, socklen_t listen_len,
                        const struct sockaddr *upstream, socklen_t upstream_len,
                        const EgressHost *hosts, size_t n_hosts, DnsStubServer **ret) {
        _cleanup_(dns_stub_server_freep) DnsStubServer *s = NULL;
        int r;

        assert(event);
        assert(ctx);
        assert(session);
        assert(listen_addr);
        assert(upstream);
        assert(ret);

        if (upstream_len > sizeof(struct sockaddr_storage) ||
            (upstream->sa_family != AF_INET && upstream->sa_family != AF_INET6) ||
            (listen_addr->sa_family != AF_INET && listen_addr->sa_family != AF_INET6))
                return -EAFNOSUPPORT;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->fd = s->tcp_fd = -EBADF;
        s->event = sd_event_ref(event);
        s->ctx = ctx;
        s->session = strdup(session);
        if (!s->session)
                return -ENOMEM;
        memcpy(&s->upstream, upstream, upstream_len);
        s->upstream_len = upstream_len;
        r = dns_stub_server_set_hosts(s, hosts, n_hosts);
        if (r < 0)
                return r;

        s->fd = socket(listen_addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0)
                return negative_errno();
        if (bind(s->fd, listen_addr, listen_len) < 0)
                return negative_errno();
        r = sd_event_add_io(event, &s->source, s->fd, EPOLLIN, on_query, s);
        if (r < 0)
                return r;

        s->tcp_fd = socket(listen_addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->tcp_fd < 0)
                return negative_errno();
        if (setsockopt(s->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof(int)) < 0)
                return negative_errno();
        if (bind(s->tcp_fd, listen_addr, listen_len) < 0 ||
            listen(s->tcp_fd, DNS_STUB_TCP_CONNECTIONS_MAX) < 0)
                return negative_errno();
        r = sd_event_add_io(event, &s->tcp_source, s->tcp_fd, EPOLLIN, on_tcp_accept, s);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}
