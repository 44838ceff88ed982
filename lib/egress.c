/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <systemd/sd-json.h>

#include "egress.h"

struct EgressContext {
        struct nft_ctx *nft;
        char *error;            /* libnftables' buffers reset when read: keep the last error here */
};


/* Per-session sets, in the order they are created (and deleted). */
static const char *const session_sets[] = {
        "cg", "dns4", "dns6", "dns4p", "dns6p",
};

int egress_ctx_new(EgressContext **ret) {
        _cleanup_free_ EgressContext *ctx = NULL;

        assert(ret);

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->nft = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx->nft)
                return -ENOMEM;
        if (nft_ctx_buffer_output(ctx->nft) < 0 || nft_ctx_buffer_error(ctx->nft) < 0) {
                nft_ctx_free(ctx->nft);
                return -ENOMEM;
        }
        *ret = TAKE_PTR(ctx);
        return 0;
}

EgressContext *egress_ctx_free(EgressContext *ctx) {
        if (!ctx)
                return NULL;
        nft_ctx_free(ctx->nft);
        free(ctx->error);
        free(ctx);
        return NULL;
}

const char *egress_last_error(EgressContext *ctx) {
        assert(ctx);
        return strempty(ctx->error);
}

/* Runs one buffer of commands: libnftables sends it to the kernel as one batch, which the kernel
 * applies completely or not at all. With json, the output (of list commands) is JSON. */
static int run(EgressContext *ctx, const char *cmds, bool json) {
        const char *err;
        unsigned flags;

        flags = nft_ctx_output_get_flags(ctx->nft);
        if (json)
                flags |= NFT_CTX_OUTPUT_JSON;
        else
                flags &= ~NFT_CTX_OUTPUT_JSON;
        nft_ctx_output_set_flags(ctx->nft, flags);

        /* Reading the buffers resets them; drop what a previous command left behind. */
        (void) nft_ctx_get_output_buffer(ctx->nft);
        (void) nft_ctx_get_error_buffer(ctx->nft);

        if (nft_run_cmd_from_buffer(ctx->nft, cmds) == 0)
                return 0;

        free(ctx->error);
        ctx->error = strdup(strempty(nft_ctx_get_error_buffer(ctx->nft)));
        err = egress_last_error(ctx);
        if (strstr(err, "No such file or directory"))
                return -ENOENT;
        if (strstr(err, "File exists"))
                return -EEXIST;
        if (strstr(err, "Operation not permitted"))
                return -EPERM;
        if (strstr(err, "Device or resource busy"))
                return -EBUSY;
        return -EIO;
}

/* ---- set elements ---- */

typedef struct Element {
        int family;
        uint8_t address[16];
        unsigned prefixlen;
        int protocol;           /* 0: any protocol, goes to the plain set */
        uint16_t port;          /* 0: any port */
} Element;

static unsigned family_bits(int family) {
        return family == AF_INET ? 32 : 128;
}

static void mask_address(uint8_t address[static 16], unsigned prefixlen, unsigned bits) {
        for (unsigned i = 0; i < bits / 8; i++) {
                unsigned keep = prefixlen >= (i + 1) * 8 ? 8 : prefixlen > i * 8 ? prefixlen - i * 8 : 0;
                address[i] &= (uint8_t) (0xff00u >> keep);
        }
}

static bool element_contains(const Element *outer, const Element *inner) {
        uint8_t a[16];

        if (outer->family != inner->family || outer->protocol != inner->protocol ||
            outer->prefixlen > inner->prefixlen)
                return false;
        if (outer->port != 0 && outer->port != inner->port)
                return false;
        memcpy(a, inner->address, sizeof(a));
        mask_address(a, outer->prefixlen, family_bits(inner->family));
        return memcmp(a, outer->address, family_bits(inner->family) / 8) == 0;
}

static int rule_to_elements(const EgressRule *rule, Element ret[static 2]) {
        Element e = {};
        size_t n = 0;

        assert(rule);

        if (rule->family != AF_INET && rule->family != AF_INET6)
                return -EAFNOSUPPORT;
        if (rule->prefixlen > family_bits(rule->family))
                return -EINVAL;
        if (rule->protocol != 0 && rule->protocol != IPPROTO_TCP && rule->protocol != IPPROTO_UDP)
                return -EPROTONOSUPPORT;

        e.family = rule->family;
        memcpy(e.address, rule->address, family_bits(rule->family) / 8);
        mask_address(e.address, rule->prefixlen, family_bits(rule->family));
        e.prefixlen = rule->prefixlen;
        e.port = rule->port;

        if (rule->protocol != 0) {
                e.protocol = rule->protocol;
                ret[n++] = e;
        } else if (rule->port != 0) {
                /* A port without a protocol means both TCP and UDP. */
                e.protocol = IPPROTO_TCP;
                ret[n++] = e;
                e.protocol = IPPROTO_UDP;
                ret[n++] = e;
        } else
                ret[n++] = e;

        return (int) n;
}

static int element_format(const Element *e, char **ret) {
        char a[INET6_ADDRSTRLEN];
        int r;

        if (!inet_ntop(e->family, e->address, a, sizeof(a)))
                return -EINVAL;
        if (e->protocol == 0)
                r = asprintf(ret, "%s/%u", a, e->prefixlen);
        else if (e->port == 0)
                r = asprintf(ret, "%s/%u . %s . 0-65535", a, e->prefixlen,
                             e->protocol == IPPROTO_TCP ? "tcp" : "udp");
        else
                r = asprintf(ret, "%s/%u . %s . %u", a, e->prefixlen,
                             e->protocol == IPPROTO_TCP ? "tcp" : "udp", e->port);
        return r < 0 ? -ENOMEM : 0;
}

int egress_rule_to_elements(const EgressRule *rule, char *ret[static 2]) {
        Element e[2];
        int n, r;

        n = rule_to_elements(rule, e);
        if (n < 0)
                return n;
        for (int i = 0; i < n; i++) {
                r = element_format(&e[i], &ret[i]);
                if (r < 0) {
                        for (int j = 0; j < i; j++) {
                                free(ret[j]);
                                ret[j] = NULL;
                        }
                        return r;
                }
        }
        return n;
}

/* Collects the elements of a policy, without duplicates or elements that another one contains
 * (the kernel refuses overlapping elements in a concatenated interval set). */
static int policy_elements(const EgressRule *rules, size_t n_rules, const EgressStub *stub,
                           Element **ret, size_t *ret_n) {
        _cleanup_free_ Element *all = NULL;
        size_t n = 0, m = 0;
        int r;

        all = calloc(2 * n_rules + 2, sizeof(Element));
        if (!all)
                return -ENOMEM;

        for (size_t i = 0; i < n_rules; i++) {
                r = rule_to_elements(&rules[i], all + n);
                if (r < 0)
                        return r;
                n += r;
        }
        if (stub && stub->family != 0) {
                EgressRule s = {
                        .family = stub->family,
                        .prefixlen = stub->family == AF_INET ? 32 : 128,
                        .port = stub->port,
                };
                if (stub->port == 0)
                        return -EINVAL;
                memcpy(s.address, stub->address, sizeof(s.address));
                r = rule_to_elements(&s, all + n);
                if (r < 0)
                        return r;
                n += r;
        }

        for (size_t i = 0; i < n; i++) {
                bool covered = false;

                for (size_t j = 0; j < n && !covered; j++) {
                        if (i == j || !element_contains(&all[j], &all[i]))
                                continue;
                        /* Of two equal elements keep the first. */
                        covered = !element_contains(&all[i], &all[j]) || j < i;
                }
                if (!covered)
                        all[m++] = all[i];
        }

        *ret = TAKE_PTR(all);
        *ret_n = m;
        return 0;
}

/* ---- command text ---- */

/* One rule per Allow= element. Not sets: libnftables reads the elements of every interval set in
 * the ruleset before any element command, so per-session interval sets would make every update
 * cost O(sessions). A handful of prefix rules per session costs nothing of the kind. */
static int write_allow_rules(FILE *f, const char *chain, const Element *elems, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const Element *e = &elems[i];
                const char *ip = e->family == AF_INET ? "ip" : "ip6";
                const char *proto = e->protocol == IPPROTO_TCP ? "tcp" : "udp";
                char a[INET6_ADDRSTRLEN];

                if (!inet_ntop(e->family, e->address, a, sizeof(a)))
                        return -EINVAL;
                fprintf(f, "add rule " EGRESS_FAMILY " " EGRESS_TABLE " %s %s daddr %s/%u", chain, ip, a, e->prefixlen);
                if (e->protocol != 0 && e->port != 0)
                        fprintf(f, " %s dport %u", proto, e->port);
                else if (e->protocol != 0)
                        fprintf(f, " meta l4proto %s", proto);
                fputs(" accept\n", f);
        }
        return 0;
}

/* A growing command buffer. */
typedef struct Cmds {
        char *buf;
        size_t size;
        FILE *f;
} Cmds;

static void cmds_done(Cmds *c) {
        if (c->f)
                (void) fclose(c->f);
        c->f = NULL;
        free(c->buf);
        c->buf = NULL;
}

static int cmds_open(Cmds *c) {
        *c = (Cmds) {};
        c->f = open_memstream(&c->buf, &c->size);
        return c->f ? 0 : -ENOMEM;
}

static int cmds_run(EgressContext *ctx, Cmds *c, bool json) {
        if (fflush(c->f) != 0 || ferror(c->f))
                return -ENOMEM;
        return run(ctx, c->buf, json);
}

#define T EGRESS_FAMILY " " EGRESS_TABLE

#define FOREACH_ARRAY_STR(i, ...) \
        for (const char *const *i = (const char *const[]) { __VA_ARGS__, NULL }; *i; i++)

int egress_table_ensure(EgressContext *ctx) {
        assert(ctx);

        /* "add" of an existing table, chain, set or counter is a no-op; the base chains are sessiond's
         * alone and are rewritten, per-session objects are kept. */
        return run(ctx,
                   "add table " T "\n"
                   "add chain " T " output { type filter hook output priority filter; policy accept; }\n"
                   "add chain " T " forward { type filter hook forward priority filter; policy accept; }\n"
                   "add chain " T " input { type filter hook input priority filter; policy accept; }\n"
                   "add chain " T " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
                   "add chain " T " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
                   "add chain " T " sessions\n"
                   "add chain " T " machines\n"
                   "add chain " T " " EGRESS_MACHINES_NAT_CHAIN "\n"
                   "add chain " T " " EGRESS_MACHINES_DNS_CHAIN "\n"
                   "add chain " T " unmatched\n"
                   "add set " T " " EGRESS_SESSIONS_CGROUP_SET " { type cgroupsv2; }\n"
                   "add map " T " " EGRESS_SESSION_MAP " { type cgroupsv2 : verdict; }\n"
                   "add counter " T " " EGRESS_UNMATCHED_COUNTER "\n"
                   "flush chain " T " output\n"
                   "flush chain " T " forward\n"
                   "flush chain " T " input\n"
                   "flush chain " T " postrouting\n"
                   "flush chain " T " prerouting\n"
                   "flush chain " T " unmatched\n"
                   /* A session's slice bound in the verdict map jumps to its chain in one lookup (the
                    * chain always ends in a verdict); a socket below sessiond.slice whose slice is not
                    * bound (yet) falls back to the per-session set rules in "sessions". Other traffic
                    * costs two lookups, however many sessions there are. */
                   "add rule " T " output socket cgroupv2 level " XSTRINGIFY(EGRESS_SESSION_CGROUP_LEVEL)
                   " vmap @" EGRESS_SESSION_MAP "\n"
                   "add rule " T " output socket cgroupv2 level " XSTRINGIFY(EGRESS_SESSIONS_CGROUP_LEVEL)
                   " @" EGRESS_SESSIONS_CGROUP_SET " jump sessions\n"
                   "add rule " T " output jump unmatched\n"
                   "add rule " T " forward jump machines\n"
                   /* What a machine sends to the host itself (any of its addresses) is egress too. */
                   "add rule " T " input jump machines\n"
                   "add rule " T " postrouting jump " EGRESS_MACHINES_NAT_CHAIN "\n"
                   "add rule " T " prerouting jump " EGRESS_MACHINES_DNS_CHAIN "\n"
                   "add rule " T " unmatched socket cgroupv2 level " XSTRINGIFY(EGRESS_SESSIONS_CGROUP_LEVEL)
                   " @" EGRESS_SESSIONS_CGROUP_SET " counter name " EGRESS_UNMATCHED_COUNTER " drop\n",
                   false);
}

int egress_forward_guard(EgressContext *ctx, bool ipv4, bool ipv6) {
        _cleanup_(cmds_done) Cmds c = {};
        int r;

        assert(ctx);

        if (!ipv4 && !ipv6) {
                r = run(ctx, "delete chain " T " " EGRESS_FORWARD_GUARD_CHAIN "\n", false);
                return r == -ENOENT ? 0 : r;
        }
        r = cmds_open(&c);
        if (r < 0)
                return r;
        /* After the "forward" chain (priority filter): machines' own traffic has met its
         * session's policy there; here only the question whether it is a machine's at all. The
         * veth names are session_veth_name()'s: "vs-NAME" or "vs_" + a hash. Only the families
         * whose forwarding is sessiond's: the host may route the other one of its own accord. */
        fputs("add chain " T " " EGRESS_FORWARD_GUARD_CHAIN
              " { type filter hook forward priority filter + 10; policy accept; }\n"
              "flush chain " T " " EGRESS_FORWARD_GUARD_CHAIN "\n"
              "add rule " T " " EGRESS_FORWARD_GUARD_CHAIN " iifname \"vs-*\" accept\n"
              "add rule " T " " EGRESS_FORWARD_GUARD_CHAIN " iifname \"vs_*\" accept\n"
              "add rule " T " " EGRESS_FORWARD_GUARD_CHAIN " oifname \"vs-*\" accept\n"
              "add rule " T " " EGRESS_FORWARD_GUARD_CHAIN " oifname \"vs_*\" accept\n", c.f);
        if (ipv4)
                fputs("add rule " T " " EGRESS_FORWARD_GUARD_CHAIN " meta nfproto ipv4 counter drop\n", c.f);
        if (ipv6)
                fputs("add rule " T " " EGRESS_FORWARD_GUARD_CHAIN " meta nfproto ipv6 counter drop\n", c.f);
        return cmds_run(ctx, &c, false);
}

int egress_table_remove(EgressContext *ctx) {
        assert(ctx);
        return run(ctx, "delete table " T "\n", false);
}

int egress_cgroup_set_add(EgressContext *ctx, const char *set, const char *cgroup) {
        _cleanup_free_ char *cmd = NULL;

        assert(ctx);
        assert(set);
        assert(cgroup);

        /* nft quoted strings know no escapes: refuse what could end one or the command. */
        if (isempty(set) || set[strspn(set, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] ||
            isempty(cgroup) || cgroup[strcspn(cgroup, "\"\n;{}")])
                return -EINVAL;
        if (asprintf(&cmd, "add element " T " %s { \"%s\" }\n", set, cgroup) < 0)
                return -ENOMEM;
        return run(ctx, cmd, false);
}

static bool cgroup_path_ok(const char *cgroup) {
        /* nft quoted strings know no escapes: refuse what could end one or the command. */
        return !isempty(cgroup) && !cgroup[strcspn(cgroup, "\"\n;{}")];
}

int egress_session_bind_cgroup(EgressContext *ctx, const char *session, const char *cgroup) {
        _cleanup_free_ char *chain = NULL, *cmd = NULL;
        int r;

        assert(ctx);

        if (!cgroup_path_ok(cgroup))
                return -EINVAL;
        r = egress_session_object_name(session, NULL, &chain);
        if (r < 0)
                return r;
        /* destroy + add in one batch: the cgroup may be bound to an older chain. */
        if (asprintf(&cmd,
                     "destroy element " T " " EGRESS_SESSION_MAP " { \"%1$s\" }\n"
                     "add element " T " " EGRESS_SESSION_MAP " { \"%1$s\" : jump %2$s }\n",
                     cgroup, chain) < 0)
                return -ENOMEM;
        return run(ctx, cmd, false);
}

typedef struct Names {
        char *chain;
        char *counter;
        char *set[ELEMENTSOF(session_sets)];
} Names;

static void names_done(Names *n) {
        free(n->chain);
        free(n->counter);
        for (size_t i = 0; i < ELEMENTSOF(n->set); i++)
                free(n->set[i]);
}

static int names_get(const char *session, Names *ret) {
        Names n = {};
        int r;

        r = egress_session_object_name(session, NULL, &n.chain);
        if (r >= 0)
                r = egress_session_object_name(session, "drop", &n.counter);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(session_sets); i++)
                r = streq(session_sets[i], "cg") ? egress_cgroup_set_name(session, &n.set[i]) :
                                                    egress_session_object_name(session, session_sets[i], &n.set[i]);
        if (r < 0) {
                names_done(&n);
                return r;
        }
        *ret = n;
        return 0;
}

/* Index into session_sets[] */
enum { SET_CG, SET_DNS4, SET_DNS6, SET_DNS4P, SET_DNS6P };

/* The whole content of a session's chain, for a fresh or just flushed chain. */
static int write_session_chain(FILE *f, const char *session, const Names *n, const Element *elems, size_t n_elems) {
        int r;

        fprintf(f, "add rule " T " %s ct state established,related accept\n", n->chain);
        r = write_allow_rules(f, n->chain, elems, n_elems);
        if (r < 0)
                return r;
        fprintf(f,
                "add rule " T " %1$s ip daddr @%2$s accept\n"
                "add rule " T " %1$s ip6 daddr @%3$s accept\n"
                "add rule " T " %1$s ip daddr . meta l4proto . th dport @%4$s accept\n"
                "add rule " T " %1$s ip6 daddr . meta l4proto . th dport @%5$s accept\n"
                "add rule " T " %1$s limit rate 10/minute burst 5 packets log prefix \"sessiond-drop %6$s: \" level info\n"
                "add rule " T " %1$s counter name %7$s drop\n",
                n->chain, n->set[SET_DNS4], n->set[SET_DNS6], n->set[SET_DNS4P], n->set[SET_DNS6P],
                session, n->counter);
        return 0;
}

int egress_session_add(EgressContext *ctx, const char *session,
                       const EgressRule *rules, size_t n_rules, const EgressStub *stub) {
        static const char *const set_types[] = {
                [SET_CG] = "type cgroupsv2;",
                [SET_DNS4] = "type ipv4_addr; flags timeout;",
                [SET_DNS6] = "type ipv6_addr; flags timeout;",
                [SET_DNS4P] = "type ipv4_addr . inet_proto . inet_service; flags timeout;",
                [SET_DNS6P] = "type ipv6_addr . inet_proto . inet_service; flags timeout;",
        };
        _cleanup_(names_done) Names n = {};
        _cleanup_(cmds_done) Cmds c = {};
        _cleanup_free_ Element *elems = NULL;
        size_t n_elems;
        int r;

        assert(ctx);
        assert(rules || n_rules == 0);

        r = names_get(session, &n);
        if (r < 0)
                return r;
        r = policy_elements(rules, n_rules, stub, &elems, &n_elems);
        if (r < 0)
                return r;
        r = cmds_open(&c);
        if (r < 0)
                return r;

        /* "create" fails with EEXIST if the session is there already, and takes the batch with it. */
        fprintf(c.f, "create chain " T " %s\n", n.chain);
        for (size_t i = 0; i < ELEMENTSOF(session_sets); i++)
                fprintf(c.f, "add set " T " %s { %s }\n", n.set[i], set_types[i]);
        fprintf(c.f, "add counter " T " %s\n", n.counter);
        r = write_session_chain(c.f, session, &n, elems, n_elems);
        if (r < 0)
                return r;
        fprintf(c.f, "add rule " T " sessions socket cgroupv2 level " XSTRINGIFY(EGRESS_SESSION_CGROUP_LEVEL)
                " @%s jump %s\n", n.set[SET_CG], n.chain);

        return cmds_run(ctx, &c, false);
}

int egress_session_update(EgressContext *ctx, const char *session,
                          const EgressRule *rules, size_t n_rules, const EgressStub *stub,
                          bool flush_resolved) {
        _cleanup_(names_done) Names n = {};
        _cleanup_(cmds_done) Cmds c = {};
        _cleanup_free_ Element *elems = NULL;
        size_t n_elems;
        int r;

        assert(ctx);
        assert(rules || n_rules == 0);

        r = names_get(session, &n);
        if (r < 0)
                return r;
        r = policy_elements(rules, n_rules, stub, &elems, &n_elems);
        if (r < 0)
                return r;
        r = cmds_open(&c);
        if (r < 0)
                return r;

        /* Flush and refill the session's own chain in one batch: no packet ever sees a half-applied
         * policy; the jump to the chain, its counter, its resolved addresses (unless asked) and
         * everything of the other sessions stay as they are. */
        fprintf(c.f, "flush chain " T " %s\n", n.chain);
        r = write_session_chain(c.f, session, &n, elems, n_elems);
        if (r < 0)
                return r;
        if (flush_resolved)
                for (size_t i = SET_DNS4; i <= SET_DNS6P; i++)
                        fprintf(c.f, "flush set " T " %s\n", n.set[i]);

        return cmds_run(ctx, &c, false);
}

static int parse_json_output(EgressContext *ctx, sd_json_variant **ret) {
        const char *out = nft_ctx_get_output_buffer(ctx->nft);
        sd_json_variant *v, *a;
        int r;

        r = sd_json_parse(strempty(out), 0, &v, NULL, NULL);
        if (r < 0)
                return r;
        a = sd_json_variant_by_key(v, "nftables");
        if (!a || !sd_json_variant_is_array(a)) {
                sd_json_variant_unref(v);
                return -EBADMSG;
        }
        *ret = v;
        return 0;
}

/* True if the rule's expressions hold `iifname "IFNAME"`. */
static bool rule_matches_iifname(sd_json_variant *expr, const char *ifname) {
        for (size_t j = 0; j < sd_json_variant_elements(expr); j++) {
                sd_json_variant *match, *key, *right;

                match = sd_json_variant_by_key(sd_json_variant_by_index(expr, j), "match");
                key = match ? sd_json_variant_by_key(sd_json_variant_by_key(sd_json_variant_by_key(match, "left"), "meta"), "key") : NULL;
                right = match ? sd_json_variant_by_key(match, "right") : NULL;
                if (key && sd_json_variant_is_string(key) && streq(sd_json_variant_string(key), "iifname") &&
                    right && sd_json_variant_is_string(right) && streq(sd_json_variant_string(right), ifname))
                        return true;
        }
        return false;
}

/* Decides for one rule (its JSON object, "handle" checked) whether its handle is collected. */
typedef bool (*RuleMatchFn)(sd_json_variant *rule, const void *userdata);

/* The handles of the rules in chain FROM of sessiond's table for which MATCH says yes. A chain
 * that does not exist (a table from before it) has none. */
static int list_chain_rule_handles(EgressContext *ctx, const char *from, RuleMatchFn match, const void *userdata,
                                   uint64_t **ret, size_t *ret_n) {
        _cleanup_free_ char *cmd = NULL;
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        _cleanup_free_ uint64_t *handles = NULL;
        sd_json_variant *a;
        size_t n = 0;
        int r;

        assert(ctx);
        assert(match);
        assert(ret);
        assert(ret_n);

        if (asprintf(&cmd, "list chain " T " %s\n", from) < 0)
                return -ENOMEM;
        r = run(ctx, cmd, true);
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return r;
        r = parse_json_output(ctx, &v);
        if (r < 0)
                return r;
        a = sd_json_variant_by_key(v, "nftables");

        handles = calloc(sd_json_variant_elements(a) + 1, sizeof(uint64_t));
        if (!handles)
                return -ENOMEM;
        for (size_t i = 0; i < sd_json_variant_elements(a); i++) {
                sd_json_variant *rule, *handle;

                rule = sd_json_variant_by_key(sd_json_variant_by_index(a, i), "rule");
                if (!rule)
                        continue;
                handle = sd_json_variant_by_key(rule, "handle");
                if (!handle || !sd_json_variant_is_unsigned(handle) || !match(rule, userdata))
                        continue;
                handles[n++] = sd_json_variant_unsigned(handle);
        }
        *ret = TAKE_PTR(handles);
        *ret_n = n;
        return 0;
}

typedef struct JumpMatch {
        const char *chain;
        const char *ifname;     /* NULL: any */
} JumpMatch;

/* A rule that jumps to JumpMatch.chain (and, with ifname, matches that input interface). */
static bool rule_jumps(sd_json_variant *rule, const void *userdata) {
        const JumpMatch *m = userdata;
        sd_json_variant *expr = sd_json_variant_by_key(rule, "expr");

        if (!expr || !sd_json_variant_is_array(expr))
                return false;
        if (m->ifname && !rule_matches_iifname(expr, m->ifname))
                return false;
        for (size_t j = 0; j < sd_json_variant_elements(expr); j++) {
                sd_json_variant *jump, *target;

                jump = sd_json_variant_by_key(sd_json_variant_by_index(expr, j), "jump");
                target = jump ? sd_json_variant_by_key(jump, "target") : NULL;
                if (target && sd_json_variant_is_string(target) && streq(sd_json_variant_string(target), m->chain))
                        return true;
        }
        return false;
}

/* A rule whose comment is the string USERDATA. */
static bool rule_has_comment(sd_json_variant *rule, const void *userdata) {
        sd_json_variant *c = sd_json_variant_by_key(rule, "comment");

        return c && sd_json_variant_is_string(c) && streq(sd_json_variant_string(c), userdata);
}

/* The handles of the rules in chain FROM that jump to CHAIN (and, with ifname, match that input
 * interface). */
static int find_jump_handles(EgressContext *ctx, const char *from, const char *chain, const char *ifname,
                             uint64_t **ret, size_t *ret_n) {
        return list_chain_rule_handles(ctx, from, rule_jumps, &(const JumpMatch) { chain, ifname }, ret, ret_n);
}

/* The handles of the rules in chain FROM whose comment is COMMENT. */
static int find_comment_handles(EgressContext *ctx, const char *from, const char *comment,
                                uint64_t **ret, size_t *ret_n) {
        return list_chain_rule_handles(ctx, from, rule_has_comment, comment, ret, ret_n);
}

static int write_delete_commented(EgressContext *ctx, FILE *f, const char *from, const char *comment) {
        _cleanup_free_ uint64_t *handles = NULL;
        size_t n_handles;
        int r;

        r = find_comment_handles(ctx, from, comment, &handles, &n_handles);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_handles; i++)
                fprintf(f, "delete rule " T " %s handle %" PRIu64 "\n", from, handles[i]);
        return 0;
}

/* Commands that take the map bindings to chain out of the verdict map. nft shows a binding's key as
 * the cgroup's path while the cgroup exists, else as its bare id, which it cannot parse back: such a
 * binding goes only with a flush of the map, after which the live bindings of the others are added
 * back in the same batch. */
static int write_unbind(EgressContext *ctx, FILE *f, const char *chain) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        sd_json_variant *a, *map = NULL, *elems;
        bool stale = false;
        int r;

        r = run(ctx, "list map " T " " EGRESS_SESSION_MAP "\n", true);
        if (r == -ENOENT)
                return 0;       /* a table from before the map */
        if (r < 0)
                return r;
        r = parse_json_output(ctx, &v);
        if (r < 0)
                return r;
        a = sd_json_variant_by_key(v, "nftables");
        for (size_t i = 0; i < sd_json_variant_elements(a) && !map; i++)
                map = sd_json_variant_by_key(sd_json_variant_by_index(a, i), "map");
        elems = map ? sd_json_variant_by_key(map, "elem") : NULL;
        if (!elems || !sd_json_variant_is_array(elems))
                return 0;       /* empty */

        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        if (!stale)
                                break;
                        fputs("flush map " T " " EGRESS_SESSION_MAP "\n", f);
                }
                for (size_t i = 0; i < sd_json_variant_elements(elems); i++) {
                        sd_json_variant *e = sd_json_variant_by_index(elems, i), *key, *jump, *target;
                        const char *k, *t;
                        bool ours;

                        key = sd_json_variant_by_index(e, 0);
                        jump = sd_json_variant_by_key(sd_json_variant_by_index(e, 1), "jump");
                        target = jump ? sd_json_variant_by_key(jump, "target") : NULL;
                        if (!key || !sd_json_variant_is_string(key) || !target || !sd_json_variant_is_string(target))
                                continue;
                        k = sd_json_variant_string(key);
                        t = sd_json_variant_string(target);
                        ours = streq(t, chain);
                        if (!strchr(k, '/') || !cgroup_path_ok(k)) {    /* the cgroup is gone */
                                stale = stale || ours;
                                continue;
                        }
                        if (pass == 0 && ours)
                                fprintf(f, "delete element " T " " EGRESS_SESSION_MAP " { \"%s\" }\n", k);
                        else if (pass == 1 && !ours)
                                fprintf(f, "add element " T " " EGRESS_SESSION_MAP " { \"%s\" : jump %s }\n", k, t);
                }
        }
        return 0;
}

int egress_session_remove(EgressContext *ctx, const char *session) {
        _cleanup_(names_done) Names n = {};
        _cleanup_(cmds_done) Cmds c = {};
        int r;

        assert(ctx);

        r = names_get(session, &n);
        if (r < 0)
                return r;
        r = cmds_open(&c);
        if (r < 0)
                return r;

        /* The jumps to the session's chain first: a chain is deleted only when nothing refers to it. */
        FOREACH_ARRAY_STR(from, "sessions", "machines") {
                _cleanup_free_ uint64_t *handles = NULL;
                size_t n_handles;

                r = find_jump_handles(ctx, *from, n.chain, NULL, &handles, &n_handles);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_handles; i++)
                        fprintf(c.f, "delete rule " T " %s handle %" PRIu64 "\n", *from, handles[i]);
        }
        /* The rules for its veth that do not jump: inbound to the machine, its masquerade, its DNS. */
        r = write_delete_commented(ctx, c.f, "machines", n.chain);
        if (r >= 0)
                r = write_delete_commented(ctx, c.f, EGRESS_MACHINES_NAT_CHAIN, n.chain);
        if (r >= 0)
                r = write_delete_commented(ctx, c.f, EGRESS_MACHINES_DNS_CHAIN, n.chain);
        if (r >= 0)
                r = write_unbind(ctx, c.f, n.chain);
        if (r < 0)
                return r;
        fprintf(c.f, "flush chain " T " %1$s\ndelete chain " T " %1$s\n", n.chain);
        for (size_t i = 0; i < ELEMENTSOF(session_sets); i++)
                fprintf(c.f, "delete set " T " %s\n", n.set[i]);
        fprintf(c.f, "delete counter " T " %s\n", n.counter);

        return cmds_run(ctx, &c, false);
}

int egress_session_add_resolved(EgressContext *ctx, const char *session, int family, const void *address,
                                int protocol, uint16_t port, uint32_t ttl_sec) {
        _cleanup_(cmds_done) Cmds c = {};
        _cleanup_free_ char *set = NULL;
        char a[INET6_ADDRSTRLEN];
        const char *protos[2];
        size_t n_protos = 0;
        int r;

        assert(ctx);
        assert(address);

        if (family != AF_INET && family != AF_INET6)
                return -EAFNOSUPPORT;
        if (protocol != 0 && protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
                return -EPROTONOSUPPORT;
        if (protocol != 0 && port == 0)         /* AllowHost= names a protocol only with a port */
                return -EINVAL;
        if (!inet_ntop(family, address, a, sizeof(a)))
                return -EINVAL;
        ttl_sec = ttl_sec < EGRESS_TTL_MIN ? EGRESS_TTL_MIN : ttl_sec > EGRESS_TTL_MAX ? EGRESS_TTL_MAX : ttl_sec;

        if (protocol == 0 && port == 0)
                r = egress_session_object_name(session, family == AF_INET ? "dns4" : "dns6", &set);
        else
                r = egress_session_object_name(session, family == AF_INET ? "dns4p" : "dns6p", &set);
        if (r < 0)
                return r;
        if (protocol != 0 || port != 0) {
                if (protocol != IPPROTO_UDP)
                        protos[n_protos++] = "tcp";
                if (protocol != IPPROTO_TCP)
                        protos[n_protos++] = "udp";
        }

        r = cmds_open(&c);
        if (r < 0)
                return r;

        /* destroy + add in one batch refreshes the timeout of an element that is already there. */
        if (n_protos == 0)
                fprintf(c.f,
                        "destroy element " T " %1$s { %2$s }\n"
                        "add element " T " %1$s { %2$s timeout %3$us }\n",
                        set, a, ttl_sec);
        for (size_t i = 0; i < n_protos; i++)
                fprintf(c.f,
                        "destroy element " T " %1$s { %2$s . %3$s . %4$u }\n"
                        "add element " T " %1$s { %2$s . %3$s . %4$u timeout %5$us }\n",
                        set, a, protos[i], port, ttl_sec);

        return cmds_run(ctx, &c, false);
}

static bool ifname_ok(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n >= 16)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_.-", *p)))
                        return false;
        return true;
}

int egress_session_add_interface(EgressContext *ctx, const char *session, const char *ifname) {
        _cleanup_free_ char *chain = NULL, *cmd = NULL;
        _cleanup_free_ uint64_t *handles = NULL;
        size_t n_handles;
        int r;

        assert(ctx);

        if (!ifname_ok(ifname))
                return -EINVAL;
        r = egress_session_object_name(session, NULL, &chain);
        if (r < 0)
                return r;
        /* Idempotent: a restart of the session's unit sets the same veth up again. */
        r = find_jump_handles(ctx, "machines", chain, ifname, &handles, &n_handles);
        if (r < 0)
                return r;
        if (n_handles > 0)
                return 0;
        /* Out of the machine: the session's chain. Into it: only what answers its own connections
         * (nothing else may open one to it, as to a service session's sockets behind the host's
         * firewall); these rules carry the chain's name as comment, so that they go with it. */
        if (asprintf(&cmd,
                     /* The link's own IPv6 housekeeping, which never leaves it: without neighbour
                      * discovery the machine cannot find its default router; the multicast
                      * listener reports its kernel sends as the link comes up are no egress
                      * (and would be counted as drops). */
                     "add rule " T " machines iifname \"%1$s\" icmpv6 type { mld-listener-report,"
                     " nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report } accept comment \"%2$s\"\n"
                     "add rule " T " machines iifname \"%1$s\" jump %2$s\n"
                     "add rule " T " machines oifname \"%1$s\" ct state established,related accept comment \"%2$s\"\n"
                     "add rule " T " machines oifname \"%1$s\" drop comment \"%2$s\"\n",
                     ifname, chain) < 0)
                return -ENOMEM;
        return run(ctx, cmd, false);
}

int egress_session_set_masquerade(EgressContext *ctx, const char *session, const char *ifname,
                                  struct in_addr address, const struct in6_addr *address6) {
        _cleanup_free_ char *chain = NULL;
        _cleanup_(cmds_done) Cmds c = {};
        char a[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
        int r;

        assert(ctx);

        if (!ifname_ok(ifname) || !inet_ntop(AF_INET, &address, a, sizeof(a)) ||
            (address6 && !inet_ntop(AF_INET6, address6, a6, sizeof(a6))))
                return -EINVAL;
        r = egress_session_object_name(session, NULL, &chain);
        if (r < 0)
                return r;
        r = cmds_open(&c);
        if (r < 0)
                return r;
        /* Replaces the rules of an earlier start (its addresses may differ), in one batch. */
        r = write_delete_commented(ctx, c.f, EGRESS_MACHINES_NAT_CHAIN, chain);
        if (r < 0)
                return r;
        fprintf(c.f, "add rule " T " " EGRESS_MACHINES_NAT_CHAIN " ip saddr %s oifname != \"%s\" masquerade comment \"%s\"\n",
                a, ifname, chain);
        if (address6)
                fprintf(c.f, "add rule " T " " EGRESS_MACHINES_NAT_CHAIN " ip6 saddr %s oifname != \"%s\" masquerade comment \"%s\"\n",
                        a6, ifname, chain);
        return cmds_run(ctx, &c, false);
}

int egress_session_set_dns_redirect(EgressContext *ctx, const char *session, const char *ifname,
                                    struct in_addr host, struct in_addr stub) {
        _cleanup_free_ char *chain = NULL;
        _cleanup_(cmds_done) Cmds c = {};
        char h[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];
        int r;

        assert(ctx);

        if (!ifname_ok(ifname) || !inet_ntop(AF_INET, &host, h, sizeof(h)) ||
            !inet_ntop(AF_INET, &stub, a, sizeof(a)))
                return -EINVAL;
        r = egress_session_object_name(session, NULL, &chain);
        if (r < 0)
                return r;
        r = cmds_open(&c);
        if (r < 0)
                return r;
        r = write_delete_commented(ctx, c.f, EGRESS_MACHINES_DNS_CHAIN, chain);
        if (r < 0)
                return r;
        FOREACH_ARRAY_STR(proto, "udp", "tcp")
                fprintf(c.f, "add rule " T " " EGRESS_MACHINES_DNS_CHAIN " iifname \"%s\" ip daddr %s %s dport 53"
                        " dnat ip to %s:53 comment \"%s\"\n", ifname, h, *proto, a, chain);
        return cmds_run(ctx, &c, false);
}

int egress_session_remove_dns_redirect(EgressContext *ctx, const char *session) {
        _cleanup_free_ char *chain = NULL;
        _cleanup_(cmds_done) Cmds c = {};
        int r;

        assert(ctx);

        r = egress_session_object_name(session, NULL, &chain);
        if (r < 0)
                return r;
        r = cmds_open(&c);
        if (r < 0)
                return r;
        r = write_delete_commented(ctx, c.f, EGRESS_MACHINES_DNS_CHAIN, chain);
        if (r < 0)
                return r;
        if (fflush(c.f) != 0 || ferror(c.f))
                return -ENOMEM;
        if (c.size == 0)
                return 0;       /* none there */
        return cmds_run(ctx, &c, false);
}

int egress_session_counters(EgressContext *ctx, const char *session, uint64_t *ret_packets, uint64_t *ret_bytes) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        _cleanup_free_ char *name = NULL, *cmd = NULL;
        sd_json_variant *a;
        int r;

        assert(ctx);

        r = egress_session_object_name(session, "drop", &name);
        if (r < 0)
                return r;
        if (asprintf(&cmd, "list counter " T " %s\n", name) < 0)
                return -ENOMEM;
        r = run(ctx, cmd, true);
        if (r < 0)
                return r;
        r = parse_json_output(ctx, &v);
        if (r < 0)
                return r;
        a = sd_json_variant_by_key(v, "nftables");
        for (size_t i = 0; i < sd_json_variant_elements(a); i++) {
                sd_json_variant *counter, *packets, *bytes;

                counter = sd_json_variant_by_key(sd_json_variant_by_index(a, i), "counter");
                if (!counter)
                        continue;
                packets = sd_json_variant_by_key(counter, "packets");
                bytes = sd_json_variant_by_key(counter, "bytes");
                if (!packets || !bytes || !sd_json_variant_is_unsigned(packets) || !sd_json_variant_is_unsigned(bytes))
                        return -EBADMSG;
                if (ret_packets)
                        *ret_packets = sd_json_variant_unsigned(packets);
                if (ret_bytes)
                        *ret_bytes = sd_json_variant_unsigned(bytes);
                return 0;
        }
        return -ENOENT;
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int egress_list_sessions(EgressContext *ctx, char ***ret) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        _cleanup_strv_free_ char **l = NULL;
        sd_json_variant *a;
        size_t n = 0;
        int r;

        assert(ctx);
        assert(ret);

        r = run(ctx, "list chains " EGRESS_FAMILY "\n", true);
        if (r < 0)
                return r;
        r = parse_json_output(ctx, &v);
        if (r < 0)
                return r;
        a = sd_json_variant_by_key(v, "nftables");

        l = calloc(sd_json_variant_elements(a) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        for (size_t i = 0; i < sd_json_variant_elements(a); i++) {
                sd_json_variant *chain, *table, *name;

                chain = sd_json_variant_by_key(sd_json_variant_by_index(a, i), "chain");
                if (!chain)
                        continue;
                table = sd_json_variant_by_key(chain, "table");
                name = sd_json_variant_by_key(chain, "name");
                if (!table || !name || !sd_json_variant_is_string(table) || !sd_json_variant_is_string(name) ||
                    !streq(sd_json_variant_string(table), EGRESS_TABLE))
                        continue;
                r = egress_session_from_chain(sd_json_variant_string(name), &l[n]);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0)
                        n++;
        }

        qsort(l, n, sizeof(char *), strcmp_ptr);
        *ret = TAKE_PTR(l);
        return 0;
}
