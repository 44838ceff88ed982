/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Backend=nspawn and Backend=vmspawn rendering: names, the systemd-nspawn/-vmspawn command line,
 * and what stays on the slice. The unit-file text is covered by tests/generator (goldens). */

#include <stdio.h>

#include "session-parse.h"
#include "session-render.h"
#include "string-util.h"
#include "strv.h"
#include "tests.h"

static Session *parse(const char *name, const char *text) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        Session *s = NULL;

        ASSERT_OK(session_parse_string(name, "<test>", text, &s, &errors));
        return s;
}

static const UnitAssignment *find(const UnitAssignments *a, const char *key, size_t nth) {
        for (size_t i = 0; i < a->n_items; i++)
                if (streq(a->items[i].key, key) && nth-- == 0)
                        return a->items + i;
        return NULL;
}

static const char *value(const UnitAssignments *a, const char *key) {
        const UnitAssignment *x = find(a, key, 0);

        return x ? x->value : NULL;
}

/* The index of word in the ExecStart= argv, or -1. */
static int argv_index(const UnitAssignments *a, const char *word) {
        const UnitAssignment *x = find(a, "ExecStart", 0);

        ASSERT_TRUE(x && x->argv);
        for (size_t i = 0; x->argv[i]; i++)
                if (streq(x->argv[i], word))
                        return (int) i;
        return -1;
}

static void test_names(void) {
        _cleanup_free_ char *m = NULL, *v1 = NULL, *v2 = NULL, *v3 = NULL;

        ASSERT_OK(session_machine_name("my_agent.x", &m));
        ASSERT_STREQ(m, "my-agent.x");
        ASSERT_ERROR(session_machine_name("-bad", &m), EINVAL);

        ASSERT_OK(session_veth_name("twelve-chars", &v1));
        ASSERT_STREQ(v1, "vs-twelve-chars");
        ASSERT_OK(session_veth_name("thirteen-char", &v2));
        ASSERT_EQ(strlen(v2), 15);      /* IFNAMSIZ - 1: never truncated by the kernel */
        ASSERT_TRUE(strncmp(v2, "vs_thir", 7) == 0);
        ASSERT_OK(session_veth_name("thirteen-chaX", &v3));
        ASSERT_TRUE(!streq(v2, v3));    /* the hash tells them apart */
        {
                /* A short name that looks like a long name's form cannot take its place: the
                 * separator differs. */
                _cleanup_free_ char *s1 = NULL;
                ASSERT_OK(session_veth_name(v2 + 3, &s1));
                ASSERT_TRUE(!streq(s1, v2));
                ASSERT_TRUE(strncmp(s1, "vs-", 3) == 0);
        }
        {
                /* never nspawn's own "ve-" (other machines) */
                _cleanup_free_ char *l = NULL;
                ASSERT_OK(session_veth_name("a-rather-long-session-name-of-sixty-four-characters-at-most-xxxx", &l));
                ASSERT_TRUE(strlen(l) <= 15 && strncmp(l, "ve-", 3) != 0);
        }

        ASSERT_EQ(session_vsock_cid("a"), session_vsock_cid("a"));
        ASSERT_TRUE(session_vsock_cid("a") != session_vsock_cid("b"));
        ASSERT_TRUE(session_vsock_cid("a") >= 3 && session_vsock_cid("a") < 0xffffffffU);
}

static void test_nspawn_host(void) {
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        const UnitAssignment *exec;
        int dashdash;

        s = parse("box", "[Session]\nBackend=nspawn\nExec=/bin/echo hi\nTerminal=yes\nEnvironment=A=1\n"
                         "[Resources]\nMemoryMax=256M\nTasksMax=64\n");
        ASSERT_OK(session_render_assignments(s, &slice, &service));

        /* limits on the slice, as for the service backend */
        ASSERT_STREQ(value(&slice, "MemoryMax"), "268435456");
        ASSERT_STREQ(value(&slice, "TasksMax"), "64");
        ASSERT_STREQ(value(&slice, "IPAddressDeny"), "any");
        /* no network: no veth to set up */
        ASSERT_TRUE(!find(&service, "ExecStartPost", 0));

        ASSERT_STREQ(value(&service, "Slice"), "sessiond-box.slice");
        ASSERT_STREQ(value(&service, "Type"), "notify");
        ASSERT_STREQ(value(&service, "Delegate"), "yes");
        ASSERT_STREQ(value(&service, "KillMode"), "mixed");
        ASSERT_STREQ(value(&service, "RuntimeDirectory"), "sessiond/agents/box");
        /* the service sandbox of the profile would break nspawn: nspawn is the sandbox */
        ASSERT_TRUE(!value(&service, "DynamicUser"));
        ASSERT_TRUE(!value(&service, "ProtectSystem"));
        ASSERT_TRUE(!value(&service, "PrivateNetwork"));
        ASSERT_TRUE(!find(&service, "ExecStartPre", 0));        /* no network: no egress chain */

        exec = find(&service, "ExecStart", 0);
        ASSERT_STREQ(exec->argv[0], "/usr/bin/systemd-nspawn");
        ASSERT_TRUE(argv_index(&service, "--keep-unit") > 0);
        ASSERT_TRUE(argv_index(&service, "--register=yes") > 0);
        ASSERT_TRUE(argv_index(&service, "--machine=box") > 0);
        ASSERT_TRUE(argv_index(&service, "--directory=/") > 0);
        ASSERT_TRUE(argv_index(&service, "--volatile=yes") > 0);
        ASSERT_TRUE(argv_index(&service, "--private-network") > 0);
        ASSERT_TRUE(argv_index(&service, "--bind-ro=" SESSIOND_AGENT_PATH ":" SESSIOND_AGENT_PATH ":idmap") > 0);
        ASSERT_TRUE(argv_index(&service, "--bind=" SESSIOND_RUNTIME_DIR "/agents/box:"
                                         SESSIOND_RUNTIME_DIR "/agents/box:idmap") > 0);
        /* root inside is not root outside; the host's root is never chowned */
        ASSERT_TRUE(argv_index(&service, "--private-users=pick") > 0);
        ASSERT_TRUE(argv_index(&service, "--private-users-ownership=map") > 0);
        ASSERT_TRUE(argv_index(&service, "--notify-ready=yes") > 0);
        ASSERT_TRUE(argv_index(&service, "--no-new-privileges=yes") > 0);
        ASSERT_TRUE(argv_index(&service, "--system-call-filter=~io_uring_setup io_uring_enter io_uring_register") > 0);
        ASSERT_TRUE(argv_index(&service, "--drop-capability=CAP_SYS_ADMIN,CAP_NET_RAW,CAP_SYS_PTRACE,CAP_SYS_BOOT") > 0);
        ASSERT_TRUE(argv_index(&service, "--setenv=RUNTIME_DIRECTORY=" SESSIOND_RUNTIME_DIR "/agents/box") > 0);
        ASSERT_TRUE(argv_index(&service, "--setenv=A=1") > 0);
        dashdash = argv_index(&service, "--");
        ASSERT_TRUE(dashdash > 0);
        /* the agent is the payload, with the session's command after its own "--" */
        ASSERT_STREQ(exec->argv[dashdash + 1], SESSIOND_AGENT_PATH);
        ASSERT_STREQ(exec->argv[dashdash + 2], "--name=box");
        ASSERT_STREQ(exec->argv[dashdash + 3], "--terminal");
        /* commands run unprivileged with the profile's argument filters (default: restrictive) */
        ASSERT_STREQ(exec->argv[dashdash + 4], "--sandbox=restrictive");
        ASSERT_STREQ(exec->argv[dashdash + 5], "--");
        ASSERT_STREQ(exec->argv[dashdash + 6], "/bin/echo");
        ASSERT_STREQ(exec->argv[dashdash + 7], "hi");
        ASSERT_TRUE(!exec->argv[dashdash + 8]);

        /* Profile= picks the agent's sandbox */
        _cleanup_(session_freep) Session *m = parse("mod", "[Session]\nBackend=nspawn\nProfile=permissive\n");
        _cleanup_(unit_assignments_done) UnitAssignments ms = {}, mv = {};
        ASSERT_OK(session_render_assignments(m, &ms, &mv));
        ASSERT_TRUE(argv_index(&mv, "--sandbox=permissive") > 0);
}

static void test_nspawn_image_egress(void) {
        _cleanup_(session_freep) Session *s = NULL, *r = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {}, rs = {}, rv = {};
        const UnitAssignment *pre;
        bool found = false;

        s = parse("web_1", "[Session]\nBackend=nspawn\nImage=small\nUser=agent\nWorkingDirectory=/w\n"
                           "[Egress]\nAllow=192.0.2.0/24\n"
                           "[Workspace]\nPath=/srv/x\nMode=overlay\nTarget=/w\n"
                           "[Secrets]\nCredential=tok:/etc/tok\n");
        ASSERT_OK(session_render_assignments(s, &slice, &service));
        ASSERT_TRUE(argv_index(&service, "--machine=web-1") > 0);
        ASSERT_TRUE(argv_index(&service, "--directory=/var/lib/machines/small") > 0);
        ASSERT_TRUE(argv_index(&service, "--volatile=overlay") > 0);
        ASSERT_TRUE(argv_index(&service, "--private-users-ownership=auto") > 0);
        ASSERT_TRUE(argv_index(&service, "--user=agent") > 0);
        /* nspawn runs the agent as User=: it cannot drop to another uid, no --sandbox= */
        for (size_t i = 0; find(&service, "ExecStart", 0)->argv[i]; i++)
                ASSERT_TRUE(strncmp(find(&service, "ExecStart", 0)->argv[i], "--sandbox=", 10) != 0);
        ASSERT_TRUE(argv_index(&service, "--chdir=/w") > 0);
        /* the overlay is sessiond-workspace's, on the host, bound as it is (not idmapped) */
        ASSERT_TRUE(argv_index(&service, "--bind=" SESSIOND_RUNTIME_DIR "/workspaces/web_1/merged:/w") > 0);
        ASSERT_TRUE(argv_index(&service, "--load-credential=tok:tok") > 0);
        ASSERT_STREQ(value(&service, "LoadCredential"), "tok:/etc/tok");
        ASSERT_TRUE(argv_index(&service, "--private-network") < 0);
        ASSERT_TRUE(argv_index(&service, "--network-veth-extra=vs-web_1:host0") > 0);
        ASSERT_STREQ(value(&slice, "NFTSet"), "cgroup:inet:sessiond:s_web__1_cg");
        /* no cgroup BPF filter: it would drop inside the container, uncounted; the session's chain
         * filters at the veth */
        ASSERT_TRUE(!value(&slice, "IPAddressDeny"));
        ASSERT_TRUE(!value(&slice, "IPAddressAllow"));

        /* the host side of the veth goes through the session's nft chain */
        for (size_t n = 0; (pre = find(&service, "ExecStartPre", n)); n++)
                STRV_FOREACH(w, pre->argv)
                        if (streq(*w, "--interface=vs-web_1")) {
                                ASSERT_TRUE(pre->privileged);
                                found = true;
                        }
        ASSERT_TRUE(found);

        /* once the machine is up, its veth gets addresses, a route and the masquerade */
        {
                const UnitAssignment *post = find(&service, "ExecStartPost", 0);

                ASSERT_TRUE(post && post->privileged);
                ASSERT_STREQ(post->argv[1], "net-up");
                ASSERT_STREQ(post->argv[2], "web_1");
                ASSERT_STREQ(post->argv[3], "--interface=vs-web_1");
                ASSERT_STREQ(post->argv[4], "--machine=web-1");
        }

        r = parse("img", "[Session]\nBackend=nspawn\nImage=/srv/a.raw\n");
        ASSERT_OK(session_render_assignments(r, &rs, &rv));
        ASSERT_TRUE(argv_index(&rv, "--image=/srv/a.raw") > 0);
}

static bool has_word(const UnitAssignment *x, const char *word) {
        STRV_FOREACH(w, x->argv)
                if (streq(*w, word))
                        return true;
        return false;
}

static void test_nspawn_workspace(void) {
        _cleanup_(session_freep) Session *o = NULL, *b = NULL, *t = NULL, *tp = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments os = {}, ov = {}, bs = {}, bv = {}, ts = {}, tv = {},
                                                         ps = {}, pv = {};
        const UnitAssignment *x;

        /* overlay, OnEnd=persist: set up by sessiond-workspace --userns, torn down with --persist */
        o = parse("ov", "[Session]\nBackend=nspawn\nOnEnd=persist\n[Workspace]\nPath=/srv/x\nMode=overlay\n");
        ASSERT_TRUE(o);
        ASSERT_OK(session_render_assignments(o, &os, &ov));
        ASSERT_TRUE(argv_index(&ov, "--bind=" SESSIOND_RUNTIME_DIR "/workspaces/ov/merged:/workspace") > 0);
        for (size_t n = 0; (x = find(&ov, "ExecStartPre", n)); n++)
                if (has_word(x, "setup"))
                        break;
        ASSERT_TRUE(x && x->privileged);
        ASSERT_TRUE(has_word(x, "--mode=overlay") && has_word(x, "--path=/srv/x") && has_word(x, "--userns"));
        x = find(&ov, "ExecStopPost", 0);
        ASSERT_TRUE(x && has_word(x, "teardown") && has_word(x, "--persist"));
        /* nspawn binds it: no BindPaths= (the unit's own namespace would hide nothing useful) */
        ASSERT_TRUE(!value(&ov, "BindPaths"));
        for (size_t i = 0; find(&ov, "ExecStart", 0)->argv[i]; i++)
                ASSERT_TRUE(strncmp(find(&ov, "ExecStart", 0)->argv[i], "--overlay=", 10) != 0);

        /* bind: idmapped, so host uids mean inside what they mean on the host */
        b = parse("bd", "[Session]\nBackend=nspawn\n[Workspace]\nPath=/srv/x\nMode=bind\nTarget=/w\n");
        ASSERT_OK(session_render_assignments(b, &bs, &bv));
        ASSERT_TRUE(argv_index(&bv, "--bind=/srv/x:/w:idmap") > 0);
        ASSERT_TRUE(!find(&bv, "ExecStopPost", 0));

        /* tmpfs: nspawn's own, unless OnEnd=persist keeps it */
        t = parse("tf", "[Session]\nBackend=nspawn\n[Workspace]\nMode=tmpfs\nSize=1M\n");
        ASSERT_OK(session_render_assignments(t, &ts, &tv));
        ASSERT_TRUE(argv_index(&tv, "--tmpfs=/workspace:mode=1777,size=1048576") > 0);
        tp = parse("tp", "[Session]\nBackend=nspawn\nOnEnd=persist\n[Workspace]\nMode=tmpfs\n");
        ASSERT_TRUE(tp);
        ASSERT_OK(session_render_assignments(tp, &ps, &pv));
        ASSERT_TRUE(argv_index(&pv, "--bind=" SESSIOND_RUNTIME_DIR "/workspaces/tp/merged:/workspace") > 0);
        ASSERT_TRUE(find(&pv, "ExecStopPost", 0) != NULL);
}

static const char *argv_prefixed(const UnitAssignments *a, const char *prefix);

static void test_vmspawn(void) {
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        const UnitAssignment *exec;
        char cid[32];

        s = parse("vm", "[Session]\nBackend=vmspawn\nImage=f.raw\nExec=/bin/true\n"
                        "[Resources]\nMemoryMax=1G\nCPUQuota=150%\n");
        ASSERT_OK(session_render_assignments(s, &slice, &service));
        exec = find(&service, "ExecStart", 0);
        ASSERT_STREQ(exec->argv[0], "/usr/bin/systemd-vmspawn");
        ASSERT_TRUE(argv_index(&service, "--keep-unit") > 0);
        ASSERT_TRUE(argv_index(&service, "--image=/var/lib/machines/f.raw") > 0);
        /* the slice's 1G holds the guest and the VMM: the guest gets 768M */
        ASSERT_TRUE(argv_index(&service, "--ram=805306368") > 0);
        ASSERT_TRUE(argv_index(&service, "--cpus=2") > 0);
        snprintf(cid, sizeof(cid), "--vsock-cid=%u", session_vsock_cid("vm"));
        ASSERT_TRUE(argv_index(&service, cid) > 0);
        ASSERT_TRUE(argv_index(&service, "--network-user-mode") < 0);   /* no egress: no network */
        /* the agent is a Type=exec unit of the guest's (a credential), not systemd.run=, whose
         * oneshot start job would keep the guest's boot, and READY=1, from ever finishing; no
         * guest-side start limit (the host's agent wait bounds it) */
        ASSERT_TRUE(argv_index(&service, "--set-credential=systemd.extra-unit.sessiond-agent.service:"
                                         "[Unit]\\nDescription=sessiond agent of session vm\\n"
                                         "SuccessAction=poweroff\\nFailureAction=poweroff\\n"
                                         "[Service]\\nType=exec\\nTimeoutStartSec=infinity\\n"
                                         "ExecStart=" SESSIOND_AGENT_PATH " --name=vm --socket=vsock:1024 -- /bin/true\\n") > 0);
        ASSERT_TRUE(argv_index(&service, "systemd.wants=sessiond-agent.service") > argv_index(&service, "--"));
        ASSERT_TRUE(!argv_prefixed(&service, "systemd.run"));
        {
                /* quoted for the guest's unit file ("%" and "$" doubled), then C-escaped for vmspawn */
                _cleanup_(session_freep) Session *q = NULL;
                _cleanup_(unit_assignments_done) UnitAssignments qs = {}, qv = {};
                const char *cred;

                q = parse("vq", "[Session]\nBackend=vmspawn\nImage=f.raw\nExec=/bin/sh -c \"echo 100% $HOME\"\n");
                ASSERT_TRUE(q);
                ASSERT_OK(session_render_assignments(q, &qs, &qv));
                cred = argv_prefixed(&qv, "--set-credential=systemd.extra-unit.sessiond-agent.service:");
                ASSERT_TRUE(cred);
                fprintf(stderr, "%s\n", cred);
                ASSERT_TRUE(strstr(cred, "ExecStart=" SESSIOND_AGENT_PATH " --name=vq --socket=vsock:1024 -- /bin/sh -c \"echo 100%% $$HOME\"\\n"));
        }
        ASSERT_STREQ(value(&slice, "MemoryMax"), "1073741824");
}

/* The ExecStart= word that starts with prefix, or NULL. */
static const char *argv_prefixed(const UnitAssignments *a, const char *prefix) {
        const UnitAssignment *x = find(a, "ExecStart", 0);

        ASSERT_TRUE(x && x->argv);
        for (size_t i = 0; x->argv[i]; i++)
                if (strncmp(x->argv[i], prefix, strlen(prefix)) == 0)
                        return x->argv[i];
        return NULL;
}

static void test_vmspawn_workspace(void) {
        _cleanup_(session_freep) Session *o = NULL, *b = NULL, *ro = NULL, *t = NULL, *tp = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments os = {}, ov = {}, bs = {}, bv = {}, rs = {}, rv = {},
                                                         ts = {}, tv = {}, ps = {}, pv = {};
        const UnitAssignment *x;
        int dash;

        /* overlay, OnEnd=persist: on the host by sessiond-workspace (--userns: a 1777 top, the
         * guest's uids are its own), the merged directory shared over virtiofs */
        o = parse("ov", "[Session]\nBackend=vmspawn\nImage=a.raw\nOnEnd=persist\n"
                        "[Workspace]\nPath=/srv/x\nMode=overlay\nTarget=/w\n");
        ASSERT_TRUE(o);
        ASSERT_OK(session_render_assignments(o, &os, &ov));
        dash = argv_index(&ov, "--");
        ASSERT_TRUE(dash > 0);
        ASSERT_TRUE(argv_index(&ov, "--bind=" SESSIOND_RUNTIME_DIR "/workspaces/ov/merged:/w") > 0);
        ASSERT_TRUE(argv_index(&ov, "--bind=" SESSIOND_RUNTIME_DIR "/workspaces/ov/merged:/w") < dash);
        for (size_t n = 0; (x = find(&ov, "ExecStartPre", n)); n++)
                if (has_word(x, "setup"))
                        break;
        ASSERT_TRUE(x && x->privileged);
        ASSERT_TRUE(has_word(x, "--mode=overlay") && has_word(x, "--path=/srv/x") && has_word(x, "--userns"));
        x = find(&ov, "ExecStopPost", 0);
        ASSERT_TRUE(x && x->privileged && has_word(x, "teardown") && has_word(x, "--persist"));
        /* never the host directory itself, and no mount namespace for the unit */
        ASSERT_TRUE(!argv_prefixed(&ov, "--bind=/srv/x"));
        ASSERT_TRUE(!value(&ov, "BindPaths") && !value(&ov, "BindReadOnlyPaths"));
        ASSERT_TRUE(!argv_prefixed(&ov, "systemd.mount-extra="));

        /* bind: the host directory itself; nothing to set up or tear down */
        b = parse("bd", "[Session]\nBackend=vmspawn\nImage=a.raw\n[Workspace]\nPath=/srv/x\nMode=bind\n");
        ASSERT_OK(session_render_assignments(b, &bs, &bv));
        ASSERT_TRUE(argv_index(&bv, "--bind=/srv/x:/workspace") > 0);
        ASSERT_TRUE(!find(&bv, "ExecStopPost", 0) && !find(&bv, "ExecStartPre", 0));

        /* bind-ro: read-only on the host (the unit's namespace), not only by the guest's "ro" */
        ro = parse("r_o", "[Session]\nBackend=vmspawn\nImage=a.raw\n[Workspace]\nPath=/srv/x\n");
        ASSERT_OK(session_render_assignments(ro, &rs, &rv));
        ASSERT_STREQ(value(&rv, "BindReadOnlyPaths"), "/srv/x:" SESSIOND_RUNTIME_DIR "/agents/r_o/workspace-ro");
        ASSERT_TRUE(argv_index(&rv, "--bind-ro=" SESSIOND_RUNTIME_DIR "/agents/r_o/workspace-ro:/workspace") > 0);
        ASSERT_TRUE(!argv_prefixed(&rv, "--bind-ro=/srv/x") && !argv_prefixed(&rv, "--bind="));
        /* inside the unit's RuntimeDirectory=, which exists before the namespace is set up */
        ASSERT_STREQ(value(&rv, "RuntimeDirectory"), "sessiond/agents/r_o");

        /* tmpfs discarded at the end: the guest's own, on its kernel command line (after "--") */
        t = parse("tf", "[Session]\nBackend=vmspawn\nImage=a.raw\n[Workspace]\nMode=tmpfs\nSize=1M\nTarget=/s\n");
        ASSERT_OK(session_render_assignments(t, &ts, &tv));
        dash = argv_index(&tv, "--");
        ASSERT_TRUE(argv_index(&tv, "systemd.mount-extra=tmpfs:/s:tmpfs:mode=1777,size=1048576") > dash);
        ASSERT_TRUE(!argv_prefixed(&tv, "--bind") && !find(&tv, "ExecStartPre", 0));

        /* tmpfs OnEnd=persist keeps: on the host, shared like an overlay */
        tp = parse("tp", "[Session]\nBackend=vmspawn\nImage=a.raw\nOnEnd=persist\n[Workspace]\nMode=tmpfs\n");
        ASSERT_TRUE(tp);
        ASSERT_OK(session_render_assignments(tp, &ps, &pv));
        ASSERT_TRUE(argv_index(&pv, "--bind=" SESSIOND_RUNTIME_DIR "/workspaces/tp/merged:/workspace") > 0);
        ASSERT_TRUE(!argv_prefixed(&pv, "systemd.mount-extra="));
        x = find(&pv, "ExecStopPost", 0);
        ASSERT_TRUE(x && has_word(x, "teardown") && has_word(x, "--persist"));
}

/* session_vmspawn_uses_virtiofs() (sessiond then requires virtiofsd) says yes exactly when the
 * rendered command line shares a directory: --directory= or a --bind/--bind-ro. */
static void test_vmspawn_uses_virtiofs(void) {
        static const struct {
                const char *text;
                bool shares;
        } cases[] = {
                { "Image=f.raw\n", false },
                { "Image=tree\n", true },
                { "Image=/srv/vm/tree\n", true },
                { "Image=f.raw\n[Workspace]\nMode=tmpfs\n", false },
                { "Image=f.raw\nOnEnd=persist\n[Workspace]\nMode=tmpfs\n", true },
                { "Image=f.raw\n[Workspace]\nPath=/srv/x\nMode=overlay\n", true },
                { "Image=f.raw\n[Workspace]\nPath=/srv/x\nMode=bind\n", true },
                { "Image=f.raw\n[Workspace]\nPath=/srv/x\nMode=bind-ro\n", true },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(session_freep) Session *s = NULL;
                _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
                _cleanup_free_ char *text = strjoin("[Session]\nBackend=vmspawn\n", cases[i].text);
                bool rendered;

                ASSERT_TRUE(text);
                s = parse("vf", text);
                ASSERT_TRUE(s);
                ASSERT_OK(session_render_assignments(s, &slice, &service));
                rendered = argv_prefixed(&service, "--directory=") || argv_prefixed(&service, "--bind");
                fprintf(stderr, "%zu: shares %d, rendered %d\n", i, session_vmspawn_uses_virtiofs(s), rendered);
                ASSERT_EQ(session_vmspawn_uses_virtiofs(s), cases[i].shares);
                ASSERT_EQ(rendered, cases[i].shares);
        }
}

static void test_vmspawn_guest_ram(void) {
        ASSERT_EQ(session_vmspawn_guest_ram(256ULL << 20), 192ULL << 20);
        ASSERT_EQ(session_vmspawn_guest_ram(2ULL << 30), 1536ULL << 20);
        ASSERT_EQ(session_vmspawn_guest_ram(16ULL << 30), (16ULL << 30) - (512ULL << 20));   /* capped */
}

int main(void) {
        test_names();
        test_nspawn_host();
        test_nspawn_image_egress();
        test_nspawn_workspace();
        test_vmspawn();
        test_vmspawn_workspace();
        test_vmspawn_uses_virtiofs();
        test_vmspawn_guest_ram();
        return 0;
}
