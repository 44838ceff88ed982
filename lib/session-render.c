/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "parse-util.h"
#include "session-profile.h"
#include "session-render.h"
#include "strv.h"

void unit_assignments_done(UnitAssignments *a) {
        if (!a)
                return;
        for (size_t i = 0; i < a->n_items; i++) {
                free(a->items[i].key);
                free(a->items[i].value);
                strv_free(a->items[i].argv);
        }
        free(a->items);
        *a = (UnitAssignments) {};
}

static int add_full(UnitAssignments *a, UnitSection section, const char *key, const char *value,
                    char **argv, bool passthrough) {
        _cleanup_free_ char *k = NULL, *v = NULL;
        _cleanup_strv_free_ char **copy = NULL;
        UnitAssignment *n;

        k = strdup(key);
        v = strdup(value);
        if (!k || !v)
                return -ENOMEM;
        if (argv) {
                copy = strv_copy(argv);
                if (!copy)
                        return -ENOMEM;
        }
        n = reallocarray(a->items, a->n_items + 1, sizeof(UnitAssignment));
        if (!n)
                return -ENOMEM;
        a->items = n;
        a->items[a->n_items++] = (UnitAssignment) {
                .section = section,
                .key = TAKE_PTR(k),
                .value = TAKE_PTR(v),
                .argv = TAKE_PTR(copy),
                .passthrough = passthrough,
        };
        return 0;
}

static int add(UnitAssignments *a, const char *key, const char *value) {
        return add_full(a, UNIT_SECTION_SERVICE, key, value, NULL, false);
}

_printf_(3, 4)
static int addf(UnitAssignments *a, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return add(a, key, v);
}

static int add_limit(UnitAssignments *a, const char *key, uint64_t v) {
        if (v == UINT64_UNSET)
                return 0;
        if (v == UINT64_INFINITY)
                return add(a, key, "infinity");
        return addf(a, key, "%llu", (unsigned long long) v);
}

static int format_prefix(int family, const uint8_t *address, unsigned prefixlen, char **ret) {
        char buf[INET6_ADDRSTRLEN];

        if (!inet_ntop(family, address, buf, sizeof(buf)))
                return -EINVAL;
        if (asprintf(ret, "%s/%u", buf, prefixlen) < 0)
                return -ENOMEM;
        return 0;
}

static int render_slice(const Session *s, UnitAssignments *a) {
        int r;

        r = add_limit(a, "MemoryMax", s->memory_max);
        if (r >= 0)
                r = add_limit(a, "MemoryHigh", s->memory_high);
        if (r >= 0)
                r = add_limit(a, "MemorySwapMax", s->memory_swap_max);
        if (r >= 0 && s->cpu_quota_per_sec_usec != UINT64_UNSET)
                r = addf(a, "CPUQuota", "%llu%%", (unsigned long long) (s->cpu_quota_per_sec_usec / 10000));
        if (r >= 0)
                r = add_limit(a, "CPUWeight", s->cpu_weight);
        if (r >= 0)
                r = add_limit(a, "TasksMax", s->tasks_max);
        if (r >= 0)
                r = add_limit(a, "IOWeight", s->io_weight);
        if (r < 0)
                return r;

        if (s->egress_default_allow)
                return 0;

        /* Static egress policy in the kernel (cgroup BPF), for every process in the slice.
         * Host names and ports are the business of sessiond's nftables sets on top. */
        r = add(a, "IPAddressDeny", "any");
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_egress_rules; i++) {
                _cleanup_free_ char *p = NULL;
                const EgressRule *e = s->egress_rules + i;

                r = format_prefix(e->family, e->address, e->prefixlen, &p);
                if (r < 0)
                        return r;
                r = add(a, "IPAddressAllow", p);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(d, s->dns_servers) {
                uint8_t address[16];
                int family;
                _cleanup_free_ char *p = NULL;

                r = parse_ip_address(*d, &family, address);
                if (r < 0)
                        return r;
                r = format_prefix(family, address, family == AF_INET ? 32 : 128, &p);
                if (r < 0)
                        return r;
                r = add(a, "IPAddressAllow", p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int render_exec(const Session *s, UnitAssignments *a) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *name_arg = NULL, *joined = NULL;
        size_t len = 0;
        int r;

        if (asprintf(&name_arg, "--name=%s", s->name) < 0)
                return -ENOMEM;
        argv = calloc(1, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        r = strv_extend(&argv, SESSIOND_AGENT_PATH);
        if (r >= 0)
                r = strv_extend(&argv, name_arg);
        if (r >= 0 && s->terminal)
                r = strv_extend(&argv, "--terminal");
        if (r >= 0 && s->exec) {
                r = strv_extend(&argv, "--");
                if (r >= 0)
                        r = strv_extend_strv(&argv, s->exec);
        }
        if (r < 0)
                return r;

        STRV_FOREACH(w, argv)
                len += strlen(*w) + 1;
        joined = calloc(1, len + 1);
        if (!joined)
                return -ENOMEM;
        STRV_FOREACH(w, argv) {
                if (w != argv)
                        strcat(joined, " ");
                strcat(joined, *w);
        }
        return add_full(a, UNIT_SECTION_SERVICE, "ExecStart", joined, argv, false);
}

/* True if the session has no network access at all: then the service gets its own network
 * namespace too. */
static bool egress_none(const Session *s) {
        return !s->egress_default_allow && s->n_egress_rules == 0 && s->n_egress_hosts == 0 &&
               strv_length(s->dns_servers) == 0;
}

static int render_workspace(const Session *s, UnitAssignments *a) {
        const char *target = s->workspace_target ?: "/workspace";

        switch (s->workspace_mode) {
        case WORKSPACE_NONE:
                return 0;
        case WORKSPACE_BIND:
                return addf(a, "BindPaths", "%s:%s", s->workspace_path, target);
        case WORKSPACE_BIND_RO:
        case WORKSPACE_OVERLAY:
                /* Overlay: the unit gets the read-only lower layer; sessiond mounts the
                 * writable overlay over it when it starts the session itself. */
                return addf(a, "BindReadOnlyPaths", "%s:%s", s->workspace_path, target);
        case WORKSPACE_TMPFS:
                if (s->workspace_size != UINT64_UNSET)
                        return addf(a, "TemporaryFileSystem", "%s:mode=1777,size=%llu", target,
                                    (unsigned long long) s->workspace_size);
                return addf(a, "TemporaryFileSystem", "%s:mode=1777", target);
        default:
                return -EINVAL;
        }
}

static int render_service(const Session *s, UnitAssignments *a) {
        _cleanup_free_ char *slice = NULL;
        const ProfileSetting *profile;
        size_t n_profile;
        int r;

        for (size_t i = 0; i < s->unit_section.n_entries; i++) {
                r = add_full(a, UNIT_SECTION_UNIT, s->unit_section.entries[i].key,
                             s->unit_section.entries[i].value, NULL, true);
                if (r < 0)
                        return r;
        }

        r = session_slice_name(s->name, &slice);
        if (r < 0)
                return r;
        r = add(a, "Slice", slice);
        if (r >= 0)
                r = add(a, "Type", "exec");
        if (r >= 0)
                r = render_exec(s, a);
        if (r >= 0 && s->working_directory)
                r = add(a, "WorkingDirectory", s->working_directory);
        STRV_FOREACH(e, s->environment)
                if (r >= 0)
                        r = add(a, "Environment", *e);
        if (r >= 0 && s->dynamic_user)
                r = add(a, "DynamicUser", "yes");
        if (r >= 0 && s->user)
                r = add(a, "User", s->user);
        if (r >= 0)
                r = addf(a, "RuntimeDirectory", "sessiond/agents/%s", s->name);
        if (r >= 0)
                r = add(a, "RuntimeDirectoryMode", "0700");
        if (r >= 0)
                r = add(a, "KillMode", "control-group");
        if (r >= 0 && s->max_runtime_usec != UINT64_UNSET)
                r = addf(a, "RuntimeMaxSec", "%llu", (unsigned long long) (s->max_runtime_usec / USEC_PER_SEC));
        if (r >= 0)
                r = addf(a, "LogExtraFields", "SESSIOND_SESSION=%s", s->name);
        if (r < 0)
                return r;

        profile = session_profile_settings(s->profile, &n_profile);
        if (!profile)
                return -EINVAL;
        for (size_t i = 0; i < n_profile; i++) {
                r = add(a, profile[i].key, profile[i].value);
                if (r < 0)
                        return r;
        }
        if (s->system_call_filter) {
                _cleanup_free_ char *joined = NULL;
                size_t len = 0;

                STRV_FOREACH(w, s->system_call_filter)
                        len += strlen(*w) + 1;
                joined = calloc(1, len + 1);
                if (!joined)
                        return -ENOMEM;
                STRV_FOREACH(w, s->system_call_filter) {
                        if (w != s->system_call_filter)
                                strcat(joined, " ");
                        strcat(joined, *w);
                }
                r = add(a, "SystemCallFilter", joined);
                if (r < 0)
                        return r;
        }
        if (egress_none(s)) {
                r = add(a, "PrivateNetwork", "yes");
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < s->n_credentials; i++) {
                const SessionCredential *c = s->credentials + i;

                r = addf(a, c->encrypted ? "LoadCredentialEncrypted" : "LoadCredential", "%s:%s", c->id, c->path);
                if (r < 0)
                        return r;
        }

        r = render_workspace(s, a);
        if (r < 0)
                return r;

        for (size_t i = 0; i < s->service_section.n_entries; i++) {
                r = add_full(a, UNIT_SECTION_SERVICE, s->service_section.entries[i].key,
                             s->service_section.entries[i].value, NULL, true);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->install_section.n_entries; i++) {
                r = add_full(a, UNIT_SECTION_INSTALL, s->install_section.entries[i].key,
                             s->install_section.entries[i].value, NULL, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

int session_render_assignments(const Session *s, UnitAssignments *ret_slice, UnitAssignments *ret_service) {
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        int r;

        assert(s);
        if (s->backend != SESSION_BACKEND_SERVICE)
                return -EOPNOTSUPP;
        if (!session_name_is_valid(s->name))
                return -EINVAL;

        r = render_slice(s, &slice);
        if (r < 0)
                return r;
        r = render_service(s, &service);
        if (r < 0)
                return r;

        if (ret_slice)
                *ret_slice = TAKE_GENERIC(slice, UnitAssignments, (UnitAssignments) {});
        if (ret_service)
                *ret_service = TAKE_GENERIC(service, UnitAssignments, (UnitAssignments) {});
        return 0;
}

int session_install_targets(const Session *s, char ***ret_wanted_by, char ***ret_required_by) {
        _cleanup_strv_free_ char **wanted = NULL, **required = NULL;
        int r;

        wanted = calloc(1, sizeof(char *));
        required = calloc(1, sizeof(char *));
        if (!wanted || !required)
                return -ENOMEM;
        if (s->auto_start) {
                r = strv_extend(&wanted, "multi-user.target");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->install_section.n_entries; i++) {
                const PassthroughEntry *e = s->install_section.entries + i;
                _cleanup_strv_free_ char **words = NULL;
                char ***l = streq(e->key, "RequiredBy") ? &required : &wanted;

                r = split_quoted(e->value, &words);
                if (r < 0)
                        return r;
                STRV_FOREACH(w, words)
                        if (!strv_contains(*l, *w)) {
                                r = strv_extend(l, *w);
                                if (r < 0)
                                        return r;
                        }
        }
        *ret_wanted_by = TAKE_PTR(wanted);
        *ret_required_by = TAKE_PTR(required);
        return 0;
}

/* ---- Unit-file text ---- */

int unit_file_quote_word(const char *w, bool for_exec, char **ret) {
        bool quote = isempty(w) || (for_exec && streq(w, ";"));
        char *s, *p;

        for (const char *c = w; *c; c++)
                if (strchr(" \t\"'\\", *c))
                        quote = true;

        s = malloc(strlen(w) * 2 + 3);
        if (!s)
                return -ENOMEM;
        p = s;
        if (quote)
                *p++ = '"';
        for (const char *c = w; *c; c++) {
                if (*c == '%')
                        *p++ = '%';
                else if (for_exec && *c == '$')
                        *p++ = '$';
                else if (quote && (*c == '"' || *c == '\\'))
                        *p++ = '\\';
                if (*c == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                        continue;
                }
                if (*c == '\t' && quote) {
                        *p++ = '\\';
                        *p++ = 't';
                        continue;
                }
                *p++ = *c;
        }
        if (quote)
                *p++ = '"';
        *p = 0;
        *ret = s;
        return 0;
}

typedef struct Buffer {
        FILE *f;
        char *data;
        size_t size;
} Buffer;

static void buffer_done(Buffer *b) {
        if (b->f)
                fclose(b->f);
        free(b->data);
}

static int buffer_open(Buffer *b) {
        b->f = open_memstream(&b->data, &b->size);
        return b->f ? 0 : -ENOMEM;
}

static int buffer_take(Buffer *b, char **ret) {
        int r = fclose(b->f) == 0 ? 0 : -ENOMEM;

        b->f = NULL;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b->data);
        return 0;
}

/* Writes one assignment. Values we made are escaped for specifiers ('%'); pass-through values
 * are the user's and are written as they are. */
static int write_assignment(FILE *f, const UnitAssignment *a) {
        _cleanup_free_ char *v = NULL;
        int r;

        if (a->passthrough) {
                fprintf(f, "%s=%s\n", a->key, a->value);
                return 0;
        }
        if (a->argv) {
                fprintf(f, "%s=", a->key);
                STRV_FOREACH(w, a->argv) {
                        _cleanup_free_ char *q = NULL;

                        r = unit_file_quote_word(*w, true, &q);
                        if (r < 0)
                                return r;
                        fprintf(f, "%s%s", w == a->argv ? "" : " ", q);
                }
                fputc('\n', f);
                return 0;
        }
        if (streq(a->key, "Environment"))
                r = unit_file_quote_word(a->value, false, &v);
        else if (streq(a->key, "CPUQuota")) {
                /* Parsed without specifier expansion by systemd: "200%" as it is. */
                v = strdup(a->value);
                r = v ? 0 : -ENOMEM;
        } else {
                /* Only '%' needs care here. */
                char *p;

                v = malloc(strlen(a->value) * 2 + 1);
                if (!v)
                        return -ENOMEM;
                p = v;
                for (const char *c = a->value; *c; c++) {
                        if (*c == '%')
                                *p++ = '%';
                        *p++ = *c;
                }
                *p = 0;
                r = 0;
        }
        if (r < 0)
                return r;
        fprintf(f, "%s=%s\n", a->key, v);
        return 0;
}

static void write_escaped(FILE *f, const char *s) {
        for (const char *c = s; *c; c++) {
                if (*c == '%')
                        fputc('%', f);
                fputc(*c, f);
        }
}

static int write_header(FILE *f, const Session *s, const char *what) {
        fputs("# Automatically generated by sessiond-generator\n\n[Unit]\nDescription=", f);
        if (s->description)
                write_escaped(f, s->description);
        else {
                fprintf(f, "sessiond session %s", s->name);
                if (what)
                        fprintf(f, " (%s)", what);
        }
        fputc('\n', f);
        if (s->source_path && s->source_path[0] == '/') {
                fputs("SourcePath=", f);
                write_escaped(f, s->source_path);
                fputc('\n', f);
        }
        return 0;
}

static int write_sections(FILE *f, const UnitAssignments *a, const char *main_section) {
        int r;

        for (UnitSection sec = UNIT_SECTION_UNIT; sec < _UNIT_SECTION_MAX; sec++) {
                bool any = false;

                for (size_t i = 0; i < a->n_items; i++) {
                        if (a->items[i].section != sec)
                                continue;
                        if (!any && sec != UNIT_SECTION_UNIT)
                                fprintf(f, "\n[%s]\n", sec == UNIT_SECTION_SERVICE ? main_section : "Install");
                        any = true;
                        r = write_assignment(f, a->items + i);
                        if (r < 0)
                                return r;
                }
                if (!any && sec == UNIT_SECTION_SERVICE)
                        fprintf(f, "\n[%s]\n", main_section);
        }
        return 0;
}

int session_render_unit_files(const Session *s, char **ret_slice_text, char **ret_service_text) {
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        _cleanup_(buffer_done) Buffer bs = {}, bv = {};
        _cleanup_free_ char *slice_text = NULL, *service_text = NULL;
        int r;

        r = session_render_assignments(s, &slice, &service);
        if (r < 0)
                return r;

        r = buffer_open(&bs);
        if (r < 0)
                return r;
        write_header(bs.f, s, "slice");
        r = write_sections(bs.f, &slice, "Slice");
        if (r < 0)
                return r;
        r = buffer_take(&bs, &slice_text);
        if (r < 0)
                return r;

        r = buffer_open(&bv);
        if (r < 0)
                return r;
        write_header(bv.f, s, NULL);
        r = write_sections(bv.f, &service, "Service");
        if (r < 0)
                return r;
        r = buffer_take(&bv, &service_text);
        if (r < 0)
                return r;

        if (ret_slice_text)
                *ret_slice_text = TAKE_PTR(slice_text);
        if (ret_service_text)
                *ret_service_text = TAKE_PTR(service_text);
        return 0;
}
