/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A session's DNS stub on an sd-event loop: queries arrive on the session's stub address over UDP,
 * or over TCP on the same port (RFC 7766 framing, several per connection), go through
 * dns_stub_handle_query(), and allowed ones are forwarded from a fresh socket (random
 * source port) to the upstream resolver. Their responses add the addresses to the session's nft
 * sets (dns_stub_apply()) before they are passed back to the client; if that fails the client gets
 * SERVFAIL. Unanswered forwards time out after DNS_STUB_FORWARD_TIMEOUT_USEC; at most
 * DNS_STUB_PENDING_MAX are in flight per session, more are answered SERVFAIL. No logging: the
 * counters tell what happened. */

#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "dns-stub.h"

#define DNS_STUB_FORWARD_TIMEOUT_USEC (5 * 1000000ULL)
#define DNS_STUB_PENDING_MAX 128
/* DNS over TCP: connections at once, idle time before the stub closes one, largest query. */
#define DNS_STUB_TCP_CONNECTIONS_MAX 16
#define DNS_STUB_TCP_IDLE_USEC (10 * 1000000ULL)
#define DNS_STUB_TCP_MESSAGE_MAX 4096

typedef struct DnsStubServer DnsStubServer;

typedef struct DnsStubCounters {
        uint64_t queries;
        uint64_t refused;       /* REFUSED: name not allowed */
        uint64_t errors;        /* FORMERR/NOTIMP/SERVFAIL replies, dropped packets */
        uint64_t forwarded;
        uint64_t answered;      /* upstream responses passed on */
        uint64_t addresses;     /* addresses added to the sets */
} DnsStubCounters;

/* listen and upstream are copied; hosts are copied (see dns_stub_server_set_hosts()). ctx must
 * outlive the server. */
int dns_stub_server_new(sd_event *event, EgressContext *ctx, const char *session,
                        const struct sockaddr *listen, socklen_t listen_len,
                        const struct sockaddr *upstream, socklen_t upstream_len,
                        const EgressHost *hosts, size_t n_hosts, DnsStubServer **ret);
DnsStubServer *dns_stub_server_free(DnsStubServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(DnsStubServer *, dns_stub_server_free);

/* Replaces the allowed names (a policy update); queries in flight are checked against the new ones. */
int dns_stub_server_set_hosts(DnsStubServer *s, const EgressHost *hosts, size_t n_hosts);

const DnsStubCounters *dns_stub_server_counters(DnsStubServer *s);
