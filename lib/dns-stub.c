/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>

#include "dns-stub.h"
#include "egress-policy.h"

const EgressHost *dns_stub_match(const EgressHost *hosts, size_t n_hosts, const char *name, size_t *i) {
        assert(hosts || n_hosts == 0);
        assert(i);

        for (; *i < n_hosts; (*i)++)
                if (egress_host_pattern_match(hosts[*i].name, name))
                        return &hosts[(*i)++];
        return NULL;
}

static int reply(const uint8_t *query, size_t size, int rcode, uint8_t *buf, size_t buf_size, DnsStubDecision *ret) {
        int r;

        r = dns_reply_error(query, size, rcode, buf, buf_size);
        if (r == -EBADMSG) {
                *ret = (DnsStubDecision) { .action = DNS_STUB_DROP };
                return 0;
        }
        if (r < 0)
                return r;
        *ret = (DnsStubDecision) { .action = DNS_STUB_REPLY, .rcode = rcode, .reply_size = (size_t) r };
        return 0;
}

int dns_stub_handle_query(const EgressHost *hosts, size_t n_hosts,
                          const uint8_t *query, size_t size,
                          uint8_t *reply_buf, size_t reply_size, DnsStubDecision *ret) {
        DnsQuestion q;
        size_t i = 0;
        int r;

        assert(hosts || n_hosts == 0);
        assert(query || size == 0);
        assert(reply_buf);
        assert(ret);

        /* Never answer something that is not a query: no reply loops, no amplification. */
        if (size < DNS_HEADER_SIZE || (query[2] & 0x80)) {
                *ret = (DnsStubDecision) { .action = DNS_STUB_DROP };
                return 0;
        }

        r = dns_query_parse(query, size, &q);
        if (r == -EOPNOTSUPP)
                return reply(query, size, DNS_RCODE_NOTIMP, reply_buf, reply_size, ret);
        if (r == -EINVAL)       /* characters no allowed name has */
                return reply(query, size, DNS_RCODE_REFUSED, reply_buf, reply_size, ret);
        if (r < 0)
                return reply(query, size, DNS_RCODE_FORMERR, reply_buf, reply_size, ret);

        if (q.class != DNS_CLASS_IN || !dns_stub_match(hosts, n_hosts, q.name, &i))
                return reply(query, size, DNS_RCODE_REFUSED, reply_buf, reply_size, ret);

        *ret = (DnsStubDecision) { .action = DNS_STUB_FORWARD, .question = q };
        return 0;
}

int dns_stub_handle_response(const EgressHost *hosts, size_t n_hosts, const DnsQuestion *q,
                             const uint8_t *response, size_t size,
                             DnsAddress ret[static DNS_ADDRESSES_MAX]) {
        size_t i = 0;

        assert(q);

        if (!dns_stub_match(hosts, n_hosts, q->name, &i))
                return -EPERM;
        return dns_response_addresses(response, size, q, ret, NULL);
}

int dns_stub_apply(EgressContext *ctx, const char *session, const EgressHost *hosts, size_t n_hosts,
                   const DnsQuestion *q, const DnsAddress *addresses, size_t n_addresses) {
        const EgressHost *h;
        size_t i = 0;
        int r;

        assert(ctx);
        assert(q);
        assert(addresses || n_addresses == 0);

        while ((h = dns_stub_match(hosts, n_hosts, q->name, &i)))
                for (size_t j = 0; j < n_addresses; j++) {
                        r = egress_session_add_resolved(ctx, session, addresses[j].family, addresses[j].address,
                                                        h->protocol, h->port, addresses[j].ttl);
                        if (r < 0)
                                return r;
                }
        return 0;
}
