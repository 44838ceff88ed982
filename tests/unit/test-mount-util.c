/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Mount table queries through libmount and stale-mount cleanup, with real tmpfs mounts in a
 * private mount namespace, plus a fixed mountinfo text for the parsing (escaped names). */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "mount-util.h"
#include "workspace-test-util.h"

static size_t strv_len(char **l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

static void test_fixture(const char *scratch) {
        _cleanup_free_ char *p = test_path(scratch, "mountinfo");
        _cleanup_strv_free_ char **l = NULL;

        test_write(p,
                   "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                   "40 22 0:30 / /run rw,nosuid shared:5 - tmpfs tmpfs rw\n"
                   "41 40 0:31 / /run/sessiond/workspaces/a/merged rw shared:6 - overlay overlay rw,lowerdir=/srv\n"
                   "42 40 0:32 / /run/sessiond/workspaces/with\\040space/merged rw shared:7 - tmpfs tmpfs rw\n"
                   "43 40 0:33 / /run/sessiond/workspaces-other/x rw shared:8 - tmpfs tmpfs rw\n"
                   "44 41 0:34 / /run/sessiond/workspaces/a/merged/inner rw shared:9 - tmpfs tmpfs rw\n");
        ASSERT_EQ(mount_util_list_under(p, "/run/sessiond/workspaces", &l), 3);
        /* most recent first */
        ASSERT_STREQ(l[0], "/run/sessiond/workspaces/a/merged/inner");
        ASSERT_STREQ(l[1], "/run/sessiond/workspaces/with space/merged");
        ASSERT_STREQ(l[2], "/run/sessiond/workspaces/a/merged");
        strv_freep(&l);
        l = NULL;
        ASSERT_EQ(mount_util_list_under(p, "/nowhere", &l), 0);
        ASSERT_TRUE(l && !l[0]);
}

static void test_name_below(void) {
        char *n;

        ASSERT_EQ(mount_util_name_below("/run/ws", "/run/ws/foo/merged", &n), 1);
        ASSERT_STREQ(n, "foo");
        free(n);
        ASSERT_EQ(mount_util_name_below("/run/ws/", "/run/ws/bar", &n), 1);
        ASSERT_STREQ(n, "bar");
        free(n);
        ASSERT_EQ(mount_util_name_below("/run/ws", "/run/ws", &n), 0);
        ASSERT_TRUE(!n);
        ASSERT_EQ(mount_util_name_below("/run/ws", "/run/wsx/foo", &n), 0);
        ASSERT_TRUE(!n);
}

static char *mk(const char *base, const char *rel, bool do_mount) {
        char *p = test_path(base, rel), *c;

        c = strdup(p);
        for (char *s = c + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        (void) mkdir(c, 0755);
                        *s = '/';
                }
        (void) mkdir(c, 0755);
        free(c);
        if (do_mount)
                ASSERT_TRUE(mount("tmpfs", p, "tmpfs", 0, "size=1M") == 0);
        return p;
}

static void test_live_mounts(const char *scratch) {
        _cleanup_free_ char *ws = test_path(scratch, "ws");
        _cleanup_free_ char *a = mk(scratch, "ws/a/merged", true), *b = mk(scratch, "ws/b/merged", true),
                *c = mk(scratch, "ws/c/merged", true), *other = mk(scratch, "other", true),
                *plain = mk(scratch, "ws/d/merged", false), *busy = NULL;
        _cleanup_strv_free_ char **l = NULL, **done = NULL;
        char *live[] = { (char *) "a", NULL };
        int fd;

        ASSERT_EQ(mount_util_is_mount_point(a), 1);
        ASSERT_EQ(mount_util_is_mount_point(plain), 0);
        ASSERT_EQ(mount_util_is_mount_point(ws), 0);
        ASSERT_ERROR(mount_util_is_mount_point("/nonexistent/x"), ENOENT);

        ASSERT_EQ(mount_util_list_under(NULL, ws, &l), 3);
        ASSERT_EQ(strv_len(l), 3);

        /* c is busy: an open file in it */
        busy = test_path(c, "open");
        fd = open(busy, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(chdir(c) == 0);     /* busy for a plain umount */

        ASSERT_EQ(mount_util_cleanup_stale(NULL, ws, live, &done), 2);
        ASSERT_EQ(strv_len(done), 2);
        ASSERT_EQ(mount_util_is_mount_point(a), 1);
        ASSERT_EQ(mount_util_is_mount_point(b), 0);
        ASSERT_EQ(mount_util_is_mount_point(c), 0);     /* detached lazily */
        ASSERT_EQ(mount_util_is_mount_point(other), 1);
        /* the open file still works after the lazy detach */
        ASSERT_TRUE(write(fd, "x", 1) == 1);
        close(fd);
        ASSERT_TRUE(chdir("/") == 0);

        /* nothing live: a goes too; a second run finds nothing */
        strv_freep(&done);
        done = NULL;
        ASSERT_EQ(mount_util_cleanup_stale(NULL, ws, NULL, &done), 1);
        ASSERT_STREQ(done[0], a);
        strv_freep(&done);
        done = NULL;
        ASSERT_EQ(mount_util_cleanup_stale(NULL, ws, NULL, &done), 0);

        ASSERT_EQ(mount_util_umount(other), 0);
        ASSERT_ERROR(mount_util_umount(other), EINVAL);
}

int main(void) {
        const char *scratch = test_enter_scratch();

        test_fixture(scratch);
        test_name_below();
        test_live_mounts(scratch);
        printf("ok\n");
        return 0;
}
