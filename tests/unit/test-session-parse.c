/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/stat.h>

#include "fileio.h"
#include "session-parse.h"
#include "strv.h"
#include "tests.h"

static Session *parse_ok(const char *text) {
        SessionErrorList errors = {};
        Session *s = NULL;
        int r;

        r = session_parse_string("t", "<test>", text, &s, &errors);
        for (size_t i = 0; i < errors.n_errors; i++)
                fprintf(stderr, "unexpected: %u: %s\n", errors.errors[i].line, errors.errors[i].message);
        ASSERT_OK(r);
        ASSERT_EQ(errors.n_errors, 0);
        session_error_list_done(&errors);
        return s;
}

/* Parses text that must fail; returns the formatted first error and checks the count. */
static char *parse_bad(const char *text, size_t n_expected) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        Session *s = NULL;
        char *m;

        ASSERT_ERROR(session_parse_string("t", "<test>", text, &s, &errors), EBADMSG);
        ASSERT_TRUE(!s);
        for (size_t i = 0; i < errors.n_errors; i++)
                fprintf(stderr, "  %u: %s\n", errors.errors[i].line, errors.errors[i].message);
        ASSERT_EQ(errors.n_errors, n_expected);
        ASSERT_OK(session_error_format(&errors.errors[0], &m));
        return m;
}

static void test_defaults(void) {
        _cleanup_(session_freep) Session *s = parse_ok("[Session]\n");

        ASSERT_STREQ(s->name, "t");
        ASSERT_EQ(s->backend, SESSION_BACKEND_SERVICE);
        ASSERT_EQ(s->profile, SESSION_PROFILE_RESTRICTIVE);
        ASSERT_TRUE(s->dynamic_user);
        ASSERT_TRUE(!s->user);
        ASSERT_TRUE(!s->exec);
        ASSERT_EQ(s->memory_max, UINT64_UNSET);
        ASSERT_EQ(s->max_runtime_usec, UINT64_UNSET);
        ASSERT_TRUE(!s->egress_default_allow);
        ASSERT_EQ(s->workspace_mode, WORKSPACE_NONE);
}

/* libinih would cut ' ; ...' as an inline comment, and treat an indented line as a
 * continuation: neither may happen. */
static void test_inih_pitfalls(void) {
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_free_ char *m = NULL, *long_line = NULL, *text = NULL;

        s = parse_ok("[Session]\nExec=/bin/sh -c 'echo a ; echo b' ; tail\nDescription=x ; y;z\n");
        ASSERT_EQ(strv_length(s->exec), 5);
        ASSERT_STREQ(s->exec[2], "echo a ; echo b");
        ASSERT_STREQ(s->exec[3], ";");
        ASSERT_STREQ(s->exec[4], "tail");
        ASSERT_STREQ(s->description, "x ; y;z");
        s = session_free(s);

        /* Indented key lines are ordinary lines. */
        s = parse_ok("  [Session]\n    Description=indented\n\tExec=/bin/true\n");
        ASSERT_STREQ(s->description, "indented");
        ASSERT_STREQ(s->exec[0], "/bin/true");
        s = session_free(s);

        /* A "continuation" is an error, not a silently appended value. */
        m = parse_bad("[Session]\nDescription=first\n   second\n", 1);
        ASSERT_STREQ(m, "<test>:3: Expected Key=Value, a [Section] header or a comment: 'second'");
        m = mfree(m);

        /* Lines at the limit pass whole; one byte more is an error, never a cut value. */
        long_line = malloc(session_max_line_length() + 1);
        ASSERT_TRUE(long_line);
        memset(long_line, 'x', session_max_line_length());
        memcpy(long_line, "Description=", strlen("Description="));
        long_line[session_max_line_length()] = 0;
        ASSERT_TRUE(asprintf(&text, "[Session]\n%s\n", long_line) > 0);
        s = parse_ok(text);
        ASSERT_EQ(strlen(s->description), session_max_line_length() - strlen("Description="));
        s = session_free(s);
        free(text);
        ASSERT_TRUE(asprintf(&text, "[Session]\n%sy\nExec=/bin/true\n", long_line) > 0);
        m = parse_bad(text, 1);
        ASSERT_TRUE(strstr(m, "<test>:2: Line too long (198 bytes, at most 197)"));
        m = mfree(m);

        /* Comments may be long, and any comment character at line start is a comment. */
        free(text);
        ASSERT_TRUE(asprintf(&text, "# %s%s\n;x\n[Session]\n", long_line, long_line) > 0);
        s = parse_ok(text);
        s = session_free(s);

        /* inih accepts ':' as separator; we do not. */
        m = parse_bad("[Session]\nExec:/bin/true\n", 1);
        ASSERT_STREQ(m, "<test>:2: Expected Key=Value, a [Section] header or a comment: 'Exec:/bin/true'");
        m = mfree(m);

        /* NUL bytes and CR handling. */
        s = parse_ok("[Session]\r\nDescription=crlf\r\n");
        ASSERT_STREQ(s->description, "crlf");
        s = session_free(s);
        /* Control characters anywhere in a line (the reader checks 8 bytes at a time: in the
         * first word, a later word, the tail); TAB and UTF-8 pass. */
        {
                static const struct {
                        const char *text;
                        const char *error;
                } cases[] = {
                        { "[Session]\nDescription=\x01" "bcdefghijklmnop\n", "<test>:2: Line contains control character 0x01" },
                        { "[Session]\nDescription=abcdefghij\x1f" "klmnop\n", "<test>:2: Line contains control character 0x1f" },
                        { "[Session]\nDescription=abcdefghijklmnopq\x7f\n", "<test>:2: Line contains control character 0x7f" },
                        { "[Session]\nDescription=ab\tcdefgh\x0b" "ijklmnop\n", "<test>:2: Line contains control character 0x0b" },
                        { "[Session]\nDescription=\t\t\t\t\t\t\t\t\t\t\x0e\n", "<test>:2: Line contains control character 0x0e" },
                };

                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        m = parse_bad(cases[i].text, 1);
                        ASSERT_STREQ(m, cases[i].error);
                        m = mfree(m);
                }
                s = parse_ok("[Session]\nDescription=caf\xc3\xa9 \xe2\x80\x94" " tab\there, long enough for words\n");
                ASSERT_STREQ(s->description, "caf\xc3\xa9 \xe2\x80\x94" " tab\there, long enough for words");
                s = session_free(s);
        }
}

static void test_all_errors_reported(void) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        Session *s = NULL;

        ASSERT_ERROR(session_parse_string("t", "<test>",
                                          "[Session]\nExec=rel\nBogus=1\n[Resources]\nMemoryMax=x\nTasksMax=0\n"
                                          "[Nope]\nA=1\nB=2\n",
                                          &s, &errors),
                     EBADMSG);
        ASSERT_EQ(errors.n_errors, 5);
        ASSERT_EQ(errors.errors[0].line, 2);
        ASSERT_EQ(errors.errors[1].line, 3);
        ASSERT_EQ(errors.errors[2].line, 5);
        ASSERT_EQ(errors.errors[3].line, 6);
        ASSERT_EQ(errors.errors[4].line, 7);   /* keys under an unknown section: no extra noise */
        ASSERT_STREQ(errors.errors[0].file, "<test>");
        /* Errors from several calls accumulate in one list. */
        ASSERT_ERROR(session_parse_string("u", "<other>", "x", &s, &errors), EBADMSG);
        ASSERT_EQ(errors.n_errors, 6);
        ASSERT_STREQ(errors.errors[5].file, "<other>");
}

static void test_values(void) {
        _cleanup_(session_freep) Session *s = NULL;

        s = parse_ok("[Session]\nUser=agent\nMaxRuntime=2h\nIdleTimeout=15min\nOnEnd=persist\nTerminal=yes\n"
                     "AutoStart=true\nProfile=moderate\nBackend=nspawn\nImage=debian\n"
                     "Environment=A=1 \"B=two words\"\nEnvironment=C=3\nSystemCallFilter=@timer read\n"
                     "[Resources]\nMemoryMax=2G\nMemoryHigh=1G\nMemorySwapMax=infinity\nCPUQuota=200%\n"
                     "CPUWeight=100\nTasksMax=infinity\nIOWeight=10\n"
                     "[Egress]\nDefault=deny\nAllow=192.0.2.0/24 [2001:db8::1]:443/tcp 198.51.100.1:53/udp\n"
                     "AllowHost=example.org:443 example.com\nDNS=192.0.2.53\n"
                     "[Workspace]\nPath=/srv\nMode=bind\nTarget=/work\n"
                     "[Secrets]\nCredential=tok:/etc/tok\nEncryptedCredential=key:/etc/key.cred\n"
                     "[Unit]\nAfter=a.service\n[Service]\nNice=3\n[Install]\nWantedBy=x.target\n");
        ASSERT_STREQ(s->user, "agent");
        ASSERT_TRUE(!s->dynamic_user);
        ASSERT_EQ(s->max_runtime_usec, 7200ULL * 1000000);
        ASSERT_EQ(s->idle_timeout_usec, 900ULL * 1000000);
        ASSERT_EQ(s->on_end, SESSION_ON_END_PERSIST);
        ASSERT_TRUE(s->terminal);
        ASSERT_TRUE(s->auto_start);
        ASSERT_EQ(s->profile, SESSION_PROFILE_MODERATE);
        ASSERT_EQ(s->backend, SESSION_BACKEND_NSPAWN);
        ASSERT_STREQ(s->image, "debian");
        ASSERT_EQ(strv_length(s->environment), 3);
        ASSERT_STREQ(s->environment[1], "B=two words");
        ASSERT_EQ(strv_length(s->system_call_filter), 2);
        ASSERT_EQ(s->memory_max, 2ULL << 30);
        ASSERT_EQ(s->memory_swap_max, UINT64_INFINITY);
        ASSERT_EQ(s->cpu_quota_per_sec_usec, 2000000);
        ASSERT_EQ(s->tasks_max, UINT64_INFINITY);
        ASSERT_EQ(s->n_egress_rules, 3);
        ASSERT_EQ(s->egress_rules[0].prefixlen, 24);
        ASSERT_EQ(s->egress_rules[0].port, 0);
        ASSERT_EQ(s->egress_rules[1].port, 443);
        ASSERT_EQ(s->egress_rules[1].protocol, 6);
        ASSERT_EQ(s->egress_rules[1].prefixlen, 128);
        ASSERT_EQ(s->egress_rules[2].protocol, 17);
        ASSERT_EQ(s->n_egress_hosts, 2);
        ASSERT_STREQ(s->egress_hosts[0].name, "example.org");
        ASSERT_EQ(s->egress_hosts[0].port, 443);
        ASSERT_EQ(s->egress_hosts[1].port, 0);
        ASSERT_EQ(s->workspace_mode, WORKSPACE_BIND);
        ASSERT_STREQ(s->workspace_target, "/work");

        ASSERT_EQ(s->n_credentials, 2);
        ASSERT_TRUE(!s->credentials[0].encrypted);
        ASSERT_TRUE(s->credentials[1].encrypted);
        ASSERT_EQ(s->unit_section.n_entries, 1);
        ASSERT_EQ(s->service_section.n_entries, 1);
        ASSERT_EQ(s->install_section.n_entries, 1);
        s = session_free(s);

        /* The one-rule-per-line form of sessiond.session(5) [Egress] (lib/egress-policy.h). */
        s = parse_ok("[Session]\n[Egress]\nAllow=198.51.100.2/32 tcp:80\nAllow=203.0.113.0/24 :53\n"
                     "AllowHost=api.example.org tcp:443\nAllowHost=*.example.com\n");
        ASSERT_EQ(s->n_egress_rules, 2);
        ASSERT_EQ(s->egress_rules[0].prefixlen, 32);
        ASSERT_EQ(s->egress_rules[0].protocol, 6);
        ASSERT_EQ(s->egress_rules[0].port, 80);
        ASSERT_EQ(s->egress_rules[1].protocol, 0);
        ASSERT_EQ(s->egress_rules[1].port, 53);
        ASSERT_EQ(s->n_egress_hosts, 2);
        ASSERT_STREQ(s->egress_hosts[0].name, "api.example.org");
        ASSERT_EQ(s->egress_hosts[0].protocol, 6);
        ASSERT_EQ(s->egress_hosts[0].port, 443);
        ASSERT_STREQ(s->egress_hosts[1].name, "*.example.com");
        s = session_free(s);

        /* A later assignment overrides; an empty one resets. */
        s = parse_ok("[Session]\nExec=/bin/a\nExec=/bin/b x\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n"
                     "[Resources]\nMemoryMax=1G\nMemoryMax=\n[Workspace]\nPath=/srv\n");
        ASSERT_STREQ(s->exec[0], "/bin/b");
        ASSERT_EQ(strv_length(s->environment), 1);
        ASSERT_STREQ(s->environment[0], "B=2");
        ASSERT_EQ(s->memory_max, UINT64_UNSET);
        ASSERT_EQ(s->workspace_mode, WORKSPACE_BIND_RO);       /* default with Path= */
}

static void write_file(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;

        ASSERT_TRUE(asprintf(&p, "%s/%s", dir, name) > 0);
        ASSERT_OK(write_string_file_atomic_at(AT_FDCWD, p, text, 0644));
}

static void test_search_path(void) {
        char dir[] = "/tmp/test-session-parse.XXXXXX";
        _cleanup_strv_free_ char **path = NULL, **names = NULL, **dropins = NULL;
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL, *env = NULL, *main_path = NULL, *cmd = NULL;
        _cleanup_(session_error_list_done) SessionErrorList errors = {};

        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&a, "%s/a", dir) > 0);
        ASSERT_TRUE(asprintf(&b, "%s/b", dir) > 0);
        ASSERT_OK(mkdir(a, 0755));
        ASSERT_OK(mkdir(b, 0755));
        write_file(a, "one.session", "[Session]\nDescription=from a\n");
        write_file(b, "one.session", "[Session]\nDescription=from b\n");
        write_file(b, "two.session", "[Session]\nDescription=two\n[Resources]\nTasksMax=5\n");
        write_file(b, "three.session", "[Session]\n");
        write_file(b, "not-a-session.conf", "[Session]\n");
        ASSERT_TRUE(asprintf(&cmd, "ln -s /dev/null %s/three.session && mkdir %s/two.session.d %s/two.session.d "
                             "&& echo '[Resources]\nTasksMax=6' >%s/two.session.d/20.conf "
                             "&& echo '[Resources]\nTasksMax=7' >%s/two.session.d/10.conf "
                             "&& echo '[Resources]\nTasksMax=99' >%s/two.session.d/20.conf",
                             a, a, b, a, b, b) > 0);
        ASSERT_EQ(system(cmd), 0);

        ASSERT_TRUE(asprintf(&env, "%s:%s", a, b) > 0);
        ASSERT_OK(setenv("SESSIOND_UNIT_PATH", env, 1));
        ASSERT_OK(session_search_path(&path));
        ASSERT_EQ(strv_length(path), 2);
        ASSERT_STREQ(path[0], a);

        ASSERT_OK(session_enumerate(path, &names));
        ASSERT_EQ(strv_length(names), 2);      /* three is masked */
        ASSERT_STREQ(names[0], "one");
        ASSERT_STREQ(names[1], "two");

        ASSERT_OK(session_load("one", path, &s, &errors));
        ASSERT_STREQ(s->description, "from a");
        s = session_free(s);

        /* Drop-ins: a/20.conf masks b/20.conf; 10 (from b) then 20 (from a). */
        ASSERT_OK(session_find("two", path, &main_path, &dropins));
        ASSERT_EQ(strv_length(dropins), 2);
        ASSERT_OK(session_load("two", path, &s, &errors));
        ASSERT_EQ(s->tasks_max, 6);
        s = session_free(s);

        ASSERT_ERROR(session_load("three", path, &s, &errors), ERFKILL);
        ASSERT_ERROR(session_load("four", path, &s, &errors), ENOENT);
        ASSERT_EQ(errors.n_errors, 0);

        free(cmd);
        ASSERT_TRUE(asprintf(&cmd, "rm -rf %s", dir) > 0);
        ASSERT_EQ(system(cmd), 0);
        ASSERT_OK(unsetenv("SESSIOND_UNIT_PATH"));
}

static void test_references(void) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        char dir[] = "/tmp/test-session-ref.XXXXXX";
        _cleanup_free_ char *p = NULL, *cmd = NULL;
        Session *s = NULL;

        ASSERT_TRUE(mkdtemp(dir));
        write_file(dir, "ref.session", "[Workspace]\nPath=/nonexistent-sessiond\n[Secrets]\nCredential=a:/nonexistent-cred\n");
        ASSERT_TRUE(asprintf(&p, "%s/ref.session", dir) > 0);

        /* Not checked by default (the generator at boot)... */
        ASSERT_OK(session_parse_file(p, NULL, &s, &errors));
        s = session_free(s);
        /* ...but with SESSION_PARSE_CHECK_REFERENCES. */
        ASSERT_ERROR(session_parse_file_full(p, NULL, SESSION_PARSE_CHECK_REFERENCES, &s, &errors), EBADMSG);
        ASSERT_EQ(errors.n_errors, 2);
        ASSERT_EQ(errors.errors[0].line, 2);
        ASSERT_STREQ(errors.errors[0].message, "Workspace Path= '/nonexistent-sessiond' cannot be used: No such file or directory");
        ASSERT_EQ(errors.errors[1].line, 4);

        ASSERT_TRUE(asprintf(&cmd, "rm -rf %s", dir) > 0);
        ASSERT_EQ(system(cmd), 0);
}

static void test_names(void) {
        _cleanup_free_ char *u = NULL, *sl = NULL;

        ASSERT_TRUE(session_name_is_valid("demo"));
        ASSERT_TRUE(session_name_is_valid("my-agent.v2_x"));
        ASSERT_TRUE(!session_name_is_valid("-x"));
        ASSERT_TRUE(!session_name_is_valid(".x"));
        ASSERT_TRUE(!session_name_is_valid("a/b"));
        ASSERT_TRUE(!session_name_is_valid("a b"));
        ASSERT_TRUE(!session_name_is_valid(""));
        ASSERT_TRUE(!session_name_is_valid("01234567890123456789012345678901234567890123456789012345678901234"));
        ASSERT_OK(session_unit_name("my-agent", &u));
        ASSERT_STREQ(u, "sessiond-my-agent.service");
        ASSERT_OK(session_slice_name("my-agent", &sl));
        ASSERT_STREQ(sl, "sessiond-my\\x2dagent.slice");
        ASSERT_ERROR(session_slice_name("a/b", &sl), EINVAL);

        ASSERT_EQ(session_profile_from_string("permissive"), SESSION_PROFILE_PERMISSIVE);
        ASSERT_EQ(session_profile_from_string("nope"), -EINVAL);
        ASSERT_STREQ(workspace_mode_to_string(WORKSPACE_BIND_RO), "bind-ro");
}

int main(void) {
        test_defaults();
        test_inih_pitfalls();
        test_all_errors_reported();
        test_values();
        test_search_path();
        test_references();
        test_names();
        return 0;
}
