/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>

#include "session.h"
#include "string-util.h"
#include "strv.h"

Session *session_new(void) {
        Session *s;

        s = calloc(1, sizeof(Session));
        if (!s)
                return NULL;

        s->backend = SESSION_BACKEND_SERVICE;
        s->dynamic_user = true;
        s->profile = SESSION_PROFILE_RESTRICTIVE;
        s->max_runtime_usec = UINT64_UNSET;
        s->idle_timeout_usec = UINT64_UNSET;
        s->on_end = SESSION_ON_END_DISCARD;
        s->memory_max = UINT64_UNSET;
        s->memory_high = UINT64_UNSET;
        s->memory_swap_max = UINT64_UNSET;
        s->cpu_quota_per_sec_usec = UINT64_UNSET;
        s->cpu_weight = UINT64_UNSET;
        s->tasks_max = UINT64_UNSET;
        s->io_weight = UINT64_UNSET;
        s->workspace_mode = WORKSPACE_NONE;
        s->workspace_size = UINT64_UNSET;
        return s;
}

static void passthrough_section_done(PassthroughSection *p) {
        for (size_t i = 0; i < p->n_entries; i++) {
                free(p->entries[i].key);
                free(p->entries[i].value);
        }
        free(p->entries);
        *p = (PassthroughSection) {};
}

Session *session_free(Session *s) {
        if (!s)
                return NULL;

        free(s->name);
        free(s->source_path);
        free(s->description);
        strv_free(s->exec);
        free(s->user);
        strv_free(s->system_call_filter);
        free(s->image);
        strv_free(s->environment);
        free(s->working_directory);

        free(s->egress_rules);
        for (size_t i = 0; i < s->n_egress_hosts; i++)
                free(s->egress_hosts[i].name);
        free(s->egress_hosts);
        strv_free(s->dns_servers);

        free(s->workspace_path);
        free(s->workspace_target);

        for (size_t i = 0; i < s->n_credentials; i++) {
                free(s->credentials[i].id);
                free(s->credentials[i].path);
        }
        free(s->credentials);

        passthrough_section_done(&s->unit_section);
        passthrough_section_done(&s->service_section);
        passthrough_section_done(&s->install_section);

        free(s);
        return NULL;
}

static const char *const backend_table[_SESSION_BACKEND_MAX] = {
        [SESSION_BACKEND_SERVICE] = "service",
        [SESSION_BACKEND_NSPAWN] = "nspawn",
        [SESSION_BACKEND_VMSPAWN] = "vmspawn",
};

static const char *const profile_table[_SESSION_PROFILE_MAX] = {
        [SESSION_PROFILE_RESTRICTIVE] = "restrictive",
        [SESSION_PROFILE_MODERATE] = "moderate",
        [SESSION_PROFILE_PERMISSIVE] = "permissive",
};

static const char *const on_end_table[_SESSION_ON_END_MAX] = {
        [SESSION_ON_END_DISCARD] = "discard",
        [SESSION_ON_END_PERSIST] = "persist",
};

static const char *const workspace_mode_table[_WORKSPACE_MODE_MAX] = {
        [WORKSPACE_NONE] = "none",
        [WORKSPACE_OVERLAY] = "overlay",
        [WORKSPACE_BIND] = "bind",
        [WORKSPACE_BIND_RO] = "bind-ro",
        [WORKSPACE_TMPFS] = "tmpfs",
};

static int lookup(const char *const *table, int n, const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return i;
        return -EINVAL;
}

#define DEFINE_STRING_TABLE(name, type, table, max)                             \
        const char *name##_to_string(type v) {                                  \
                if ((int) v < 0 || (int) v >= (max))                            \
                        return NULL;                                            \
                return table[v];                                                \
        }                                                                       \
        type name##_from_string(const char *s) {                                \
                return (type) lookup(table, (max), s);                          \
        }

DEFINE_STRING_TABLE(session_backend, SessionBackend, backend_table, _SESSION_BACKEND_MAX)
DEFINE_STRING_TABLE(session_profile, SessionProfile, profile_table, _SESSION_PROFILE_MAX)
DEFINE_STRING_TABLE(session_on_end, SessionOnEnd, on_end_table, _SESSION_ON_END_MAX)
DEFINE_STRING_TABLE(workspace_mode, WorkspaceMode, workspace_mode_table, _WORKSPACE_MODE_MAX)

bool session_name_is_valid(const char *name) {
        size_t n;

        if (isempty(name))
                return false;
        n = strlen(name);
        if (n > SESSION_NAME_MAX)
                return false;
        if (name[0] == '.' || name[0] == '-')
                return false;
        for (const char *p = name; *p; p++)
                if (!isascii((unsigned char) *p) ||
                    (!isalnum((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-'))
                        return false;
        return true;
}

int session_unit_name(const char *name, char **ret) {
        char *s;

        if (!session_name_is_valid(name))
                return -EINVAL;
        s = strjoin("sessiond-", name, ".service");
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int session_slice_name(const char *name, char **ret) {
        _cleanup_free_ char *s = NULL;
        char *p;

        if (!session_name_is_valid(name))
                return -EINVAL;

        /* In slice names '-' means nesting: escape it as systemd-escape does, so that the slice
         * is exactly one level below sessiond.slice. */
        s = malloc(strlen("sessiond-") + strlen(name) * 4 + strlen(".slice") + 1);
        if (!s)
                return -ENOMEM;
        p = stpcpy(s, "sessiond-");
        for (const char *c = name; *c; c++)
                if (*c == '-')
                        p = stpcpy(p, "\\x2d");
                else
                        *p++ = *c;
        strcpy(p, ".slice");
        *ret = TAKE_PTR(s);
        return 0;
}
