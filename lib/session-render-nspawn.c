/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Backend=nspawn and Backend=vmspawn: the service runs systemd-nspawn (or systemd-vmspawn) with
 * --keep-unit, so the machine is registered with machined under the session's own unit and lives
 * in the session's slice, which carries the limits (rendered by session_render_slice(), as for
 * the service backend). The session agent is the container's payload (PID 1): its binary and the
 * session's runtime directory are bound into the container at the same paths, so sessiond reaches
 * agent.sock from the host exactly as for a service session. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "egress-stub-config.h"
#include "parse-util.h"
#include "session-render-internal.h"
#include "string-util.h"
#include "strv.h"

#define SYSTEMD_NSPAWN_PATH "/usr/bin/systemd-nspawn"
#define SYSTEMD_VMSPAWN_PATH "/usr/bin/systemd-vmspawn"
#define MACHINES_DIR "/var/lib/machines"

static bool machine_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

int session_machine_name(const char *name, char **ret) {
        char *m;

        assert(ret);
        if (!session_name_is_valid(name))
                return -EINVAL;
        m = strdup(name);
        if (!m)
                return -ENOMEM;
        /* Machine names are host names: no '_'. */
        for (char *p = m; *p; p++)
                if (!machine_char_ok(*p))
                        *p = '-';
        *ret = m;
        return 0;
}

int session_veth_name(const char *name, char **ret) {
        char buf[16];

        assert(ret);
        if (!session_name_is_valid(name))
                return -EINVAL;
        /* IFNAMSIZ-1 = 15 characters. Not nspawn's "ve-": those are nspawn's own names for other
         * machines, and networkd's 80-container-ve.network would configure ours as well (its own
         * addresses, DHCP server and masquerade), beside what sessiond-egress sets up. "vs-NAME"
         * for names of up to 12 characters; longer ones "vs_" + 4 characters + a hash: '-' and
         * '_' keep the two forms apart, so a short name never takes the place of a long one. */
        if (strlen(name) <= 12)
                snprintf(buf, sizeof(buf), "vs-%s", name);
        else
                snprintf(buf, sizeof(buf), "vs_%.4s%08x", name, string_hash32(name));
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

uint32_t session_vsock_cid(const char *name) {
        /* 3 and up are guest CIDs; keep clear of the small numbers people pick by hand. */
        return 0x10000U + (string_hash32(name) % 0x7fff0000U);
}

static char *join_words(char **l) {
        size_t len = 1;
        char *j, *p;

        STRV_FOREACH(w, l)
                len += strlen(*w) + 1;
        j = malloc(len);
        if (!j)
                return NULL;
        p = j;
        *p = 0;
        STRV_FOREACH(w, l) {
                if (w != l)
                        *p++ = ' ';
                p = stpcpy(p, *w);
        }
        return j;
}

static bool image_is_raw(const char *image) {
        size_t n = strlen(image);

        return n > 4 && streq(image + n - 4, ".raw");
}

static int image_path(const char *image, char **ret) {
        *ret = image[0] == '/' ? strdup(image) : strjoin(MACHINES_DIR "/", image);
        return *ret ? 0 : -ENOMEM;
}

static int extend_opt(char ***argv, const char *option, const char *v1, const char *v2, const char *v3) {
        _cleanup_free_ char *arg = strjoin(option, v1, v2 ?: "", v3 ?: "");

        if (!arg)
                return -ENOMEM;
        return strv_extend(argv, arg);
}

/* The agent's own command line:
 * sessiond-agent --name=NAME [--terminal] [--socket=S] [--sandbox=PROFILE] [-- EXEC...] */
static int agent_argv(const Session *s, const char *socket, const char *sandbox, char ***argv) {
        int r;

        r = strv_extend(argv, SESSIOND_AGENT_PATH);
        if (r >= 0)
                r = extend_opt(argv, "--name=", s->name, NULL, NULL);
        if (r >= 0 && s->terminal)
                r = strv_extend(argv, "--terminal");
        if (r >= 0 && socket)
                r = extend_opt(argv, "--socket=", socket, NULL, NULL);
        if (r >= 0 && sandbox)
                r = extend_opt(argv, "--sandbox=", sandbox, NULL, NULL);
        if (r >= 0 && s->exec) {
                r = strv_extend(argv, "--");
                if (r >= 0)
                        r = strv_extend_strv(argv, s->exec);
        }
        return r;
}

static int add_common_head(const Session *s, UnitAssignments *a) {
        _cleanup_free_ char *slice = NULL;
        int r;

        for (size_t i = 0; i < s->unit_section.n_entries; i++) {
                const PassthroughEntry *e = s->unit_section.entries + i;

                r = unit_assignment_add_full(a, UNIT_SECTION_UNIT, e->key, e->value, NULL, true);
                if (r < 0)
                        return r;
        }
        if (!session_egress_none(s)) {
                r = unit_assignment_add_full(a, UNIT_SECTION_UNIT, "Requires", "sessiond-egress.service", NULL, false);
                if (r >= 0)
                        r = unit_assignment_add_full(a, UNIT_SECTION_UNIT, "After", "sessiond-egress.service", NULL, false);
                if (r < 0)
                        return r;
        }
        r = session_slice_name(s->name, &slice);
        if (r < 0)
                return r;
        r = unit_assignment_add(a, "Slice", slice);
        /* nspawn and vmspawn tell systemd when the machine is up (READY=1 from the main process). */
        if (r >= 0)
                r = unit_assignment_add(a, "Type", "notify");
        return r;
}

static int add_common_tail(const Session *s, UnitAssignments *a) {
        _cleanup_free_ char *rundir = NULL, *extra = NULL;
        char buf[21];
        int r;

        rundir = strjoin("sessiond/agents/", s->name);
        extra = strjoin("SESSIOND_SESSION=", s->name);
        if (!rundir || !extra)
                return -ENOMEM;
        r = unit_assignment_add(a, "RuntimeDirectory", rundir);
        if (r >= 0)
                r = unit_assignment_add(a, "RuntimeDirectoryMode", "0700");
        /* nspawn gets SIGTERM and passes --kill-signal= on to the container's PID 1; the rest of
         * the cgroup gets SIGKILL only after the stop timeout. Delegate=yes: nspawn makes its own
         * payload/supervisor cgroups below the unit's. */
        if (r >= 0)
                r = unit_assignment_add(a, "KillMode", "mixed");
        if (r >= 0)
                r = unit_assignment_add(a, "Delegate", "yes");
        if (r >= 0 && s->max_runtime_usec != UINT64_UNSET) {
                snprintf(buf, sizeof(buf), "%" PRIu64, s->max_runtime_usec / USEC_PER_SEC);
                r = unit_assignment_add(a, "RuntimeMaxSec", buf);
        }
        if (r >= 0)
                r = unit_assignment_add(a, "LogExtraFields", extra);
        if (r < 0)
                return r;

        /* Secrets reach nspawn/vmspawn as the unit's own credentials (decrypted by PID 1 for
         * LoadCredentialEncrypted=); the machine gets them from there: see --load-credential=ID:ID. */
        for (size_t i = 0; i < s->n_credentials; i++) {
                const SessionCredential *c = s->credentials + i;
                _cleanup_free_ char *v = strjoin(c->id, ":", c->path);

                if (!v)
                        return -ENOMEM;
                r = unit_assignment_add(a, c->encrypted ? "LoadCredentialEncrypted" : "LoadCredential", v);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < s->service_section.n_entries; i++) {
                const PassthroughEntry *e = s->service_section.entries + i;

                r = unit_assignment_add_full(a, UNIT_SECTION_SERVICE, e->key, e->value, NULL, true);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < s->install_section.n_entries; i++) {
                const PassthroughEntry *e = s->install_section.entries + i;

                r = unit_assignment_add_full(a, UNIT_SECTION_INSTALL, e->key, e->value, NULL, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An overlay, or a tmpfs OnEnd=persist keeps, is mounted on the host by sessiond-workspace around
 * the session (nspawn and vmspawn alike), and its merged directory is what the machine gets. */
static bool workspace_on_host(const Session *s) {
        return s->workspace_mode == WORKSPACE_OVERLAY ||
                (s->workspace_mode == WORKSPACE_TMPFS && s->on_end == SESSION_ON_END_PERSIST);
}

static int bind_host_workspace(const Session *s, UnitAssignments *a, const char *target, char ***argv) {
        _cleanup_free_ char *merged = NULL;
        int r;

        r = session_render_workspace_helper(s, a, target, true);
        if (r < 0)
                return r;
        merged = strjoin(SESSIOND_RUNTIME_DIR "/workspaces/", s->name, "/merged");
        if (!merged)
                return -ENOMEM;
        return extend_opt(argv, "--bind=", merged, ":", target);
}

/* The session's commands run as an unprivileged uid of the container's range, which nspawn picks
 * at start. A host directory (Mode=bind, bind-ro) is bound idmapped: host uid N is uid N inside,
 * so the host's modes and owners mean there what they mean for a service (a dynamic uid there,
 * AGENT_SANDBOX_UID 61184 here): the session writes where the host lets that uid write, and what
 * it creates is the host's uid 61184. An overlay cannot be idmapped (overlayfs refuses), nor
 * made by nspawn with a writable root (its upper directory is root's): sessiond-workspace mounts
 * it on the host around the session, as for a service, with a root of mode 1777, and it is
 * bound as it is; so is a tmpfs whose content OnEnd=persist keeps. The host directory is only
 * the lower layer: never written. */
static int nspawn_workspace(const Session *s, UnitAssignments *a, char ***argv) {
        const char *target = s->workspace_target ?: "/workspace";
        char buf[21];

        if (workspace_on_host(s))
                return bind_host_workspace(s, a, target, argv);

        switch (s->workspace_mode) {
        case WORKSPACE_NONE:
                return 0;
        case WORKSPACE_BIND:
        case WORKSPACE_BIND_RO: {
                _cleanup_free_ char *bind = strjoin(s->workspace_path, ":", target, ":idmap");

                if (!bind)
                        return -ENOMEM;
                return extend_opt(argv, s->workspace_mode == WORKSPACE_BIND ? "--bind=" : "--bind-ro=", bind, NULL, NULL);
        }
        case WORKSPACE_TMPFS:
                if (s->workspace_size != UINT64_UNSET) {
                        snprintf(buf, sizeof(buf), "%" PRIu64, s->workspace_size);
                        return extend_opt(argv, "--tmpfs=", target, ":mode=1777,size=", buf);
                }
                return extend_opt(argv, "--tmpfs=", target, ":mode=1777", NULL);
        default:
                return -EINVAL;
        }
}

static int load_credentials(const Session *s, char ***argv) {
        for (size_t i = 0; i < s->n_credentials; i++) {
                /* a relative source is one of nspawn's own credentials ($CREDENTIALS_DIRECTORY) */
                int r = extend_opt(argv, "--load-credential=", s->credentials[i].id, ":", s->credentials[i].id);
                if (r < 0)
                        return r;
        }
        return 0;
}

int session_render_nspawn_service(const Session *s, UnitAssignments *a) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *machine = NULL, *veth = NULL, *rundir = NULL, *image = NULL;
        int r;

        assert(s);
        assert(a);

        r = session_machine_name(s->name, &machine);
        if (r >= 0)
                r = session_veth_name(s->name, &veth);
        if (r < 0)
                return r;
        rundir = strjoin(SESSIOND_RUNTIME_DIR "/agents/", s->name);
        if (!rundir)
                return -ENOMEM;
        if (s->image) {
                r = image_path(s->image, &image);
                if (r < 0)
                        return r;
        }

        r = add_common_head(s, a);
        if (r < 0)
                return r;

        argv = calloc(1, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        r = strv_extend(&argv, SYSTEMD_NSPAWN_PATH);
        if (r >= 0)
                r = strv_extend(&argv, "--quiet");
        if (r >= 0)
                r = strv_extend(&argv, "--keep-unit");
        if (r >= 0)
                r = strv_extend(&argv, "--register=yes");
        if (r >= 0)
                r = extend_opt(&argv, "--machine=", machine, NULL, NULL);
        /* No .nspawn file may change what the session file says. */
        if (r >= 0)
                r = strv_extend(&argv, "--settings=no");
        /* Root in the container is not root on the host: a user namespace with a free range of
         * 65536 UIDs. The host's root is mapped with idmapped mounts only (never chowned: "map"
         * fails where the file system cannot do it); an image may be chowned to the range where
         * idmapped mounts are not available ("auto", what systemd-nspawn@.service does). */
        if (r >= 0)
                r = strv_extend(&argv, "--private-users=pick");
        if (r >= 0 && !image) {
                /* The host's /usr, read-only, under an empty tmpfs root. */
                r = strv_extend(&argv, "--private-users-ownership=map");
                if (r >= 0)
                        r = strv_extend(&argv, "--directory=/");
                if (r >= 0)
                        r = strv_extend(&argv, "--volatile=yes");
        } else if (r >= 0) {
                /* The image never changes: writes go to a tmpfs overlay. */
                r = strv_extend(&argv, "--private-users-ownership=auto");
                if (r >= 0)
                        r = extend_opt(&argv, image_is_raw(image) ? "--image=" : "--directory=", image, NULL, NULL);
                if (r >= 0)
                        r = strv_extend(&argv, "--volatile=overlay");
        }
        /* Less than nspawn's default capability set: no mounts, raw sockets, ptrace of other
         * processes or reboot inside; setuid binaries and file capabilities raise nothing. */
        if (r >= 0)
                r = strv_extend(&argv, "--drop-capability=CAP_SYS_ADMIN,CAP_NET_RAW,CAP_SYS_PTRACE,CAP_SYS_BOOT");
        if (r >= 0)
                r = strv_extend(&argv, "--no-new-privileges=yes");
        /* nspawn's own allow list has io_uring, a kernel interface with a record of escapes and
         * no business in a session (the service backend's filters leave it out too). */
        if (r >= 0)
                r = strv_extend(&argv, "--system-call-filter=~io_uring_setup io_uring_enter io_uring_register");
        /* READY=1 only once the agent serves (it notifies): a started session takes exec. */
        if (r >= 0)
                r = strv_extend(&argv, "--notify-ready=yes");
        /* The container's stdout/stderr are the unit's: the session's journal. */
        if (r >= 0)
                r = strv_extend(&argv, "--console=pipe");
        if (r >= 0)
                r = strv_extend(&argv, "--link-journal=no");
        /* The agent forwards SIGTERM to the session's command and exits when it has ended. */
        if (r >= 0)
                r = strv_extend(&argv, "--kill-signal=SIGTERM");
        /* idmapped: the agent's socket is root's on the host, as sessiond expects */
        if (r >= 0)
                r = extend_opt(&argv, "--bind-ro=", SESSIOND_AGENT_PATH ":" SESSIOND_AGENT_PATH, ":idmap", NULL);
        if (r >= 0) {
                _cleanup_free_ char *bind = strjoin(rundir, ":", rundir, ":idmap");

                if (!bind)
                        return -ENOMEM;
                r = extend_opt(&argv, "--bind=", bind, NULL, NULL);
        }
        if (r >= 0)
                r = extend_opt(&argv, "--setenv=RUNTIME_DIRECTORY=", rundir, NULL, NULL);
        STRV_FOREACH(e, s->environment)
                if (r >= 0)
                        r = extend_opt(&argv, "--setenv=", *e, NULL, NULL);
        if (r >= 0 && s->working_directory)
                r = extend_opt(&argv, "--chdir=", s->working_directory, NULL, NULL);
        if (r >= 0 && s->user)
                r = extend_opt(&argv, "--user=", s->user, NULL, NULL);
        if (r >= 0 && session_egress_none(s))
                r = strv_extend(&argv, "--private-network");
        else if (r >= 0)
                /* A veth pair with a name we know, so the host side can be matched in nftables. */
                r = extend_opt(&argv, "--network-veth-extra=", veth, ":host0", NULL);
        if (r >= 0 && !session_egress_none(s) && s->n_egress_hosts > 0) {
                /* AllowHost= names resolve through the session's DNS stub: sessiond-egress setup
                 * (ExecStartPre=) writes NAME.resolv before nspawn runs, net-up rewrites it in place
                 * to name the host's side of the veth, where the stub answers (see
                 * tools/sessiond-egress-net.c). nspawn must not put its own there. */
                _cleanup_free_ char *file = NULL;

                r = egress_stub_resolv_file(s->name, &file);
                if (r >= 0)
                        r = strv_extend(&argv, "--resolv-conf=off");
                if (r >= 0)
                        r = extend_opt(&argv, "--bind-ro=" EGRESS_STUB_DIR "/", file, ":/etc/resolv.conf", NULL);
        }
        if (r >= 0 && s->system_call_filter) {
                _cleanup_free_ char *joined = join_words(s->system_call_filter);

                if (!joined)
                        return -ENOMEM;
                r = extend_opt(&argv, "--system-call-filter=", joined, NULL, NULL);
        }
        if (r >= 0)
                r = nspawn_workspace(s, a, &argv);
        if (r >= 0)
                r = load_credentials(s, &argv);
        if (r >= 0)
                r = strv_extend(&argv, "--");
        /* The agent stays root of the container (it reaps, binds its socket, forwards signals);
         * what it starts runs as an unprivileged uid without capabilities, with the seccomp rules
         * of the session's profile that nspawn's name-only filter cannot express (argument
         * matches: setuid modes, namespace flags). With User= nspawn itself runs the agent as
         * that user, which then cannot change uid: no sandbox option. */
        if (r >= 0)
                r = agent_argv(s, NULL, s->user ? NULL : session_profile_to_string(s->profile), &argv);
        if (r < 0)
                return r;

        r = unit_assignment_add_exec(a, "ExecStart", argv, false);
        if (r >= 0)
                r = session_render_egress(s, session_egress_none(s) ? NULL : veth, a);
        if (r >= 0 && !session_egress_none(s)) {
                /* Once the machine is up (READY=1 from its agent) the veth exists: addresses on both
                 * sides, the container's default route, the masquerade. The start job completes
                 * only after this. */
                _cleanup_strv_free_ char **net = NULL;

                net = calloc(1, sizeof(char *));
                if (!net)
                        return -ENOMEM;
                r = strv_extend(&net, SESSIOND_EGRESS_PATH);
                if (r >= 0)
                        r = strv_extend(&net, "net-up");
                if (r >= 0)
                        r = strv_extend(&net, s->name);
                if (r >= 0)
                        r = extend_opt(&net, "--interface=", veth, NULL, NULL);
                if (r >= 0)
                        r = extend_opt(&net, "--machine=", machine, NULL, NULL);
                if (r >= 0)
                        r = unit_assignment_add_exec(a, "ExecStartPost", net, true);
        }
        if (r < 0)
                return r;
        return add_common_tail(s, a);
}

/* Backend=vmspawn: what the VM sees of the host goes through systemd-vmspawn's own sharing. For
 * each --bind=/--bind-ro= vmspawn (262) starts one virtiofsd (run as root, no uid translation:
 * guest uid N is host uid N, so the guest's root writes as the host's root; --xattr;
 * --modcaps=-mknod: no device nodes) and hands the guest an fstab.extra credential line
 * "mntN TARGET virtiofs rw|ro,x-initrd.mount", which systemd-fstab-generator in the guest makes
 * a mount unit of (local-fs.target, before the agent's unit starts).
 * - overlay (and a tmpfs OnEnd=persist keeps): mounted on the host by sessiond-workspace as for
 *   nspawn (top root's, mode 1777: the guest's users are not the host's to resolve), the merged
 *   directory shared with --bind=; the host directory is only the lower layer, never written.
 * - bind: --bind=PATH:TARGET, the host directory itself.
 * - bind-ro: vmspawn makes it read-only only in the guest (mount option "ro"; virtiofsd is not
 *   started --readonly), which the guest's root may remount. The host enforces it instead: the
 *   unit binds PATH read-only (BindReadOnlyPaths=, in the unit's own mount namespace, which
 *   vmspawn and its virtiofsd inherit) into its runtime directory, and that is what is shared.
 * - tmpfs (discarded at the end): the guest's own, from systemd.mount-extra= on its kernel
 *   command line: guest memory, no virtiofsd, nothing of the host. */
static int vmspawn_workspace(const Session *s, UnitAssignments *a, char ***argv) {
        const char *target = s->workspace_target ?: "/workspace";
        int r;

        if (workspace_on_host(s))
                return bind_host_workspace(s, a, target, argv);

        switch (s->workspace_mode) {
        case WORKSPACE_NONE:
        case WORKSPACE_TMPFS:           /* vmspawn_workspace_cmdline() */
                return 0;
        case WORKSPACE_BIND:
                return extend_opt(argv, "--bind=", s->workspace_path, ":", target);
        case WORKSPACE_BIND_RO: {
                _cleanup_free_ char *ro = NULL, *bind = NULL;

                ro = strjoin(SESSIOND_RUNTIME_DIR "/agents/", s->name, "/workspace-ro");
                if (!ro)
                        return -ENOMEM;
                bind = strjoin(s->workspace_path, ":", ro);
                if (!bind)
                        return -ENOMEM;
                r = unit_assignment_add(a, "BindReadOnlyPaths", bind);
                if (r < 0)
                        return r;
                return extend_opt(argv, "--bind-ro=", ro, ":", target);
        }
        default:
                return -EINVAL;
        }
}

/* The guest kernel command line's part of a workspace: a tmpfs the session discards. */
static int vmspawn_workspace_cmdline(const Session *s, char ***argv) {
        const char *target = s->workspace_target ?: "/workspace";
        char buf[21];

        if (s->workspace_mode != WORKSPACE_TMPFS || s->on_end == SESSION_ON_END_PERSIST)
                return 0;
        if (s->workspace_size != UINT64_UNSET) {
                snprintf(buf, sizeof(buf), "%" PRIu64, s->workspace_size);
                return extend_opt(argv, "systemd.mount-extra=tmpfs:", target, ":tmpfs:mode=1777,size=", buf);
        }
        return extend_opt(argv, "systemd.mount-extra=tmpfs:", target, ":tmpfs:mode=1777", NULL);
}

bool session_vmspawn_uses_virtiofs(const Session *s) {
        if (s->image && !image_is_raw(s->image))
                return true;
        /* vmspawn_workspace() shares all but a discarded tmpfs (vmspawn_workspace_cmdline()) */
        return s->workspace_mode != WORKSPACE_NONE &&
                !(s->workspace_mode == WORKSPACE_TMPFS && s->on_end != SESSION_ON_END_PERSIST);
}

/* The guest's unit for the agent, as systemd-vmspawn's --set-credential= option: a
 * systemd.extra-unit.* credential, which the guest's systemd-debug-generator (systemd >= 256)
 * writes out as a unit. Not systemd.run=: that makes a Type=oneshot service whose start job lasts
 * as long as the agent runs, so the guest's boot never finishes and its PID 1 never sends the
 * READY=1 that systemd-vmspawn waits for (a real run sat 19 minutes like that). Type=exec: boot
 * finishes once the agent is executed; sessiond then waits for it to answer (manager-agent-wait.c).
 * The guest powers off when the agent ends, however it ends. vmspawn C-unescapes the value. */
static int vmspawn_agent_unit(const Session *s, char **agent, char **ret) {
        _cleanup_free_ char *text = NULL, *opt = NULL;
        char *p;

        text = strjoin("[Unit]\n"
                       "Description=sessiond agent of session ", s->name, "\n"
                       "SuccessAction=poweroff\n"
                       "FailureAction=poweroff\n"
                       "[Service]\n"
                       "Type=exec\n"
                       /* The host bounds the wait for the agent (and then stops the VM); a
                        * guest-side limit would only power off a slow guest (nested under TCG
                        * the start took over the default 90 s). */
                       "TimeoutStartSec=infinity\n"
                       "ExecStart=");
        if (!text)
                return -ENOMEM;
        STRV_FOREACH(w, agent) {
                _cleanup_free_ char *q = NULL;
                char *t;
                int r;

                r = unit_file_quote_word(*w, /* for_exec= */ true, &q);
                if (r < 0)
                        return r;
                t = strjoin(text, w == agent ? "" : " ", q);
                if (!t)
                        return -ENOMEM;
                free(text);
                text = t;
        }

        opt = malloc(strlen("--set-credential=systemd.extra-unit." SESSION_VMSPAWN_AGENT_UNIT ":") + strlen(text) * 2 + 3);
        if (!opt)
                return -ENOMEM;
        p = stpcpy(opt, "--set-credential=systemd.extra-unit." SESSION_VMSPAWN_AGENT_UNIT ":");
        for (const char *c = text; *c; c++) {
                if (*c == '\\' || *c == '\n')
                        *p++ = '\\';
                *p++ = *c == '\n' ? 'n' : *c;
        }
        (void) stpcpy(p, "\\n");
        *ret = TAKE_PTR(opt);
        return 0;
}

uint64_t session_vmspawn_guest_ram(uint64_t memory_max) {
        uint64_t reserve = memory_max / 4;

        if (reserve > SESSION_VMSPAWN_VMM_RESERVE_MAX)
                reserve = SESSION_VMSPAWN_VMM_RESERVE_MAX;
        return memory_max - reserve;
}

int session_render_vmspawn_service(const Session *s, UnitAssignments *a) {
        _cleanup_strv_free_ char **argv = NULL, **agent = NULL;
        _cleanup_free_ char *machine = NULL, *image = NULL, *run = NULL, *socket = NULL;
        char buf[32];
        int r;

        assert(s);
        assert(a);

        r = session_machine_name(s->name, &machine);
        if (r < 0)
                return r;
        /* The parser refuses vmspawn without Image=: the guest must not boot the host's root. */
        if (!s->image)
                return -EINVAL;
        r = image_path(s->image, &image);
        if (r < 0)
                return r;

        r = add_common_head(s, a);
        if (r < 0)
                return r;

        argv = calloc(1, sizeof(char *));
        agent = calloc(1, sizeof(char *));
        if (!argv || !agent)
                return -ENOMEM;
        r = strv_extend(&argv, SYSTEMD_VMSPAWN_PATH);
        if (r >= 0)
                r = strv_extend(&argv, "--quiet");
        if (r >= 0)
                r = strv_extend(&argv, "--keep-unit");
        if (r >= 0)
                r = strv_extend(&argv, "--register=yes");
        if (r >= 0)
                r = extend_opt(&argv, "--machine=", machine, NULL, NULL);
        if (r >= 0)
                r = extend_opt(&argv, image_is_raw(image) ? "--image=" : "--directory=", image, NULL, NULL);
        /* The VM's memory and CPUs come from [Resources]; the slice's MemoryMax= caps guest and
         * VMM together, so the guest gets less (session_vmspawn_guest_ram()). */
        if (r >= 0 && s->memory_max != UINT64_UNSET && s->memory_max != UINT64_INFINITY) {
                snprintf(buf, sizeof(buf), "%" PRIu64, session_vmspawn_guest_ram(s->memory_max));
                r = extend_opt(&argv, "--ram=", buf, NULL, NULL);
        }
        if (r >= 0 && s->cpu_quota_per_sec_usec != UINT64_UNSET) {
                uint64_t cpus = (s->cpu_quota_per_sec_usec + USEC_PER_SEC - 1) / USEC_PER_SEC;

                snprintf(buf, sizeof(buf), "%" PRIu64, cpus > 0 ? cpus : 1);
                r = extend_opt(&argv, "--cpus=", buf, NULL, NULL);
        }
        /* The agent listens on AF_VSOCK in the guest; sessiond dials CID:PORT. */
        if (r >= 0)
                r = strv_extend(&argv, "--vsock=yes");
        if (r >= 0) {
                snprintf(buf, sizeof(buf), "%" PRIu32, session_vsock_cid(s->name));
                r = extend_opt(&argv, "--vsock-cid=", buf, NULL, NULL);
        }
        /* vmspawn's default makes an SSH key pair for the VM (and fails where ssh-keygen is
         * missing, as seen on a real run of 262): the agent is the way in, nobody needs SSH. */
        if (r >= 0)
                r = strv_extend(&argv, "--pass-ssh-key=no");
        /* Without a network option the VM has none. With one, user-mode networking: the VMM's
         * own sockets carry the guest's traffic, from the session's cgroup, so the egress policy
         * applies as to any process of the session (cgroup BPF and the session's nft chain). */
        if (r >= 0 && !session_egress_none(s))
                r = strv_extend(&argv, "--network-user-mode");
        if (r >= 0)
                r = vmspawn_workspace(s, a, &argv);
        if (r >= 0)
                r = load_credentials(s, &argv);
        if (r < 0)
                return r;

        /* The agent runs in the guest as a unit of its own (vmspawn_agent_unit()), pulled in from
         * the kernel command line. */
        snprintf(buf, sizeof(buf), "vsock:%u", SESSION_AGENT_VSOCK_PORT);
        socket = strdup(buf);
        if (!socket)
                return -ENOMEM;
        r = agent_argv(s, socket, NULL, &agent);
        if (r < 0)
                return r;
        r = vmspawn_agent_unit(s, agent, &run);
        if (r >= 0)
                r = strv_extend(&argv, run);
        if (r >= 0)
                r = strv_extend(&argv, "--");
        if (r >= 0)
                r = strv_extend(&argv, "systemd.wants=" SESSION_VMSPAWN_AGENT_UNIT);
        /* The guest's end of AF_VSOCK is a module in distribution kernels, loaded by udev only
         * when the guest has one running: load it by name, the agent cannot do without it. */
        if (r >= 0)
                r = strv_extend(&argv, "modules_load=vmw_vsock_virtio_transport");
        if (r >= 0)
                r = vmspawn_workspace_cmdline(s, &argv);
        STRV_FOREACH(e, s->environment)
                if (r >= 0)
                        r = extend_opt(&argv, "systemd.setenv=", *e, NULL, NULL);
        if (r < 0)
                return r;

        r = unit_assignment_add_exec(a, "ExecStart", argv, false);
        if (r >= 0)
                r = session_render_egress(s, NULL, a);
        if (r < 0)
                return r;
        return add_common_tail(s, a);
}
