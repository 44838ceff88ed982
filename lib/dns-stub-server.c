/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <netinet/in.h>
#include <time.h>

#include "dns-stub-server.h"

typedef struct Pending Pending;

struct DnsStubServer {
        sd_event *event;
        EgressContext *ctx;
        char *session;
        int fd;
        sd_event_source *source;
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
        struct sockaddr_storage client;
        socklen_t client_len;
        DnsQuestion question;
        uint8_t query[1232];            /* kept to build a SERVFAIL reply */
        size_t query_size;
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

DnsStubServer *dns_stub_server_free(DnsStubServer *s) {
        if (!s)
                return NULL;
        while (s->pending)
                pending_free(s->pending);
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

static void reply_to_client(DnsStubServer *s, const struct sockaddr_storage *client, socklen_t client_len,
                            const uint8_t *data, size_t size) {
        (void) sendto(s->fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *) client, client_len);
}

static void reply_error(DnsStubServer *s, Pending *p, int rcode) {
        uint8_t buf[512];
        int n;

        n = dns_reply_error(p->query, p->query_size, rcode, buf, sizeof(buf));
        if (n > 0)
                reply_to_client(s, &p->client, p->client_len, buf, (size_t) n);
}

static int on_upstream(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Pending *p = userdata;
        DnsStubServer *s = p->server;
        DnsAddress a[DNS_ADDRESSES_MAX];
        uint8_t buf[4096];
        size_t n_addresses = 0;
        ssize_t n;
        int r;

        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                s->counters.errors++;
                reply_error(s, p, DNS_RCODE_SERVFAIL);
                pending_free(p);
                return 0;
        }

        r = dns_stub_handle_response(s->hosts, s->n_hosts, &p->question, buf, (size_t) n, a);
        if (r == -ESRCH)
                return 0;       /* not the answer to our question: keep waiting */
        if (r == -EPERM) {      /* the policy changed meanwhile */
                s->counters.refused++;
                reply_error(s, p, DNS_RCODE_REFUSED);
                pending_free(p);
                return 0;
        }
        if (r >= 0) {
                n_addresses = (size_t) r;
                r = dns_stub_apply(s->ctx, s->session, s->hosts, s->n_hosts, &p->question, a, n_addresses);
        }
        if (r < 0) {
                s->counters.errors++;
                reply_error(s, p, DNS_RCODE_SERVFAIL);
                pending_free(p);
                return 0;
        }

        /* The sets are updated: now the client may learn the addresses. */
        s->counters.answered++;
        s->counters.addresses += n_addresses;
        reply_to_client(s, &p->client, p->client_len, buf, (size_t) n);
        pending_free(p);
        return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        Pending *p = userdata;

        p->server->counters.errors++;
        pending_free(p);        /* no reply: the client retries */
        return 0;
}

static int forward(DnsStubServer *s, const uint8_t *query, size_t size, const DnsQuestion *q,
                   const struct sockaddr_storage *client, socklen_t client_len) {
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
        p->client_len = client_len;

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

static int on_query(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        DnsStubServer *s = userdata;
        struct sockaddr_storage client;
        socklen_t client_len = sizeof(client);
        uint8_t buf[4096], reply[4096];
        DnsStubDecision d;
        ssize_t n;
        int r;

        n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *) &client, &client_len);
        if (n < 0)
                return 0;
        s->counters.queries++;

        r = dns_stub_handle_query(s->hosts, s->n_hosts, buf, (size_t) n, reply, sizeof(reply), &d);
        if (r < 0 || d.action == DNS_STUB_DROP) {
                s->counters.errors++;
                return 0;
        }
        if (d.action == DNS_STUB_REPLY) {
                if (d.rcode == DNS_RCODE_REFUSED)
                        s->counters.refused++;
                else
                        s->counters.errors++;
                reply_to_client(s, &client, client_len, reply, d.reply_size);
                return 0;
        }

        r = forward(s, buf, (size_t) n, &d.question, &client, client_len);
        if (r < 0) {
                int k = dns_reply_error(buf, (size_t) n, DNS_RCODE_SERVFAIL, reply, sizeof(reply));
                if (k > 0)
                        reply_to_client(s, &client, client_len, reply, (size_t) k);
                s->counters.errors++;
                return 0;
        }
        s->counters.forwarded++;
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
        s->fd = -EBADF;
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

        *ret = TAKE_PTR(s);
        return 0;
}
