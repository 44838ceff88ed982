/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "session-parse.h"
#include "session-render.h"
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

static size_t count(const UnitAssignments *a, const char *key) {
        size_t n = 0;

        for (size_t i = 0; i < a->n_items; i++)
                n += streq(a->items[i].key, key);
        return n;
}

static void test_assignments(void) {
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        const UnitAssignment *a;

        s = parse("my-agent",
                  "[Session]\nExec=/bin/sh -c 'echo $HOME 50%'\nTerminal=yes\nMaxRuntime=1h\nUser=agent\n"
                  "Environment=\"A=b c\"\n"
                  "[Resources]\nMemoryMax=512M\nMemoryHigh=256M\nCPUQuota=50%\nTasksMax=infinity\n"
                  "[Egress]\nAllow=192.0.2.0/24 [2001:db8::1]:443\nAllowHost=example.org\n"
                  "[Secrets]\nCredential=tok:/etc/tok\n[Workspace]\nPath=/srv/x\nMode=bind\n"
                  "[Unit]\nAfter=foo.service\n[Service]\nNice=1\n");
        ASSERT_OK(session_render_assignments(s, &slice, &service));

        /* Limits on the slice, never on the service. */
        ASSERT_STREQ(find(&slice, "MemoryMax", 0)->value, "536870912");
        ASSERT_STREQ(find(&slice, "MemoryHigh", 0)->value, "268435456");
        ASSERT_STREQ(find(&slice, "CPUQuota", 0)->value, "50%");
        ASSERT_STREQ(find(&slice, "TasksMax", 0)->value, "infinity");
        /* AllowHost=: nftables alone filters (the cgroup BPF filter cannot know resolved
         * addresses, and a packet has to pass both). */
        ASSERT_TRUE(!find(&slice, "IPAddressDeny", 0));
        ASSERT_TRUE(!find(&slice, "IPAddressAllow", 0));
        ASSERT_STREQ(find(&slice, "NFTSet", 0)->value, "cgroup:inet:sessiond:s_my_magent_cg");
        ASSERT_TRUE(!find(&service, "MemoryMax", 0));
        ASSERT_TRUE(!find(&slice, "ExecStart", 0));

        ASSERT_STREQ(find(&service, "Slice", 0)->value, "sessiond-my\\x2dagent.slice");
        a = find(&service, "ExecStart", 0);
        ASSERT_TRUE(a && a->argv);
        ASSERT_EQ(strv_length(a->argv), 7);
        ASSERT_STREQ(a->argv[0], SESSIOND_AGENT_PATH);
        ASSERT_STREQ(a->argv[1], "--name=my-agent");
        ASSERT_STREQ(a->argv[2], "--terminal");
        ASSERT_STREQ(a->argv[3], "--");
        ASSERT_STREQ(a->argv[6], "echo $HOME 50%");
        /* The unit enforces its egress policy itself, with full privileges, daemon or not. */
        a = find(&service, "ExecStartPre", 0);
        ASSERT_TRUE(a && a->argv && a->privileged && !a->passthrough);
        ASSERT_EQ(strv_length(a->argv), 6);
        ASSERT_STREQ(a->argv[0], SESSIOND_EGRESS_PATH);
        ASSERT_STREQ(a->argv[1], "setup");
        ASSERT_STREQ(a->argv[2], "my-agent");
        ASSERT_STREQ(a->argv[3], "--allow=192.0.2.0/24");
        ASSERT_STREQ(a->argv[4], "--allow=2001:db8::1/128 :443");
        ASSERT_STREQ(a->argv[5], "--allow-host=example.org");
        a = find(&service, "ExecStopPost", 0);
        ASSERT_TRUE(a && a->argv && a->privileged);
        ASSERT_EQ(strv_length(a->argv), 3);
        ASSERT_STREQ(a->argv[1], "remove");
        ASSERT_STREQ(a->argv[2], "my-agent");
        a = find(&service, "Requires", 0);
        ASSERT_TRUE(a && a->section == UNIT_SECTION_UNIT && streq(a->value, "sessiond-egress.service"));
        ASSERT_STREQ(find(&service, "After", 1)->value, "sessiond-egress.service");
        ASSERT_TRUE(!find(&service, "ExecStart", 0)->privileged);
        ASSERT_STREQ(find(&service, "LogExtraFields", 0)->value, "SESSIOND_SESSION=my-agent");
        ASSERT_STREQ(find(&service, "KillMode", 0)->value, "control-group");
        ASSERT_STREQ(find(&service, "RuntimeMaxSec", 0)->value, "3600");
        ASSERT_STREQ(find(&service, "RuntimeDirectory", 0)->value, "sessiond/agents/my-agent");
        ASSERT_STREQ(find(&service, "User", 0)->value, "agent");
        ASSERT_TRUE(!find(&service, "DynamicUser", 0));
        ASSERT_STREQ(find(&service, "Environment", 0)->value, "A=b c");
        ASSERT_STREQ(find(&service, "LoadCredential", 0)->value, "tok:/etc/tok");
        ASSERT_STREQ(find(&service, "BindPaths", 0)->value, "/srv/x:/workspace");
        ASSERT_STREQ(find(&service, "ProtectSystem", 0)->value, "strict");
        ASSERT_STREQ(find(&service, "MemoryDenyWriteExecute", 0)->value, "yes");
        /* Egress is allowed somewhere: the service keeps the host network namespace. */
        ASSERT_TRUE(!find(&service, "PrivateNetwork", 0));
        a = find(&service, "After", 0);
        ASSERT_TRUE(a && a->passthrough && a->section == UNIT_SECTION_UNIT);
        a = find(&service, "Nice", 0);
        ASSERT_TRUE(a && a->passthrough && a->section == UNIT_SECTION_SERVICE);
        /* Pass-through [Service] keys come last, so they can refine the profile. */
        ASSERT_TRUE(a == service.items + service.n_items - 1);
}

static void test_egress_variants(void) {
        _cleanup_(session_freep) Session *s = NULL, *t = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {}, slice2 = {}, service2 = {};

        /* No egress at all: own network namespace. */
        s = parse("quiet", "[Session]\nExec=/bin/true\n");
        ASSERT_OK(session_render_assignments(s, &slice, &service));
        ASSERT_STREQ(find(&service, "PrivateNetwork", 0)->value, "yes");
        ASSERT_STREQ(find(&service, "DynamicUser", 0)->value, "yes");
        ASSERT_STREQ(find(&slice, "IPAddressDeny", 0)->value, "any");
        ASSERT_EQ(slice.n_items, 1);
        /* ... and nothing for nftables, which filters in the host's namespace only. */
        ASSERT_TRUE(!find(&service, "ExecStartPre", 0));
        ASSERT_TRUE(!find(&service, "Requires", 0));

        t = parse("open", "[Session]\nExec=/bin/true\nProfile=permissive\n[Egress]\nDefault=allow\n");
        ASSERT_OK(session_render_assignments(t, &slice2, &service2));
        /* In sessiond.slice, whose catch-all drops sessions without a chain: one that allows all. */
        ASSERT_EQ(slice2.n_items, 1);
        ASSERT_STREQ(find(&slice2, "NFTSet", 0)->value, "cgroup:inet:sessiond:s_open_cg");
        ASSERT_EQ(strv_length(find(&service2, "ExecStartPre", 0)->argv), 5);
        ASSERT_STREQ(find(&service2, "ExecStartPre", 0)->argv[3], "--allow=0.0.0.0/0");
        ASSERT_STREQ(find(&service2, "ExecStartPre", 0)->argv[4], "--allow=::/0");
        ASSERT_TRUE(!find(&service2, "PrivateNetwork", 0));
        ASSERT_TRUE(!find(&service2, "SystemCallFilter", 0));
        ASSERT_STREQ(find(&service2, "ProtectSystem", 0)->value, "full");
}

static void test_egress_cidr(void) {
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        _cleanup_free_ char *slice_text = NULL, *service_text = NULL;

        /* Only static prefixes: the cgroup BPF filter allows exactly them, nftables adds the ports. */
        s = parse("web", "[Session]\nExec=/bin/true\n[Egress]\nAllow=198.51.100.2/32 tcp:80\nDNS=192.0.2.53\n");
        ASSERT_OK(session_render_assignments(s, &slice, &service));
        ASSERT_STREQ(find(&slice, "IPAddressDeny", 0)->value, "any");
        ASSERT_EQ(count(&slice, "IPAddressAllow"), 2);
        ASSERT_STREQ(find(&slice, "IPAddressAllow", 0)->value, "198.51.100.2/32");
        ASSERT_STREQ(find(&slice, "IPAddressAllow", 1)->value, "192.0.2.53/32");
        ASSERT_STREQ(find(&service, "ExecStartPre", 0)->argv[4], "--allow=192.0.2.53 :53");

        ASSERT_OK(session_render_unit_files(s, &slice_text, &service_text));
        ASSERT_TRUE(strstr(slice_text, "\nNFTSet=cgroup:inet:sessiond:s_web_cg\n"));
        ASSERT_TRUE(strstr(service_text, "\nRequires=sessiond-egress.service\nAfter=sessiond-egress.service\n"));
        ASSERT_TRUE(strstr(service_text, "\nExecStartPre=+" SESSIOND_EGRESS_PATH
                           " setup web \"--allow=198.51.100.2/32 tcp:80\" \"--allow=192.0.2.53 :53\"\n"));
        ASSERT_TRUE(strstr(service_text, "\nExecStopPost=+" SESSIOND_EGRESS_PATH " remove web\n"));
}

static void test_unit_files(void) {
        _cleanup_(session_freep) Session *s = NULL, *n = NULL;
        _cleanup_free_ char *slice = NULL, *service = NULL;

        s = parse("q", "[Session]\nDescription=100% sure\nExec=/bin/echo $HOME 5% \"a b\" ;\nEnvironment=\"X=1 2\" Y=%h\n"
                       "[Resources]\nCPUQuota=20%\n[Service]\nEnvironment=Z=%n\n");
        ASSERT_OK(session_render_unit_files(s, &slice, &service));
        ASSERT_TRUE(strstr(service, "# Automatically generated by sessiond-generator\n"));
        ASSERT_TRUE(strstr(service, "\nDescription=100%% sure\n"));
        ASSERT_TRUE(strstr(service, "\nExecStart=" SESSIOND_AGENT_PATH " --name=q -- /bin/echo $$HOME 5%% \"a b\" \";\"\n"));
        ASSERT_TRUE(strstr(service, "\nEnvironment=\"X=1 2\"\nEnvironment=Y=%%h\n"));
        ASSERT_TRUE(strstr(service, "\nEnvironment=Z=%n\n"));     /* pass-through: specifiers kept */
        ASSERT_TRUE(strstr(slice, "\n[Slice]\nCPUQuota=20%\n"));
        ASSERT_TRUE(!strstr(service, "SourcePath="));               /* not from a file */

        n = parse("x", "[Session]\nBackend=nspawn\n");
        ASSERT_OK(session_render_unit_files(n, NULL, NULL));     /* nspawn renders too */
}

/* Overlay (and tmpfs kept by OnEnd=persist) go through sessiond-workspace around the session;
 * the other modes are plain unit settings. */
static void test_workspace(void) {
        _cleanup_(session_freep) Session *s = NULL, *t = NULL, *b = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL, *text3 = NULL;
        const char *setup, *restore, *start;

        s = parse("ov", "[Session]\nExec=/bin/true\nOnEnd=persist\n[Workspace]\nPath=/srv/a%b\nMode=overlay\n");
        ASSERT_OK(session_render_unit_files(s, NULL, &text));
        ASSERT_TRUE(strstr(text, "\nExecStartPre=+" SESSIOND_WORKSPACE_PATH " setup ov --mode=overlay --path=/srv/a%%b\n"));
        ASSERT_TRUE(strstr(text, "\nExecStopPost=+" SESSIOND_WORKSPACE_PATH " teardown ov --persist\n"));
        ASSERT_TRUE(strstr(text, "\nBindPaths=-" SESSIOND_RUNTIME_DIR "/workspaces/ov/merged:/workspace\n"));
        ASSERT_TRUE(!strstr(text, "BindReadOnlyPaths"));
        ASSERT_TRUE(!strstr(text, " restore ov"));

        /* Start with restore: the saved state is staged before setup uses it */
        s->workspace_restore = true;
        free(text);
        text = NULL;
        ASSERT_OK(session_render_unit_files(s, NULL, &text));
        restore = strstr(text, "\nExecStartPre=+" SESSIOND_WORKSPACE_PATH " restore ov\n");
        setup = strstr(text, " setup ov ");
        start = strstr(text, "\nExecStart=");
        ASSERT_TRUE(restore && setup && start);
        ASSERT_TRUE(restore < setup);

        /* discard: teardown without --persist */
        t = parse("tm", "[Session]\nExec=/bin/true\n[Workspace]\nPath=/srv/x\nMode=overlay\nTarget=/w\n");
        ASSERT_OK(session_render_unit_files(t, NULL, &text2));
        ASSERT_TRUE(strstr(text2, "\nExecStopPost=+" SESSIOND_WORKSPACE_PATH " teardown tm\n"));
        ASSERT_TRUE(strstr(text2, "\nBindPaths=-" SESSIOND_RUNTIME_DIR "/workspaces/tm/merged:/w\n"));

        /* tmpfs: TemporaryFileSystem= unless OnEnd=persist keeps it */
        session_free(t);
        t = parse("tm", "[Session]\nExec=/bin/true\n[Workspace]\nMode=tmpfs\nSize=1M\n");
        free(text2);
        text2 = NULL;
        ASSERT_OK(session_render_unit_files(t, NULL, &text2));
        ASSERT_TRUE(strstr(text2, "\nTemporaryFileSystem=/workspace:mode=1777,size=1048576\n"));
        ASSERT_TRUE(!strstr(text2, SESSIOND_WORKSPACE_PATH));
        b = parse("tm", "[Session]\nExec=/bin/true\nOnEnd=persist\n[Workspace]\nMode=tmpfs\nSize=1M\n");
        ASSERT_OK(session_render_unit_files(b, NULL, &text3));
        ASSERT_TRUE(strstr(text3, "\nExecStartPre=+" SESSIOND_WORKSPACE_PATH " setup tm --mode=tmpfs --size=1048576\n"));
        ASSERT_TRUE(!strstr(text3, "TemporaryFileSystem=/workspace"));
}

static void test_install(void) {
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_strv_free_ char **wanted = NULL, **required = NULL;

        s = parse("i", "[Session]\nAutoStart=yes\n[Install]\nWantedBy=a.target multi-user.target\nRequiredBy=b.target\n");
        ASSERT_OK(session_install_targets(s, &wanted, &required));
        ASSERT_EQ(strv_length(wanted), 2);
        ASSERT_STREQ(wanted[0], "multi-user.target");
        ASSERT_STREQ(wanted[1], "a.target");
        ASSERT_EQ(strv_length(required), 1);
}

static void test_quote(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        ASSERT_OK(unit_file_quote_word("plain", true, &a));
        ASSERT_STREQ(a, "plain");
        ASSERT_OK(unit_file_quote_word("a \"b\" \\c", true, &b));
        ASSERT_STREQ(b, "\"a \\\"b\\\" \\\\c\"");
        ASSERT_OK(unit_file_quote_word("", true, &c));
        ASSERT_STREQ(c, "\"\"");
        ASSERT_OK(unit_file_quote_word("$X%", false, &d));
        ASSERT_STREQ(d, "$X%%");
}

int main(void) {
        test_workspace();
        test_assignments();
        test_egress_variants();
        test_egress_cidr();
        test_unit_files();
        test_install();
        test_quote();
        return 0;
}
