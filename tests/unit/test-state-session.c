/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/stat.h>

#include "state-session.h"
#include "strv.h"
#include "tests.h"

static void test_roundtrip(int dfd) {
        SessionRecord r = {
                .name = (char *) "alpha",
                .owner = 1000,
                .state = SESSION_RUNNING,
                .result = SESSION_RESULT_NONE,
                .origin = (char *) "<inline>",
                .text = (char *) "[Session]\nExec=/bin/true\n",
                .created_usec = 1700000000000000ULL,
                .max_runtime_usec = 3600ULL * 1000000ULL,
                .idle_timeout_usec = UINT64_MAX,
                .discard = true,
        }, l = {};
        struct stat st;

        ASSERT_OK(session_record_save(dfd, &r));
        ASSERT_OK(fstatat(dfd, "alpha.json", &st, 0) < 0 ? -errno : 0);
        ASSERT_EQ(st.st_mode & 0777, 0600);
        ASSERT_OK(session_record_load(dfd, "alpha", &l));
        ASSERT_STREQ(l.name, "alpha");
        ASSERT_EQ(l.owner, 1000);
        ASSERT_EQ(l.backend, SESSION_BACKEND_SERVICE);
        ASSERT_EQ(l.state, SESSION_RUNNING);
        ASSERT_STREQ(l.text, r.text);
        ASSERT_EQ(l.created_usec, r.created_usec);
        ASSERT_EQ(l.max_runtime_usec, r.max_runtime_usec);
        ASSERT_TRUE(l.idle_timeout_usec == UINT64_MAX);
        ASSERT_TRUE(l.discard);
        ASSERT_TRUE(!l.stop_requested);
        session_record_done(&l);

        /* replacing keeps one file with the new content */
        r.state = SESSION_ENDED;
        r.result = SESSION_RESULT_OOM;
        ASSERT_OK(session_record_save(dfd, &r));
        ASSERT_OK(session_record_load(dfd, "alpha", &l));
        ASSERT_EQ(l.state, SESSION_ENDED);
        ASSERT_EQ(l.result, SESSION_RESULT_OOM);
        session_record_done(&l);
}

static void test_bad_records(int dfd) {
        SessionRecord l = {};
        int fd;

        /* torn or foreign content is refused, never half-read */
        fd = openat(dfd, "torn.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(write(fd, "{\"name\":\"torn\",\"owner\":0,\"sta", 29) == 29);
        close(fd);
        ASSERT_ERROR(session_record_load(dfd, "torn", &l), EBADMSG);

        fd = openat(dfd, "other.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        dprintf(fd, "{\"name\":\"alpha\",\"owner\":0,\"state\":\"running\",\"result\":\"none\"}\n");
        close(fd);
        ASSERT_ERROR(session_record_load(dfd, "other", &l), EBADMSG);

        fd = openat(dfd, "badstate.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        dprintf(fd, "{\"name\":\"badstate\",\"owner\":0,\"state\":\"dancing\",\"result\":\"none\"}\n");
        close(fd);
        ASSERT_ERROR(session_record_load(dfd, "badstate", &l), EBADMSG);

        ASSERT_ERROR(session_record_load(dfd, "missing", &l), ENOENT);
        ASSERT_ERROR(session_record_load(dfd, "../etc/passwd", &l), EINVAL);
}

static void test_list(int dfd) {
        _cleanup_strv_free_ char **names = NULL;
        int fd;

        /* a write interrupted before its rename leaves a temporary file: listing drops it */
        fd = openat(dfd, ".#beta.json.1234abcd", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        close(fd);

        ASSERT_OK(session_record_list(dfd, &names));
        ASSERT_EQ(strv_length(names), 4);
        ASSERT_STREQ(names[0], "alpha");
        ASSERT_STREQ(names[1], "badstate");
        ASSERT_STREQ(names[2], "other");
        ASSERT_STREQ(names[3], "torn");
        ASSERT_TRUE(faccessat(dfd, ".#beta.json.1234abcd", F_OK, 0) < 0 && errno == ENOENT);

        ASSERT_OK(session_record_remove(dfd, "alpha"));
        ASSERT_ERROR(session_record_remove(dfd, "alpha"), ENOENT);
}

static void test_backend(int dfd) {
        SessionRecord r = {
                .name = (char *) "vm1",
                .backend = SESSION_BACKEND_VMSPAWN,
                .state = SESSION_RUNNING,
        }, l = {};
        int fd;

        ASSERT_OK(session_record_save(dfd, &r));
        ASSERT_OK(session_record_load(dfd, "vm1", &l));
        ASSERT_EQ(l.backend, SESSION_BACKEND_VMSPAWN);
        session_record_done(&l);
        r.backend = SESSION_BACKEND_NSPAWN;
        ASSERT_OK(session_record_save(dfd, &r));
        ASSERT_OK(session_record_load(dfd, "vm1", &l));
        ASSERT_EQ(l.backend, SESSION_BACKEND_NSPAWN);
        session_record_done(&l);
        ASSERT_OK(session_record_remove(dfd, "vm1"));

        /* a record written before the field existed: the service backend */
        fd = openat(dfd, "old.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        dprintf(fd, "{\"name\":\"old\",\"owner\":0,\"state\":\"running\",\"result\":\"none\"}\n");
        close(fd);
        l.backend = SESSION_BACKEND_VMSPAWN;
        ASSERT_OK(session_record_load(dfd, "old", &l));
        ASSERT_EQ(l.backend, SESSION_BACKEND_SERVICE);
        session_record_done(&l);
        ASSERT_OK(session_record_remove(dfd, "old"));

        /* an unknown backend is refused, not read as service */
        fd = openat(dfd, "badbackend.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        dprintf(fd, "{\"name\":\"badbackend\",\"owner\":0,\"backend\":\"firecracker\",\"state\":\"running\",\"result\":\"none\"}\n");
        close(fd);
        ASSERT_ERROR(session_record_load(dfd, "badbackend", &l), EBADMSG);
        ASSERT_OK(session_record_remove(dfd, "badbackend"));
}

static void test_results(void) {
        ASSERT_EQ(session_end_result_from_unit_result("success"), SESSION_RESULT_EXIT);
        ASSERT_EQ(session_end_result_from_unit_result("exit-code"), SESSION_RESULT_EXIT);
        ASSERT_EQ(session_end_result_from_unit_result("timeout"), SESSION_RESULT_TIMEOUT);
        ASSERT_EQ(session_end_result_from_unit_result("oom-kill"), SESSION_RESULT_OOM);
        ASSERT_EQ(session_end_result_from_unit_result("signal"), SESSION_RESULT_KILLED);
        ASSERT_STREQ(session_run_state_to_string(SESSION_STOPPING), "stopping");
        ASSERT_EQ(session_run_state_from_string("failed"), SESSION_FAILED);
        ASSERT_EQ(session_end_result_from_string("idle"), SESSION_RESULT_IDLE);
        ASSERT_EQ(session_end_result_from_string("bored"), _SESSION_END_RESULT_INVALID);
}

int main(void) {
        char dir[] = "/tmp/test-state-session.XXXXXX";
        int dfd;

        ASSERT_TRUE(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);

        test_roundtrip(dfd);
        test_bad_records(dfd);
        test_list(dfd);
        test_backend(dfd);
        test_results();

        close(dfd);
        (void) rmdir(dir);
        return 0;
}
