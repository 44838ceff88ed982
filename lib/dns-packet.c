/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "dns-packet.h"
#include "macro.h"

#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_OPCODE 0x7800u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_FLAG_RCODE 0x000fu
#define DNS_POINTER_JUMPS_MAX 64
#define DNS_CNAME_CHAIN_MAX 16

static uint16_t read_u16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t read_u32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void write_u16(uint8_t *p, uint16_t v) {
        p[0] = v >> 8;
        p[1] = v & 0xff;
}

static bool label_char_ok(uint8_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Reads a name. Structure errors are -EBADMSG. With characters we do not accept in a label, the name
 * is still skipped (*offset moves) but *ret_valid is false and ret is "". */
static int name_read(const uint8_t *p, size_t size, size_t *offset, char ret[static DNS_NAME_TEXT_MAX + 1],
                     bool *ret_valid) {
        size_t pos = *offset, end = SIZE_MAX, limit = *offset, wire = 0, len = 0;
        unsigned jumps = 0;
        bool valid = true;

        for (;;) {
                uint8_t c;

                if (pos >= size)
                        return -EBADMSG;
                c = p[pos];

                if ((c & 0xc0) == 0xc0) {
                        size_t target;

                        if (pos + 1 >= size)
                                return -EBADMSG;
                        target = (size_t) (c & 0x3f) << 8 | p[pos + 1];
                        if (end == SIZE_MAX)
                                end = pos + 2;
                        /* Strictly backwards, before everything of this name read so far: no loops. */
                        if (target >= limit || ++jumps > DNS_POINTER_JUMPS_MAX)
                                return -EBADMSG;
                        limit = pos = target;
                        continue;
                }
                if (c & 0xc0)           /* 0x40 and 0x80: extended and reserved label types */
                        return -EBADMSG;

                pos++;
                wire += 1 + c;
                if (wire > DNS_NAME_WIRE_MAX)
                        return -EBADMSG;
                if (c == 0)
                        break;
                if (c > size - pos)
                        return -EBADMSG;

                if (len > 0)
                        ret[len++] = '.';
                for (size_t i = 0; i < c; i++) {
                        uint8_t ch = p[pos + i];

                        if (!label_char_ok(ch))
                                valid = false;
                        ret[len++] = (ch >= 'A' && ch <= 'Z') ? (char) (ch - 'A' + 'a') : (char) ch;
                }
                pos += c;
        }

        ret[valid ? len : 0] = 0;
        *offset = end == SIZE_MAX ? pos : end;
        *ret_valid = valid;
        return 0;
}

int dns_name_read(const uint8_t *packet, size_t size, size_t *offset, char ret[static DNS_NAME_TEXT_MAX + 1]) {
        char buf[DNS_NAME_TEXT_MAX + 1];
        size_t o;
        bool valid;
        int r;

        assert(packet || size == 0);
        assert(offset);

        o = *offset;
        r = name_read(packet, size, &o, buf, &valid);
        if (r < 0)
                return r;
        if (!valid)
                return -EINVAL;
        memcpy(ret, buf, sizeof(buf));
        *offset = o;
        return 0;
}

int dns_query_parse(const uint8_t *packet, size_t size, DnsQuestion *ret) {
        DnsQuestion q = {};
        size_t o = DNS_HEADER_SIZE;
        int r;

        assert(packet || size == 0);
        assert(ret);

        if (size < DNS_HEADER_SIZE)
                return -EBADMSG;
        q.id = read_u16(packet);
        q.flags = read_u16(packet + 2);
        if (q.flags & DNS_FLAG_QR)
                return -EBADMSG;
        if (q.flags & DNS_FLAG_OPCODE)
                return -EOPNOTSUPP;
        /* One question, no answers or authority; the additional section may carry EDNS. */
        if (read_u16(packet + 4) != 1 || read_u16(packet + 6) != 0 || read_u16(packet + 8) != 0)
                return -EBADMSG;

        r = dns_name_read(packet, size, &o, q.name);
        if (r < 0)
                return r;
        if (size - o < 4)
                return -EBADMSG;
        q.type = read_u16(packet + o);
        q.class = read_u16(packet + o + 2);
        q.end = o + 4;

        *ret = q;
        return 0;
}

int dns_reply_error(const uint8_t *packet, size_t size, int rcode, uint8_t *buf, size_t buf_size) {
        char name[DNS_NAME_TEXT_MAX + 1];
        size_t len = DNS_HEADER_SIZE, o = DNS_HEADER_SIZE;
        uint16_t flags;
        bool valid, question = false;

        assert(packet || size == 0);
        assert(buf);
        assert(rcode >= 0 && rcode <= 15);

        if (size < DNS_HEADER_SIZE)
                return -EBADMSG;

        /* Echo the question if there is exactly one that can be read, whatever its characters. */
        if (read_u16(packet + 4) == 1 && name_read(packet, size, &o, name, &valid) >= 0 && size - o >= 4) {
                question = true;
                len = o + 4;
        }
        if (buf_size < len)
                return -ENOBUFS;

        memcpy(buf, packet, len);
        flags = read_u16(packet + 2);
        flags = DNS_FLAG_QR | (flags & (DNS_FLAG_OPCODE | DNS_FLAG_RD)) | DNS_FLAG_RA | (uint16_t) rcode;
        write_u16(buf + 2, flags);
        write_u16(buf + 4, question);
        write_u16(buf + 6, 0);
        write_u16(buf + 8, 0);
        write_u16(buf + 10, 0);
        return (int) len;
}

typedef struct Record {
        char owner[DNS_NAME_TEXT_MAX + 1];
        bool owner_valid;
        uint16_t type;
        uint16_t class;
        uint32_t ttl;
        size_t rdata;
        uint16_t rdlength;
} Record;

static int record_read(const uint8_t *p, size_t size, size_t *offset, Record *ret) {
        size_t o = *offset;
        int r;

        r = name_read(p, size, &o, ret->owner, &ret->owner_valid);
        if (r < 0)
                return r;
        if (size - o < 10)
                return -EBADMSG;
        ret->type = read_u16(p + o);
        ret->class = read_u16(p + o + 2);
        ret->ttl = read_u32(p + o + 4);
        if (ret->ttl & 0x80000000u)     /* RFC 2181 8: treated as zero */
                ret->ttl = 0;
        ret->rdlength = read_u16(p + o + 8);
        ret->rdata = o + 10;
        if (ret->rdlength > size - ret->rdata)
                return -EBADMSG;
        *offset = ret->rdata + ret->rdlength;
        return 0;
}

static bool name_in(char names[][DNS_NAME_TEXT_MAX + 1], size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], name))
                        return true;
        return false;
}

int dns_response_addresses(const uint8_t *packet, size_t size, const DnsQuestion *q,
                           DnsAddress ret[static DNS_ADDRESSES_MAX], int *ret_rcode) {
        char names[DNS_CNAME_CHAIN_MAX][DNS_NAME_TEXT_MAX + 1];
        char qname[DNS_NAME_TEXT_MAX + 1];
        size_t answers, o = DNS_HEADER_SIZE, n_names = 1, n = 0;
        uint16_t flags, ancount;
        bool grown;
        int r;

        assert(packet || size == 0);
        assert(q);

        if (size < DNS_HEADER_SIZE)
                return -EBADMSG;
        flags = read_u16(packet + 2);
        if (!(flags & DNS_FLAG_QR))
                return -EBADMSG;
        if (read_u16(packet) != q->id)
                return -ESRCH;
        if (read_u16(packet + 4) != 1)
                return -EBADMSG;
        ancount = read_u16(packet + 6);

        r = dns_name_read(packet, size, &o, qname);
        if (r < 0)
                return -EBADMSG;
        if (size - o < 4)
                return -EBADMSG;
        if (!streq(qname, q->name) || read_u16(packet + o) != q->type || read_u16(packet + o + 2) != q->class)
                return -ESRCH;
        answers = o + 4;

        /* Validate the whole answer section once, then follow CNAMEs from the question's name (in
         * any order of records, as far as DNS_CNAME_CHAIN_MAX names), then collect addresses. */
        o = answers;
        for (size_t i = 0; i < ancount; i++) {
                Record rr;

                r = record_read(packet, size, &o, &rr);
                if (r < 0)
                        return r;
        }

        strcpy(names[0], q->name);
        do {
                grown = false;
                o = answers;
                for (size_t i = 0; i < ancount && n_names < DNS_CNAME_CHAIN_MAX; i++) {
                        char target[DNS_NAME_TEXT_MAX + 1];
                        size_t t;
                        bool valid;
                        Record rr;

                        if (record_read(packet, size, &o, &rr) < 0)     /* validated above */
                                return -EBADMSG;
                        if (rr.type != DNS_TYPE_CNAME || rr.class != DNS_CLASS_IN || !rr.owner_valid ||
                            !name_in(names, n_names, rr.owner))
                                continue;
                        t = rr.rdata;
                        r = name_read(packet, rr.rdata + rr.rdlength, &t, target, &valid);
                        if (r < 0)
                                return r;
                        if (!valid || name_in(names, n_names, target))
                                continue;
                        strcpy(names[n_names++], target);
                        grown = true;
                }
        } while (grown && n_names < DNS_CNAME_CHAIN_MAX);

        o = answers;
        for (size_t i = 0; i < ancount && n < DNS_ADDRESSES_MAX; i++) {
                Record rr;

                if (record_read(packet, size, &o, &rr) < 0)
                        return -EBADMSG;
                if (rr.class != DNS_CLASS_IN || !rr.owner_valid || !name_in(names, n_names, rr.owner))
                        continue;
                if (rr.type == DNS_TYPE_A && rr.rdlength == 4)
                        ret[n] = (DnsAddress) { .family = AF_INET, .ttl = rr.ttl };
                else if (rr.type == DNS_TYPE_AAAA && rr.rdlength == 16)
                        ret[n] = (DnsAddress) { .family = AF_INET6, .ttl = rr.ttl };
                else
                        continue;
                memcpy(ret[n].address, packet + rr.rdata, rr.rdlength);
                n++;
        }

        if (ret_rcode)
                *ret_rcode = flags & DNS_FLAG_RCODE;
        return (int) n;
}
