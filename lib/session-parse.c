/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The .session parser: libinih splits sections and keys, our own line reader in front of it
 * makes sure that inih never alters a value behind our back:
 *  - it counts physical lines, so every error names file:line;
 *  - it refuses lines longer than inih's fixed buffer instead of letting inih cut them;
 *  - it hides ';' from inih's inline-comment stripping (restored in the handler);
 *  - it strips indentation, so inih never sees a multi-line "continuation";
 *  - it checks section headers and Key=Value syntax itself, so that inih never has to
 *    report (only) the first error. */

#include <ini.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fileio.h"
#include "parse-util.h"
#include "egress-policy.h"
#include "session-parse.h"
#include "strv.h"

#define SESSION_FILE_SIZE_MAX (1024 * 1024)
#define SEMICOLON_PLACEHOLDER '\x1e'

typedef enum Section {
        SECTION_NONE,           /* before the first header */
        SECTION_INVALID,        /* under an unknown header: keys are not reported again */
        SECTION_SESSION,
        SECTION_RESOURCES,
        SECTION_EGRESS,
        SECTION_WORKSPACE,
        SECTION_SECRETS,
        SECTION_UNIT,
        SECTION_SERVICE,
        SECTION_INSTALL,
        _SECTION_MAX,
} Section;

static const char *const section_names[_SECTION_MAX] = {
        [SECTION_SESSION] = "Session",
        [SECTION_RESOURCES] = "Resources",
        [SECTION_EGRESS] = "Egress",
        [SECTION_WORKSPACE] = "Workspace",
        [SECTION_SECRETS] = "Secrets",
        [SECTION_UNIT] = "Unit",
        [SECTION_SERVICE] = "Service",
        [SECTION_INSTALL] = "Install",
};

typedef struct ParseState {
        const char *file;
        const char *data;
        size_t size, pos;
        unsigned line;
        Section section;
        Session *session;
        SessionErrorList *errors;
        SessionParseFlags flags;
        size_t n_errors_before;
        int fatal;              /* negative errno (ENOMEM): stop */

        /* Where some keys were set, for checks that need the whole file. */
        char *image_file, *workspace_file, *size_file, *target_file, *mode_file, *backend_file, *memory_max_file;
        unsigned image_line, workspace_line, size_line, target_line, mode_line, backend_line, memory_max_line;
} ParseState;

static void parse_state_done(ParseState *st) {
        free(st->image_file);
        free(st->workspace_file);
        free(st->size_file);
        free(st->target_file);
        free(st->mode_file);
        free(st->backend_file);
        free(st->memory_max_file);
}

void session_error_list_done(SessionErrorList *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n_errors; i++) {
                free(l->errors[i].file);
                free(l->errors[i].message);
        }
        free(l->errors);
        *l = (SessionErrorList) {};
}

int session_error_list_add(SessionErrorList *l, const char *file, unsigned line, const char *message) {
        _cleanup_free_ char *f = NULL, *m = NULL;
        SessionError *e;

        if (!l)
                return 0;
        if (file) {
                f = strdup(file);
                if (!f)
                        return -ENOMEM;
        }
        m = strdup(message);
        if (!m)
                return -ENOMEM;
        e = reallocarray(l->errors, l->n_errors + 1, sizeof(SessionError));
        if (!e)
                return -ENOMEM;
        l->errors = e;
        l->errors[l->n_errors++] = (SessionError) {
                .file = TAKE_PTR(f),
                .line = line,
                .message = TAKE_PTR(m),
        };
        return 0;
}

int session_error_format(const SessionError *e, char **ret) {
        char *s;
        int k;

        if (e->line > 0)
                k = asprintf(&s, "%s:%u: %s", e->file ?: "<input>", e->line, e->message);
        else
                k = asprintf(&s, "%s: %s", e->file ?: "<input>", e->message);
        if (k < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

size_t session_max_line_length(void) {
        /* inih's buffer holds the line, "\r\n" and the NUL. */
        return INI_MAX_LINE - 3;
}

_printf_(3, 4)
static void error_at(ParseState *st, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int k;

        /* A SessionErrorList is always kept, even when the caller passed none: the result
         * depends on whether there were errors. */
        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0) {
                st->fatal = -ENOMEM;
                return;
        }
        if (session_error_list_add(st->errors, st->file, line, m) < 0)
                st->fatal = -ENOMEM;
}

#define error(st, ...) error_at(st, (st)->line, __VA_ARGS__)

static void oom(ParseState *st) {
        st->fatal = -ENOMEM;
}

/* ---- The line reader in front of inih ---- */

static bool key_name_is_valid(const char *k, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
                      (k[i] >= '0' && k[i] <= '9')))
                        return false;
        return true;
}

static Section section_from_name(const char *s, size_t n) {
        for (Section i = SECTION_SESSION; i < _SECTION_MAX; i++)
                if (strlen(section_names[i]) == n && strncmp(section_names[i], s, n) == 0)
                        return i;
        return SECTION_INVALID;
}

/* The first byte in [p, end) below 0x20 other than TAB, or DEL; NULL if there is none. Eight
 * bytes at a time: a word without a byte below 0x20 and without 0x7f is skipped whole. */
static const char *find_control_char(const char *p, const char *end) {
        const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);

        for (; end - p >= 8; p += 8) {
                uint64_t w, d;

                memcpy(&w, p, sizeof(w));
                d = w ^ (ones * 0x7f);
                if ((((w - ones * 0x20) & ~w) | ((d - ones) & ~d)) & highs)
                        break;  /* something in these 8 bytes: look at each below */
        }
        for (; p < end; p++)
                if (((unsigned char) *p < 0x20 && *p != '\t') || *p == 0x7f)
                        return p;
        return NULL;
}

static char *reader(char *str, int num, void *stream) {
        ParseState *st = stream;

        for (;;) {
                const char *start, *nl, *p, *end;
                size_t len;

                if (st->fatal < 0 || st->pos >= st->size)
                        return NULL;

                start = st->data + st->pos;
                nl = memchr(start, '\n', st->size - st->pos);
                end = nl ?: st->data + st->size;
                st->pos = (size_t) (end - st->data) + (nl ? 1 : 0);
                st->line++;

                if (st->line == 1 && end - start >= 3 && memcmp(start, "\xef\xbb\xbf", 3) == 0)
                        start += 3;     /* UTF-8 byte order mark */
                if (end > start && end[-1] == '\r')
                        end--;
                len = end > start ? (size_t) (end - start) : 0;

                if (memchr(start, 0, len)) {
                        error(st, "Line contains a NUL byte");
                        continue;
                }
                p = find_control_char(start, end);
                if (p) {
                        error(st, "Line contains control character 0x%02x", (unsigned) (unsigned char) *p);
                        continue;
                }

                /* Blank lines and comments: hand inih an empty line. Indentation is insignificant
                 * (there are no continuation lines). */
                while (start < end && (*start == ' ' || *start == '\t'))
                        start++;
                while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                len = (size_t) (end - start);
                if (len == 0 || *start == '#' || *start == ';') {
                        strcpy(str, "\n");
                        return str;
                }

                if (len > session_max_line_length() || len + 3 > (size_t) num) {
                        error(st, "Line too long (%zu bytes, at most %zu)", len, session_max_line_length());
                        continue;
                }

                if (*start == '[') {
                        if (end[-1] != ']' || len < 3) {
                                error(st, "Invalid section header, expected [Name]: '%.*s'", (int) len, start);
                                st->section = SECTION_INVALID;
                                continue;
                        }
                        st->section = section_from_name(start + 1, len - 2);
                        if (st->section == SECTION_INVALID)
                                error(st, "Unknown section [%.*s], expected [Session], [Resources], [Egress], "
                                      "[Workspace], [Secrets], [Unit], [Service] or [Install]",
                                      (int) len - 2, start + 1);
                        memcpy(str, start, len);
                        strcpy(str + len, "\n");
                        return str;
                }

                p = memchr(start, '=', len);
                if (!p) {
                        error(st, "Expected Key=Value, a [Section] header or a comment: '%.*s'", (int) len, start);
                        continue;
                }
                {
                        const char *k = p;

                        while (k > start && (k[-1] == ' ' || k[-1] == '\t'))
                                k--;
                        if (!key_name_is_valid(start, (size_t) (k - start))) {
                                error(st, "Invalid key name '%.*s', expected letters and digits only",
                                      (int) (k - start), start);
                                continue;
                        }
                }
                if (st->section == SECTION_NONE) {
                        error(st, "Assignment outside of any section: '%.*s'", (int) len, start);
                        continue;
                }

                memcpy(str, start, len);
                str[len] = '\n';
                str[len + 1] = 0;
                for (char *c = memchr(str, ';', len); c; c = strchr(c + 1, ';'))
                        *c = SEMICOLON_PLACEHOLDER;
                return str;
        }
}

/* ---- Value parsers ---- */

typedef int (*KeyParser)(ParseState *st, const char *key, const char *value, void *data);

static int parse_string_field(ParseState *st, const char *key, const char *value, void *data) {
        char **p = data, *c = NULL;

        if (!isempty(value)) {
                c = strdup(value);
                if (!c)
                        return -ENOMEM;
        }
        free(*p);
        *p = c;
        return 0;
}

static int parse_bool_field(ParseState *st, const char *key, const char *value, void *data) {
        int b = parse_boolean(value);

        if (b < 0) {
                error(st, "Invalid %s=, expected a boolean (yes or no): '%s'", key, value);
                return 0;
        }
        *(bool *) data = b;
        return 0;
}

static int parse_size_field(ParseState *st, const char *key, const char *value, void *data) {
        uint64_t v;

        if (isempty(value)) {
                *(uint64_t *) data = UINT64_UNSET;
                return 0;
        }
        if (parse_size(value, true, &v) < 0) {
                error(st, "Invalid %s=, expected a size like 512M or 2G, or 'infinity': '%s'", key, value);
                return 0;
        }
        *(uint64_t *) data = v;
        return 0;
}

/* Where a key was set, for validate()'s messages. */
static int remember_location(ParseState *st, char **file, unsigned *line) {
        char *f = strdup(st->file);

        if (!f)
                return -ENOMEM;
        free(*file);
        *file = f;
        *line = st->line;
        return 0;
}

static int parse_memory_max(ParseState *st, const char *key, const char *value, void *data) {
        int r = remember_location(st, &st->memory_max_file, &st->memory_max_line);

        return r < 0 ? r : parse_size_field(st, key, value, data);
}

static int parse_duration_field(ParseState *st, const char *key, const char *value, void *data) {
        uint64_t v;

        if (isempty(value)) {
                *(uint64_t *) data = UINT64_UNSET;
                return 0;
        }
        if (parse_duration(value, &v) < 0) {
                error(st, "Invalid %s=, expected a duration like 30s, 15min, 2h or 1d: '%s'", key, value);
                return 0;
        }
        if (v == 0) {
                error(st, "Invalid %s=, the duration must be above 0: '%s'", key, value);
                return 0;
        }
        /* "infinity" means no limit, the same as not setting it. */
        *(uint64_t *) data = v == UINT64_INFINITY ? UINT64_UNSET : v;
        return 0;
}

static int parse_weight_field(ParseState *st, const char *key, const char *value, void *data) {
        uint64_t v;

        if (isempty(value)) {
                *(uint64_t *) data = UINT64_UNSET;
                return 0;
        }
        if (parse_uint64_range(value, 1, 10000, &v) < 0) {
                error(st, "Invalid %s=, expected an integer between 1 and 10000: '%s'", key, value);
                return 0;
        }
        *(uint64_t *) data = v;
        return 0;
}

static int parse_tasks_field(ParseState *st, const char *key, const char *value, void *data) {
        uint64_t v;

        if (isempty(value)) {
                *(uint64_t *) data = UINT64_UNSET;
                return 0;
        }
        if (streq(value, "infinity"))
                v = UINT64_INFINITY;
        else if (parse_uint64_range(value, 1, UINT64_INFINITY - 1, &v) < 0) {
                error(st, "Invalid %s=, expected a positive number of tasks or 'infinity': '%s'", key, value);
                return 0;
        }
        *(uint64_t *) data = v;
        return 0;
}

static int parse_cpu_quota_field(ParseState *st, const char *key, const char *value, void *data) {
        uint64_t v;

        if (isempty(value)) {
                *(uint64_t *) data = UINT64_UNSET;
                return 0;
        }
        if (parse_percent(value, 100000, &v) < 0 || v == 0) {
                error(st, "Invalid %s=, expected a percentage above 0%% like 50%% or 200%%: '%s'", key, value);
                return 0;
        }
        *(uint64_t *) data = v * (USEC_PER_SEC / 100);
        return 0;
}

static int parse_description(ParseState *st, const char *key, const char *value, void *data) {
        return parse_string_field(st, key, value, &st->session->description);
}

/* An enum key: the value must be one of the names from_string() knows. */
#define DEFINE_PARSE_ENUM(function, type, from_string, field, expected)                                  \
        static int function(ParseState *st, const char *key, const char *value, void *data) {            \
                type v = from_string(value);                                                             \
                                                                                                         \
                if (v < 0) {                                                                             \
                        error(st, "Invalid %s=, expected " expected ": '%s'", key, value);               \
                        return 0;                                                                        \
                }                                                                                        \
                st->session->field = v;                                                                  \
                return 0;                                                                                \
        }

DEFINE_PARSE_ENUM(parse_backend_value, SessionBackend, session_backend_from_string, backend,
                  "service, nspawn or vmspawn");

static int parse_backend(ParseState *st, const char *key, const char *value, void *data) {
        int r = remember_location(st, &st->backend_file, &st->backend_line);

        return r < 0 ? r : parse_backend_value(st, key, value, data);
}
DEFINE_PARSE_ENUM(parse_profile, SessionProfile, session_profile_from_string, profile,
                  "restrictive, moderate or permissive");
DEFINE_PARSE_ENUM(parse_on_end, SessionOnEnd, session_on_end_from_string, on_end, "discard or persist");

static int parse_exec(ParseState *st, const char *key, const char *value, void *data) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (isempty(value)) {
                st->session->exec = strv_free(st->session->exec);
                return 0;
        }
        r = split_quoted(value, &argv);
        if (r == -ENOMEM)
                return r;
        if (r == -EBADMSG) {
                error(st, "Invalid %s=, unterminated quote: '%s'", key, value);
                return 0;
        }
        if (r < 0) {
                error(st, "Invalid %s=, unknown escape sequence (use \\\\, \\\", \\', \\n, \\t or \\s): '%s'",
                      key, value);
                return 0;
        }
        if (!argv[0]) {
                st->session->exec = strv_free(st->session->exec);
                return 0;
        }
        if (!path_is_normalized_absolute(argv[0])) {
                error(st, "Invalid %s=, the command must be an absolute path: '%s'", key, argv[0]);
                return 0;
        }
        strv_free(st->session->exec);
        st->session->exec = TAKE_PTR(argv);
        return 0;
}

static int parse_user(ParseState *st, const char *key, const char *value, void *data) {
        if (isempty(value)) {
                st->session->user = mfree(st->session->user);
                st->session->dynamic_user = true;
                return 0;
        }
        if (!user_name_is_valid(value)) {
                error(st, "Invalid %s=, expected a user name: '%s'", key, value);
                return 0;
        }
        if (streq(value, "root") || streq(value, "0")) {
                error(st, "Invalid %s=, sessions never run as root", key);
                return 0;
        }
        free(st->session->user);
        st->session->user = strdup(value);
        if (!st->session->user)
                return -ENOMEM;
        st->session->dynamic_user = false;
        return 0;
}

static int parse_dynamic_user(ParseState *st, const char *key, const char *value, void *data) {
        return parse_bool_field(st, key, value, &st->session->dynamic_user);
}

/* Splits a list value like a command line. Returns 1 with the words, 0 if the quoting is bad
 * (reported, naming the whole value), or -ENOMEM. */
static int split_value(ParseState *st, const char *key, const char *value, const char *bad_quoting, char ***ret) {
        int r;

        r = split_quoted(value, ret);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                error(st, "Invalid %s=, %s: '%s'", key, bad_quoting, value);
                return 0;
        }
        return 1;
}

/* The shape of every word-list key: an empty value resets the list; otherwise the value is split
 * like a command line, every word must pass valid(), and then all of them are appended. A quoting
 * error names the whole value, a bad word names that word; either leaves the list unchanged. */
static int parse_word_list(
                ParseState *st,
                const char *key,
                const char *value,
                char ***list,
                bool (*valid)(const char *word),
                const char *bad_quoting,
                const char *bad_word) {

        _cleanup_strv_free_ char **words = NULL;
        int r;

        if (isempty(value)) {
                *list = strv_free(*list);
                return 0;
        }
        r = split_value(st, key, value, bad_quoting, &words);
        if (r <= 0)
                return r;
        STRV_FOREACH(w, words)
                if (!valid(*w)) {
                        error(st, "Invalid %s=, %s: '%s'", key, bad_word, *w);
                        return 0;
                }
        return strv_extend_strv(list, words);
}

static int parse_syscall_filter(ParseState *st, const char *key, const char *value, void *data) {
        return parse_word_list(st, key, value, &st->session->system_call_filter, syscall_filter_entry_is_valid,
                               "expected system call names or @groups", "unknown system call or group");
}

static int parse_image(ParseState *st, const char *key, const char *value, void *data) {
        int r;

        if (!isempty(value) && !path_is_normalized_absolute(value) && !hostname_is_valid(value)) {
                error(st, "Invalid %s=, expected an absolute path or a machine image name: '%s'", key, value);
                return 0;
        }
        r = remember_location(st, &st->image_file, &st->image_line);
        if (r < 0)
                return r;
        return parse_string_field(st, key, value, &st->session->image);
}

static int parse_environment(ParseState *st, const char *key, const char *value, void *data) {
        return parse_word_list(st, key, value, &st->session->environment, env_assignment_is_valid,
                               "bad quoting", "expected KEY=VALUE");
}

static int parse_abs_path(ParseState *st, const char *key, const char *value, char **field) {
        if (!isempty(value) && !path_is_normalized_absolute(value)) {
                error(st, "Invalid %s=, expected an absolute, normalized path: '%s'", key, value);
                return 0;
        }
        return parse_string_field(st, key, value, field);
}

static int parse_working_directory(ParseState *st, const char *key, const char *value, void *data) {
        return parse_abs_path(st, key, value, &st->session->working_directory);
}

static int parse_egress_default(ParseState *st, const char *key, const char *value, void *data) {
        if (streq(value, "allow"))
                st->session->egress_default_allow = true;
        else if (streq(value, "deny") || isempty(value))
                st->session->egress_default_allow = false;
        else
                error(st, "Invalid %s=, expected allow or deny: '%s'", key, value);
        return 0;
}

/* "PORT" or "PORT/tcp" or "PORT/udp" */
static int parse_port_spec(const char *s, uint16_t *ret_port, int *ret_protocol) {
        _cleanup_free_ char *p = NULL;
        char *slash;
        int protocol = 0;

        p = strdup(s);
        if (!p)
                return -ENOMEM;
        slash = strchr(p, '/');
        if (slash) {
                *slash = 0;
                if (streq(slash + 1, "tcp"))
                        protocol = IPPROTO_TCP;
                else if (streq(slash + 1, "udp"))
                        protocol = IPPROTO_UDP;
                else
                        return -EINVAL;
        }
        if (parse_port(p, ret_port) < 0)
                return -EINVAL;
        *ret_protocol = protocol;
        return 0;
}

/* "192.0.2.0/24", "192.0.2.1:443", "192.0.2.1:53/udp", "2001:db8::/32", "[2001:db8::1]:443". */
static int parse_egress_rule(const char *s, EgressRule *ret) {
        _cleanup_free_ char *cidr = NULL;
        const char *port = NULL;
        EgressRule rule = {};
        int r;

        if (s[0] == '[') {
                const char *close = strchr(s, ']');

                if (!close)
                        return -EINVAL;
                cidr = strndup(s + 1, (size_t) (close - s - 1));
                if (close[1] == ':')
                        port = close + 2;
                else if (close[1])
                        return -EINVAL;
        } else {
                const char *colon = strchr(s, ':');

                if (colon && !strchr(colon + 1, ':')) {  /* exactly one ':': IPv4 with port */
                        cidr = strndup(s, (size_t) (colon - s));
                        port = colon + 1;
                } else
                        cidr = strdup(s);
        }
        if (!cidr)
                return -ENOMEM;
        r = parse_cidr(cidr, &rule.family, rule.address, &rule.prefixlen);
        if (r < 0)
                return r;
        if (s[0] == '[' && rule.family != AF_INET6)
                return -EINVAL;
        if (port) {
                r = parse_port_spec(port, &rule.port, &rule.protocol);
                if (r < 0)
                        return r;
        }
        *ret = rule;
        return 0;
}

static bool host_bits_zero(const EgressRule *r) {
        unsigned bits = r->family == AF_INET ? 32 : 128;

        for (unsigned i = r->prefixlen; i < bits; i++)
                if (r->address[i / 8] & (0x80 >> (i % 8)))
                        return false;
        return true;
}

static int parse_egress_allow(ParseState *st, const char *key, const char *value, void *data) {
        _cleanup_strv_free_ char **words = NULL;
        Session *s = st->session;
        int r;

        if (isempty(value)) {
                s->egress_rules = mfree(s->egress_rules);
                s->n_egress_rules = 0;
                return 0;
        }
        /* One rule as sessiond.session(5) [Egress] and lib/egress-policy.h spell it,
         * "198.51.100.7/32 tcp:443"; else a list of "ADDR[:PORT][/PROTO]" words. */
        {
                EgressRule rule, *a;

                if (egress_rule_from_string(value, &rule) >= 0 && host_bits_zero(&rule)) {
                        a = reallocarray(s->egress_rules, s->n_egress_rules + 1, sizeof(EgressRule));
                        if (!a)
                                return -ENOMEM;
                        s->egress_rules = a;
                        s->egress_rules[s->n_egress_rules++] = rule;
                        return 0;
                }
        }
        r = split_value(st, key, value, "bad quoting", &words);
        if (r <= 0)
                return r;
        STRV_FOREACH(w, words) {
                EgressRule rule, *a;

                r = parse_egress_rule(*w, &rule);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        error(st, "Invalid %s=, expected an address or CIDR prefix with optional :PORT[/tcp|/udp] "
                              "(host bits beyond the prefix must be zero; IPv6 with a port as [ADDR]:PORT): '%s'",
                              key, *w);
                        return 0;
                }
                a = reallocarray(s->egress_rules, s->n_egress_rules + 1, sizeof(EgressRule));
                if (!a)
                        return -ENOMEM;
                s->egress_rules = a;
                s->egress_rules[s->n_egress_rules++] = rule;
        }
        return 0;
}

static int parse_egress_allow_host(ParseState *st, const char *key, const char *value, void *data) {
        _cleanup_strv_free_ char **words = NULL;
        Session *s = st->session;
        int r;

        if (isempty(value)) {
                for (size_t i = 0; i < s->n_egress_hosts; i++)
                        free(s->egress_hosts[i].name);
                s->egress_hosts = mfree(s->egress_hosts);
                s->n_egress_hosts = 0;
                return 0;
        }
        /* One name as lib/egress-policy.h spells it ("*.example.org", "example.org tcp:443");
         * else a list of "NAME[:PORT][/PROTO]" words. */
        {
                EgressHost h = {}, *a;

                if (egress_host_from_string(value, &h) >= 0 &&
                    hostname_is_valid(h.name + (strncmp(h.name, "*.", 2) == 0 ? 2 : 0))) {
                        a = reallocarray(s->egress_hosts, s->n_egress_hosts + 1, sizeof(EgressHost));
                        if (!a) {
                                egress_host_done(&h);
                                return -ENOMEM;
                        }
                        s->egress_hosts = a;
                        s->egress_hosts[s->n_egress_hosts++] = h;
                        return 0;
                }
                egress_host_done(&h);
        }
        r = split_value(st, key, value, "bad quoting", &words);
        if (r <= 0)
                return r;
        STRV_FOREACH(w, words) {
                _cleanup_free_ char *name = NULL;
                EgressHost h = {}, *a;
                char *colon;

                name = strdup(*w);
                if (!name)
                        return -ENOMEM;
                colon = strchr(name, ':');
                if (colon) {
                        *colon = 0;
                        if (parse_port_spec(colon + 1, &h.port, &h.protocol) < 0) {
                                error(st, "Invalid %s=, expected a port number (1-65535) with optional /tcp or /udp after ':': '%s'",
                                      key, *w);
                                return 0;
                        }
                }
                if (!hostname_is_valid(name)) {
                        error(st, "Invalid %s=, expected a DNS host name with optional :PORT: '%s'", key, *w);
                        return 0;
                }
                a = reallocarray(s->egress_hosts, s->n_egress_hosts + 1, sizeof(EgressHost));
                if (!a)
                        return -ENOMEM;
                s->egress_hosts = a;
                h.name = TAKE_PTR(name);
                s->egress_hosts[s->n_egress_hosts++] = h;
        }
        return 0;
}

static bool ip_address_is_valid(const char *s) {
        uint8_t a[16];
        int family;

        return parse_ip_address(s, &family, a) >= 0;
}

static int parse_dns(ParseState *st, const char *key, const char *value, void *data) {
        return parse_word_list(st, key, value, &st->session->dns_servers, ip_address_is_valid,
                               "bad quoting", "expected an IPv4 or IPv6 address");
}

static int remember(ParseState *st, char **file, unsigned *line) {
        free(*file);
        *file = strdup(st->file);
        if (!*file)
                return -ENOMEM;
        *line = st->line;
        return 0;
}

static int parse_workspace_path(ParseState *st, const char *key, const char *value, void *data) {
        struct stat sb;
        int r;

        if (!isempty(value) && !path_is_normalized_absolute(value)) {
                error(st, "Invalid %s=, expected an absolute, normalized path: '%s'", key, value);
                return 0;
        }
        if (!isempty(value) && !path_is_unit_safe(value)) {
                error(st, "Invalid %s=, the path must not contain whitespace, quotes, backslashes or ':': '%s'",
                      key, value);
                return 0;
        }
        /* A missing directory is reported, but the value is kept: it is well-formed, and later
         * checks (Mode= needs Path=) should not report it again. */
        if (!isempty(value) && (st->flags & SESSION_PARSE_CHECK_REFERENCES)) {
                if (stat(value, &sb) < 0)
                        error(st, "Workspace %s= '%s' cannot be used: %s", key, value, strerror(errno));
                else if (!S_ISDIR(sb.st_mode))
                        error(st, "Workspace %s= '%s' is not a directory", key, value);
        }
        r = remember(st, &st->workspace_file, &st->workspace_line);
        if (r < 0)
                return r;
        return parse_string_field(st, key, value, &st->session->workspace_path);
}

static int parse_workspace_mode(ParseState *st, const char *key, const char *value, void *data) {
        WorkspaceMode m = workspace_mode_from_string(value);

        if (m < 0 || m == WORKSPACE_NONE) {
                error(st, "Invalid %s=, expected overlay, bind, bind-ro or tmpfs: '%s'", key, value);
                return 0;
        }
        st->session->workspace_mode = m;
        return remember(st, &st->mode_file, &st->mode_line);
}

static int parse_workspace_target(ParseState *st, const char *key, const char *value, void *data) {
        int r;

        if (!isempty(value) && (streq(value, "/") || !path_is_normalized_absolute(value))) {
                error(st, "Invalid %s=, expected an absolute, normalized path other than '/': '%s'", key, value);
                return 0;
        }
        if (!isempty(value) && !path_is_unit_safe(value)) {
                error(st, "Invalid %s=, the path must not contain whitespace, quotes, backslashes or ':': '%s'",
                      key, value);
                return 0;
        }
        r = remember(st, &st->target_file, &st->target_line);
        if (r < 0)
                return r;
        return parse_string_field(st, key, value, &st->session->workspace_target);
}

static int parse_workspace_size(ParseState *st, const char *key, const char *value, void *data) {
        uint64_t v;
        int r;

        if (isempty(value)) {
                st->session->workspace_size = UINT64_UNSET;
                return 0;
        }
        if (parse_size(value, false, &v) < 0 || v == 0) {
                error(st, "Invalid %s=, expected a size like 512M or 2G: '%s'", key, value);
                return 0;
        }
        r = remember(st, &st->size_file, &st->size_line);
        if (r < 0)
                return r;
        st->session->workspace_size = v;
        return 0;
}

static int parse_credential(ParseState *st, const char *key, const char *value, void *data) {
        _cleanup_free_ char *id = NULL, *path = NULL;
        Session *s = st->session;
        SessionCredential *a;
        const char *colon;

        if (isempty(value)) {
                for (size_t i = 0; i < s->n_credentials; i++) {
                        free(s->credentials[i].id);
                        free(s->credentials[i].path);
                }
                s->credentials = mfree(s->credentials);
                s->n_credentials = 0;
                return 0;
        }
        colon = strchr(value, ':');
        if (!colon) {
                error(st, "Invalid %s=, expected NAME:PATH: '%s'", key, value);
                return 0;
        }
        id = strndup(value, (size_t) (colon - value));
        path = strdup(colon + 1);
        if (!id || !path)
                return -ENOMEM;
        if (!credential_name_is_valid(id)) {
                error(st, "Invalid %s=, bad credential name (no '/', ':' or control characters): '%s'", key, id);
                return 0;
        }
        if (!path_is_normalized_absolute(path)) {
                error(st, "Invalid %s=, the source must be an absolute, normalized path: '%s'", key, path);
                return 0;
        }
        if (!path_is_unit_safe(path)) {
                error(st, "Invalid %s=, the source must not contain whitespace, quotes, backslashes or ':': '%s'",
                      key, path);
                return 0;
        }
        for (size_t i = 0; i < s->n_credentials; i++)
                if (streq(s->credentials[i].id, id)) {
                        error(st, "Invalid %s=, credential '%s' is already defined", key, id);
                        return 0;
                }
        if ((st->flags & SESSION_PARSE_CHECK_REFERENCES) && access(path, R_OK) < 0) {
                error(st, "Credential '%s' source '%s' cannot be read: %s", id, path, strerror(errno));
                return 0;
        }
        a = reallocarray(s->credentials, s->n_credentials + 1, sizeof(SessionCredential));
        if (!a)
                return -ENOMEM;
        s->credentials = a;
        s->credentials[s->n_credentials++] = (SessionCredential) {
                .id = TAKE_PTR(id),
                .path = TAKE_PTR(path),
                .encrypted = streq(key, "EncryptedCredential"),
        };
        return 0;
}

static int passthrough_add(PassthroughSection *p, const char *key, const char *value) {
        _cleanup_free_ char *k = NULL, *v = NULL;
        PassthroughEntry *a;

        k = strdup(key);
        v = strdup(value);
        if (!k || !v)
                return -ENOMEM;
        a = reallocarray(p->entries, p->n_entries + 1, sizeof(PassthroughEntry));
        if (!a)
                return -ENOMEM;
        p->entries = a;
        p->entries[p->n_entries++] = (PassthroughEntry) { .key = TAKE_PTR(k), .value = TAKE_PTR(v) };
        return 0;
}

static const struct {
        Section section;
        const char *key;
        const char *instead;
} reserved_keys[] = {
        { SECTION_UNIT, "Description", "Description= in [Session]" },
        { SECTION_UNIT, "SourcePath", NULL },
        { SECTION_SERVICE, "ExecStart", "Exec= in [Session]" },
        { SECTION_SERVICE, "Type", NULL },
        { SECTION_SERVICE, "Slice", NULL },
        { SECTION_SERVICE, "KillMode", NULL },
        { SECTION_SERVICE, "RuntimeMaxSec", "MaxRuntime= in [Session]" },
        { SECTION_SERVICE, "User", "User= in [Session]" },
        { SECTION_SERVICE, "DynamicUser", "DynamicUser= in [Session]" },
        { SECTION_SERVICE, "RuntimeDirectory", NULL },
        { SECTION_SERVICE, "LoadCredential", "Credential= in [Secrets]" },
        { SECTION_SERVICE, "LoadCredentialEncrypted", "EncryptedCredential= in [Secrets]" },
};

static int parse_passthrough(ParseState *st, const char *key, const char *value) {
        Session *s = st->session;

        for (size_t i = 0; i < ELEMENTSOF(reserved_keys); i++)
                if (reserved_keys[i].section == st->section && streq(reserved_keys[i].key, key)) {
                        if (reserved_keys[i].instead)
                                error(st, "%s= in [%s] is set by sessiond, use %s", key,
                                      section_names[st->section], reserved_keys[i].instead);
                        else
                                error(st, "%s= in [%s] is set by sessiond and cannot be changed", key,
                                      section_names[st->section]);
                        return 0;
                }

        switch (st->section) {
        case SECTION_UNIT:
                return passthrough_add(&s->unit_section, key, value);
        case SECTION_SERVICE:
                return passthrough_add(&s->service_section, key, value);
        case SECTION_INSTALL: {
                _cleanup_strv_free_ char **words = NULL;
                int r;

                if (!streq(key, "WantedBy") && !streq(key, "RequiredBy")) {
                        error(st, "Unsupported key %s= in [Install], expected WantedBy= or RequiredBy=", key);
                        return 0;
                }
                r = split_quoted(value, &words);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || !words[0]) {
                        error(st, "Invalid %s=, expected unit names: '%s'", key, value);
                        return 0;
                }
                STRV_FOREACH(w, words) {
                        const char *dot = strrchr(*w, '.');

                        if (!dot || dot == *w || !dot[1] || strchr(*w, '/') || strlen(*w) > 255) {
                                error(st, "Invalid %s=, expected a unit name like multi-user.target: '%s'", key, *w);
                                return 0;
                        }
                }
                return passthrough_add(&s->install_section, key, value);
        }
        default:
                return 0;
        }
}

static const struct {
        Section section;
        const char *key;
        KeyParser parse;
        size_t offset;          /* for the generic parsers */
} key_table[] = {
        { SECTION_SESSION, "Description", parse_description, 0 },
        { SECTION_SESSION, "Backend", parse_backend, 0 },
        { SECTION_SESSION, "Exec", parse_exec, 0 },
        { SECTION_SESSION, "User", parse_user, 0 },
        { SECTION_SESSION, "DynamicUser", parse_dynamic_user, 0 },
        { SECTION_SESSION, "Profile", parse_profile, 0 },
        { SECTION_SESSION, "SystemCallFilter", parse_syscall_filter, 0 },
        { SECTION_SESSION, "MaxRuntime", parse_duration_field, offsetof(Session, max_runtime_usec) },
        { SECTION_SESSION, "IdleTimeout", parse_duration_field, offsetof(Session, idle_timeout_usec) },
        { SECTION_SESSION, "OnEnd", parse_on_end, 0 },
        { SECTION_SESSION, "Terminal", parse_bool_field, offsetof(Session, terminal) },
        { SECTION_SESSION, "AutoStart", parse_bool_field, offsetof(Session, auto_start) },
        { SECTION_SESSION, "Image", parse_image, 0 },
        { SECTION_SESSION, "Environment", parse_environment, 0 },
        { SECTION_SESSION, "WorkingDirectory", parse_working_directory, 0 },

        { SECTION_RESOURCES, "MemoryMax", parse_memory_max, offsetof(Session, memory_max) },
        { SECTION_RESOURCES, "MemoryHigh", parse_size_field, offsetof(Session, memory_high) },
        { SECTION_RESOURCES, "MemorySwapMax", parse_size_field, offsetof(Session, memory_swap_max) },
        { SECTION_RESOURCES, "CPUQuota", parse_cpu_quota_field, offsetof(Session, cpu_quota_per_sec_usec) },
        { SECTION_RESOURCES, "CPUWeight", parse_weight_field, offsetof(Session, cpu_weight) },
        { SECTION_RESOURCES, "TasksMax", parse_tasks_field, offsetof(Session, tasks_max) },
        { SECTION_RESOURCES, "IOWeight", parse_weight_field, offsetof(Session, io_weight) },

        { SECTION_EGRESS, "Default", parse_egress_default, 0 },
        { SECTION_EGRESS, "Allow", parse_egress_allow, 0 },
        { SECTION_EGRESS, "AllowHost", parse_egress_allow_host, 0 },
        { SECTION_EGRESS, "DNS", parse_dns, 0 },

        { SECTION_WORKSPACE, "Path", parse_workspace_path, 0 },
        { SECTION_WORKSPACE, "Mode", parse_workspace_mode, 0 },
        { SECTION_WORKSPACE, "Target", parse_workspace_target, 0 },
        { SECTION_WORKSPACE, "Size", parse_workspace_size, 0 },

        { SECTION_SECRETS, "Credential", parse_credential, 0 },
        { SECTION_SECRETS, "EncryptedCredential", parse_credential, 0 },
};

static int handler(void *user, const char *section, const char *name, const char *value) {
        _cleanup_free_ char *v = NULL;
        ParseState *st = user;
        int r;

        if (st->fatal < 0)
                return 0;
        if (st->section == SECTION_INVALID || st->section == SECTION_NONE)
                return 1;

        /* Undo the reader's protection of ';' from inih's inline comments. */
        if (!value)
                value = "";
        if (strchr(value, SEMICOLON_PLACEHOLDER)) {
                v = strdup(value);
                if (!v) {
                        oom(st);
                        return 0;
                }
                for (char *c = v; *c; c++)
                        if (*c == SEMICOLON_PLACEHOLDER)
                                *c = ';';
                value = v;
        }

        if (IN_SET(st->section, SECTION_UNIT, SECTION_SERVICE, SECTION_INSTALL))
                r = parse_passthrough(st, name, value);
        else {
                size_t i;

                for (i = 0; i < ELEMENTSOF(key_table); i++)
                        if (key_table[i].section == st->section && key_table[i].key[0] == name[0] &&
                            streq(key_table[i].key, name))
                                break;
                if (i >= ELEMENTSOF(key_table)) {
                        error(st, "Unknown key %s= in section [%s]", name, section_names[st->section]);
                        return 1;
                }
                r = key_table[i].parse(st, name, value, (uint8_t *) st->session + key_table[i].offset);
        }
        if (r < 0) {
                st->fatal = r;
                return 0;
        }
        return 1;
}

static int parse_text(ParseState *st, const char *file, const char *data, size_t size) {
        int r;

        st->file = file;
        st->data = data;
        st->size = size;
        st->pos = 0;
        st->line = 0;
        st->section = SECTION_NONE;

        r = ini_parse_stream(reader, st, handler, st);
        if (st->fatal < 0)
                return st->fatal;
        if (r > 0)      /* inih found something our reader let through; must not happen */
                error_at(st, (unsigned) r, "Syntax error");
        else if (r < 0)
                return -ENOMEM;
        return st->fatal;
}

static int parse_one_file(ParseState *st, const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = read_full_file(path, SESSION_FILE_SIZE_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r == -EFBIG) {
                st->file = path;
                error_at(st, 0, "File too large (more than %d bytes)", SESSION_FILE_SIZE_MAX);
                return st->fatal;
        }
        if (r < 0) {
                st->file = path;
                error_at(st, 0, "Cannot read file: %s", strerror(-r));
                return st->fatal;
        }
        return parse_text(st, path, data, size);
}

/* Checks that need the whole session (main file and all drop-ins). */
static void validate(ParseState *st) {
        Session *s = st->session;

        if (s->image && s->backend == SESSION_BACKEND_SERVICE) {
                st->file = st->image_file;
                error_at(st, st->image_line, "Image= needs Backend=nspawn or Backend=vmspawn");
        }

        if (s->workspace_mode == WORKSPACE_TMPFS) {
                if (s->workspace_path) {
                        st->file = st->workspace_file;
                        error_at(st, st->workspace_line, "Path= cannot be used with Mode=tmpfs");
                }
        } else if (s->workspace_mode != WORKSPACE_NONE && !s->workspace_path) {
                st->file = st->mode_file;
                error_at(st, st->mode_line, "Mode=%s needs Path=", workspace_mode_to_string(s->workspace_mode));
        } else if (s->workspace_path && s->workspace_mode == WORKSPACE_NONE)
                s->workspace_mode = WORKSPACE_BIND_RO;

        if (s->workspace_size != UINT64_UNSET && s->workspace_mode != WORKSPACE_TMPFS) {
                st->file = st->size_file;
                error_at(st, st->size_line, "Size= needs Mode=tmpfs");
        }
        if (s->workspace_target && s->workspace_mode == WORKSPACE_NONE) {
                st->file = st->target_file;
                error_at(st, st->target_line, "Target= needs Path= or Mode=tmpfs");
        }

        /* Without Image= nspawn boots the host's root --volatile; vmspawn has no such mode and
         * would share the host's root read-write with the guest over virtiofs. */
        if (s->backend == SESSION_BACKEND_VMSPAWN && !s->image) {
                st->file = st->backend_file;
                error_at(st, st->backend_line,
                         "Backend=vmspawn needs Image= (a raw disk image or a directory under /var/lib/machines): "
                         "the VM must not boot the host's own root");
        }

        if (s->backend == SESSION_BACKEND_VMSPAWN && s->memory_max != UINT64_UNSET &&
            s->memory_max != UINT64_INFINITY && s->memory_max < SESSION_VMSPAWN_MEMORY_MIN) {
                st->file = st->memory_max_file;
                error_at(st, st->memory_max_line,
                         "MemoryMax= below 256M cannot hold a VM (Backend=vmspawn): guest RAM and the VMM share it");
        }
}

static int session_parse_impl(const char *name, const char *origin, const char *text, size_t text_size,
                              const char *path,
                              char **dropins, SessionParseFlags flags, Session **ret,
                              SessionErrorList *errors) {
        _cleanup_(parse_state_done) ParseState st = {};
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_(session_error_list_done) SessionErrorList local = {};
        int r;

        s = session_new();
        if (!s)
                return -ENOMEM;

        st = (ParseState) {
                .session = s,
                .errors = errors ?: &local,
                .flags = flags,
        };
        st.n_errors_before = st.errors->n_errors;

        s->source_path = strdup(path ?: origin);
        if (!s->source_path)
                return -ENOMEM;

        if (path) {
                const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
                size_t n = strlen(base);

                st.file = path;
                if (n <= strlen(".session") || !streq(base + n - strlen(".session"), ".session"))
                        error_at(&st, 0, "File name must end in .session");
                else {
                        s->name = strndup(base, n - strlen(".session"));
                        if (!s->name)
                                return -ENOMEM;
                }
        } else {
                s->name = strdup(name);
                if (!s->name)
                        return -ENOMEM;
                st.file = origin;
        }
        if (s->name && !session_name_is_valid(s->name))
                error_at(&st, 0, "Invalid session name '%s': use 1-%d letters, digits, '_', '.' or '-', "
                         "not starting with '.' or '-'", s->name, SESSION_NAME_MAX);
        if (st.fatal < 0)
                return st.fatal;

        if (path)
                r = parse_one_file(&st, path);
        else
                r = parse_text(&st, origin, text, text_size);
        if (r < 0)
                return r;

        STRV_FOREACH(d, dropins) {
                r = parse_one_file(&st, *d);
                if (r < 0)
                        return r;
        }

        validate(&st);
        if (st.fatal < 0)
                return st.fatal;

        if (st.errors->n_errors > st.n_errors_before)
                return -EBADMSG;

        if (ret)
                *ret = TAKE_PTR(s);
        return 0;
}

int session_parse_file_full(const char *path, char **dropins, SessionParseFlags flags, Session **ret,
                            SessionErrorList *errors) {
        assert(path);
        return session_parse_impl(NULL, NULL, NULL, 0, path, dropins, flags, ret, errors);
}

int session_parse_file(const char *path, char **dropins, Session **ret, SessionErrorList *errors) {
        return session_parse_file_full(path, dropins, 0, ret, errors);
}

int session_parse_string(const char *name, const char *origin, const char *text, Session **ret,
                         SessionErrorList *errors) {
        assert(name);
        assert(text);
        return session_parse_impl(name, origin ?: "<inline>", text, strlen(text), NULL, NULL, 0, ret, errors);
}

int session_parse_buffer(const char *name, const char *origin, const char *data, size_t size, Session **ret,
                         SessionErrorList *errors) {
        assert(name);
        assert(data || size == 0);
        return session_parse_impl(name, origin ?: "<inline>", data ?: "", size, NULL, NULL, 0, ret, errors);
}
