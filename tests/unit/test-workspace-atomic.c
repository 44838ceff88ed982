/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Atomicity of persist: a helper killed with SIGKILL at any moment of `persist` leaves the saved
 * state either exactly as it was or exactly the new one, never a mix; the next operation cleans
 * up what the killed one left behind. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "workspace-test-util.h"
#include "workspace.h"

static WorkspacePaths paths;

static void fill(const char *dir, const char *tag, int n_files, size_t size) {
        char *buf = malloc(size);

        ASSERT_TRUE(buf);
        for (int i = 0; i < n_files; i++) {
                char name[64];
                char *p;
                FILE *f;

                snprintf(name, sizeof(name), "f%04d", i);
                p = test_path(dir, name);
                memset(buf, 'a' + (i + tag[0]) % 26, size);
                f = fopen(p, "we");
                ASSERT_TRUE(f);
                ASSERT_TRUE(fprintf(f, "%s %d\n", tag, i) > 0);
                ASSERT_TRUE(fwrite(buf, 1, size, f) == size);
                ASSERT_TRUE(fclose(f) == 0);
                free(p);
        }
        free(buf);
}

static int count_tmp(const char *dir) {
        DIR *d = opendir(dir);
        int n = 0;

        ASSERT_TRUE(d);
        for (struct dirent *de; (de = readdir(d));)
                if (strncmp(de->d_name, ".tmp-", 5) == 0)
                        n++;
        closedir(d);
        return n;
}

static long long now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(void) {
        const char *scratch = test_enter_scratch();
        _cleanup_free_ char *host = test_path(scratch, "host"), *state = test_path(scratch, "state"),
                *run = test_path(scratch, "run"), *m = NULL, *saved = NULL, *wsdir = NULL;
        WorkspaceSetup s = { .mode = WORKSPACE_OVERLAY, .uid = (uid_t) -1, .gid = (gid_t) -1, .size = UINT64_UNSET };
        uint64_t old_digest, new_digest;
        long long full_usec;
        int hits = 0, olds = 0, news = 0;

        paths = (WorkspacePaths) { state, run };
        s.host_path = host;
        ASSERT_TRUE(mkdir(host, 0755) == 0);
        ASSERT_OK(workspace_merged_path(&paths, "at", &m));
        ASSERT_OK(workspace_state_path(&paths, "at", "saved", &saved));
        ASSERT_OK(workspace_state_path(&paths, "at", NULL, &wsdir));

        /* generation 1, saved */
        ASSERT_OK(workspace_setup(&paths, "at", &s));
        fill(m, "old", 200, 16384);
        ASSERT_OK(workspace_persist(&paths, "at"));
        old_digest = test_tree_digest(saved);

        /* generation 2, live only */
        fill(m, "new", 400, 16384);
        {
                long long t0 = now_usec();
                ASSERT_OK(workspace_persist(&paths, "at"));
                full_usec = now_usec() - t0;
        }
        new_digest = test_tree_digest(saved);
        ASSERT_TRUE(new_digest != old_digest);

        /* back to generation 1, live and saved, and keep a snapshot of it to go back to */
        for (int i = 200; i < 400; i++) {
                char name[64];
                char *extra;

                snprintf(name, sizeof(name), "f%04d", i);
                extra = test_path(m, name);
                ASSERT_TRUE(unlink(extra) == 0);
                free(extra);
        }
        fill(m, "old", 200, 16384);
        ASSERT_OK(workspace_snapshot_save(&paths, "at", "gen1"));
        ASSERT_OK(workspace_persist(&paths, "at"));
        ASSERT_EQ(test_tree_digest(saved), old_digest);

        /* generation 2 live again; persist it, killed at times spread over a full run */
        fill(m, "new", 400, 16384);
        fprintf(stderr, "a full persist takes %lld us\n", full_usec);
        for (int round = 0; round < 24; round++) {
                long long delay = full_usec * round / 20;
                uint64_t d;
                pid_t pid;
                int status;

                pid = fork();
                ASSERT_TRUE(pid >= 0);
                if (pid == 0)
                        _exit(workspace_persist(&paths, "at") < 0 ? 1 : 0);
                usleep(delay);
                (void) kill(pid, SIGKILL);
                ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
                if (WIFSIGNALED(status) && count_tmp(wsdir) > 0)
                        hits++;

                d = test_tree_digest(saved);
                ASSERT_TRUE(d == old_digest || d == new_digest);
                if (d == old_digest)
                        olds++;
                else {
                        news++;
                        ASSERT_OK(workspace_snapshot_restore(&paths, "at", "gen1"));
                        ASSERT_EQ(test_tree_digest(saved), old_digest);
                }
        }
        fprintf(stderr, "killed mid-way %d times; saved was old %d, new %d times\n", hits, olds, news);
        ASSERT_TRUE(hits > 0);

        /* the next operation removes the leftovers and works */
        ASSERT_OK(workspace_persist(&paths, "at"));
        ASSERT_EQ(count_tmp(wsdir), 0);
        ASSERT_EQ(test_tree_digest(saved), new_digest);
        ASSERT_OK(workspace_teardown(&paths, "at", false));
        printf("ok\n");
        return 0;
}
