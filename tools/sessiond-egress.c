/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-egress: the privileged helper that enforces a session's [Egress] policy without
 * sessiond. units/sessiond-egress.service runs "ensure" before any session; every session unit
 * runs "setup" before it starts (ExecStartPre=+…) and "remove" after it stopped (ExecStopPost=+…),
 * as the renderer writes them, for generated and transient units alike. A thin edge over
 * lib/egress.c: parses arguments, logs to stderr (the journal), maps errors to exit codes.
 *
 *   sessiond-egress ensure
 *   sessiond-egress setup NAME [--allow=RULE...] [--allow-host=HOST...] [--dns=ADDRESS...] [--interface=IFNAME...]
 *   sessiond-egress update NAME [same options]   replaces the policy of a running session
 *   sessiond-egress net-up NAME --interface=IFNAME --machine=MACHINE
 *                                          addresses, route, masquerade of an nspawn session's veth
 *   sessiond-egress remove NAME
 *   sessiond-egress counters NAME          prints "PACKETS BYTES" dropped so far
 *   sessiond-egress stub NAME              serves the session's DNS stub (sessiond-dns@NAME.service)
 *
 * With AllowHost= names, setup also writes the session's DNS stub config and starts its stub unit
 * (sessiond-egress-dns.c); the chain accepts DNS to that stub alone.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "egress-policy.h"
#include "egress-stub-config.h"
#include "egress.h"
#include "macro.h"
#include "session.h"
#include "sessiond-egress.h"
#include "string-util.h"
#include "strv.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define SESSIONS_SLICE "sessiond.slice"
#define SYSTEMD_CONTROL_DIR "/run/systemd/system.control"

/* The value of "--key=VALUE" if a is that option, else NULL. */
static const char *option_value(const char *a, const char *option) {
        size_t n = strlen(option);

        return strncmp(a, option, n) == 0 && a[n] == '=' ? a + n + 1 : NULL;
}

static void help(void) {
        printf("sessiond-egress VERB [NAME] [OPTIONS]\n\n"
               "Enforces the egress policy of sessions in nftables table inet " EGRESS_TABLE ".\n\n"
               "  ensure                    create the table and its fail-closed catch-all\n"
               "  setup NAME [--allow=RULE...] [--allow-host=HOST...] [--dns=ADDRESS...]\n"
               "                            load the session's chain and sets (RULE as in Allow=,\n"
               "                            HOST as in AllowHost=, ADDRESS as in DNS=); replaces an\n"
               "                            old policy; with hosts, starts the session's DNS stub\n"
               "  update NAME [OPTIONS]     replace the policy of a loaded session, atomically\n"
               "                            --interface=IFNAME: also what comes in there (a veth)\n"
               "  net-up NAME --interface=IFNAME --machine=MACHINE\n"
               "                            give the veth of an nspawn session addresses, the\n"
               "                            machine a default route, and masquerade it\n"
               "  remove NAME               remove everything of the session\n"
               "  counters NAME             print the packets and bytes dropped for the session\n"
               "  stub NAME                 serve the session's DNS stub (sessiond-dns@NAME.service)\n");
}

/* Adds a cgroup that exists to a set; one that does not is left to NFTSet= when it is made. */
static int add_cgroup_if_exists(EgressContext *ctx, const char *set, const char *cgroup) {
        _cleanup_free_ char *path = strjoin(CGROUP_ROOT "/", cgroup);
        int r;

        if (!path)
                return log_error_errno(-ENOMEM, "out of memory");
        if (access(path, F_OK) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(-errno, "cannot access %s", path);
        }
        r = egress_cgroup_set_add(ctx, set, cgroup);
        if (r < 0)
                return log_error_errno(r, "cannot add cgroup %s to set %s: %s", cgroup, set,
                                       egress_last_error(ctx));
        return 0;
}

/* Binds the session's slice in the verdict map, so that its packets find their chain in one lookup
 * (the per-session set filled by NFTSet= is the slower fallback). */
static int bind_cgroup_if_exists(EgressContext *ctx, const char *name, const char *cgroup) {
        _cleanup_free_ char *path = strjoin(CGROUP_ROOT "/", cgroup);
        int r;

        if (!path)
                return log_error_errno(-ENOMEM, "out of memory");
        if (access(path, F_OK) < 0)
                return errno == ENOENT ? 0 : log_error_errno(-errno, "cannot access %s", path);
        r = egress_session_bind_cgroup(ctx, name, cgroup);
        if (r < 0)
                return log_error_errno(r, "cannot bind cgroup %s to session %s: %s", cgroup, name,
                                       egress_last_error(ctx));
        return 0;
}

static int ensure(EgressContext *ctx) {
        int r;

        r = egress_table_ensure(ctx);
        if (r < 0)
                return log_error_errno(r, "cannot create table inet " EGRESS_TABLE ": %s", egress_last_error(ctx));
        /* NFTSet= on sessiond.slice adds it when the slice starts; if the slice was started while
         * the table was missing, its cgroup joins the catch-all here. */
        return add_cgroup_if_exists(ctx, EGRESS_SESSIONS_CGROUP_SET, SESSIONS_SLICE);
}

static void hosts_free(EgressHost *hosts, size_t n) {
        for (size_t i = 0; i < n; i++)
                egress_host_done(&hosts[i]);
        free(hosts);
}

/* 1 if the session's policy is loaded (setup wrote its policy file last), 0 if not. */
static int policy_loaded(const char *name) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = egress_policy_path(name, &path);
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}

/* UpdateEgress sets the slice's address filter at run time (SetUnitProperties): PID 1 keeps
 * that in drop-ins below /run/systemd/system.control, which outlive the session and would
 * apply to the next session of that name. They go with the session's chain. */
static int remove_runtime_filter(const char *name) {
        _cleanup_free_ char *slice = NULL, *dir = NULL;
        int r;

        r = session_slice_name(name, &slice);
        if (r < 0)
                return r;
        dir = strjoin(SYSTEMD_CONTROL_DIR "/", slice, ".d");
        if (!dir)
                return -ENOMEM;
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *p = strjoin(dir, "/", i == 0 ? "50-IPAddressAllow.conf" : "50-IPAddressDeny.conf");

                if (!p)
                        return -ENOMEM;
                if (unlink(p) < 0 && errno != ENOENT)
                        return log_error_errno(-errno, "cannot remove %s", p);
        }
        (void) rmdir(dir);      /* if nothing else is in it */
        return 0;
}

/* setup: load the session's policy, replacing an old one; update: replace the policy of a session
 * that is loaded (its unit runs), -ENOENT otherwise. */
static int verb_setup(EgressContext *ctx, const char *name, bool update, int argc, char *argv[]) {
        _cleanup_free_ EgressRule *rules = NULL;
        _cleanup_free_ char *slice = NULL, *cgroup = NULL, *set = NULL;
        _cleanup_strv_free_ char **upstreams = NULL;
        EgressHost *hosts = NULL;
        _cleanup_free_ const char **ifnames = NULL;
        _cleanup_(root_file_change_done) RootFileChange machine_resolv = ROOT_FILE_CHANGE_NULL;
        EgressStub stub = {};
        size_t n_rules = 0, n_hosts = 0, n_ifnames = 0;
        int r;

        rules = calloc(argc + 1, sizeof(EgressRule));
        hosts = calloc(argc + 1, sizeof(EgressHost));
        upstreams = calloc(1, sizeof(char *));
        ifnames = calloc(argc + 1, sizeof(char *));
        if (!rules || !hosts || !upstreams || !ifnames) {
                free(hosts);
                return log_error_errno(-ENOMEM, "out of memory");
        }
        for (int i = 0; i < argc; i++) {
                const char *v;

                if ((v = option_value(argv[i], "--allow"))) {
                        r = egress_rule_from_string(v, rules + n_rules);
                        if (r < 0) {
                                r = log_error_errno(r, "invalid Allow= rule '%s'", v);
                                goto finish;
                        }
                        n_rules++;
                } else if ((v = option_value(argv[i], "--allow-host"))) {
                        r = egress_host_from_string(v, hosts + n_hosts);
                        if (r < 0) {
                                r = log_error_errno(r, "invalid AllowHost= '%s'", v);
                                goto finish;
                        }
                        n_hosts++;
                } else if ((v = option_value(argv[i], "--dns"))) {
                        uint8_t a[16];
                        int family;

                        r = parse_ip_address(v, &family, a);
                        if (r >= 0)
                                r = strv_extend(&upstreams, v);
                        if (r < 0) {
                                r = log_error_errno(r, "invalid DNS= '%s'", v);
                                goto finish;
                        }
                } else if ((v = option_value(argv[i], "--interface"))) {
                        /* a machine's veth (host side): what comes in there is the session's */
                        if (isempty(v) || strlen(v) > 15 || v[strcspn(v, "\"/ \t\n;{}")]) {
                                r = log_error_errno(-EINVAL, "invalid interface name '%s'", v);
                                goto finish;
                        }
                        ifnames[n_ifnames++] = v;
                } else {
                        r = log_error_errno(-EINVAL, "unknown argument '%s'", argv[i]);
                        goto finish;
                }
        }

        r = session_slice_name(name, &slice);
        if (r >= 0)
                r = egress_cgroup_set_name(name, &set);
        if (r < 0) {
                r = log_error_errno(r, "invalid session name '%s'", name);
                goto finish;
        }
        cgroup = strjoin(SESSIONS_SLICE "/", slice);
        if (!cgroup) {
                r = log_error_errno(-ENOMEM, "out of memory");
                goto finish;
        }

        /* Nothing changes unless all of it can. An nspawn machine to point at its stub must be there,
         * and its /etc/resolv.conf (the machine's file: the one write here the machine can make
         * fail) is pointed at the veth before the chain changes; if anything after that fails, it
         * is set back at the end. */
        if (update && n_hosts > 0) {
                r = net_dns_begin(name, &machine_resolv);
                if (r < 0)
                        goto finish;
        }

        r = ensure(ctx);
        if (r < 0)
                goto finish;

        /* Host names resolve through the session's own DNS stub, which adds what they resolve to;
         * until then they open nothing: the chain ends in a drop. */
        if (n_hosts > 0) {
                r = dns_stub_write_config(name, upstreams, hosts, n_hosts, &stub);
                if (r < 0)
                        goto finish;
        }

        /* A chain left by a unit that did not stop cleanly is replaced, with its resolved addresses.
         * An update is one transaction too: the session's chain is flushed and refilled, its
         * resolved addresses are dropped (names resolve again through the new policy), established
         * connections live on. */
        if (update)
                r = egress_session_update(ctx, name, rules, n_rules, &stub, true);
        else {
                r = egress_session_add(ctx, name, rules, n_rules, &stub);
                if (r == -EEXIST)
                        r = egress_session_update(ctx, name, rules, n_rules, &stub, true);
        }
        if (r < 0) {
                r = log_error_errno(r, "cannot load the egress policy of session %s: %s", name,
                                    egress_last_error(ctx));
                goto finish;
        }

        /* The slice's cgroup exists by now (the service's cgroup is made below it before
         * ExecStartPre= runs), but its NFTSet= found no set when systemd made it: add it here. */
        r = add_cgroup_if_exists(ctx, set, cgroup);
        if (r >= 0)
                r = bind_cgroup_if_exists(ctx, name, cgroup);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < n_ifnames; i++) {
                r = egress_session_add_interface(ctx, name, ifnames[i]);
                if (r < 0) {
                        r = log_error_errno(r, "cannot send interface %s through the chain of session %s: %s",
                                            ifnames[i], name, egress_last_error(ctx));
                        goto finish;
                }
        }

        if (n_hosts > 0)
                r = dns_stub_start(name, &stub);
        else
                r = dns_stub_remove(name);      /* an update that drops every AllowHost= */
        if (r >= 0 && update)
                r = net_dns_update(ctx, name);  /* an nspawn machine's DNS follows */
        if (r >= 0)
                r = egress_write_policy(name, rules, n_rules, hosts, n_hosts, upstreams);
        if (r < 0)
                goto finish;

        fprintf(stderr, "sessiond-egress: session %s: %zu Allow= rules, %zu AllowHost= names%s\n",
                name, n_rules, n_hosts, n_hosts > 0 ? ", DNS stub up" : "");
        r = 0;
finish:
        if (r < 0)
                net_dns_abort(name, &machine_resolv);
        hosts_free(hosts, n_hosts);
        return r;
}

static int verb_remove(EgressContext *ctx, const char *name) {
        int r;

        r = dns_stub_remove(name);
        if (r >= 0)
                r = net_remove(ctx, name);
        if (r >= 0)
                r = egress_remove_policy(name);
        if (r >= 0)
                r = remove_runtime_filter(name);
        if (r < 0)
                return r;
        r = egress_session_remove(ctx, name);
        if (r == -ENOENT)
                return 0;       /* never set up, or removed already: nothing left, as wanted */
        if (r < 0)
                return log_error_errno(r, "cannot remove the egress policy of session %s: %s", name,
                                       egress_last_error(ctx));
        return 0;
}

static int verb_counters(EgressContext *ctx, const char *name) {
        uint64_t packets, bytes;
        int r;

        r = egress_session_counters(ctx, name, &packets, &bytes);
        if (r < 0)
                return log_error_errno(r, "cannot read the counters of session %s: %s", name,
                                       egress_last_error(ctx));
        printf("%" PRIu64 " %" PRIu64 "\n", packets, bytes);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        const char *verb, *name;
        int r;

        if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                help();
                return argc < 2 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        verb = argv[1];
        name = argc > 2 ? argv[2] : NULL;

        if (!streq(verb, "ensure")) {
                if (!name) {
                        log_error_errno(-EINVAL, "%s needs a session name", verb);
                        return EXIT_FAILURE;
                }
                if (!session_name_is_valid(name)) {
                        log_error_errno(-EINVAL, "invalid session name '%s'", name);
                        return EXIT_FAILURE;
                }
        }
        if (!streq(verb, "setup") && !streq(verb, "update") && !streq(verb, "net-up") && argc > (name ? 3 : 2)) {
                log_error_errno(-EINVAL, "too many arguments");
                return EXIT_FAILURE;
        }

        r = egress_ctx_new(&ctx);
        if (r < 0) {
                log_error_errno(r, "cannot initialize libnftables");
                return EXIT_FAILURE;
        }

        if (streq(verb, "ensure"))
                r = ensure(ctx);
        else if (streq(verb, "setup"))
                r = verb_setup(ctx, name, false, argc - 3, argv + 3);
        else if (streq(verb, "update")) {
                /* An update changes a loaded policy only: a session started without network has
                 * no chain (and a network namespace of its own), one that ended has none left. */
                r = policy_loaded(name);
                if (r == 0) {
                        log_error_errno(-ENOENT, "session %s has no egress policy loaded", name);
                        return EGRESS_EXIT_NOT_LOADED;
                }
                if (r > 0)
                        r = verb_setup(ctx, name, true, argc - 3, argv + 3);
        }
        else if (streq(verb, "net-up"))
                r = verb_net_up(ctx, name, argc - 3, argv + 3);
        else if (streq(verb, "remove"))
                r = verb_remove(ctx, name);
        else if (streq(verb, "counters"))
                r = verb_counters(ctx, name);
        else if (streq(verb, "stub"))
                r = verb_stub(ctx, name);
        else
                r = log_error_errno(-EINVAL, "unknown verb '%s'", verb);

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
