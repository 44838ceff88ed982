/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <netinet/in.h>
#include <strings.h>

#include "egress-policy.h"

#define HOST_TEXT_MAX 253

static int parse_port(const char *s, uint16_t *ret) {
        unsigned long v;
        char *end;

        if (!s[0] || !isdigit((unsigned char) s[0]) || strlen(s) > 5)
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end || v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* "tcp", "udp", "tcp:443", ":443" */
static int parse_spec(const char *s, int *ret_protocol, uint16_t *ret_port) {
        const char *colon = strchr(s, ':');
        size_t plen = colon ? (size_t) (colon - s) : strlen(s);
        int protocol;
        uint16_t port = 0;
        int r;

        if (plen == 0)
                protocol = 0;
        else if (plen == 3 && strncmp(s, "tcp", 3) == 0)
                protocol = IPPROTO_TCP;
        else if (plen == 3 && strncmp(s, "udp", 3) == 0)
                protocol = IPPROTO_UDP;
        else
                return -EINVAL;
        if (colon) {
                r = parse_port(colon + 1, &port);
                if (r < 0)
                        return r;
        } else if (protocol == 0)
                return -EINVAL;         /* empty */

        *ret_protocol = protocol;
        *ret_port = port;
        return 0;
}

/* Splits "A B" at one run of blanks; at most two words. */
static int split2(const char *s, char **ret_a, char **ret_b) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        size_t n;

        s += strspn(s, " \t");
        n = strcspn(s, " \t");
        if (n == 0)
                return -EINVAL;
        a = strndup(s, n);
        if (!a)
                return -ENOMEM;
        s += n;
        s += strspn(s, " \t");
        if (*s) {
                n = strcspn(s, " \t");
                b = strndup(s, n);
                if (!b)
                        return -ENOMEM;
                s += n;
                s += strspn(s, " \t");
                if (*s)
                        return -EINVAL;
        }
        *ret_a = TAKE_PTR(a);
        *ret_b = TAKE_PTR(b);
        return 0;
}

int egress_rule_from_string(const char *s, EgressRule *ret) {
        _cleanup_free_ char *a = NULL, *spec = NULL;
        EgressRule rule = {};
        char *slash;
        int r;

        assert(s);
        assert(ret);

        r = split2(s, &a, &spec);
        if (r < 0)
                return r;

        slash = strchr(a, '/');
        if (slash)
                *slash = 0;
        if (inet_pton(AF_INET, a, rule.address) == 1)
                rule.family = AF_INET;
        else if (inet_pton(AF_INET6, a, rule.address) == 1)
                rule.family = AF_INET6;
        else
                return -EINVAL;
        rule.prefixlen = rule.family == AF_INET ? 32 : 128;
        if (slash) {
                unsigned long v;
                char *end;

                if (!isdigit((unsigned char) slash[1]) || strlen(slash + 1) > 3)
                        return -EINVAL;
                v = strtoul(slash + 1, &end, 10);
                if (*end || v > rule.prefixlen)
                        return -EINVAL;
                rule.prefixlen = (unsigned) v;
        }
        if (spec) {
                r = parse_spec(spec, &rule.protocol, &rule.port);
                if (r < 0)
                        return r;
        }

        *ret = rule;
        return 0;
}

static bool label_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool name_is_valid(const char *s, size_t n) {
        size_t label = 0;

        if (n == 0 || n > HOST_TEXT_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                        continue;
                }
                if (!label_char_ok(s[i]) || ++label > 63)
                        return false;
        }
        return label > 0;
}

/* Length without one trailing dot */
static size_t name_len(const char *s) {
        size_t n = strlen(s);

        return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

bool egress_host_pattern_is_valid(const char *pattern) {
        if (!pattern)
                return false;
        if (strncmp(pattern, "*.", 2) == 0)
                pattern += 2;
        return name_is_valid(pattern, name_len(pattern));
}

bool egress_host_pattern_match(const char *pattern, const char *name) {
        size_t pn, nn;
        bool wildcard;

        if (!pattern || !name)
                return false;
        wildcard = strncmp(pattern, "*.", 2) == 0;
        if (wildcard)
                pattern += 2;
        pn = name_len(pattern);
        nn = name_len(name);
        if (!name_is_valid(pattern, pn) || !name_is_valid(name, nn))
                return false;

        if (!wildcard)
                return nn == pn && strncasecmp(name, pattern, pn) == 0;
        /* "*.example.org": at least one more label, joined by a dot */
        return nn > pn + 1 && name[nn - pn - 1] == '.' && strncasecmp(name + nn - pn, pattern, pn) == 0;
}

int egress_host_from_string(const char *s, EgressHost *ret) {
        _cleanup_free_ char *a = NULL, *spec = NULL;
        EgressHost host = {};
        char *colon;
        int r;

        assert(s);
        assert(ret);

        r = split2(s, &a, &spec);
        if (r < 0)
                return r;

        colon = strchr(a, ':');
        if (colon) {
                *colon = 0;
                r = parse_port(colon + 1, &host.port);
                if (r < 0)
                        return r;
        }
        if (spec) {
                int protocol;
                uint16_t port;

                r = parse_spec(spec, &protocol, &port);
                if (r < 0)
                        return r;
                if (port != 0 && host.port != 0 && port != host.port)
                        return -EINVAL;
                host.protocol = protocol;
                if (port != 0)
                        host.port = port;
        }
        if (host.protocol != 0 && host.port == 0)
                return -EINVAL;         /* resolved addresses are allowed per exact port */
        if (!egress_host_pattern_is_valid(a))
                return -EINVAL;

        /* Stored in lower case without the trailing dot. */
        a[name_len(a)] = 0;
        for (char *p = a; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        host.name = TAKE_PTR(a);
        *ret = host;
        return 0;
}

void egress_host_done(EgressHost *h) {
        if (!h)
                return;
        free(h->name);
        h->name = NULL;
}

static const char *protocol_name(int protocol) {
        return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : "";
}

static int spec_to_string(int protocol, uint16_t port, char buf[static 16]) {
        if (protocol == 0 && port == 0)
                buf[0] = 0;
        else if (port == 0)
                snprintf(buf, 16, " %s", protocol_name(protocol));
        else
                snprintf(buf, 16, " %s:%u", protocol_name(protocol), port);
        return 0;
}

int egress_rule_to_string(const EgressRule *r, char **ret) {
        char a[INET6_ADDRSTRLEN], spec[16];

        assert(r);
        assert(ret);

        if (!inet_ntop(r->family, r->address, a, sizeof(a)))
                return -EINVAL;
        spec_to_string(r->protocol, r->port, spec);
        return asprintf(ret, "%s/%u%s", a, r->prefixlen, spec) < 0 ? -ENOMEM : 0;
}

int egress_host_to_string(const EgressHost *h, char **ret) {
        char spec[16];

        assert(h);
        assert(ret);

        spec_to_string(h->protocol, h->port, spec);
        return asprintf(ret, "%s%s", strempty(h->name), spec) < 0 ? -ENOMEM : 0;
}
