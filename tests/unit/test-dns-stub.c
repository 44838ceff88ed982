/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The DNS stub's decisions: allowed names are forwarded, everything else is answered here and
 * never forwarded (the tunnelling case: random subdomains of a name that is not allowed), and
 * responses give addresses only for names that are allowed. */

#include <arpa/inet.h>
#include <sched.h>

#include <nftables/libnftables.h>

#include "dns-stub.h"
#include "tests.h"

static size_t query(uint8_t *b, const char *name, uint16_t type) {
        size_t n = 0;

        memcpy(b, "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
        n = 12;
        while (*name) {
                size_t l = strcspn(name, ".");
                b[n++] = (uint8_t) l;
                memcpy(b + n, name, l);
                n += l;
                name += l + (name[l] == '.');
        }
        b[n++] = 0;
        b[n++] = type >> 8;
        b[n++] = type & 0xff;
        b[n++] = 0;
        b[n++] = 1;
        return n;
}

static EgressHost hosts[] = {
        { .name = (char *) "example.org" },
        { .name = (char *) "*.example.net", .protocol = IPPROTO_TCP, .port = 443 },
        { .name = (char *) "example.org", .port = 8443 },
};

static DnsStubDecision decide(const char *name) {
        uint8_t q[512], reply[512];
        DnsStubDecision d;
        size_t n;

        n = query(q, name, DNS_TYPE_A);
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, n, reply, sizeof(reply), &d));
        if (d.action == DNS_STUB_REPLY) {
                ASSERT_EQ(d.reply_size, n);
                ASSERT_EQ(reply[3] & 0xf, d.rcode);
                ASSERT_EQ(reply[0], 0xab);
        }
        return d;
}

static void test_queries(void) {
        DnsStubDecision d;
        uint8_t q[512], reply[512];
        char name[128];
        size_t n;

        d = decide("example.org");
        ASSERT_EQ(d.action, DNS_STUB_FORWARD);
        ASSERT_STREQ(d.question.name, "example.org");
        ASSERT_EQ(decide("EXAMPLE.org").action, DNS_STUB_FORWARD);
        ASSERT_EQ(decide("api.example.net").action, DNS_STUB_FORWARD);

        d = decide("www.example.org");
        ASSERT_EQ(d.action, DNS_STUB_REPLY);
        ASSERT_EQ(d.rcode, DNS_RCODE_REFUSED);
        ASSERT_EQ(decide("example.net").rcode, DNS_RCODE_REFUSED);
        ASSERT_EQ(decide("example.org.evil.test").rcode, DNS_RCODE_REFUSED);

        /* Tunnelling: many random subdomains of a name that is not allowed, never forwarded. */
        srand(7);
        for (int i = 0; i < 1000; i++) {
                snprintf(name, sizeof(name), "%08x%08x.%04x.exfil.test", (unsigned) rand(), (unsigned) rand(),
                         (unsigned) rand() & 0xffff);
                d = decide(name);
                ASSERT_EQ(d.action, DNS_STUB_REPLY);
                ASSERT_EQ(d.rcode, DNS_RCODE_REFUSED);
        }

        /* A label with a dot inside pretends to be "example.org": refused. */
        memcpy(q, "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x0b" "example.org\x00\x00\x01\x00\x01", 30);
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, 30, reply, sizeof(reply), &d));
        ASSERT_EQ(d.action, DNS_STUB_REPLY);
        ASSERT_EQ(d.rcode, DNS_RCODE_REFUSED);

        /* Class CH (e.g. version.bind) is refused even for an allowed name. */
        n = query(q, "example.org", DNS_TYPE_A);
        q[n - 1] = 3;
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, n, reply, sizeof(reply), &d));
        ASSERT_EQ(d.rcode, DNS_RCODE_REFUSED);

        /* Malformed: FORMERR; other opcodes: NOTIMP; responses and runts: no reply at all. */
        n = query(q, "example.org", DNS_TYPE_A);
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, n - 3, reply, sizeof(reply), &d));
        ASSERT_EQ(d.action, DNS_STUB_REPLY);
        ASSERT_EQ(d.rcode, DNS_RCODE_FORMERR);
        q[2] = 0x20;
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, n, reply, sizeof(reply), &d));
        ASSERT_EQ(d.rcode, DNS_RCODE_NOTIMP);
        q[2] = 0x81;
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, n, reply, sizeof(reply), &d));
        ASSERT_EQ(d.action, DNS_STUB_DROP);
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, 11, reply, sizeof(reply), &d));
        ASSERT_EQ(d.action, DNS_STUB_DROP);

        /* No AllowHost= at all: nothing resolves. */
        n = query(q, "example.org", DNS_TYPE_A);
        ASSERT_OK(dns_stub_handle_query(NULL, 0, q, n, reply, sizeof(reply), &d));
        ASSERT_EQ(d.rcode, DNS_RCODE_REFUSED);
        ASSERT_ERROR(dns_stub_handle_query(NULL, 0, q, n, reply, 12, &d), ENOBUFS);
}

/* A response with one A record for the question */
static size_t response(uint8_t *b, const char *name, const char *ip, uint32_t ttl) {
        size_t n = query(b, name, DNS_TYPE_A);

        b[2] = 0x81;
        b[3] = 0x80;
        b[7] = 1;
        memcpy(b + n, "\xc0\x0c\x00\x01\x00\x01", 6);
        n += 6;
        b[n++] = ttl >> 24;
        b[n++] = ttl >> 16;
        b[n++] = ttl >> 8;
        b[n++] = ttl;
        b[n++] = 0;
        b[n++] = 4;
        ASSERT_EQ(inet_pton(AF_INET, ip, b + n), 1);
        return n + 4;
}

static void test_responses(void) {
        DnsAddress a[DNS_ADDRESSES_MAX];
        uint8_t q[512], reply[512], r[512];
        DnsStubDecision d;
        size_t n;

        n = query(q, "example.org", DNS_TYPE_A);
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, n, reply, sizeof(reply), &d));
        ASSERT_EQ(d.action, DNS_STUB_FORWARD);

        n = response(r, "example.org", "203.0.113.10", 120);
        ASSERT_EQ(dns_stub_handle_response(hosts, ELEMENTSOF(hosts), &d.question, r, n, a), 1);
        ASSERT_EQ(a[0].ttl, 120);
        ASSERT_EQ(memcmp(a[0].address, "\xcb\x00\x71\x0a", 4), 0);

        /* A response to another question is not taken. */
        n = response(r, "evil.test", "198.51.100.66", 120);
        ASSERT_ERROR(dns_stub_handle_response(hosts, ELEMENTSOF(hosts), &d.question, r, n, a), ESRCH);

        /* The policy changed while the query was in flight: nothing is added. */
        n = response(r, "example.org", "203.0.113.10", 120);
        ASSERT_ERROR(dns_stub_handle_response(hosts + 1, 1, &d.question, r, n, a), EPERM);
}

static void test_apply(void) {
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        DnsAddress a[DNS_ADDRESSES_MAX];
        uint8_t q[512], reply[512], r[512];
        DnsStubDecision d;
        const char *out;
        size_t n;

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNET): %m, skipping the nftables part\n");
                return;
        }

        ASSERT_OK(egress_ctx_new(&ctx));
        ASSERT_OK(egress_table_ensure(ctx));
        ASSERT_OK(egress_session_add(ctx, "s1", NULL, 0, NULL));

        n = query(q, "example.org", DNS_TYPE_A);
        ASSERT_OK(dns_stub_handle_query(hosts, ELEMENTSOF(hosts), q, n, reply, sizeof(reply), &d));
        n = response(r, "example.org", "203.0.113.10", 120);
        ASSERT_EQ(dns_stub_handle_response(hosts, ELEMENTSOF(hosts), &d.question, r, n, a), 1);
        ASSERT_OK(dns_stub_apply(ctx, "s1", hosts, ELEMENTSOF(hosts), &d.question, a, 1));

        /* "example.org" (any port) and "example.org:8443" (tcp and udp) both allow the name. */
        struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
        ASSERT_TRUE(nft);
        ASSERT_OK(nft_ctx_buffer_output(nft));
        ASSERT_EQ(nft_run_cmd_from_buffer(nft, "list set inet sessiond s_s1_dns4"), 0);
        out = nft_ctx_get_output_buffer(nft);
        ASSERT_TRUE(strstr(out, "203.0.113.10 timeout 2m"));
        ASSERT_EQ(nft_run_cmd_from_buffer(nft, "list set inet sessiond s_s1_dns4p"), 0);
        out = nft_ctx_get_output_buffer(nft);
        ASSERT_TRUE(strstr(out, "203.0.113.10 . tcp . 8443 timeout 2m"));
        ASSERT_TRUE(strstr(out, "203.0.113.10 . udp . 8443 timeout 2m"));
        nft_ctx_free(nft);
}

int main(void) {
        test_queries();
        test_responses();
        test_apply();
        return EXIT_SUCCESS;
}
