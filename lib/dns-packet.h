/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Just enough of RFC 1035 for the per-session DNS stub: read the question of a query, build an
 * error reply to it, and pull the A/AAAA records (with their TTLs) that answer a question out of a
 * response. Every input is untrusted: names are bounded (63-byte labels, 255 bytes in all),
 * compression pointers must point strictly backwards (no loops), and a name whose labels hold
 * anything but letters, digits, '-' and '_' is refused, so that its text form (lower case, labels
 * joined by '.') means exactly one name. No I/O, no allocation except where stated. */

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_SIZE 12
#define DNS_LABEL_MAX 63
#define DNS_NAME_WIRE_MAX 255
#define DNS_NAME_TEXT_MAX 253           /* without the trailing dot */
#define DNS_PACKET_UDP_MAX 65535

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

/* At most this many addresses are taken from one response. */
#define DNS_ADDRESSES_MAX 64

typedef struct DnsQuestion {
        uint16_t id;
        uint16_t flags;
        char name[DNS_NAME_TEXT_MAX + 1];       /* lower case, no trailing dot; "" is the root */
        uint16_t type;
        uint16_t class;
        size_t end;                             /* offset just after the question */
} DnsQuestion;

typedef struct DnsAddress {
        int family;                             /* AF_INET or AF_INET6 */
        uint8_t address[16];
        uint32_t ttl;
} DnsAddress;

/* Reads a (possibly compressed) name at *offset; on success *offset is just after it in the packet.
 * -EBADMSG on anything malformed, -EINVAL for characters we refuse in labels. */
int dns_name_read(const uint8_t *packet, size_t size, size_t *offset, char ret[static DNS_NAME_TEXT_MAX + 1]);

/* Parses a query: QR clear, opcode QUERY, exactly one question. -EBADMSG if malformed (or a
 * response), -EOPNOTSUPP for other opcodes, -EINVAL for refused characters in the name. */
int dns_query_parse(const uint8_t *packet, size_t size, DnsQuestion *ret);

/* Writes a reply to the query in packet: its header and question, with QR set, the given rcode and
 * no records. Needs at least the 12-byte header; if the question cannot be parsed, the reply has
 * none. Returns the length written, -ENOBUFS if buf is too small, -EBADMSG if size < 12. */
int dns_reply_error(const uint8_t *packet, size_t size, int rcode, uint8_t *buf, size_t buf_size);

/* Parses a response to question q: the ID, the question and QR must match, else -EBADMSG (or
 * -ESRCH for a different ID or question: not a reply to this query). Collects the A and AAAA
 * records of class IN whose owner is q's name or reached from it through CNAME records in the
 * answer section, at most DNS_ADDRESSES_MAX. Returns how many, and the rcode in *ret_rcode. */
int dns_response_addresses(const uint8_t *packet, size_t size, const DnsQuestion *q,
                           DnsAddress ret[static DNS_ADDRESSES_MAX], int *ret_rcode);
