/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* setup/teardown/persist/restore/snapshots of workspaces, with real overlayfs and tmpfs mounts in
 * a private mount namespace. Every step checks that the host directory never changed. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mount-util.h"
#include "workspace-test-util.h"
#include "workspace.h"

static const char *scratch;
static char *host, *state, *run;
static WorkspacePaths paths;
static uint64_t host_digest;

static char *merged(const char *name) {
        char *m;
        ASSERT_OK(workspace_merged_path(&paths, name, &m));
        return m;
}

static char *in_state(const char *rel) {
        return test_path(state, rel);
}

static void check_host_untouched(void) {
        ASSERT_EQ(test_tree_digest(host), host_digest);
}

static void make_host(void) {
        char *p;

        host = test_path(scratch, "host");
        ASSERT_TRUE(mkdir(host, 0755) == 0);
        p = test_path(host, "a.txt"); test_write(p, "host a\n"); free(p);
        p = test_path(host, "del.txt"); test_write(p, "to be deleted\n"); free(p);
        p = test_path(host, "sub"); ASSERT_TRUE(mkdir(p, 0755) == 0); free(p);
        p = test_path(host, "sub/b.txt"); test_write(p, "host b\n"); free(p);
        host_digest = test_tree_digest(host);
}

static void test_overlay_cycle(void) {
        WorkspaceSetup s = { .mode = WORKSPACE_OVERLAY, .uid = 12345, .gid = 12346, .size = UINT64_UNSET };
        _cleanup_free_ char *m = merged("ov"), *p = NULL, *saved = in_state("workspaces/ov/saved");
        struct stat st;

        s.host_path = host;
        ASSERT_OK(workspace_setup(&paths, "ov", &s));
        ASSERT_EQ(workspace_is_mounted(&paths, "ov"), 1);
        ASSERT_ERROR(workspace_setup(&paths, "ov", &s), EBUSY);

        /* the session's view: host files, top owned by the session's uid */
        ASSERT_TRUE(stat(m, &st) == 0);
        ASSERT_EQ(st.st_uid, 12345);
        ASSERT_EQ(st.st_gid, 12346);
        free(p); p = test_path(m, "sub/b.txt");
        ASSERT_STREQ(test_read(p), "host b\n");

        /* the session writes, changes and deletes */
        free(p); p = test_path(m, "new.txt"); test_write(p, "new\n");
        free(p); p = test_path(m, "a.txt"); test_write(p, "changed a\n");
        free(p); p = test_path(m, "del.txt"); ASSERT_TRUE(unlink(p) == 0);
        free(p); p = test_path(m, "newdir"); ASSERT_TRUE(mkdir(p, 0700) == 0);
        free(p); p = test_path(m, "newdir/link"); ASSERT_TRUE(symlink("../a.txt", p) == 0);
        check_host_untouched();

        /* persist a live session: saved is a valid upper layer with the whiteout */
        ASSERT_OK(workspace_persist(&paths, "ov"));
        ASSERT_EQ(workspace_has_saved(&paths, "ov"), 1);
        free(p); p = test_path(saved, "new.txt");
        ASSERT_STREQ(test_read(p), "new\n");
        free(p); p = test_path(saved, "del.txt");
        ASSERT_TRUE(lstat(p, &st) == 0);
        ASSERT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
        ASSERT_TRUE(stat(saved, &st) == 0);
        ASSERT_EQ(st.st_uid, 12345);

        /* discard: the live layer goes, the saved one stays */
        ASSERT_OK(workspace_teardown(&paths, "ov", false));
        ASSERT_EQ(workspace_is_mounted(&paths, "ov"), 0);
        ASSERT_TRUE(!test_exists(m));
        free(p); p = in_state("workspaces/ov/live");
        ASSERT_TRUE(!test_exists(p));
        ASSERT_EQ(workspace_has_saved(&paths, "ov"), 1);
        check_host_untouched();
        /* tearing down twice is fine */
        ASSERT_OK(workspace_teardown(&paths, "ov", false));

        /* a fresh setup without restore sees the host as it is */
        ASSERT_OK(workspace_setup(&paths, "ov", &s));
        free(p); p = test_path(m, "a.txt");
        ASSERT_STREQ(test_read(p), "host a\n");
        free(p); p = test_path(m, "new.txt");
        ASSERT_TRUE(!test_exists(p));
        ASSERT_OK(workspace_teardown(&paths, "ov", false));

        /* restore, with a new dynamic uid: the session's own files follow it */
        ASSERT_OK(workspace_restore(&paths, "ov"));
        s.uid = 61200; s.gid = 61200;
        ASSERT_OK(workspace_setup(&paths, "ov", &s));
        free(p); p = test_path(m, "a.txt");
        ASSERT_STREQ(test_read(p), "changed a\n");
        free(p); p = test_path(m, "new.txt");
        ASSERT_STREQ(test_read(p), "new\n");
        free(p); p = test_path(m, "del.txt");
        ASSERT_TRUE(!test_exists(p));
        free(p); p = test_path(m, "newdir/link");
        ASSERT_TRUE(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
        ASSERT_TRUE(stat(m, &st) == 0);
        ASSERT_EQ(st.st_uid, 61200);
        check_host_untouched();

        /* more work, then end with persist: moved, not copied */
        free(p); p = test_path(m, "second.txt"); test_write(p, "second run\n");
        ASSERT_OK(workspace_teardown(&paths, "ov", true));
        free(p); p = test_path(saved, "second.txt");
        ASSERT_STREQ(test_read(p), "second run\n");
        free(p); p = test_path(saved, "new.txt");
        ASSERT_STREQ(test_read(p), "new\n");
        free(p); p = in_state("workspaces/ov/live");
        ASSERT_TRUE(!test_exists(p));
        check_host_untouched();

        /* persist needs a live session */
        ASSERT_ERROR(workspace_persist(&paths, "ov"), ESRCH);
}

static void test_snapshots(void) {
        WorkspaceSetup s = { .mode = WORKSPACE_OVERLAY, .uid = 0, .gid = 0, .size = UINT64_UNSET };
        _cleanup_free_ char *m = merged("sn"), *p = NULL, *saved = in_state("workspaces/sn/saved");
        WorkspaceSnapshot *l = NULL;
        size_t n;
        uint64_t d1;

        s.host_path = host;
        /* nothing to snapshot yet */
        ASSERT_ERROR(workspace_snapshot_save(&paths, "sn", "s1"), ENOENT);
        ASSERT_ERROR(workspace_restore(&paths, "sn"), ENOENT);

        ASSERT_OK(workspace_setup(&paths, "sn", &s));
        p = test_path(m, "f1"); test_write(p, "0123456789");
        /* from a live session */
        ASSERT_OK(workspace_snapshot_save(&paths, "sn", "s1"));
        ASSERT_ERROR(workspace_snapshot_save(&paths, "sn", "s1"), EEXIST);
        ASSERT_ERROR(workspace_snapshot_save(&paths, "sn", "../x"), EINVAL);
        free(p); p = test_path(m, "f2"); test_write(p, "abc");
        ASSERT_OK(workspace_teardown(&paths, "sn", true));
        /* from the saved state */
        ASSERT_OK(workspace_snapshot_save(&paths, "sn", "s2"));

        ASSERT_OK(workspace_snapshot_list(&paths, "sn", &l, &n));
        ASSERT_EQ(n, 2);
        ASSERT_STREQ(l[0].name, "s1");
        ASSERT_EQ(l[0].size, 10);
        ASSERT_EQ(l[0].n_files, 1);
        ASSERT_STREQ(l[1].name, "s2");
        ASSERT_EQ(l[1].size, 13);
        ASSERT_EQ(l[1].n_files, 2);
        workspace_snapshots_free(l, n);

        /* restore s1 into saved, then a restored session sees exactly s1 */
        free(p); p = in_state("snapshots/sn/s1");
        d1 = test_tree_digest(p);
        ASSERT_OK(workspace_snapshot_restore(&paths, "sn", "s1"));
        ASSERT_EQ(test_tree_digest(saved), d1);
        ASSERT_OK(workspace_restore(&paths, "sn"));
        ASSERT_OK(workspace_setup(&paths, "sn", &s));
        free(p); p = test_path(m, "f2");
        ASSERT_TRUE(!test_exists(p));
        free(p); p = test_path(m, "f1");
        ASSERT_STREQ(test_read(p), "0123456789");
        ASSERT_OK(workspace_teardown(&paths, "sn", false));

        ASSERT_OK(workspace_snapshot_delete(&paths, "sn", "s1"));
        ASSERT_ERROR(workspace_snapshot_delete(&paths, "sn", "s1"), ENOENT);
        ASSERT_ERROR(workspace_snapshot_restore(&paths, "sn", "s1"), ENOENT);
        ASSERT_OK(workspace_snapshot_list(&paths, "sn", &l, &n));
        ASSERT_EQ(n, 1);
        ASSERT_STREQ(l[0].name, "s2");
        workspace_snapshots_free(l, n);
        check_host_untouched();

        ASSERT_OK(workspace_remove(&paths, "sn"));
        ASSERT_EQ(workspace_has_saved(&paths, "sn"), 0);
}

static void test_tmpfs(void) {
        WorkspaceSetup s = { .mode = WORKSPACE_TMPFS, .uid = 4242, .gid = 4243, .size = 1024 * 1024 };
        _cleanup_free_ char *m = merged("tm"), *p = NULL, *big = NULL;
        struct stat st;
        static const char kib[1024];
        FILE *f;

        ASSERT_OK(workspace_setup(&paths, "tm", &s));
        ASSERT_TRUE(stat(m, &st) == 0);
        ASSERT_EQ(st.st_uid, 4242);
        p = test_path(m, "kept"); test_write(p, "tmpfs data");
        /* size= is enforced */
        big = test_path(m, "big");
        f = fopen(big, "we");
        ASSERT_TRUE(f);
        for (int i = 0; i < 2048; i++)
                (void) fwrite(kib, 1, sizeof(kib), f);
        ASSERT_TRUE(fclose(f) != 0 && errno == ENOSPC);
        ASSERT_TRUE(unlink(big) == 0);

        ASSERT_OK(workspace_teardown(&paths, "tm", true));
        ASSERT_EQ(workspace_is_mounted(&paths, "tm"), 0);
        ASSERT_OK(workspace_restore(&paths, "tm"));
        ASSERT_OK(workspace_setup(&paths, "tm", &s));
        ASSERT_STREQ(test_read(p), "tmpfs data");
        ASSERT_OK(workspace_teardown(&paths, "tm", false));
        ASSERT_TRUE(!test_exists(m));
}

/* --userns (Backend=nspawn): the top is root's with mode 1777, overlay and tmpfs, and a restored
 * overlay gets it again. */
static void test_userns(void) {
        WorkspaceSetup s = { .mode = WORKSPACE_OVERLAY, .host_path = host, .uid = (uid_t) -1,
                             .gid = (gid_t) -1, .size = UINT64_UNSET, .userns = true };
        _cleanup_free_ char *m = merged("un"), *mt = merged("ut"), *up = in_state("workspaces/un/live/upper"), *p = NULL;
        struct stat st;

        ASSERT_OK(workspace_setup(&paths, "un", &s));
        ASSERT_TRUE(stat(m, &st) == 0);
        ASSERT_EQ(st.st_mode & 07777, 01777u);
        ASSERT_EQ(st.st_uid, 0u);
        /* the host's users cannot reach the 1777 top: its parent is root's 0700 */
        {
                _cleanup_free_ char *rd = test_path(run, "workspaces/un");

                ASSERT_TRUE(stat(rd, &st) == 0);
                ASSERT_EQ(st.st_mode & 07777, 0700u);
        }
        ASSERT_TRUE(stat(up, &st) == 0);
        ASSERT_EQ(st.st_mode & 07777, 01777u);
        p = test_path(m, "mine"); test_write(p, "from the container");
        ASSERT_OK(workspace_teardown(&paths, "un", true));
        ASSERT_OK(workspace_restore(&paths, "un"));
        ASSERT_OK(workspace_setup(&paths, "un", &s));
        ASSERT_TRUE(stat(m, &st) == 0);
        ASSERT_EQ(st.st_mode & 07777, 01777u);
        ASSERT_STREQ(test_read(p), "from the container");
        ASSERT_OK(workspace_teardown(&paths, "un", false));
        check_host_untouched();

        s.mode = WORKSPACE_TMPFS;
        s.host_path = NULL;
        ASSERT_OK(workspace_setup(&paths, "ut", &s));
        ASSERT_TRUE(stat(mt, &st) == 0);
        ASSERT_EQ(st.st_mode & 07777, 01777u);
        ASSERT_EQ(st.st_uid, 0u);
        ASSERT_OK(workspace_teardown(&paths, "ut", false));
}

static void test_bind_and_errors(void) {
        WorkspaceSetup s = { .mode = WORKSPACE_BIND, .uid = (uid_t) -1, .gid = (gid_t) -1, .size = UINT64_UNSET };
        _cleanup_free_ char *nodir = test_path(scratch, "nonexistent");

        s.host_path = host;
        /* nothing of ours to mount: the unit's BindPaths= does it */
        ASSERT_OK(workspace_setup(&paths, "bd", &s));
        ASSERT_EQ(workspace_is_mounted(&paths, "bd"), 0);
        ASSERT_OK(workspace_teardown(&paths, "bd", true));
        s.mode = WORKSPACE_BIND_RO;
        ASSERT_OK(workspace_setup(&paths, "bd", &s));

        s.host_path = nodir;
        ASSERT_ERROR(workspace_setup(&paths, "bd", &s), ENOENT);
        s.mode = WORKSPACE_OVERLAY;
        ASSERT_ERROR(workspace_setup(&paths, "bd", &s), ENOENT);
        s.host_path = "/tmp/with,comma";
        (void) mkdir(s.host_path, 0755);
        ASSERT_ERROR(workspace_setup(&paths, "bd", &s), EINVAL);
        (void) rmdir(s.host_path);
        s.host_path = host;
        ASSERT_ERROR(workspace_setup(&paths, "../evil", &s), EINVAL);
        ASSERT_ERROR(workspace_setup(&paths, "", &s), EINVAL);
        ASSERT_ERROR(workspace_setup(&paths, ".hidden", &s), EINVAL);
        check_host_untouched();
}

int main(void) {
        scratch = test_enter_scratch();
        state = test_path(scratch, "state");
        run = test_path(scratch, "run");
        paths = (WorkspacePaths) { state, run };
        make_host();

        test_overlay_cycle();
        test_snapshots();
        test_tmpfs();
        test_userns();
        test_bind_and_errors();
        check_host_untouched();

        free(host);
        free(state);
        free(run);
        printf("ok\n");
        return 0;
}
