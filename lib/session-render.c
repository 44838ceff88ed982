/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "egress-policy.h"
#include "egress-stub-config.h"
#include "egress.h"
#include "parse-util.h"
#include "session-profile.h"
#include "session-render.h"
#include "session-render-internal.h"
#include "string-util.h"
#include "strv.h"

/* Strings of a list live in chunks that never move, so pointers into them stay valid while
 * the list grows: one allocation per few dozen assignments instead of two per assignment. */
struct UnitAssignmentChunk {
        UnitAssignmentChunk *next;
        size_t size, used;
        char data[];
};

#define CHUNK_SIZE 4096

void unit_assignments_done(UnitAssignments *a) {
        if (!a)
                return;
        free(a->items);
        while (a->chunks) {
                UnitAssignmentChunk *next = a->chunks->next;

                free(a->chunks);
                a->chunks = next;
        }
        *a = (UnitAssignments) {};
}

/* n bytes in the list's chunks, at a multiple of 'align' (a power of two). */
static void *chunk_alloc(UnitAssignments *a, size_t n, size_t align) {
        UnitAssignmentChunk *c = a->chunks;
        size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;

        if (!c || at > c->size || c->size - at < n) {
                size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;

                c = malloc(sizeof(UnitAssignmentChunk) + size);
                if (!c)
                        return NULL;
                c->size = size;
                c->used = 0;
                c->next = a->chunks;
                a->chunks = c;
                at = 0;
        }
        c->used = at + n;
        return c->data + at;
}

/* Copies n bytes of s into the list's chunks, NUL-terminated. */
static const char *intern_n(UnitAssignments *a, const char *s, size_t n) {
        char *p = chunk_alloc(a, n + 1, 1);

        if (!p)
                return NULL;
        memcpy(p, s, n);
        p[n] = 0;
        return p;
}

static const char *intern(UnitAssignments *a, const char *s) {
        return intern_n(a, s, strlen(s));
}

/* p1 followed by p2, in the list's chunks. */
static const char *intern_join(UnitAssignments *a, const char *p1, const char *p2) {
        size_t n1 = strlen(p1), n2 = strlen(p2);
        char *p = chunk_alloc(a, n1 + n2 + 1, 1);

        if (!p)
                return NULL;
        memcpy(p, p1, n1);
        memcpy(p + n1, p2, n2 + 1);
        return p;
}

/* A NULL-terminated copy of n words, pointer array and strings in the list's chunks. */
static char **intern_argv(UnitAssignments *a, const char *const *argv, size_t n) {
        char **v = chunk_alloc(a, (n + 1) * sizeof(char *), _Alignof(char *));

        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                v[i] = (char *) intern(a, argv[i]);
                if (!v[i])
                        return NULL;
        }
        v[n] = NULL;
        return v;
}

/* 'key' must be a static string or be interned by the caller; so must 'value' if !copy_value. */
static int add_raw(UnitAssignments *a, UnitSection section, const char *key, const char *value,
                   bool copy_value, const char *const *argv, size_t n_argv, bool passthrough) {
        char **copy = NULL;
        const char *v = value;

        if (copy_value) {
                v = intern(a, value);
                if (!v)
                        return -ENOMEM;
        }
        if (argv) {
                copy = intern_argv(a, argv, n_argv);
                if (!copy)
                        return -ENOMEM;
        }
        if (a->n_items >= a->n_allocated) {
                size_t n = a->n_allocated ? a->n_allocated * 2 : 64;
                UnitAssignment *items = reallocarray(a->items, n, sizeof(UnitAssignment));

                if (!items)
                        return -ENOMEM;
                a->items = items;
                a->n_allocated = n;
        }
        a->items[a->n_items++] = (UnitAssignment) {
                .section = section,
                .key = key,
                .value = v,
                .argv = copy,
                .passthrough = passthrough,
        };
        return 0;
}

static int add_full(UnitAssignments *a, UnitSection section, const char *key, const char *value,
                    bool passthrough) {
        return add_raw(a, section, key, value, true, NULL, 0, passthrough);
}

static int add(UnitAssignments *a, const char *key, const char *value) {
        return add_full(a, UNIT_SECTION_SERVICE, key, value, false);
}

int unit_assignment_add_full(UnitAssignments *a, UnitSection section, const char *key, const char *value,
                             char **argv, bool passthrough) {
        return add_raw(a, section, key, value, true, (const char *const *) argv, strv_length(argv), passthrough);
}

int unit_assignment_add(UnitAssignments *a, const char *key, const char *value) {
        return add(a, key, value);
}

/* For string literals and the static profile table: nothing to copy, and nothing in them
 * that a unit file would expand ('%') or that needs quoting. */
static int add_static(UnitAssignments *a, const char *key, const char *value) {
        int r;

        r = add_raw(a, UNIT_SECTION_SERVICE, key, value, false, NULL, 0, false);
        if (r < 0)
                return r;
        a->items[a->n_items - 1].plain = true;
        return 0;
}

static int add_passthrough(UnitAssignments *a, UnitSection section, const PassthroughEntry *e) {
        const char *k = intern(a, e->key);

        if (!k)
                return -ENOMEM;
        return add_full(a, section, k, e->value, true);
}

/* Joins up to four pieces without printf. */
static int add4(UnitAssignments *a, const char *key, const char *p1, const char *p2, const char *p3,
                const char *p4) {
        char buf[512];
        _cleanup_free_ char *big = NULL;
        size_t n1 = strlen(p1), n2 = p2 ? strlen(p2) : 0, n3 = p3 ? strlen(p3) : 0, n4 = p4 ? strlen(p4) : 0;
        char *d = buf;

        if (n1 + n2 + n3 + n4 + 1 > sizeof(buf)) {
                big = malloc(n1 + n2 + n3 + n4 + 1);
                if (!big)
                        return -ENOMEM;
                d = big;
        }
        memcpy(d, p1, n1);
        if (n2)
                memcpy(d + n1, p2, n2);
        if (n3)
                memcpy(d + n1 + n2, p3, n3);
        if (n4)
                memcpy(d + n1 + n2 + n3, p4, n4);
        d[n1 + n2 + n3 + n4] = 0;
        return add(a, key, d);
}

static int add_u64(UnitAssignments *a, const char *key, uint64_t v, const char *suffix) {
        char buf[21];

        return add4(a, key, u64_to_string(v, buf), suffix, NULL, NULL);
}

static int add_limit(UnitAssignments *a, const char *key, uint64_t v) {
        if (v == UINT64_UNSET)
                return 0;
        if (v == UINT64_INFINITY)
                return add_static(a, key, "infinity");
        return add_u64(a, key, v, NULL);
}

/* Dotted quad without printf (glibc's inet_ntop() formats each byte with sprintf()). */
static char *ipv4_to_string(const uint8_t address[static 4], char buf[static INET_ADDRSTRLEN]) {
        char *p = buf;

        for (size_t i = 0; i < 4; i++) {
                uint8_t b = address[i];

                if (i > 0)
                        *p++ = '.';
                if (b >= 100)
                        *p++ = (char) ('0' + b / 100);
                if (b >= 10)
                        *p++ = (char) ('0' + b / 10 % 10);
                *p++ = (char) ('0' + b % 10);
        }
        *p = 0;
        return buf;
}

static int add_prefix(UnitAssignments *a, const char *key, int family, const uint8_t *address, unsigned prefixlen) {
        char buf[INET6_ADDRSTRLEN], len[21];

        if (family == AF_INET)
                ipv4_to_string(address, buf);
        else if (!inet_ntop(family, address, buf, sizeof(buf)))
                return -EINVAL;
        return add4(a, key, buf, "/", u64_to_string(prefixlen, len), NULL);
}

/* True if the session has no network access at all: then the service gets its own network
 * namespace too, and nftables (which filters in the host's namespace) has nothing to do. */
bool session_egress_none(const Session *s) {
        return !s->egress_default_allow && s->n_egress_rules == 0 && s->n_egress_hosts == 0 &&
               strv_length(s->dns_servers) == 0;
}

int session_render_slice(const Session *s, UnitAssignments *a) {
        int r;

        r = add_limit(a, "MemoryMax", s->memory_max);
        if (r >= 0)
                r = add_limit(a, "MemoryHigh", s->memory_high);
        if (r >= 0)
                r = add_limit(a, "MemorySwapMax", s->memory_swap_max);
        if (r >= 0 && s->cpu_quota_per_sec_usec != UINT64_UNSET)
                r = add_u64(a, "CPUQuota", s->cpu_quota_per_sec_usec / 10000, "%");
        if (r >= 0)
                r = add_limit(a, "CPUWeight", s->cpu_weight);
        if (r >= 0)
                r = add_limit(a, "TasksMax", s->tasks_max);
        if (r >= 0)
                r = add_limit(a, "IOWeight", s->io_weight);
        if (r < 0)
                return r;

        if (!session_egress_none(s)) {
                _cleanup_free_ char *set = NULL;

                /* systemd puts the slice's cgroup into the session's set in table inet sessiond,
                 * which sends its packets through the session's chain (see lib/egress.h). */
                r = egress_cgroup_set_name(s->name, &set);
                if (r < 0)
                        return r;
                r = add4(a, "NFTSet", "cgroup:" EGRESS_FAMILY ":" EGRESS_TABLE ":", set, NULL, NULL);
                if (r < 0)
                        return r;
        }

        return session_render_ip_policy(s, a);
}

int session_render_ip_policy(const Session *s, UnitAssignments *a) {
        int r;

        if (s->egress_default_allow)
                return 0;
        /* A packet has to pass both the cgroup BPF filter and nftables. The addresses that
         * AllowHost= names resolve to are known only at run time, to nftables: the BPF filter
         * cannot follow them, so such sessions are filtered by nftables alone (their chain ends
         * in a drop, and the catch-all drops them while they have no chain). */
        if (s->n_egress_hosts > 0)
                return 0;
        /* An nspawn session's packets leave its network namespace only through its veth, where
         * the host's forward and input hooks send them through the session's chain, which counts
         * what it drops. The cgroup BPF filter would drop them first, inside the container, where
         * nothing counts them (for a service session nftables' output hook comes first). */
        if (s->backend == SESSION_BACKEND_NSPAWN && !session_egress_none(s))
                return 0;

        /* Static egress policy in the kernel (cgroup BPF), for every process in the slice.
         * Protocols and ports are the business of the nftables chain on top. */
        r = add_static(a, "IPAddressDeny", "any");
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_egress_rules; i++) {
                const EgressRule *e = s->egress_rules + i;

                r = add_prefix(a, "IPAddressAllow", e->family, e->address, e->prefixlen);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(d, s->dns_servers) {
                uint8_t address[16];
                int family;

                r = parse_ip_address(*d, &family, address);
                if (r < 0)
                        return r;
                r = add_prefix(a, "IPAddressAllow", family, address, family == AF_INET ? 32 : 128);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An Exec*= assignment from argv; the value is the argv joined by spaces, for information. */
static int add_exec(UnitAssignments *a, const char *key, const char *const *argv, size_t n, bool privileged) {
        size_t len = 0;
        char *joined, *p;
        int r;

        for (size_t i = 0; i < n; i++)
                len += strlen(argv[i]) + 1;
        joined = chunk_alloc(a, len + 2, 1);
        if (!joined)
                return -ENOMEM;
        p = joined;
        if (privileged)
                *p++ = '+';
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        *p++ = ' ';
                p = stpcpy(p, argv[i]);
        }
        *p = 0;
        r = add_raw(a, UNIT_SECTION_SERVICE, key, joined, false, argv, n, false);
        if (r < 0)
                return r;
        a->items[a->n_items - 1].privileged = privileged;
        return 0;
}

int unit_assignment_add_exec(UnitAssignments *a, const char *key, char **argv, bool privileged) {
        return add_exec(a, key, (const char *const *) argv, strv_length(argv), privileged);
}

int session_egress_argv(const Session *s, const char *verb, const char *interface, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        assert(s);
        assert(verb);
        assert(ret);

        r = strv_extend(&argv, SESSIOND_EGRESS_PATH);
        if (r >= 0)
                r = strv_extend(&argv, verb);
        if (r >= 0)
                r = strv_extend(&argv, s->name);
        if (r >= 0 && interface)
                r = strv_consume(&argv, strjoin("--interface=", interface));
        if (r >= 0 && s->egress_default_allow) {
                r = strv_extend(&argv, "--allow=0.0.0.0/0");
                if (r >= 0)
                        r = strv_extend(&argv, "--allow=::/0");
        }
        for (size_t i = 0; r >= 0 && i < s->n_egress_rules; i++) {
                _cleanup_free_ char *rule = NULL;

                r = egress_rule_to_string(s->egress_rules + i, &rule);
                if (r >= 0)
                        r = strv_consume(&argv, strjoin("--allow=", rule));
        }
        for (size_t i = 0; r >= 0 && i < s->n_egress_hosts; i++) {
                _cleanup_free_ char *host = NULL;

                r = egress_host_to_string(s->egress_hosts + i, &host);
                if (r >= 0)
                        r = strv_consume(&argv, strjoin("--allow-host=", host));
        }
        STRV_FOREACH(d, s->dns_servers) {
                if (r < 0)
                        break;
                /* With AllowHost= the DNS= servers are the upstreams of the session's stub, which
                 * the session itself never reaches; without, the session may ask them directly. */
                if (s->n_egress_hosts > 0)
                        r = strv_consume(&argv, strjoin("--dns=", *d));
                else
                        r = strv_consume(&argv, strjoin("--allow=", *d, " :53"));
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

/* The session's nftables chain is set up and removed by the unit itself, with full privileges
 * ('+'), so that egress is enforced whether or not sessiond runs: sessiond-egress setup NAME
 * --allow=RULE... before the session starts, sessiond-egress remove NAME after it stopped. */
int session_render_egress(const Session *s, const char *interface, UnitAssignments *a) {
        _cleanup_strv_free_ char **setup = NULL;
        int r;

        if (session_egress_none(s))
                return 0;

        r = session_egress_argv(s, "setup", interface, &setup);
        if (r >= 0)
                r = add_exec(a, "ExecStartPre", (const char *const *) setup, strv_length(setup), true);
        if (r >= 0)
                r = add_exec(a, "ExecStopPost",
                             (const char *const[]) { SESSIOND_EGRESS_PATH, "remove", s->name }, 3, true);
        return r;
}

static int render_exec(const Session *s, UnitAssignments *a) {
        _cleanup_free_ const char **argv = NULL;
        size_t n = 0;

        argv = calloc(4 + strv_length(s->exec), sizeof(const char *));
        if (!argv)
                return -ENOMEM;
        argv[n++] = SESSIOND_AGENT_PATH;
        argv[n] = intern_join(a, "--name=", s->name);
        if (!argv[n++])
                return -ENOMEM;
        if (s->terminal)
                argv[n++] = "--terminal";
        if (s->exec) {
                argv[n++] = "--";
                STRV_FOREACH(w, s->exec)
                        argv[n++] = *w;
        }
        return add_exec(a, "ExecStart", argv, n, false);
}

/* An argv of the words that are not NULL. */
static int argv_from_words(char ***ret, const char * const *words, size_t n) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (words[i]) {
                        r = strv_extend(&l, words[i]);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Workspaces that must outlive the unit's own mount namespace (overlay; tmpfs whose content
 * OnEnd=persist keeps) are mounted by sessiond-workspace with full privileges around the
 * session, as lib/workspace.h describes: "setup" before it starts ("restore" first when
 * sessiond starts it with restore), "teardown" (--persist for OnEnd=persist) after it ended,
 * whatever ended it (stop, RuntimeMaxSec=, a crash: ExecStopPost= runs for all of them), and
 * the unit binds the merged directory. '-': the source does not exist yet when PID 1 builds
 * the namespace of the '+' commands. With userns (Backend=nspawn, vmspawn: the session's uids are
 * the container's or the VM's own) the helper makes the top mode 1777 instead of owned by the
 * unit's user, and nspawn (vmspawn: its virtiofsd) shares the merged directory itself. */
int session_render_workspace_helper(const Session *s, UnitAssignments *a, const char *target, bool userns) {
        _cleanup_strv_free_ char **restore = NULL, **setup = NULL, **teardown = NULL;
        _cleanup_free_ char *mode = NULL, *path = NULL, *size = NULL;
        int r;

        mode = strjoin("--mode=", workspace_mode_to_string(s->workspace_mode));
        if (!mode)
                return -ENOMEM;
        if (s->workspace_path) {
                path = strjoin("--path=", s->workspace_path);
                if (!path)
                        return -ENOMEM;
        }
        if (s->workspace_size != UINT64_UNSET) {
                char buf[21];

                size = strjoin("--size=", u64_to_string(s->workspace_size, buf));
                if (!size)
                        return -ENOMEM;
        }

        r = argv_from_words(&restore, (const char *[]) { SESSIOND_WORKSPACE_PATH, "restore", s->name }, 3);
        if (r >= 0)
                r = argv_from_words(&setup, (const char *[]) { SESSIOND_WORKSPACE_PATH, "setup", s->name,
                                                                mode, path, size, userns ? "--userns" : NULL }, 7);
        if (r >= 0)
                r = argv_from_words(&teardown, (const char *[]) { SESSIOND_WORKSPACE_PATH, "teardown", s->name,
                                                                   s->on_end == SESSION_ON_END_PERSIST ? "--persist" : NULL }, 4);
        if (r < 0)
                return r;

        if (s->workspace_restore) {
                r = unit_assignment_add_exec(a, "ExecStartPre", restore, true);
                if (r < 0)
                        return r;
        }
        r = unit_assignment_add_exec(a, "ExecStartPre", setup, true);
        if (r >= 0)
                r = unit_assignment_add_exec(a, "ExecStopPost", teardown, true);
        if (r >= 0 && !userns)
                r = add4(a, "BindPaths", "-" SESSIOND_RUNTIME_DIR "/workspaces/", s->name, "/merged:", target);
        return r;
}

static int render_workspace(const Session *s, UnitAssignments *a) {
        const char *target = s->workspace_target ?: "/workspace";

        if (s->workspace_mode == WORKSPACE_OVERLAY ||
            (s->workspace_mode == WORKSPACE_TMPFS && s->on_end == SESSION_ON_END_PERSIST))
                return session_render_workspace_helper(s, a, target, false);

        switch (s->workspace_mode) {
        case WORKSPACE_NONE:
                return 0;
        case WORKSPACE_BIND:
                return add4(a, "BindPaths", s->workspace_path, ":", target, NULL);
        case WORKSPACE_BIND_RO:
                return add4(a, "BindReadOnlyPaths", s->workspace_path, ":", target, NULL);
        case WORKSPACE_TMPFS:
                if (s->workspace_size != UINT64_UNSET) {
                        char buf[21];

                        return add4(a, "TemporaryFileSystem", target, ":mode=1777,size=",
                                    u64_to_string(s->workspace_size, buf), NULL);
                }
                return add4(a, "TemporaryFileSystem", target, ":mode=1777", NULL, NULL);
        default:
                return -EINVAL;
        }
}

/* A session with AllowHost= resolves through its own DNS stub (see lib/egress-stub-config.h):
 * sessiond-egress setup writes the resolv.conf naming it before the session's processes start.
 * Optional ('-'), because systemd sets up the namespace for ExecStartPre=+ too, before setup has
 * written the file; should it be missing later, the session sees the host's resolvers, which its
 * chain does not let it reach: no names, and nothing opens. */
static int render_dns_stub(const Session *s, UnitAssignments *a) {
        _cleanup_free_ char *file = NULL;
        int r;

        if (s->n_egress_hosts == 0)
                return 0;
        r = egress_stub_resolv_file(s->name, &file);
        if (r < 0)
                return r;
        return add4(a, "BindReadOnlyPaths", "-" EGRESS_STUB_DIR "/", file, ":/etc/resolv.conf", NULL);
}

static int render_service(const Session *s, UnitAssignments *a) {
        _cleanup_free_ char *slice = NULL;
        const ProfileSetting *profile;
        size_t n_profile;
        int r;

        for (size_t i = 0; i < s->unit_section.n_entries; i++) {
                r = add_passthrough(a, UNIT_SECTION_UNIT, s->unit_section.entries + i);
                if (r < 0)
                        return r;
        }

        if (!session_egress_none(s)) {
                /* The table (and its fail-closed catch-all) before the session's own chain. */
                r = add_full(a, UNIT_SECTION_UNIT, "Requires", "sessiond-egress.service", false);
                if (r >= 0)
                        r = add_full(a, UNIT_SECTION_UNIT, "After", "sessiond-egress.service", false);
                if (r < 0)
                        return r;
        }

        r = session_slice_name(s->name, &slice);
        if (r < 0)
                return r;
        r = add(a, "Slice", slice);
        if (r >= 0)
                r = add_static(a, "Type", "exec");
        if (r >= 0)
                r = render_exec(s, a);
        if (r >= 0)
                r = session_render_egress(s, NULL, a);
        if (r >= 0 && s->working_directory)
                r = add(a, "WorkingDirectory", s->working_directory);
        STRV_FOREACH(e, s->environment)
                if (r >= 0)
                        r = add(a, "Environment", *e);
        if (r >= 0 && s->dynamic_user)
                r = add_static(a, "DynamicUser", "yes");
        if (r >= 0 && s->user)
                r = add(a, "User", s->user);
        if (r >= 0)
                r = add4(a, "RuntimeDirectory", "sessiond/agents/", s->name, NULL, NULL);
        if (r >= 0)
                r = add_static(a, "RuntimeDirectoryMode", "0700");
        if (r >= 0)
                r = add_static(a, "KillMode", "control-group");
        if (r >= 0 && s->max_runtime_usec != UINT64_UNSET)
                r = add_u64(a, "RuntimeMaxSec", s->max_runtime_usec / USEC_PER_SEC, NULL);
        if (r >= 0)
                r = add4(a, "LogExtraFields", "SESSIOND_SESSION=", s->name, NULL, NULL);
        if (r < 0)
                return r;

        profile = session_profile_settings(s->profile, &n_profile);
        if (!profile)
                return -EINVAL;
        for (size_t i = 0; i < n_profile; i++) {
                r = add_static(a, profile[i].key, profile[i].value);
                if (r < 0)
                        return r;
        }
        if (s->system_call_filter) {
                _cleanup_free_ char *joined = NULL;
                size_t len = 0;

                STRV_FOREACH(w, s->system_call_filter)
                        len += strlen(*w) + 1;
                joined = malloc(len + 1);
                if (!joined)
                        return -ENOMEM;
                {
                        char *p = joined;

                        STRV_FOREACH(w, s->system_call_filter) {
                                if (w != s->system_call_filter)
                                        *p++ = ' ';
                                p = stpcpy(p, *w);
                        }
                        *p = 0;
                }
                r = add(a, "SystemCallFilter", joined);
                if (r < 0)
                        return r;
        }
        if (session_egress_none(s)) {
                r = add_static(a, "PrivateNetwork", "yes");
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < s->n_credentials; i++) {
                const SessionCredential *c = s->credentials + i;

                r = add4(a, c->encrypted ? "LoadCredentialEncrypted" : "LoadCredential", c->id, ":", c->path, NULL);
                if (r < 0)
                        return r;
        }

        r = render_workspace(s, a);
        if (r >= 0)
                r = render_dns_stub(s, a);
        if (r < 0)
                return r;

        for (size_t i = 0; i < s->service_section.n_entries; i++) {
                r = add_passthrough(a, UNIT_SECTION_SERVICE, s->service_section.entries + i);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->install_section.n_entries; i++) {
                r = add_passthrough(a, UNIT_SECTION_INSTALL, s->install_section.entries + i);
                if (r < 0)
                        return r;
        }
        return 0;
}

int session_render_assignments(const Session *s, UnitAssignments *ret_slice, UnitAssignments *ret_service) {
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        int r;

        assert(s);
        if (!session_name_is_valid(s->name))
                return -EINVAL;

        r = session_render_slice(s, &slice);
        if (r < 0)
                return r;
        switch (s->backend) {
        case SESSION_BACKEND_SERVICE:
                r = render_service(s, &service);
                break;
        case SESSION_BACKEND_NSPAWN:
                r = session_render_nspawn_service(s, &service);
                break;
        case SESSION_BACKEND_VMSPAWN:
                r = session_render_vmspawn_service(s, &service);
                break;
        default:
                return -EOPNOTSUPP;
        }
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

/* A growing output buffer; appends are memcpy()s. */
typedef struct Buffer {
        char *data;
        size_t size, allocated;
        bool oom;
} Buffer;

static void buffer_done(Buffer *b) {
        free(b->data);
}

static void put_n(Buffer *b, const char *s, size_t n) {
        if (b->size + n + 1 > b->allocated) {
                if (b->oom)
                        return;
                size_t want = b->allocated ? b->allocated * 2 : 4096;
                char *d;

                while (want < b->size + n + 1)
                        want *= 2;
                d = realloc(b->data, want);
                if (!d) {
                        b->oom = true;
                        return;
                }
                b->data = d;
                b->allocated = want;
        }
        memcpy(b->data + b->size, s, n);
        b->size += n;
}

static void put(Buffer *b, const char *s) {
        put_n(b, s, strlen(s));
}

/* Writes s with every '%' doubled (no specifier expansion by systemd). */
static void put_escaped(Buffer *b, const char *s) {
        for (;;) {
                const char *pct = strchrnul(s, '%');

                put_n(b, s, (size_t) (pct - s));
                if (!*pct)
                        return;
                put_n(b, "%%", 2);
                s = pct + 1;
        }
}

static int buffer_take(Buffer *b, char **ret) {
        if (b->oom)
                return -ENOMEM;
        if (!b->data) {
                b->data = strdup("");
                if (!b->data)
                        return -ENOMEM;
        }
        b->data[b->size] = 0;   /* put_n() always leaves room for it */
        *ret = TAKE_PTR(b->data);
        return 0;
}

static bool needs_quoting(const char *w, bool for_exec) {
        return isempty(w) || (for_exec && streq(w, ";")) || w[strcspn(w, " \t\"'\\\n")];
}

/* "KEY=VALUE\n" with one capacity check: the common case. */
static void put_line(Buffer *b, const char *key, const char *value) {
        size_t k = strlen(key), v = strlen(value);
        char *p;

        if (b->size + k + v + 3 > b->allocated) {
                put_n(b, key, k);
                put_n(b, "=", 1);
                put_n(b, value, v);
                put_n(b, "\n", 1);
                return;
        }
        p = b->data + b->size;
        memcpy(p, key, k);
        p[k] = '=';
        memcpy(p + k + 1, value, v);
        p[k + 1 + v] = '\n';
        b->size += k + v + 2;
}

/* Writes one assignment. Values we made are escaped for specifiers ('%'); pass-through values
 * are the user's and are written as they are. */
static int write_assignment(Buffer *b, const UnitAssignment *a) {
        if (a->plain || a->passthrough ||
            (!a->argv && !strchr(a->value, '%') &&
             !(streq(a->key, "Environment") && needs_quoting(a->value, false)))) {
                put_line(b, a->key, a->value);
                return 0;
        }
        put(b, a->key);
        put_n(b, "=", 1);
        if (a->privileged)
                put_n(b, "+", 1);
        if (a->passthrough)
                put(b, a->value);
        else if (a->argv) {
                STRV_FOREACH(w, a->argv) {
                        if (w != a->argv)
                                put_n(b, " ", 1);
                        if (!needs_quoting(*w, true) && !(*w)[strcspn(*w, "%$")])
                                put(b, *w);
                        else {
                                _cleanup_free_ char *q = NULL;
                                int r = unit_file_quote_word(*w, true, &q);

                                if (r < 0)
                                        return r;
                                put(b, q);
                        }
                }
        } else if (streq(a->key, "CPUQuota"))
                put(b, a->value);       /* parsed without specifier expansion: "200%" as it is */
        else if (streq(a->key, "Environment") && needs_quoting(a->value, false)) {
                _cleanup_free_ char *q = NULL;
                int r = unit_file_quote_word(a->value, false, &q);

                if (r < 0)
                        return r;
                put(b, q);
        } else
                put_escaped(b, a->value);
        put_n(b, "\n", 1);
        return 0;
}

static void write_header(Buffer *b, const Session *s, const char *what) {
        put(b, "# Automatically generated by sessiond-generator\n\n[Unit]\nDescription=");
        if (s->description)
                put_escaped(b, s->description);
        else {
                put(b, "sessiond session ");
                put(b, s->name);
                if (what) {
                        put(b, " (");
                        put(b, what);
                        put(b, ")");
                }
        }
        put_n(b, "\n", 1);
        if (s->source_path && s->source_path[0] == '/') {
                put(b, "SourcePath=");
                put_escaped(b, s->source_path);
                put_n(b, "\n", 1);
        }
}

static void write_section_header(Buffer *b, UnitSection sec, const char *main_section) {
        put(b, "\n[");
        put(b, sec == UNIT_SECTION_SERVICE ? main_section : "Install");
        put(b, "]\n");
}

/* [Unit] (its header is already written), then the main section (written even when empty),
 * then [Install] if anything goes there. The renderer adds the items in this order. */
static int write_sections(Buffer *b, const UnitAssignments *a, const char *main_section) {
        UnitSection cur = UNIT_SECTION_UNIT;
        int r;

        for (size_t i = 0; i < a->n_items; i++) {
                UnitSection sec = a->items[i].section;

                assert(sec >= cur);
                for (; cur < sec; cur++)
                        if (cur + 1 == UNIT_SECTION_SERVICE || cur + 1 == sec)
                                write_section_header(b, cur + 1, main_section);
                r = write_assignment(b, a->items + i);
                if (r < 0)
                        return r;
        }
        if (cur == UNIT_SECTION_UNIT)
                write_section_header(b, UNIT_SECTION_SERVICE, main_section);
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

        write_header(&bs, s, "slice");
        r = write_sections(&bs, &slice, "Slice");
        if (r < 0)
                return r;
        r = buffer_take(&bs, &slice_text);
        if (r < 0)
                return r;

        write_header(&bv, s, NULL);
        r = write_sections(&bv, &service, "Service");
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
