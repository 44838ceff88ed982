/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Any bytes as a DNS packet, through everything the stub does with packets from a session or
 * from upstream: query parsing and the stub's decision, error replies, response parsing. */

#include <stdint.h>

#include "dns-packet.h"
#include "dns-stub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const EgressHost hosts[] = {
                { .name = (char *) "example.org" },
                { .name = (char *) "*.example.net", .protocol = IPPROTO_TCP, .port = 443 },
        };
        static uint8_t reply[DNS_PACKET_UDP_MAX];
        DnsAddress a[DNS_ADDRESSES_MAX];
        char name[DNS_NAME_TEXT_MAX + 1];
        DnsStubDecision d;
        DnsQuestion q = {}, self;
        int r, rcode;

        if (size > DNS_PACKET_UDP_MAX)
                return 0;

        if (dns_query_parse(data, size, &self) >= 0) {
                if (strlen(self.name) > DNS_NAME_TEXT_MAX || self.end > size)
                        abort();
        }

        r = dns_stub_handle_query(hosts, 2, data, size, reply, sizeof(reply), &d);
        if (r < 0)
                abort();        /* the buffer is always big enough */
        if (d.action == DNS_STUB_REPLY) {
                DnsQuestion again;

                /* Our reply must itself be a well-formed response, never a query. */
                if (d.reply_size > size || dns_query_parse(reply, d.reply_size, &again) != -EBADMSG)
                        abort();
        }

        for (size_t o = DNS_HEADER_SIZE; o < size && o < DNS_HEADER_SIZE + 64; o++) {
                size_t off = o;

                if (dns_name_read(data, size, &off, name) >= 0 && (off <= o || off > size))
                        abort();
        }

        /* As the response to the question it carries, and to a fixed one. */
        if (size >= DNS_HEADER_SIZE) {
                uint8_t *copy = malloc(size);

                if (!copy)
                        return 0;
                memcpy(copy, data, size);
                copy[2] &= 0x7f;        /* read its question as if it were a query */
                copy[6] = copy[7] = copy[8] = copy[9] = 0;
                if (dns_query_parse(copy, size, &q) >= 0) {
                        r = dns_response_addresses(data, size, &q, a, &rcode);
                        if (r > DNS_ADDRESSES_MAX)
                                abort();
                        (void) dns_stub_handle_response(hosts, 2, &q, data, size, a);
                }
                free(copy);
        }
        strcpy(q.name, "example.org");
        q.id = 0;
        q.type = DNS_TYPE_A;
        q.class = DNS_CLASS_IN;
        (void) dns_response_addresses(data, size, &q, a, NULL);

        return 0;
}
