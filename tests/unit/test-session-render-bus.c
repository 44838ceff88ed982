/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The two renderings of a session agree: the unit files the generator writes and the D-Bus
 * properties sessiond passes to StartTransientUnit are read back into canonical "Key=value"
 * lines (unit-file text parsed as systemd parses it, D-Bus properties decoded) and compared
 * line by line. Plus the value parsers on their own. */

#include <sys/socket.h>

#include "session-parse.h"
#include "session-render-bus.h"
#include "session-render.h"
#include "strv.h"
#include "tests.h"

static sd_bus *fake_bus(void) {
        sd_bus *bus = NULL;
        int fds[2];

        /* Messages need a bus object that has been started; nothing is ever sent. */
        ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0 ? -errno : 0);
        ASSERT_OK(sd_bus_new(&bus));
        ASSERT_OK(sd_bus_set_fd(bus, fds[0], fds[0]));
        ASSERT_OK(sd_bus_start(bus));
        close(fds[1]);
        return bus;
}

static Session *parse(const char *name, const char *text) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        Session *s = NULL;

        ASSERT_OK(session_parse_string(name, "<test>", text, &s, &errors));
        ASSERT_EQ(errors.n_errors, 0);
        return s;
}

/* Unit-file text -> canonical lines: section headers, comments and [Install] left out. */
static char **unit_file_lines(sd_bus *bus, const char *text) {
        _cleanup_strv_free_ char **lines = NULL;
        _cleanup_free_ char *copy = strdup(text);
        bool install = false;
        char *save = NULL;

        ASSERT_TRUE(copy);
        lines = calloc(1, sizeof(char *));
        ASSERT_TRUE(lines);
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *eq, *canonical = NULL;

                if (l[0] == '#' || l[0] == 0)
                        continue;
                if (l[0] == '[') {
                        install = streq(l, "[Install]");
                        continue;
                }
                if (install)
                        continue;
                eq = strchr(l, '=');
                ASSERT_TRUE(eq);
                *eq = 0;
                ASSERT_OK(unit_assignment_normalize(bus, l, eq + 1, true, &canonical));
                ASSERT_OK(strv_consume(&lines, canonical));
        }
        return TAKE_PTR(lines);
}

/* Assignments -> D-Bus message (as sessiond builds it) -> canonical lines. */
static char **bus_lines(sd_bus *bus, const Session *s, const UnitAssignments *a, const char *what) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        char **lines = NULL;

        ASSERT_OK(sd_bus_message_new(bus, &m, SD_BUS_MESSAGE_METHOD_CALL));
        ASSERT_OK(sd_bus_message_open_container(m, 'a', "(sv)"));
        ASSERT_OK(bus_append_unit_header(m, s, what));
        ASSERT_OK(bus_append_unit_assignments(m, a, NULL, NULL));
        ASSERT_OK(sd_bus_message_close_container(m));
        ASSERT_OK(sd_bus_message_seal(m, 1, 0));
        ASSERT_OK(sd_bus_message_rewind(m, true));
        ASSERT_OK(bus_read_unit_assignments(m, &lines));
        return lines;
}

static void assert_same_lines(char **a, char **b, const char *what) {
        size_t i;

        for (i = 0; a[i] && b[i]; i++)
                if (!streq(a[i], b[i])) {
                        fprintf(stderr, "%s: line %zu differs:\n  unit file: %s\n  D-Bus:     %s\n", what, i, a[i], b[i]);
                        exit(EXIT_FAILURE);
                }
        if (a[i] || b[i]) {
                fprintf(stderr, "%s: unit file has %zu lines, D-Bus %zu\n", what, strv_length(a), strv_length(b));
                exit(EXIT_FAILURE);
        }
}

static void test_agree(sd_bus *bus, const char *name, const char *text) {
        _cleanup_(session_freep) Session *s = parse(name, text);
        _cleanup_(unit_assignments_done) UnitAssignments slice = {}, service = {};
        _cleanup_free_ char *slice_text = NULL, *service_text = NULL;
        _cleanup_strv_free_ char **f1 = NULL, **f2 = NULL, **b1 = NULL, **b2 = NULL;

        ASSERT_OK(session_render_assignments(s, &slice, &service));
        ASSERT_OK(session_render_unit_files(s, &slice_text, &service_text));

        f1 = unit_file_lines(bus, slice_text);
        b1 = bus_lines(bus, s, &slice, "slice");
        assert_same_lines(f1, b1, "slice");

        f2 = unit_file_lines(bus, service_text);
        b2 = bus_lines(bus, s, &service, NULL);
        assert_same_lines(f2, b2, "service");

        /* and the comparison is not vacuous */
        ASSERT_TRUE(strv_length(b2) > 10);
        printf("%s: %zu slice and %zu service settings agree\n", name, strv_length(b1), strv_length(b2));
}

static void test_renderings_agree(void) {
        sd_bus *bus = fake_bus();

        test_agree(bus, "plain", "[Session]\nExec=/bin/sleep infinity\n");
        test_agree(bus, "my-agent",
                   "[Session]\nDescription=Agent on repo 100%\nExec=/bin/sh -c 'echo \"$HOME\" 50%; sleep 1'\n"
                   "Terminal=yes\nMaxRuntime=1h 30min\nIdleTimeout=15min\nUser=agent\n"
                   "Environment=\"A=b c\" D=100%\nWorkingDirectory=/tmp\n"
                   "[Resources]\nMemoryMax=512M\nMemoryHigh=256M\nMemorySwapMax=0\nCPUQuota=250%\n"
                   "CPUWeight=50\nIOWeight=20\nTasksMax=infinity\n"
                   "[Egress]\nAllow=192.0.2.0/24 [2001:db8::1]:443\nAllowHost=example.org\n"
                   "[Secrets]\nCredential=tok:/etc/tok\n[Workspace]\nPath=/srv/x\nMode=bind\n"
                   "[Unit]\nAfter=foo.service\n[Service]\nNice=1\nEnvironment=\"X=y z\"\n");
        test_agree(bus, "moderate", "[Session]\nProfile=moderate\nExec=/usr/bin/node /srv/a.js\n"
                   "OnEnd=persist\n[Resources]\nTasksMax=64\n[Workspace]\nMode=tmpfs\nTarget=/w\nSize=64M\n");
        test_agree(bus, "overlay", "[Session]\nOnEnd=persist\nMaxRuntime=10min\n"
                   "[Workspace]\nPath=/srv/src/a%b\nMode=overlay\nTarget=/work\n");
        test_agree(bus, "kept-tmpfs", "[Session]\nOnEnd=persist\n[Workspace]\nMode=tmpfs\nSize=8M\n");
        test_agree(bus, "permissive", "[Session]\nProfile=permissive\nDynamicUser=yes\n"
                   "[Egress]\nDefault=allow\n[Workspace]\nPath=/srv/ro\nMode=bind-ro\n");
        /* vmspawn workspaces: a host-side overlay, a bind-ro read-only in the unit's namespace,
         * the guest's own tmpfs on its kernel command line */
        test_agree(bus, "vm-overlay", "[Session]\nBackend=vmspawn\nImage=a.raw\nOnEnd=persist\n"
                   "[Workspace]\nPath=/srv/src\nMode=overlay\nTarget=/work\n");
        test_agree(bus, "vm-ro", "[Session]\nBackend=vmspawn\nImage=a.raw\nMaxRuntime=1h\n"
                   "[Egress]\nAllow=192.0.2.0/24\n[Workspace]\nPath=/srv/ro\n");
        test_agree(bus, "vm-tmpfs", "[Session]\nBackend=vmspawn\nImage=a.raw\nMaxRuntime=1h\n"
                   "[Egress]\nAllow=192.0.2.0/24\n[Workspace]\nMode=tmpfs\nSize=8M\n");
        sd_bus_unref(bus);
}

static void test_values(void) {
        sd_bus *bus = fake_bus();
        char *line = NULL;
        uint64_t u;

        ASSERT_OK(parse_time_span_usec("2h 30min", &u));
        ASSERT_EQ(u, 9000ULL * 1000000ULL);
        ASSERT_OK(parse_time_span_usec("90", &u));
        ASSERT_EQ(u, 90ULL * 1000000ULL);
        ASSERT_OK(parse_time_span_usec("1.5s", &u));
        ASSERT_EQ(u, 1500000ULL);
        ASSERT_OK(parse_time_span_usec("500ms", &u));
        ASSERT_EQ(u, 500000ULL);
        ASSERT_ERROR(parse_time_span_usec("5 parsecs", &u), EINVAL);
        ASSERT_OK(parse_size_bytes("2G", &u));
        ASSERT_EQ(u, 2ULL << 30);
        ASSERT_ERROR(parse_size_bytes("2X", &u), EINVAL);

        /* raw values (from the renderer) are one item; unit-file values are split and unquoted */
        ASSERT_OK(unit_assignment_normalize(bus, "Environment", "A=b c", false, &line));
        ASSERT_STREQ(line, "Environment=\"A=b c\"");
        free(line);
        ASSERT_OK(unit_assignment_normalize(bus, "Environment", "\"A=b c\" D=100%%", true, &line));
        ASSERT_STREQ(line, "Environment=\"A=b c\" \"D=100%\"");
        free(line);
        ASSERT_OK(unit_assignment_normalize(bus, "CPUQuota", "250%", false, &line));
        ASSERT_STREQ(line, "CPUQuota=2500000us/s");
        free(line);
        ASSERT_OK(unit_assignment_normalize(bus, "RuntimeMaxSec", "5400", false, &line));
        ASSERT_STREQ(line, "RuntimeMaxSec=5400000000us");
        free(line);
        ASSERT_OK(unit_assignment_normalize(bus, "PrivateTmp", "disconnected", true, &line));
        ASSERT_STREQ(line, "PrivateTmp=disconnected");
        free(line);
        ASSERT_OK(unit_assignment_normalize(bus, "IPAddressDeny", "any", false, &line));
        ASSERT_STREQ(line, "IPAddressDeny=\"0.0.0.0/0\" \"::/0\"");
        free(line);
        ASSERT_OK(unit_assignment_normalize(bus, "ExecStart", "-/bin/echo 'a b' c\\ d", true, &line));
        ASSERT_STREQ(line, "ExecStart=-/bin/echo \"/bin/echo\" \"a b\" \"c d\"");
        free(line);
        /* NFTSet=: systemd's NFTSetSource numbers cgroup 3, user 4 (0-2 are networkd's) */
        ASSERT_OK(unit_assignment_normalize(bus, "NFTSet", "cgroup:inet:sessiond:s_x_cg user:ip6:t:u", true, &line));
        ASSERT_STREQ(line, "NFTSet=\"3:1:sessiond:s_x_cg\" \"4:10:t:u\"");
        free(line);

        /* '+' goes as the "Ex" property with the flag "privileged", and comes back as '+'. */
        ASSERT_OK(unit_assignment_normalize(bus, "ExecStartPre", "+/usr/bin/x setup 'a b'", true, &line));
        ASSERT_STREQ(line, "ExecStartPre=+/usr/bin/x \"/usr/bin/x\" \"setup\" \"a b\"");
        free(line);
        ASSERT_OK(unit_assignment_normalize(bus, "ExecStopPost", "-+/usr/bin/x remove", true, &line));
        ASSERT_STREQ(line, "ExecStopPost=-+/usr/bin/x \"/usr/bin/x\" \"remove\"");
        free(line);

        ASSERT_OK(unit_assignment_normalize(bus, "SystemCallFilter", "~@privileged @resources", false, &line));
        ASSERT_STREQ(line, "SystemCallFilter=~\"@privileged\" \"@resources\"");
        free(line);

        /* refused, never dropped */
        ASSERT_ERROR(unit_assignment_normalize(bus, "NoSuchSetting", "1", true, &line), EOPNOTSUPP);
        ASSERT_ERROR(unit_assignment_normalize(bus, "ExecStart", "@/bin/true", true, &line), EOPNOTSUPP);
        ASSERT_ERROR(unit_assignment_normalize(bus, "ExecStart", "++/bin/true", true, &line), EOPNOTSUPP);
        ASSERT_ERROR(unit_assignment_normalize(bus, "ExecStart", "+!/bin/true", true, &line), EOPNOTSUPP);
        ASSERT_ERROR(unit_assignment_normalize(bus, "Description", "%n", true, &line), EINVAL);
        ASSERT_ERROR(unit_assignment_normalize(bus, "MemoryMax", "lots", false, &line), EINVAL);
        ASSERT_ERROR(unit_assignment_normalize(bus, "CapabilityBoundingSet", "CAP_NOPE", false, &line), EINVAL);
        sd_bus_unref(bus);
}

int main(void) {
        test_values();
        test_renderings_agree();
        return 0;
}
