/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Runs the real sessiond-agent binary (path in argv[1]) on a socket in a temp dir and drives it with
 * lib/agent-client and raw varlink calls. Needs no systemd; needs /proc and /dev/pts. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "agent-client.h"
#include "io.sessiond.Manager.h"
#include "macro.h"
#include "tests.h"

static const char *agent_path;
static char tmpdir[] = "/tmp/test-agent-XXXXXX";
static char sock[256];
static pid_t agent_pid;

static void msleep(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

static int connect_raw(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0);

        ASSERT_TRUE(fd >= 0 && strlen(sock) < sizeof(sa.sun_path));
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                safe_close(fd);
                return -errno;
        }
        return fd;
}

static void start_agent_full(bool terminal, const char *const *cmd) {
        char name_arg[] = "--name=test";
        char sock_arg[300];
        char *argv[32];
        size_t n = 0;

        snprintf(sock, sizeof(sock), "%s/agent.sock", tmpdir);
        (void) unlink(sock);
        snprintf(sock_arg, sizeof(sock_arg), "--socket=%s", sock);
        argv[n++] = (char *) agent_path;
        argv[n++] = name_arg;
        argv[n++] = sock_arg;
        if (terminal)
                argv[n++] = (char *) "--terminal";
        argv[n++] = (char *) "--";
        for (const char *const *c = cmd; *c; c++)
                argv[n++] = (char *) *c;
        argv[n] = NULL;

        agent_pid = fork();
        ASSERT_TRUE(agent_pid >= 0);
        if (agent_pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                execv(agent_path, argv);
                _exit(127);
        }

        /* Listening, not just bound: connect until it works. */
        for (int i = 0; i < 500; i++) {
                int fd = connect_raw();
                if (fd >= 0) {
                        safe_close(fd);
                        return;
                }
                msleep(10);
        }
        ASSERT_TRUE(!"agent socket did not appear");
}

static void start_agent(void) {
        start_agent_full(false, (const char *const[]) { "sleep", "infinity", NULL });
}

static int stop_agent(void) {
        int status;

        if (agent_pid <= 0)
                return -1;
        (void) kill(agent_pid, SIGTERM);
        ASSERT_TRUE(waitpid(agent_pid, &status, 0) == agent_pid);
        agent_pid = 0;
        /* As a shell reports it: the agent dies the main command's clean signal deaths. */
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static sd_varlink *connect_agent(void) {
        sd_varlink *link = NULL;
        ASSERT_OK(agent_connect(sock, &link));
        return link;
}

/* NoSuchExec names the id it did not find. */
static void expect_no_such_exec(sd_varlink *link, const char *method, const char *json, uint64_t id) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        sd_json_variant *reply = NULL, *v;
        const char *error_id = NULL;

        ASSERT_OK(sd_json_parse(json, 0, &params, NULL, NULL));
        ASSERT_OK(sd_varlink_call(link, method, params, &reply, &error_id));
        if (!error_id || !streq(error_id, "io.sessiond.Agent.NoSuchExec")) {
                fprintf(stderr, "%s %s: got error %s, expected NoSuchExec\n", method, json, strna(error_id));
                exit(EXIT_FAILURE);
        }
        v = sd_json_variant_by_key(reply, "id");
        ASSERT_TRUE(v);
        ASSERT_EQ(sd_json_variant_unsigned(v), id);
}

static int devnull(int flags) {
        int fd = open("/dev/null", flags|O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        return fd;
}

static int tmpfile_fd(void) {
        char path[300];
        snprintf(path, sizeof(path), "%s/out-XXXXXX", tmpdir);
        int fd = mkostemp(path, O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        (void) unlink(path);
        return fd;
}

static char *read_fd_all(int fd) {
        size_t n = 0, a = 4096;
        char *buf = malloc(a);
        ssize_t k;

        ASSERT_TRUE(buf);
        (void) lseek(fd, 0, SEEK_SET);
        while ((k = read(fd, buf + n, a - n - 1)) > 0) {
                n += (size_t) k;
                if (a - n < 2) {
                        a *= 2;
                        buf = realloc(buf, a);
                        ASSERT_TRUE(buf);
                }
        }
        buf[n] = 0;
        return buf;
}

/* Runs a shell snippet with fds passed; returns the exit code, stdout in *ret_out if given. */
static int run_sh(const char *script, const AgentExecOptions *o, char **ret_out) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
        _cleanup_close_ int in = devnull(O_RDONLY), out = tmpfile_fd(), err = devnull(O_WRONLY);
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) script, NULL };
        AgentExecResult res;

        ASSERT_OK(agent_exec(link, argv, o, (const int[]) { in, out, err }, &res));
        if (ret_out)
                *ret_out = read_fd_all(out);
        return res.exit_code;
}

static void test_exit_codes(void) {
        ASSERT_EQ(run_sh("exit 0", NULL, NULL), 0);
        ASSERT_EQ(run_sh("exit 1", NULL, NULL), 1);
        ASSERT_EQ(run_sh("exit 42", NULL, NULL), 42);
        ASSERT_EQ(run_sh("kill -9 $$", NULL, NULL), 137);
        ASSERT_EQ(run_sh("kill -TERM $$", NULL, NULL), 143);
}

static void test_env_workdir_and_hygiene(void) {
        char *env[] = { (char *) "FOO=bar baz", (char *) "PATH=/usr/bin:/bin", NULL };
        AgentExecOptions o = { .environment = env, .working_directory = "/tmp" };
        _cleanup_free_ char *out = NULL, *fds = NULL, *sid = NULL, *mask = NULL;

        ASSERT_EQ(run_sh("echo \"$FOO\"; pwd", &o, &out), 0);
        ASSERT_STREQ(out, "bar baz\n/tmp\n");

        /* Exactly 0, 1, 2 are open in the command. */
        ASSERT_EQ(run_sh("ls /proc/$$/fd", NULL, &fds), 0);
        ASSERT_STREQ(fds, "0\n1\n2\n");

        /* It leads its own session. */
        ASSERT_EQ(run_sh("s=$(cut -d' ' -f6 /proc/$$/stat); [ \"$s\" = $$ ] && echo leader", NULL, &sid), 0);
        ASSERT_STREQ(sid, "leader\n");

        /* No blocked signals leak from the agent. */
        ASSERT_EQ(run_sh("exec grep -E 'SigBlk|SigIgn' /proc/self/status", NULL, &mask), 0);
        ASSERT_STREQ(mask, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

static void test_stdin_eof(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
        _cleanup_close_ int out = tmpfile_fd(), err = devnull(O_WRONLY);
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "wc -c; echo eof-seen", NULL };
        AgentExecResult res;
        _cleanup_free_ char *text = NULL;
        int p[2];

        ASSERT_TRUE(pipe2(p, O_CLOEXEC) == 0);
        ASSERT_TRUE(write(p[1], "hello\n", 6) == 6);
        p[1] = safe_close(p[1]); /* the command must see EOF, the agent may hold no copy */

        ASSERT_OK(agent_exec(link, argv, NULL, (const int[]) { p[0], out, err }, &res));
        safe_close(p[0]);
        ASSERT_EQ(res.exit_code, 0);
        text = read_fd_all(out);
        ASSERT_STREQ(text, "6\neof-seen\n");
}

typedef struct Reader {
        int fd;
        uint8_t *expected;
        size_t size, got;
        bool mismatch;
} Reader;

static void *reader_thread(void *userdata) {
        Reader *r = userdata;
        uint8_t buf[65536];
        ssize_t k;

        while ((k = read(r->fd, buf, sizeof(buf))) > 0) {
                if (r->got + (size_t) k > r->size || memcmp(buf, r->expected + r->got, (size_t) k) != 0)
                        r->mismatch = true;
                r->got += (size_t) k;
        }
        return NULL;
}

static void test_big_binary_output(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
        const size_t size = 12 * 1024 * 1024 + 17;
        char path[300];
        uint64_t x = 88172645463325252ULL;
        uint8_t *data = malloc(size);
        Reader reader = { .expected = data, .size = size };
        pthread_t thread;
        AgentExecResult res;
        int p[2], fd;

        ASSERT_TRUE(data);
        for (size_t i = 0; i < size; i++) { /* xorshift: every byte value, NULs included */
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                data[i] = (uint8_t) x;
        }
        snprintf(path, sizeof(path), "%s/big", tmpdir);
        fd = open(path, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(write(fd, data, size) == (ssize_t) size);
        safe_close(fd);

        ASSERT_TRUE(pipe2(p, O_CLOEXEC) == 0);
        reader.fd = p[0];
        ASSERT_TRUE(pthread_create(&thread, NULL, reader_thread, &reader) == 0);

        _cleanup_close_ int in = devnull(O_RDONLY), err = devnull(O_WRONLY);
        ASSERT_OK(agent_exec(link, (char *[]) { (char *) "cat", path, NULL }, NULL,
                             (const int[]) { in, p[1], err }, &res));
        safe_close(p[1]); /* our copy: now the reader sees EOF */
        ASSERT_TRUE(pthread_join(thread, NULL) == 0);
        safe_close(p[0]);

        ASSERT_EQ(res.exit_code, 0);
        ASSERT_EQ(reader.got, size);
        ASSERT_TRUE(!reader.mismatch);
        free(data);
}

static void test_streaming(void) {
        _cleanup_close_ int out = tmpfile_fd(), err = tmpfile_fd();
        AgentExecOptions o = { .output_fds = { out, err } };
        AgentExecResult res;
        _cleanup_free_ char *o1 = NULL, *e1 = NULL;

        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
                ASSERT_OK(agent_exec(link, (char *[]) { (char *) "sh", (char *) "-c",
                                     (char *) "printf 'to out'; printf 'to err' >&2; exit 3", NULL }, &o, NULL, &res));
                ASSERT_EQ(res.exit_code, 3);
                o1 = read_fd_all(out);
                e1 = read_fd_all(err);
                ASSERT_STREQ(o1, "to out");
                ASSERT_STREQ(e1, "to err");
        }

        /* stdin from the call, binary, 2 MiB through: tests backpressure on the way out too. */
        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
                _cleanup_close_ int out2 = tmpfile_fd();
                const size_t size = 2 * 1024 * 1024;
                uint8_t *data = malloc(size);
                struct stat st;

                ASSERT_TRUE(data);
                for (size_t i = 0; i < size; i++)
                        data[i] = (uint8_t) (i * 7 + i / 251);
                AgentExecOptions o2 = { .stdin_data = data, .stdin_size = size, .output_fds = { out2, -EBADF } };
                ASSERT_OK(agent_exec(link, (char *[]) { (char *) "cat", NULL }, &o2, NULL, &res));
                ASSERT_EQ(res.exit_code, 0);
                ASSERT_TRUE(fstat(out2, &st) == 0);
                ASSERT_EQ(st.st_size, (long long) size);
                uint8_t *back = malloc(size);
                ASSERT_TRUE(back);
                ASSERT_TRUE(pread(out2, back, size, 0) == (ssize_t) size);
                ASSERT_TRUE(memcmp(back, data, size) == 0);
                free(back);
                free(data);
        }

        /* Without stdin the command reads /dev/null: EOF at once. */
        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
                _cleanup_close_ int out3 = tmpfile_fd();
                _cleanup_free_ char *t = NULL;
                AgentExecOptions o3 = { .output_fds = { out3, -EBADF } };
                ASSERT_OK(agent_exec(link, (char *[]) { (char *) "wc", (char *) "-c", NULL }, &o3, NULL, &res));
                t = read_fd_all(out3);
                ASSERT_STREQ(t, "0\n");
        }
}

static void test_kill_and_timeout(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent(), *ctl = connect_agent();
        _cleanup_close_ int in = devnull(O_RDONLY), out = devnull(O_WRONLY);
        AgentCall *call = NULL;
        AgentExecResult res;
        uint64_t id;
        AgentInfo info = {};

        ASSERT_OK(agent_exec_start(link, (char *[]) { (char *) "sleep", (char *) "100", NULL }, NULL,
                                   (const int[]) { in, out, out }, &call, &id));
        ASSERT_OK(agent_describe(ctl, &info));
        ASSERT_STREQ(info.name, "test");
        ASSERT_EQ(info.running_execs, 1);
        ASSERT_TRUE(info.main_pid > 0);
        agent_info_done(&info);

        ASSERT_ERROR(agent_kill(ctl, id + 1000, SIGTERM), ESRCH);
        ASSERT_OK(agent_kill(ctl, id, SIGUSR1));
        ASSERT_OK(agent_call_wait(call, &res));
        ASSERT_EQ(res.signal, SIGUSR1);
        ASSERT_EQ(res.exit_code, 128 + SIGUSR1);
        ASSERT_TRUE(!res.timed_out);
        agent_call_free(call);

        ASSERT_OK(agent_describe(ctl, &info));
        ASSERT_EQ(info.running_execs, 0);
        agent_info_done(&info);

        /* Timeout: SIGKILL, reported as such. */
        sd_varlink *l2 = connect_agent();
        AgentExecOptions o = { .timeout_usec = 200000 };
        ASSERT_OK(agent_exec(l2, (char *[]) { (char *) "sleep", (char *) "100", NULL }, &o,
                             (const int[]) { in, out, out }, &res));
        ASSERT_EQ(res.exit_code, 137);
        ASSERT_TRUE(res.timed_out);
        sd_varlink_unref(l2);
}

static void test_main_lifecycle(void) {
        int status;

        /* The agent exits with its main command's status. */
        stop_agent();
        start_agent_full(false, (const char *const[]) { "sh", "-c", "sleep 0.3; exit 7", NULL });
        ASSERT_TRUE(waitpid(agent_pid, &status, 0) == agent_pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 7);
        agent_pid = 0;

        /* SIGTERM is forwarded to the main command, whose death the agent then dies. */
        start_agent();
        ASSERT_EQ(stop_agent(), 128 + SIGTERM);

        /* A core-dumping death becomes exit status 128+N instead. */
        start_agent_full(false, (const char *const[]) { "sh", "-c", "sleep 0.3; kill -SEGV $$", NULL });
        ASSERT_TRUE(waitpid(agent_pid, &status, 0) == agent_pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 128 + SIGSEGV);
        agent_pid = 0;

        /* Kill without id hits the main process group. */
        start_agent();
        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
                ASSERT_OK(agent_kill(link, AGENT_ID_MAIN, SIGKILL));
        }
        ASSERT_TRUE(waitpid(agent_pid, &status, 0) == agent_pid);
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGKILL);
        agent_pid = 0;

        /* Orphans re-parented to the agent are reaped. */
        start_agent();
        ASSERT_EQ(run_sh("(sleep 0.2 &); exit 0", NULL, NULL), 0);
        msleep(700);
        DIR *d = opendir("/proc");
        struct dirent *de;
        int zombies = 0;
        ASSERT_TRUE(d);
        while ((de = readdir(d))) {
                char p[300], buf[512];
                int ppid = 0;
                char state = 0;
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(p, sizeof(p), "/proc/%s/stat", de->d_name);
                _cleanup_close_ int fd = open(p, O_RDONLY|O_CLOEXEC);
                if (fd < 0)
                        continue;
                ssize_t k = read(fd, buf, sizeof(buf) - 1);
                if (k <= 0)
                        continue;
                buf[k] = 0;
                char *rp = strrchr(buf, ')');
                if (rp && sscanf(rp + 2, "%c %d", &state, &ppid) == 2 && ppid == agent_pid && state == 'Z')
                        zombies++;
        }
        closedir(d);
        ASSERT_EQ(zombies, 0);
}

/* Reads from fd until needle shows up (or 10 s pass); returns what was read. */
static char *read_until(int fd, const char *needle) {
        size_t n = 0, a = 65536 * 2;
        char *buf = calloc(1, a);

        ASSERT_TRUE(buf);
        for (int i = 0; i < 1000 && !strstr(buf, needle); i++) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                if (poll(&pfd, 1, 10) <= 0)
                        continue;
                ssize_t k = read(fd, buf + n, a - n - 1);
                if (k <= 0)
                        break;
                n += (size_t) k;
                buf[n] = 0;
                /* scrollback may contain NULs? not here: plain text */
        }
        return buf;
}

static void test_attach(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;
        int rw, ro, rw2, fd;
        uint64_t scrollback;

        stop_agent();
        start_agent_full(true, (const char *const[]) { "sh", "-c",
                "echo ready-marker; while read l; do echo \"got:$l\"; [ \"$l\" = size ] && stty size; done", NULL });
        link = connect_agent();

        /* A session without viewers keeps its output in the scrollback. */
        msleep(300);
        ASSERT_OK(agent_attach(link, NULL, false, &rw, &scrollback));
        ASSERT_TRUE(scrollback > 0);
        a = read_until(rw, "ready-marker");
        ASSERT_TRUE(strstr(a, "ready-marker"));

        ASSERT_OK(agent_attach(link, NULL, true, &ro, NULL));
        b = read_until(ro, "ready-marker");
        ASSERT_TRUE(strstr(b, "ready-marker"));

        /* Read-only input is discarded; read-write input reaches the command; both see output. */
        ASSERT_TRUE(write(ro, "zzz\n", 4) == 4);
        msleep(100);
        ASSERT_TRUE(write(rw, "ping\n", 5) == 5);
        c = read_until(rw, "got:ping");
        ASSERT_TRUE(strstr(c, "got:ping"));
        d = read_until(ro, "got:ping");
        ASSERT_TRUE(strstr(d, "got:ping"));
        ASSERT_TRUE(!strstr(c, "zzz") && !strstr(d, "got:zzz"));

        ASSERT_OK(agent_resize(link, NULL, AGENT_ID_MAIN, 31, 101));
        ASSERT_TRUE(write(rw, "size\n", 5) == 5);
        e = read_until(rw, "31 101");
        ASSERT_TRUE(strstr(e, "31 101"));

        /* Detach both; a new viewer sees the scrollback with what happened meanwhile. */
        safe_close(rw);
        safe_close(ro);
        ASSERT_OK(agent_attach(link, NULL, false, &rw2, NULL));
        _cleanup_free_ char *f = read_until(rw2, "31 101");
        ASSERT_TRUE(strstr(f, "ready-marker") && strstr(f, "got:ping") && strstr(f, "31 101"));

        /* Bounded viewers: wait until the agent noticed the two detaches, then fill up. */
        for (int i = 0; i < 200; i++) {
                AgentInfo info = {};
                ASSERT_OK(agent_describe(link, &info));
                unsigned v = info.viewers;
                agent_info_done(&info);
                if (v == 1)
                        break;
                msleep(20);
        }
        int fds[32], n = 0, r = 0;
        for (; n < 32; n++) {
                r = agent_attach(link, NULL, true, &fds[n], NULL);
                if (r < 0)
                        break;
        }
        ASSERT_EQ(r, -EUSERS);
        ASSERT_EQ(n, 15);
        for (int i = 0; i < n; i++)
                safe_close(fds[i]);
        safe_close(rw2);

        /* The main command has a terminal, but an unknown exec id is not it: NoSuchExec. */
        ASSERT_ERROR(agent_resize(link, NULL, 999, 10, 10), ESRCH);
        expect_no_such_exec(link, "io.sessiond.Agent.Input", "{\"id\":999,\"data\":\"eAo=\"}", 999);
        (void) fd;
}

static void test_exec_terminal(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
        AgentCall *call = NULL;
        AgentExecResult res;
        uint64_t id;
        int fd;

        ASSERT_OK(agent_exec_terminal_start(link, (char *[]) { (char *) "sh", (char *) "-c",
                                            (char *) "stty size; [ -t 0 ] && echo is-a-tty; read x; echo \"x=$x\"; exit 5", NULL },
                                            NULL, 33, 77, /* stream= */ false, &call, &fd, &id));
        _cleanup_free_ char *a = read_until(fd, "is-a-tty");
        ASSERT_TRUE(strstr(a, "33 77"));
        ASSERT_TRUE(strstr(a, "is-a-tty"));
        ASSERT_TRUE(write(fd, "hello\n", 6) == 6);
        _cleanup_free_ char *b = read_until(fd, "x=hello");
        ASSERT_TRUE(strstr(b, "x=hello"));

        ASSERT_OK(agent_call_wait(call, &res));
        ASSERT_EQ(res.exit_code, 5);
        agent_call_free(call);

        /* The terminal socket reaches EOF once the command is gone. */
        char buf[256];
        ssize_t k;
        int rounds = 0;
        while ((k = read(fd, buf, sizeof(buf))) > 0 && rounds++ < 100)
                ;
        ASSERT_EQ(k, 0);
        safe_close(fd);
}

/* ---- streamed terminals (no fd handed over) ---- */

typedef struct Streamed {
        AgentCall *call;
        sd_varlink *call_link;
        AgentTerminalInput *input;
        int out;                /* read end of the pipe the output goes to */
        char *buf;
        size_t size, allocated;
        bool done;
        AgentExecResult result;
} Streamed;

/* Drives the call and the input side until needle was output (or the call ended, or 20 s). */
static void streamed_pump(Streamed *s, const char *needle) {
        for (int i = 0; i < 2000; i++) {
                struct pollfd p[2] = {
                        { .fd = sd_varlink_get_fd(s->call_link), .events = (short) sd_varlink_get_events(s->call_link) },
                        { .fd = -1 },
                };
                int r;

                if (!s->done) {
                        r = agent_call_process(s->call, &s->result);
                        ASSERT_TRUE(r >= 0);
                        s->done = r > 0;
                }
                if (s->input)
                        ASSERT_OK(agent_terminal_input_process(s->input, &p[1].fd, &p[1].events));
                for (;;) {
                        if (s->size + 65536 + 1 > s->allocated) {
                                s->allocated = (s->size + 65536 + 1) * 2;
                                s->buf = realloc(s->buf, s->allocated);
                                ASSERT_TRUE(s->buf);
                        }
                        ssize_t k = read(s->out, s->buf + s->size, 65536);
                        if (k <= 0)
                                break;
                        s->size += (size_t) k;
                }
                if (s->buf)
                        s->buf[s->size] = 0;
                if ((needle && s->buf && strstr(s->buf, needle)) || (!needle && s->done))
                        return;
                if (s->done)
                        p[0].fd = -1;
                (void) poll(p, 2, 10);
        }
}

/* The output goes to a file (writes never block the test's single thread), read from a second fd. */
static void output_file(int *ret_write, int *ret_read) {
        static unsigned n;
        char path[300];

        snprintf(path, sizeof(path), "%s/out-%u", tmpdir, n++);
        *ret_write = open(path, O_WRONLY|O_CREAT|O_TRUNC|O_APPEND|O_CLOEXEC, 0600);
        ASSERT_TRUE(*ret_write >= 0);
        *ret_read = open(path, O_RDONLY|O_CLOEXEC);
        ASSERT_TRUE(*ret_read >= 0);
}

static void streamed_done(Streamed *s) {
        agent_terminal_input_free(s->input);
        agent_call_free(s->call);
        sd_varlink_unref(s->call_link);
        safe_close(s->out);
        free(s->buf);
}

static void test_exec_terminal_streamed(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *control = connect_agent();
        Streamed s = { .call_link = connect_agent() };
        int pipefd[2];
        uint64_t id;

        output_file(&pipefd[1], &pipefd[0]);
        s.out = pipefd[0];
        AgentExecOptions o = { .output_fds = { pipefd[1], -EBADF } };

        /* No fd comes back; the output, input and a resize go through the calls. */
        ASSERT_OK(agent_exec_terminal_start(s.call_link, (char *[]) { (char *) "sh", (char *) "-c",
                                            (char *) "tty; stty size; [ -t 0 ] && echo is-a-tty; read x; echo \"x=$x\"; "
                                            "read y; stty size; exit 5", NULL },
                                            &o, 33, 77, /* stream= */ true, &s.call, NULL, &id));
        ASSERT_EQ(sd_varlink_take_fd(s.call_link, 0) < 0, true);
        ASSERT_OK(agent_terminal_input_new(control, NULL, id, &s.input));
        streamed_pump(&s, "is-a-tty");
        ASSERT_TRUE(strstr(s.buf, "/dev/pts/"));
        ASSERT_TRUE(strstr(s.buf, "33 77"));
        ASSERT_OK(agent_terminal_input_queue(s.input, "hello\n", 6));
        streamed_pump(&s, "x=hello");
        ASSERT_TRUE(strstr(s.buf, "x=hello"));
        agent_terminal_input_resize(s.input, 40, 120);
        ASSERT_OK(agent_terminal_input_queue(s.input, "\n", 1));
        streamed_pump(&s, "40 120");
        ASSERT_TRUE(strstr(s.buf, "40 120"));
        streamed_pump(&s, NULL);
        ASSERT_TRUE(s.done);
        ASSERT_EQ(s.result.exit_code, 5);

        /* Input for a command that ended is refused by the agent and dropped by the client. */
        ASSERT_OK(agent_terminal_input_queue(s.input, "late\n", 5));
        ASSERT_OK(agent_terminal_input_flush(s.input));
        streamed_done(&s);
        safe_close(pipefd[1]);

        /* A slow reader: 1.3 MB (more than a socket viewer may fall behind) while nobody reads for
         * 2 s; every byte arrives, in order, and only then the exit status. */
        s = (Streamed) { .call_link = connect_agent() };
        output_file(&pipefd[1], &pipefd[0]);
        s.out = pipefd[0];
        o.output_fds[0] = pipefd[1];
        ASSERT_OK(agent_exec_terminal_start(s.call_link, (char *[]) { (char *) "sh", (char *) "-c",
                                            (char *) "stty -onlcr; seq 1 200000; exit 3", NULL },
                                            &o, 0, 0, /* stream= */ true, &s.call, NULL, &id));
        msleep(2000);
        streamed_pump(&s, NULL);
        ASSERT_TRUE(s.done);
        ASSERT_EQ(s.result.exit_code, 3);
        {
                _cleanup_free_ char *want = NULL;
                size_t wn = 0;
                FILE *f = open_memstream(&want, &wn);
                ASSERT_TRUE(f);
                for (int i = 1; i <= 200000; i++)
                        fprintf(f, "%d\n", i);
                fclose(f);
                ASSERT_EQ(s.size, wn);
                ASSERT_TRUE(memcmp(s.buf, want, wn) == 0);
        }
        streamed_done(&s);
        safe_close(pipefd[1]);

        /* The id of a command that is gone: Input fails like Resize. */
        ASSERT_ERROR(agent_resize(control, NULL, id, 10, 10), ESRCH);
        {
                char json[128];
                snprintf(json, sizeof(json), "{\"id\":%" PRIu64 ",\"data\":\"eAo=\"}", id);
                expect_no_such_exec(control, "io.sessiond.Agent.Input", json, id);
        }
}

static void test_attach_streamed(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *control = NULL;
        Streamed s = {};
        int pipefd[2];
        uint64_t scrollback = 0;

        stop_agent();
        start_agent_full(true, (const char *const[]) { "sh", "-c",
                "echo ready-marker; while read l; do echo \"got:$l\"; [ \"$l\" = size ] && stty size; done", NULL });
        control = connect_agent();
        s.call_link = connect_agent();
        output_file(&pipefd[1], &pipefd[0]);
        s.out = pipefd[0];
        AgentExecOptions o = { .output_fds = { pipefd[1], -EBADF } };

        msleep(300);
        ASSERT_OK(agent_attach_stream_start(s.call_link, NULL, &o, &s.call, &scrollback));
        ASSERT_TRUE(scrollback > 0);
        ASSERT_EQ(sd_varlink_take_fd(s.call_link, 0) < 0, true);
        ASSERT_OK(agent_terminal_input_new(control, NULL, AGENT_ID_MAIN, &s.input));
        streamed_pump(&s, "ready-marker");
        ASSERT_TRUE(strstr(s.buf, "ready-marker"));

        ASSERT_OK(agent_terminal_input_queue(s.input, "ping\n", 5));
        streamed_pump(&s, "got:ping");
        ASSERT_TRUE(strstr(s.buf, "got:ping"));
        agent_terminal_input_resize(s.input, 31, 101);
        ASSERT_OK(agent_terminal_input_queue(s.input, "size\n", 5));
        streamed_pump(&s, "31 101");
        ASSERT_TRUE(strstr(s.buf, "31 101"));
        ASSERT_TRUE(!s.done);

        /* Detach: the agent forgets the viewer once the call's connection is gone. */
        agent_terminal_input_free(s.input);
        s.input = NULL;
        agent_call_free(s.call);
        s.call = NULL;
        s.call_link = sd_varlink_unref(s.call_link);
        for (int i = 0; i < 200; i++) {
                AgentInfo info = {};
                ASSERT_OK(agent_describe(control, &info));
                unsigned v = info.viewers;
                agent_info_done(&info);
                if (v == 0)
                        break;
                ASSERT_TRUE(i < 199);
                msleep(20);
        }

        /* The terminal closing ends a streamed Attach with its final reply. */
        s.call_link = connect_agent();
        free(s.buf);
        s.buf = NULL;
        s.size = s.allocated = 0;
        ASSERT_OK(agent_attach_stream_start(s.call_link, NULL, &o, &s.call, NULL));
        streamed_pump(&s, "31 101");
        ASSERT_TRUE(strstr(s.buf, "got:ping") && strstr(s.buf, "31 101"));
        ASSERT_OK(agent_kill(control, AGENT_ID_MAIN, SIGKILL));
        streamed_pump(&s, NULL);
        ASSERT_TRUE(s.done);
        streamed_done(&s);
        safe_close(pipefd[1]);
}

static void expect_error(sd_varlink *link, const char *method, const char *json, const char *error) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
        sd_json_variant *reply = NULL;
        const char *error_id = NULL;

        ASSERT_OK(sd_json_parse(json, 0, &params, NULL, NULL));
        ASSERT_OK(sd_varlink_call(link, method, params, &reply, &error_id));
        if (!error_id || !streq(error_id, error)) {
                fprintf(stderr, "%s %s: got error %s, expected %s\n", method, json, strna(error_id), error);
                exit(EXIT_FAILURE);
        }
}

static void test_bad_input(void) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *link = connect_agent();
        const char *inval = SD_VARLINK_ERROR_INVALID_PARAMETER;
        AgentInfo info = {};

        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":42}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[]}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"\"]}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[1,2]}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"],\"bogus\":1}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"],\"environment\":[\"NOEQUALS\"]}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"],\"environment\":[\"=x\"]}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"],\"workingDirectory\":\"relative\"}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"],\"timeoutUSec\":-5}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"],\"timeoutUSec\":\"x\"}", inval);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"],\"stdin\":\"!!!notbase64\"}", SD_VARLINK_ERROR_EXPECTED_MORE);
        expect_error(link, "io.sessiond.Agent.Exec", "{\"argv\":[\"true\"]}", SD_VARLINK_ERROR_EXPECTED_MORE);
        expect_error(link, "io.sessiond.Agent.Kill", "{\"signal\":0}", inval);
        expect_error(link, "io.sessiond.Agent.Kill", "{\"signal\":999}", inval);
        expect_error(link, "io.sessiond.Agent.Kill", "{\"signal\":\"TERM\"}", inval);
        expect_error(link, "io.sessiond.Agent.Kill", "{\"id\":424242,\"signal\":15}", "io.sessiond.Agent.NoSuchExec");
        expect_error(link, "io.sessiond.Agent.Resize", "{\"rows\":0,\"columns\":10}", inval);
        expect_error(link, "io.sessiond.Agent.Resize", "{\"rows\":10,\"columns\":70000}", inval);
        expect_error(link, "io.sessiond.Agent.Resize", "{\"rows\":10,\"columns\":10}", "io.sessiond.Agent.NoTerminal");
        expect_error(link, "io.sessiond.Agent.Input", "{\"data\":\"eAo=\"}", "io.sessiond.Agent.NoTerminal");
        expect_error(link, "io.sessiond.Agent.Input", "{\"data\":\"!!!\"}", inval);
        expect_no_such_exec(link, "io.sessiond.Agent.Resize", "{\"id\":424242,\"rows\":10,\"columns\":10}", 424242);
        expect_no_such_exec(link, "io.sessiond.Agent.Input", "{\"id\":424242,\"data\":\"eAo=\"}", 424242);
        expect_error(link, "io.sessiond.Agent.Attach", "{}", "io.sessiond.Agent.NoTerminal");
        expect_error(link, "io.sessiond.Agent.Attach", "{\"readOnly\":\"yes\"}", inval);
        expect_error(link, "io.sessiond.Agent.Describe", "{\"x\":1}", inval);

        /* A running command without a terminal: no terminal to resize or type into by its id
         * (though Kill finds it). */
        {
                _cleanup_close_ int in = devnull(O_RDONLY), out = devnull(O_WRONLY);
                _cleanup_(sd_varlink_unrefp) sd_varlink *l = connect_agent();
                AgentCall *call = NULL;
                AgentExecResult res;
                char json[128];
                uint64_t id;

                ASSERT_OK(agent_exec_start(l, (char *[]) { (char *) "sleep", (char *) "100", NULL }, NULL,
                                           (const int[]) { in, out, out }, &call, &id));
                snprintf(json, sizeof(json), "{\"id\":%" PRIu64 ",\"rows\":10,\"columns\":10}", id);
                expect_no_such_exec(link, "io.sessiond.Agent.Resize", json, id);
                snprintf(json, sizeof(json), "{\"id\":%" PRIu64 ",\"data\":\"eAo=\"}", id);
                expect_no_such_exec(link, "io.sessiond.Agent.Input", json, id);
                ASSERT_OK(agent_kill(link, id, SIGKILL));
                ASSERT_OK(agent_call_wait(call, &res));
                ASSERT_EQ(res.signal, SIGKILL);
                agent_call_free(call);
        }

        /* Missing command and working directory: named failures, with errno. */
        {
                _cleanup_close_ int in = devnull(O_RDONLY), out = devnull(O_WRONLY);
                _cleanup_(sd_varlink_unrefp) sd_varlink *l = connect_agent();
                ASSERT_ERROR(agent_exec(l, (char *[]) { (char *) "/nonexistent/cmd", NULL }, NULL,
                                        (const int[]) { in, out, out }, NULL), ENOENT);
                _cleanup_(sd_varlink_unrefp) sd_varlink *l2 = connect_agent();
                AgentExecOptions o = { .working_directory = "/nonexistent" };
                ASSERT_ERROR(agent_exec(l2, (char *[]) { (char *) "true", NULL }, &o,
                                        (const int[]) { in, out, out }, NULL), ENOENT);
        }

        /* Bad base64 for streaming stdin. */
        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *l = connect_agent();
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
                sd_json_variant *reply = NULL; /* the link's, as with sd_varlink_call() */
                const char *error_id = NULL;
                ASSERT_OK(sd_json_parse("{\"argv\":[\"cat\"],\"stdin\":\"!!!notbase64\"}", 0, &params, NULL, NULL));
                ASSERT_OK(sd_varlink_collect(l, "io.sessiond.Agent.Exec", params, &reply, &error_id));
                ASSERT_STREQ(error_id, SD_VARLINK_ERROR_INVALID_PARAMETER);
        }

        /* Too many argv entries, and one huge argument. */
        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *l = connect_agent();
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL, *arr = NULL;
                sd_json_variant *reply = NULL;
                const char *error_id = NULL;
                for (int i = 0; i < 5000; i++)
                        ASSERT_OK(sd_json_variant_append_arrayb(&arr, SD_JSON_BUILD_STRING("x")));
                ASSERT_OK(sd_json_buildo(&params, SD_JSON_BUILD_PAIR_VARIANT("argv", arr)));
                ASSERT_OK(sd_varlink_call(l, "io.sessiond.Agent.Exec", params, &reply, &error_id));
                ASSERT_STREQ(error_id, inval);
        }
        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *l = connect_agent();
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
                sd_json_variant *reply = NULL;
                const char *error_id = NULL;
                size_t n = 2 * 1024 * 1024;
                char *big = malloc(n + 1);
                ASSERT_TRUE(big);
                memset(big, 'a', n);
                big[n] = 0;
                ASSERT_OK(sd_json_buildo(&params, SD_JSON_BUILD_PAIR_STRV("argv", ((char *[]) { (char *) "true", big, NULL }))));
                ASSERT_OK(sd_varlink_call(l, "io.sessiond.Agent.Exec", params, &reply, &error_id));
                ASSERT_STREQ(error_id, inval);
                free(big);
        }

        /* Two fds instead of three. */
        {
                _cleanup_(sd_varlink_unrefp) sd_varlink *l = connect_agent();
                _cleanup_close_ int fd = devnull(O_RDWR);
                _cleanup_(sd_json_variant_unrefp) sd_json_variant *params = NULL;
                sd_json_variant *reply = NULL;
                const char *error_id = NULL;
                ASSERT_OK(sd_varlink_push_dup_fd(l, fd));
                ASSERT_OK(sd_varlink_push_dup_fd(l, fd));
                ASSERT_OK(sd_json_buildo(&params, SD_JSON_BUILD_PAIR_STRV("argv", ((char *[]) { (char *) "true", NULL }))));
                ASSERT_OK(sd_varlink_call(l, "io.sessiond.Agent.Exec", params, &reply, &error_id));
                ASSERT_STREQ(error_id, inval);
        }

        /* Garbage on the wire: the agent drops that peer and lives on. */
        for (int i = 0; i < 3; i++) {
                _cleanup_close_ int fd = connect_raw();
                static const char junk[][64] = { "{\"method\":", "\xff\xfe\x00garbage", "[1,2,3]" };
                ASSERT_TRUE(fd >= 0);
                ASSERT_TRUE(write(fd, junk[i], sizeof(junk[i])) > 0);
        }
        msleep(100);

        /* Many connections at once: bounded, and the agent survives. */
        {
                int fds[300], n = 0;
                for (; n < 300; n++) {
                        fds[n] = connect_raw();
                        if (fds[n] < 0)
                                break;
                }
                msleep(200);
                for (int i = 0; i < n; i++)
                        safe_close(fds[i]);
                msleep(200);
        }

        _cleanup_(sd_varlink_unrefp) sd_varlink *l3 = connect_agent();
        ASSERT_OK(agent_describe(l3, &info));
        ASSERT_STREQ(info.name, "test");
        agent_info_done(&info);
        ASSERT_TRUE(kill(agent_pid, 0) == 0);
}

static void test_too_many_execs(void) {
        _cleanup_close_ int in = devnull(O_RDONLY), out = devnull(O_WRONLY);
        sd_varlink *links[70];
        AgentCall *calls[70];
        int n = 0, r = 0;

        for (; n < 70; n++) {
                links[n] = connect_agent();
                r = agent_exec_start(links[n], (char *[]) { (char *) "sleep", (char *) "100", NULL }, NULL,
                                     (const int[]) { in, out, out }, &calls[n], NULL);
                if (r < 0) {
                        sd_varlink_unref(links[n]);
                        break;
                }
        }
        ASSERT_EQ(r, -EUSERS);
        ASSERT_EQ(n, 64);
        /* Dropping the callers hangs their commands up. */
        for (int i = 0; i < n; i++) {
                agent_call_free(calls[i]);
                sd_varlink_unref(links[i]);
        }
        for (int i = 0; i < 100; i++) {
                _cleanup_(sd_varlink_unrefp) sd_varlink *l = connect_agent();
                AgentInfo info = {};
                ASSERT_OK(agent_describe(l, &info));
                unsigned running = info.running_execs;
                agent_info_done(&info);
                if (running == 0)
                        return;
                msleep(50);
        }
        ASSERT_TRUE(!"hung-up commands still running");
}

static void kill_agent_at_exit(void) {
        /* A failed assertion exits: do not leave the agent holding meson's pipes. */
        if (agent_pid > 0)
                (void) stop_agent();
}

static int count_agent_fds(void) {
        char path[64];
        int n = 0;

        snprintf(path, sizeof(path), "/proc/%d/fd", (int) agent_pid);
        DIR *d = opendir(path);
        ASSERT_TRUE(d);
        for (struct dirent *de; (de = readdir(d)); )
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static void test_no_fd_leak(void) {
        _cleanup_close_ int in = devnull(O_RDONLY), out = devnull(O_WRONLY);
        int before, after = -1;

        /* Let the agent notice connections the previous tests closed. */
        msleep(300);
        before = count_agent_fds();

        for (int i = 0; i < 3; i++) {
                _cleanup_(sd_varlink_unrefp) sd_varlink *l1 = connect_agent(), *l2 = connect_agent(),
                                                        *l3 = connect_agent(), *l4 = connect_agent();
                AgentExecResult res;
                AgentExecOptions so = { .output_fds = { out, out }, .stdin_data = "x", .stdin_size = 1 };
                AgentExecOptions bad = { .output_fds = { out, out }, .working_directory = "/nonexistent" };
                ASSERT_OK(agent_exec(l1, (char *[]) { (char *) "true", NULL }, NULL, (const int[]) { in, out, out }, &res));
                ASSERT_OK(agent_exec(l2, (char *[]) { (char *) "cat", NULL }, &so, NULL, &res));
                ASSERT_ERROR(agent_exec(l3, (char *[]) { (char *) "true", NULL }, &bad, NULL, &res), ENOENT);
                ASSERT_ERROR(agent_exec(l4, (char *[]) { (char *) "/nonexistent", NULL }, NULL, (const int[]) { in, out, out }, &res), ENOENT);
        }
        for (int i = 0; i < 100 && after != before; i++) {
                msleep(20);
                after = count_agent_fds();
        }
        ASSERT_EQ(after, before);
}

/* sessiond's errors reach sessionctl's exec/attach as errnos it explains ("has ended", ...). */
static void test_error_names(void) {
        ASSERT_ERROR(agent_error_to_errno(SESSIOND_ERROR_NO_SUCH_SESSION, NULL), ENXIO);
        ASSERT_ERROR(agent_error_to_errno(SESSIOND_ERROR_NOT_RUNNING, NULL), ESHUTDOWN);
        ASSERT_ERROR(agent_error_to_errno(SESSIOND_ERROR_PERMISSION_DENIED, NULL), EACCES);
        ASSERT_ERROR(agent_error_to_errno(SESSIOND_ERROR_NO_TERMINAL, NULL), ENOTTY);
        ASSERT_ERROR(agent_error_to_errno(SESSIOND_ERROR_AGENT_FAILED, NULL), ECONNREFUSED);
        ASSERT_ERROR(agent_error_to_errno(SESSIOND_ERROR_NO_FD_PASSING, NULL), EPROTONOSUPPORT);
        ASSERT_ERROR(agent_error_to_errno(SESSIOND_ERROR_BACKEND_UNAVAILABLE, NULL), EHOSTDOWN);
        ASSERT_ERROR(agent_error_to_errno("io.sessiond.Agent.NotRunning", NULL), ESHUTDOWN);
        ASSERT_TRUE(agent_error_to_errno(NULL, NULL) == 0);
}

int main(int argc, char *argv[]) {
        if (argc < 2) {
                fprintf(stderr, "usage: %s PATH-TO-sessiond-agent\n", argv[0]);
                return 77;
        }
        agent_path = argv[1];
        ASSERT_TRUE(mkdtemp(tmpdir));
        (void) signal(SIGPIPE, SIG_IGN);
        atexit(kill_agent_at_exit);

        test_error_names();
        start_agent();
        test_exit_codes();
        test_env_workdir_and_hygiene();
        test_stdin_eof();
        test_big_binary_output();
        test_streaming();
        test_kill_and_timeout();
        test_bad_input();
        test_too_many_execs();
        test_no_fd_leak();
        test_main_lifecycle();
        test_attach();
        test_exec_terminal();
        test_exec_terminal_streamed();
        test_attach_streamed();
        stop_agent();

        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        (void) system(cmd);
        return 0;
}
