/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The decisions of a session's DNS stub, without any I/O: the daemon (or dns-stub-server.c) owns
 * the sockets and calls these.
 *
 * A query whose name no AllowHost= pattern allows is answered REFUSED right here and reaches no
 * upstream, so nothing can be tunnelled out through names (random subdomains of a name that is not
 * allowed get exactly the same REFUSED). Malformed queries get FORMERR, other opcodes NOTIMP, and
 * packets that are not queries at all (too short, or responses) are dropped without a reply.
 * An allowed query is forwarded to the session's upstream resolver; its response yields the
 * addresses to add to the session's nft sets, which MUST happen before the response is passed on
 * to the client, or its first connection would race the set update. */

#include <stddef.h>
#include <stdint.h>

#include "dns-packet.h"
#include "egress.h"

typedef enum DnsStubAction {
        DNS_STUB_DROP,          /* no reply at all */
        DNS_STUB_REPLY,         /* send the reply that was written */
        DNS_STUB_FORWARD,       /* send the query, unchanged, upstream */
} DnsStubAction;

typedef struct DnsStubDecision {
        DnsStubAction action;
        int rcode;              /* DNS_STUB_REPLY: what the reply says */
        size_t reply_size;      /* DNS_STUB_REPLY: bytes written to the reply buffer */
        DnsQuestion question;   /* DNS_STUB_FORWARD: keep it to check and read the response */
} DnsStubDecision;

/* The first host allowing name, starting the search at index *i (0 to begin); NULL if none. */
const EgressHost *dns_stub_match(const EgressHost *hosts, size_t n_hosts, const char *name, size_t *i);

/* Decides on a query. reply must have room for the query's header and question (the query's size
 * is enough). Returns 0 or -ENOBUFS. */
int dns_stub_handle_query(const EgressHost *hosts, size_t n_hosts,
                          const uint8_t *query, size_t size,
                          uint8_t *reply, size_t reply_size, DnsStubDecision *ret);

/* Reads the upstream response to a forwarded question: the addresses it gives for the question's
 * name (through CNAMEs), if the name is (still) allowed. Returns how many, -ESRCH if the packet
 * does not answer this question, -EBADMSG if it is malformed, -EPERM if the name is no longer
 * allowed. */
int dns_stub_handle_response(const EgressHost *hosts, size_t n_hosts, const DnsQuestion *q,
                             const uint8_t *response, size_t size,
                             DnsAddress ret[static DNS_ADDRESSES_MAX]);

/* Adds the addresses to the session's sets, once per host pattern that allows q's name (each with
 * its protocol and port), with each record's TTL as the element's timeout. */
int dns_stub_apply(EgressContext *ctx, const char *session, const EgressHost *hosts, size_t n_hosts,
                   const DnsQuestion *q, const DnsAddress *addresses, size_t n_addresses);
