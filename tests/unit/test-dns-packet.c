/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* DNS packet parsing on hand-built packets: names, compression, the limits that keep hostile
 * packets harmless, error replies, and addresses from responses (with CNAME chains and TTLs). */

#include <arpa/inet.h>
#include <errno.h>

#include "dns-packet.h"
#include "macro.h"
#include "tests.h"

typedef struct Buf {
        uint8_t d[1024];
        size_t n;
} Buf;

static void put(Buf *b, const void *p, size_t n) {
        ASSERT_TRUE(b->n + n <= sizeof(b->d));
        memcpy(b->d + b->n, p, n);
        b->n += n;
}

static void put8(Buf *b, uint8_t v) {
        put(b, &v, 1);
}

static void put16(Buf *b, uint16_t v) {
        put8(b, v >> 8);
        put8(b, v & 0xff);
}

static void put32(Buf *b, uint32_t v) {
        put16(b, v >> 16);
        put16(b, v & 0xffff);
}

/* "www.example.org" as labels, with a root label */
static void put_name(Buf *b, const char *name) {
        while (*name) {
                size_t l = strcspn(name, ".");
                put8(b, (uint8_t) l);
                put(b, name, l);
                name += l;
                if (*name == '.')
                        name++;
        }
        put8(b, 0);
}

static void header(Buf *b, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an) {
        b->n = 0;
        put16(b, id);
        put16(b, flags);
        put16(b, qd);
        put16(b, an);
        put16(b, 0);
        put16(b, 0);
}

static void query(Buf *b, const char *name, uint16_t type) {
        header(b, 0x1234, 0x0100, 1, 0);
        put_name(b, name);
        put16(b, type);
        put16(b, DNS_CLASS_IN);
}

static void test_query(void) {
        DnsQuestion q;
        Buf b;

        query(&b, "WWW.Example.ORG", DNS_TYPE_AAAA);
        ASSERT_OK(dns_query_parse(b.d, b.n, &q));
        ASSERT_STREQ(q.name, "www.example.org");
        ASSERT_EQ(q.id, 0x1234);
        ASSERT_EQ(q.type, DNS_TYPE_AAAA);
        ASSERT_EQ(q.class, DNS_CLASS_IN);
        ASSERT_EQ(q.end, b.n);

        /* Every truncation is malformed, never a crash or a shorter name. */
        for (size_t n = 0; n < b.n; n++)
                ASSERT_ERROR(dns_query_parse(b.d, n, &q), EBADMSG);

        query(&b, "", DNS_TYPE_A);      /* the root */
        ASSERT_OK(dns_query_parse(b.d, b.n, &q));
        ASSERT_STREQ(q.name, "");

        /* A response is not a query; other opcodes are not supported; two questions are malformed. */
        query(&b, "example.org", DNS_TYPE_A);
        b.d[2] |= 0x80;
        ASSERT_ERROR(dns_query_parse(b.d, b.n, &q), EBADMSG);
        b.d[2] = 0x28;                  /* opcode 5, UPDATE */
        ASSERT_ERROR(dns_query_parse(b.d, b.n, &q), EOPNOTSUPP);
        query(&b, "example.org", DNS_TYPE_A);
        b.d[5] = 2;
        ASSERT_ERROR(dns_query_parse(b.d, b.n, &q), EBADMSG);

        /* A dot inside a label would make "example.org" out of one label: refused. So are other bytes. */
        header(&b, 1, 0, 1, 0);
        put8(&b, 11);
        put(&b, "example.org", 11);
        put8(&b, 0);
        put16(&b, 1);
        put16(&b, 1);
        ASSERT_ERROR(dns_query_parse(b.d, b.n, &q), EINVAL);
        query(&b, "ex\x01mple.org", DNS_TYPE_A);
        ASSERT_ERROR(dns_query_parse(b.d, b.n, &q), EINVAL);
        query(&b, "ex mple.org", DNS_TYPE_A);
        ASSERT_ERROR(dns_query_parse(b.d, b.n, &q), EINVAL);
        query(&b, "_dmarc.my-host.example.org", DNS_TYPE_A);
        ASSERT_OK(dns_query_parse(b.d, b.n, &q));
        ASSERT_STREQ(q.name, "_dmarc.my-host.example.org");
}

static void test_name_limits(void) {
        char name[DNS_NAME_TEXT_MAX + 1], big[300];
        size_t o;
        Buf b;

        /* 63-byte labels are fine, 64 is not representable (0x40 is a reserved label type). */
        memset(big, 'a', 63);
        big[63] = 0;
        query(&b, big, DNS_TYPE_A);
        o = DNS_HEADER_SIZE;
        ASSERT_OK(dns_name_read(b.d, b.n, &o, name));
        ASSERT_EQ(strlen(name), 63);
        b.d[DNS_HEADER_SIZE] = 64;
        o = DNS_HEADER_SIZE;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);
        b.d[DNS_HEADER_SIZE] = 0x80;
        o = DNS_HEADER_SIZE;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);

        /* 255 bytes on the wire at most: 4 labels of 63 = 4*64+1 = 257 is too long, 3*64 + 61+1 + 1 = 255 fits */
        snprintf(big, sizeof(big), "%1$s.%1$s.%1$s.%1$s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        query(&b, big, DNS_TYPE_A);
        o = DNS_HEADER_SIZE;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);
        big[63 * 3 + 3 + 61] = 0;
        query(&b, big, DNS_TYPE_A);
        o = DNS_HEADER_SIZE;
        ASSERT_OK(dns_name_read(b.d, b.n, &o, name));
        ASSERT_EQ(strlen(name), 253);

        /* Compression: backwards is fine, and *offset ends after the pointer. */
        query(&b, "example.org", DNS_TYPE_A);
        size_t second = b.n;
        put8(&b, 3);
        put(&b, "www", 3);
        put16(&b, 0xc000 | DNS_HEADER_SIZE);
        o = second;
        ASSERT_OK(dns_name_read(b.d, b.n, &o, name));
        ASSERT_STREQ(name, "www.example.org");
        ASSERT_EQ(o, b.n);

        /* A pointer to itself, forwards, or a loop of two: malformed. */
        query(&b, "example.org", DNS_TYPE_A);
        second = b.n;
        put16(&b, 0xc000 | (uint16_t) second);
        o = second;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);
        b.n = second;
        put16(&b, 0xc000 | (uint16_t) (second + 2));
        put16(&b, 0xc000 | (uint16_t) second);
        o = second;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);
        o = second + 2;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);
        /* A label, then a pointer back into that same label run: a loop. */
        b.n = second;
        put8(&b, 1);
        put8(&b, 'a');
        put16(&b, 0xc000 | (uint16_t) second);
        o = second;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);
        /* Truncated pointer */
        b.n = second;
        put8(&b, 0xc0);
        o = second;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);

        /* Many pointers, each strictly backwards, cannot grow a name beyond 255 bytes. */
        header(&b, 1, 0, 1, 0);
        size_t prev = b.n;
        put8(&b, 63);
        for (int i = 0; i < 63; i++)
                put8(&b, 'x');
        put8(&b, 0);
        for (int i = 0; i < 8; i++) {
                size_t here = b.n;
                put8(&b, 63);
                for (int j = 0; j < 63; j++)
                        put8(&b, 'y');
                put16(&b, 0xc000 | (uint16_t) prev);
                prev = here;
        }
        o = prev;
        ASSERT_ERROR(dns_name_read(b.d, b.n, &o, name), EBADMSG);
}

static void test_reply_error(void) {
        uint8_t out[1024];
        DnsQuestion q;
        int n;
        Buf b;

        query(&b, "secret-data.evil.example", 16);
        put16(&b, 0);   /* trailing junk after the question (e.g. EDNS) is not echoed */
        b.d[11] = 0;
        n = dns_reply_error(b.d, b.n, DNS_RCODE_REFUSED, out, sizeof(out));
        ASSERT_EQ(n, (int) b.n - 2);
        ASSERT_EQ(out[0], 0x12);
        ASSERT_EQ(out[1], 0x34);
        ASSERT_EQ(out[2], 0x81);        /* QR, RD kept */
        ASSERT_EQ(out[3], 0x80 | DNS_RCODE_REFUSED);
        ASSERT_EQ(out[5], 1);
        ASSERT_EQ(out[7], 0);
        ASSERT_EQ(memcmp(out + DNS_HEADER_SIZE, b.d + DNS_HEADER_SIZE, (size_t) n - DNS_HEADER_SIZE), 0);
        /* It is a response now, not a query. */
        ASSERT_ERROR(dns_query_parse(out, (size_t) n, &q), EBADMSG);

        ASSERT_ERROR(dns_reply_error(b.d, b.n, DNS_RCODE_REFUSED, out, 12), ENOBUFS);
        ASSERT_ERROR(dns_reply_error(b.d, 11, DNS_RCODE_REFUSED, out, sizeof(out)), EBADMSG);
        /* No readable question: just the header */
        ASSERT_EQ(dns_reply_error(b.d, 14, DNS_RCODE_FORMERR, out, sizeof(out)), 12);
        ASSERT_EQ(out[5], 0);
}

static void put_rr_header(Buf *b, uint16_t type, uint32_t ttl, uint16_t rdlength) {
        put16(b, type);
        put16(b, DNS_CLASS_IN);
        put32(b, ttl);
        put16(b, rdlength);
}

static void test_response(void) {
        DnsAddress a[DNS_ADDRESSES_MAX];
        DnsQuestion q;
        uint8_t ip[16];
        int rcode = -1;
        Buf b;

        query(&b, "www.example.org", DNS_TYPE_A);
        ASSERT_OK(dns_query_parse(b.d, b.n, &q));

        /* www.example.org CNAME cdn.example.net; cdn.example.net A 203.0.113.5 (TTL 300);
         * other.example A 198.51.100.1 (not in the chain: ignored); an AAAA for www itself. */
        header(&b, 0x1234, 0x8180, 1, 4);
        put_name(&b, "www.example.org");
        put16(&b, DNS_TYPE_A);
        put16(&b, DNS_CLASS_IN);
        put16(&b, 0xc000 | DNS_HEADER_SIZE);    /* owner: www.example.org */
        put_rr_header(&b, DNS_TYPE_CNAME, 60, 17);
        size_t cname = b.n;
        put_name(&b, "cdn.example.net");
        ASSERT_EQ(b.n - cname, 17);
        put16(&b, 0xc000 | (uint16_t) cname);   /* owner: cdn.example.net */
        put_rr_header(&b, DNS_TYPE_A, 300, 4);
        put(&b, "\xcb\x00\x71\x05", 4);
        put_name(&b, "other.example");
        put_rr_header(&b, DNS_TYPE_A, 300, 4);
        put(&b, "\xc6\x33\x64\x01", 4);
        put16(&b, 0xc000 | DNS_HEADER_SIZE);
        put_rr_header(&b, DNS_TYPE_AAAA, 0x80000001u, 16);      /* MSB set: TTL 0 */
        ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::5", ip), 1);
        put(&b, ip, 16);

        ASSERT_EQ(dns_response_addresses(b.d, b.n, &q, a, &rcode), 2);
        ASSERT_EQ(rcode, 0);
        ASSERT_EQ(a[0].family, AF_INET);
        ASSERT_EQ(memcmp(a[0].address, "\xcb\x00\x71\x05", 4), 0);
        ASSERT_EQ(a[0].ttl, 300);
        ASSERT_EQ(a[1].family, AF_INET6);
        ASSERT_EQ(memcmp(a[1].address, ip, 16), 0);
        ASSERT_EQ(a[1].ttl, 0);

        for (size_t n = 0; n < b.n; n++)
                ASSERT_TRUE(dns_response_addresses(b.d, n, &q, a, &rcode) < 0);

        /* Not the answer to this question: other ID, other name */
        b.d[1] ^= 1;
        ASSERT_ERROR(dns_response_addresses(b.d, b.n, &q, a, &rcode), ESRCH);
        b.d[1] ^= 1;
        b.d[DNS_HEADER_SIZE + 1] = 'W' + 1;
        ASSERT_ERROR(dns_response_addresses(b.d, b.n, &q, a, &rcode), ESRCH);
        b.d[DNS_HEADER_SIZE + 1] = 'w';
        /* A query is not a response */
        b.d[2] &= 0x7f;
        ASSERT_ERROR(dns_response_addresses(b.d, b.n, &q, a, &rcode), EBADMSG);
        b.d[2] |= 0x80;
        /* An rdlength that breaks the record structure makes the whole response malformed */
        b.d[cname + 17 + 2 + 9] = 3;
        ASSERT_TRUE(dns_response_addresses(b.d, b.n, &q, a, &rcode) < 0);

        /* NXDOMAIN: no addresses, rcode passed on */
        header(&b, 0x1234, 0x8183, 1, 0);
        put_name(&b, "www.example.org");
        put16(&b, DNS_TYPE_A);
        put16(&b, DNS_CLASS_IN);
        ASSERT_EQ(dns_response_addresses(b.d, b.n, &q, a, &rcode), 0);
        ASSERT_EQ(rcode, DNS_RCODE_NXDOMAIN);

        /* A CNAME loop ends. */
        header(&b, 0x1234, 0x8180, 1, 2);
        put_name(&b, "www.example.org");
        put16(&b, DNS_TYPE_A);
        put16(&b, DNS_CLASS_IN);
        put16(&b, 0xc000 | DNS_HEADER_SIZE);
        put_rr_header(&b, DNS_TYPE_CNAME, 60, 4);
        cname = b.n;
        put8(&b, 1);
        put8(&b, 'x');
        put16(&b, 0xc000 | DNS_HEADER_SIZE);    /* x.www.example.org */
        put16(&b, 0xc000 | (uint16_t) cname);
        put_rr_header(&b, DNS_TYPE_CNAME, 60, 2);
        put16(&b, 0xc000 | DNS_HEADER_SIZE);    /* back to www.example.org */
        ASSERT_EQ(dns_response_addresses(b.d, b.n, &q, a, &rcode), 0);
}

int main(void) {
        test_query();
        test_name_limits();
        test_reply_error();
        test_response();
        return EXIT_SUCCESS;
}
