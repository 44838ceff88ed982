/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <ctype.h>
#include <seccomp.h>
#include <sys/socket.h>

#include "parse-util.h"
#include "strv.h"

int parse_boolean(const char *v) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!v)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

/* Reads digits at *p into *ret; advances *p. -EINVAL if there is no digit, -ERANGE on overflow. */
static int read_digits(const char **p, uint64_t *ret) {
        uint64_t n = 0;
        const char *s = *p;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                unsigned d = (unsigned) (*s - '0');

                if (n > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                n = n * 10 + d;
        }
        *p = s;
        *ret = n;
        return 0;
}

int parse_uint64_range(const char *v, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t n;
        int r;

        if (!v)
                return -EINVAL;
        r = read_digits(&v, &n);
        if (r < 0)
                return r;
        if (*v)
                return -EINVAL;
        if (n < min || n > max)
                return -ERANGE;
        *ret = n;
        return 0;
}

int parse_size(const char *v, bool allow_infinity, uint64_t *ret) {
        static const struct {
                char suffix;
                unsigned shift;
        } table[] = {
                { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 }, { 'P', 50 }, { 'E', 60 },
        };
        uint64_t n;
        int r;

        if (!v)
                return -EINVAL;
        if (allow_infinity && streq(v, "infinity")) {
                *ret = UINT64_INFINITY;
                return 0;
        }
        r = read_digits(&v, &n);
        if (r < 0)
                return r;
        if (*v) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(table); i++)
                        if (*v == table[i].suffix)
                                break;
                if (i >= ELEMENTSOF(table) || v[1])
                        return -EINVAL;
                if (n > (UINT64_MAX >> table[i].shift))
                        return -ERANGE;
                n <<= table[i].shift;
        }
        if (n >= UINT64_INFINITY)
                return -ERANGE;
        *ret = n;
        return 0;
}

int parse_duration(const char *v, uint64_t *ret_usec) {
        static const struct {
                const char *unit;
                uint64_t usec;
        } table[] = {
                { "us", 1 }, { "usec", 1 },
                { "ms", 1000 }, { "msec", 1000 },
                { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "second", USEC_PER_SEC },
                { "seconds", USEC_PER_SEC },
                { "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC },
                { "minute", 60 * USEC_PER_SEC }, { "minutes", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC },
                { "hour", 3600 * USEC_PER_SEC }, { "hours", 3600 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC }, { "day", 86400 * USEC_PER_SEC },
                { "days", 86400 * USEC_PER_SEC },
                { "w", 7 * 86400 * USEC_PER_SEC }, { "week", 7 * 86400 * USEC_PER_SEC },
                { "weeks", 7 * 86400 * USEC_PER_SEC },
        };
        uint64_t total = 0;
        bool any = false;

        if (!v)
                return -EINVAL;
        if (streq(v, "infinity")) {
                *ret_usec = UINT64_INFINITY;
                return 0;
        }

        for (const char *p = v;;) {
                const char *u;
                uint64_t n, mult = USEC_PER_SEC;
                size_t len;
                int r;

                p += strspn(p, " \t");
                if (!*p)
                        break;
                r = read_digits(&p, &n);
                if (r < 0)
                        return r;
                p += strspn(p, " \t");
                u = p;
                while (isalpha((unsigned char) *p))
                        p++;
                len = (size_t) (p - u);
                if (len > 0) {
                        size_t i;

                        for (i = 0; i < ELEMENTSOF(table); i++)
                                if (strlen(table[i].unit) == len && strncmp(table[i].unit, u, len) == 0)
                                        break;
                        if (i >= ELEMENTSOF(table))
                                return -EINVAL;
                        mult = table[i].usec;
                }
                if (n > (UINT64_INFINITY - 1) / mult || total > UINT64_INFINITY - 1 - n * mult)
                        return -ERANGE;
                total += n * mult;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}

int parse_percent(const char *v, uint64_t max, uint64_t *ret) {
        uint64_t n;
        int r;

        if (!v)
                return -EINVAL;
        r = read_digits(&v, &n);
        if (r < 0)
                return r;
        if (!streq(v, "%"))
                return -EINVAL;
        if (n > max)
                return -ERANGE;
        *ret = n;
        return 0;
}

int parse_ip_address(const char *v, int *ret_family, uint8_t ret_address[static 16]) {
        uint8_t buf[16] = {};

        if (!v)
                return -EINVAL;
        if (inet_pton(AF_INET, v, buf) == 1) {
                *ret_family = AF_INET;
                memcpy(ret_address, buf, 16);
                return 0;
        }
        if (inet_pton(AF_INET6, v, buf) == 1) {
                *ret_family = AF_INET6;
                memcpy(ret_address, buf, 16);
                return 0;
        }
        return -EINVAL;
}

int parse_cidr(const char *v, int *ret_family, uint8_t ret_address[static 16], unsigned *ret_prefixlen) {
        _cleanup_free_ char *addr = NULL;
        uint8_t buf[16];
        const char *slash;
        unsigned max, len;
        int family, r;

        if (!v)
                return -EINVAL;
        slash = strchr(v, '/');
        addr = slash ? strndup(v, (size_t) (slash - v)) : strdup(v);
        if (!addr)
                return -ENOMEM;
        r = parse_ip_address(addr, &family, buf);
        if (r < 0)
                return r;
        max = family == AF_INET ? 32 : 128;
        if (slash) {
                uint64_t n;

                r = parse_uint64_range(slash + 1, 0, max, &n);
                if (r < 0)
                        return -EINVAL;
                len = (unsigned) n;
        } else
                len = max;

        /* No bits may be set beyond the prefix. */
        for (unsigned bit = len; bit < max; bit++)
                if (buf[bit / 8] & (0x80 >> (bit % 8)))
                        return -EINVAL;

        *ret_family = family;
        memcpy(ret_address, buf, 16);
        *ret_prefixlen = len;
        return 0;
}

int parse_port(const char *v, uint16_t *ret) {
        uint64_t n;
        int r;

        r = parse_uint64_range(v, 1, 65535, &n);
        if (r < 0)
                return -EINVAL;
        *ret = (uint16_t) n;
        return 0;
}

bool hostname_is_valid(const char *s) {
        size_t total, label = 0;
        bool any_alpha = false;

        if (isempty(s))
                return false;
        total = strlen(s);
        if (total > 253)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == '.') {
                        if (label == 0 || p[-1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!isalnum((unsigned char) *p) && *p != '-')
                        return false;
                if (*p == '-' && label == 0)
                        return false;
                if (isalpha((unsigned char) *p))
                        any_alpha = true;
                if (++label > 63)
                        return false;
        }
        /* No trailing '.', no trailing '-'; and an all-numeric name is an address, not a host. */
        return label > 0 && s[total - 1] != '-' && any_alpha;
}

bool path_is_normalized_absolute(const char *p) {
        if (isempty(p) || p[0] != '/')
                return false;
        if (streq(p, "/"))
                return true;
        if (p[strlen(p) - 1] == '/' || strstr(p, "//"))
                return false;
        for (const char *c = p + 1;;) {
                size_t n = strcspn(c, "/");

                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!c[n])
                        break;
                c += n + 1;
        }
        return strlen(p) < 4096;
}

bool path_is_unit_safe(const char *p) {
        return p && !p[strcspn(p, " \t\"'\\:")];
}

bool user_name_is_valid(const char *u) {
        bool all_digits = true;
        size_t n;

        if (isempty(u))
                return false;
        n = strlen(u);
        if (n > 31)
                return false;
        if (!isalpha((unsigned char) u[0]) && u[0] != '_')
                return false;
        for (const char *p = u; *p; p++) {
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-')
                        return false;
                if (!isdigit((unsigned char) *p))
                        all_digits = false;
        }
        return !all_digits;
}

bool env_assignment_is_valid(const char *s) {
        const char *eq;

        if (isempty(s))
                return false;
        eq = strchr(s, '=');
        if (!eq || eq == s)
                return false;
        if (!isalpha((unsigned char) s[0]) && s[0] != '_')
                return false;
        for (const char *p = s; p < eq; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return false;
        return true;
}

bool credential_name_is_valid(const char *s) {
        if (isempty(s) || strlen(s) > 255)
                return false;
        if (streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || (unsigned char) *p < 0x20 || *p == 0x7f || *p == ':')
                        return false;
        return true;
}

/* systemd's system call groups (systemd.exec(5), SystemCallFilter=), as of systemd 257. */
static const char *const syscall_groups[] = {
        "@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug", "@default",
        "@file-system", "@io-event", "@ipc", "@keyring", "@known", "@memlock", "@module",
        "@mount", "@network-io", "@obsolete", "@pkey", "@privileged", "@process", "@raw-io",
        "@reboot", "@resources", "@sandbox", "@setuid", "@signal", "@swap", "@sync",
        "@system-service", "@timer",
};

bool syscall_filter_entry_is_valid(const char *s) {
        if (isempty(s))
                return false;
        if (s[0] == '@') {
                for (size_t i = 0; i < ELEMENTSOF(syscall_groups); i++)
                        if (streq(s, syscall_groups[i]))
                                return true;
                return false;
        }
        for (const char *p = s; *p; p++)
                if (!islower((unsigned char) *p) && !isdigit((unsigned char) *p) && *p != '_')
                        return false;
        return seccomp_syscall_resolve_name(s) != __NR_SCMP_ERROR;
}

int split_quoted(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *word = NULL;
        size_t n = 0;
        const char *p = s;
        int r;

        l = calloc(1, sizeof(char *));
        word = malloc(strlen(s) + 1);
        if (!l || !word)
                return -ENOMEM;

        for (;;) {
                char quote = 0;
                bool in_word = false;

                p += strspn(p, " \t");
                if (!*p)
                        break;

                n = 0;
                for (; *p; p++) {
                        if (!quote && (*p == ' ' || *p == '\t'))
                                break;
                        if (*p == '\\') {
                                p++;
                                switch (*p) {
                                case '\\': case '"': case '\'': case ' ':
                                        word[n++] = *p;
                                        break;
                                case 'n':
                                        word[n++] = '\n';
                                        break;
                                case 't':
                                        word[n++] = '\t';
                                        break;
                                case 's':
                                        word[n++] = ' ';
                                        break;
                                default:
                                        return -EINVAL;
                                }
                                in_word = true;
                                continue;
                        }
                        if (quote && *p == quote) {
                                quote = 0;
                                continue;
                        }
                        if (!quote && (*p == '\'' || *p == '"')) {
                                quote = *p;
                                in_word = true;
                                continue;
                        }
                        word[n++] = *p;
                        in_word = true;
                }
                if (quote)
                        return -EBADMSG;
                if (!in_word)
                        break;
                r = strv_consume(&l, strndup(word, n));
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(l);
        return 0;
}
