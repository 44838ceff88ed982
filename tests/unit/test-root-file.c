/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/root-file.c on a fake machine root in a temp dir: replace and restore in place, nothing
 * changed on failure, symlinks resolved inside the root. */

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "root-file.h"
#include "tests.h"

static char tmpdir[] = "/tmp/test-root-file-XXXXXX";
static char root[128], outside[160];
static int root_fd = -EBADF;

static const char *at(const char *rel) {
        static char p[4][256];
        static unsigned i;

        i = (i + 1) % 4;
        snprintf(p[i], sizeof(p[i]), "%s/%s", root, rel);
        return p[i];
}

static char *read_text(const char *path) {
        char *s = NULL;

        ASSERT_OK(read_full_file(path, ROOT_FILE_MAX, &s, NULL));
        return s;
}

static void put(const char *rel, const char *text) {
        ASSERT_OK(write_string_file_atomic_at(AT_FDCWD, at(rel), text, 0644));
}

static ino_t inode(const char *path) {
        struct stat st;

        ASSERT_TRUE(lstat(path, &st) >= 0);
        return st.st_ino;
}

static void test_replace_restore(void) {
        RootFileChange c = ROOT_FILE_CHANGE_NULL;
        ino_t ino;

        put("etc/resolv.conf", "nameserver 192.0.2.53\n");
        ino = inode(at("etc/resolv.conf"));
        ASSERT_EQ(root_file_replace(root_fd, "etc/resolv.conf", "nameserver 10.222.0.1\n", &c), 1);
        _cleanup_free_ char *a = read_text(at("etc/resolv.conf"));
        ASSERT_STREQ(a, "nameserver 10.222.0.1\n");
        ASSERT_EQ(inode(at("etc/resolv.conf")), ino);   /* in place: a bind mount sees it */

        ASSERT_OK(root_file_restore(&c));
        _cleanup_free_ char *b = read_text(at("etc/resolv.conf"));
        ASSERT_STREQ(b, "nameserver 192.0.2.53\n");
        ASSERT_EQ(inode(at("etc/resolv.conf")), ino);
        ASSERT_EQ(c.fd, -EBADF);
        ASSERT_OK(root_file_restore(&c));                /* nothing left to restore */
        _cleanup_free_ char *b2 = read_text(at("etc/resolv.conf"));
        ASSERT_STREQ(b2, "nameserver 192.0.2.53\n");

        /* The text is there already: nothing written, nothing to restore. */
        ASSERT_EQ(root_file_replace(root_fd, "etc/resolv.conf", "nameserver 192.0.2.53\n", &c), 0);
        ASSERT_EQ(c.fd, -EBADF);
        ASSERT_OK(root_file_restore(&c));
        root_file_change_done(&c);

        /* A shorter old text comes back without the tail of the longer new one. */
        put("etc/resolv.conf", "x\n");
        ASSERT_EQ(root_file_replace(root_fd, "etc/resolv.conf", "nameserver 10.222.0.1\nsearch .\n", &c), 1);
        ASSERT_OK(root_file_restore(&c));
        _cleanup_free_ char *d = read_text(at("etc/resolv.conf"));
        ASSERT_STREQ(d, "x\n");
}

static void test_create_remove(void) {
        RootFileChange c = ROOT_FILE_CHANGE_NULL;

        ASSERT_TRUE(unlink(at("etc/resolv.conf")) >= 0 || errno == ENOENT);
        ASSERT_EQ(root_file_replace(root_fd, "etc/resolv.conf", "nameserver 10.222.0.1\n", &c), 1);
        _cleanup_free_ char *a = read_text(at("etc/resolv.conf"));
        ASSERT_STREQ(a, "nameserver 10.222.0.1\n");
        ASSERT_OK(root_file_restore(&c));
        ASSERT_TRUE(access(at("etc/resolv.conf"), F_OK) < 0 && errno == ENOENT);

        /* Removed only while its name still is the file that was made. */
        ASSERT_EQ(root_file_replace(root_fd, "etc/resolv.conf", "nameserver 10.222.0.1\n", &c), 1);
        ASSERT_TRUE(unlink(at("etc/resolv.conf")) >= 0);
        put("etc/resolv.conf", "the machine's own\n");
        ASSERT_OK(root_file_restore(&c));
        _cleanup_free_ char *b = read_text(at("etc/resolv.conf"));
        ASSERT_STREQ(b, "the machine's own\n");

        /* No directory for it: an error, nothing made. */
        ASSERT_ERROR(root_file_replace(root_fd, "nodir/resolv.conf", "x\n", &c), ENOENT);
        ASSERT_TRUE(access(at("nodir"), F_OK) < 0);
}

static void test_refused(void) {
        RootFileChange c = ROOT_FILE_CHANGE_NULL;

        /* A directory in its place. */
        ASSERT_TRUE(unlink(at("etc/resolv.conf")) >= 0);
        ASSERT_TRUE(mkdir(at("etc/resolv.conf"), 0755) >= 0);
        ASSERT_ERROR(root_file_replace(root_fd, "etc/resolv.conf", "x\n", &c), EBADFD);
        ASSERT_TRUE(rmdir(at("etc/resolv.conf")) >= 0);

        /* A FIFO: refused at once, without waiting for a writer. */
        ASSERT_TRUE(mkfifo(at("etc/resolv.conf"), 0644) >= 0);
        ASSERT_ERROR(root_file_replace(root_fd, "etc/resolv.conf", "x\n", &c), EBADFD);
        ASSERT_TRUE(unlink(at("etc/resolv.conf")) >= 0);

        /* Too big to keep for a restore: left alone. */
        {
                size_t n = ROOT_FILE_MAX + 1;
                _cleanup_free_ char *big = malloc(n + 1);
                ASSERT_TRUE(big);
                memset(big, '#', n);
                big[n] = 0;
                put("etc/resolv.conf", big);
                ASSERT_ERROR(root_file_replace(root_fd, "etc/resolv.conf", "x\n", &c), EFBIG);
                struct stat st;
                ASSERT_TRUE(stat(at("etc/resolv.conf"), &st) >= 0);
                ASSERT_EQ(st.st_size, (off_t) n);
        }

        /* Immutable (chattr +i): the write is refused and the file keeps its text. Where the file
         * system or the caller cannot set the flag, this part is left out. */
        put("etc/resolv.conf", "nameserver 192.0.2.53\n");
        {
                _cleanup_close_ int fd = open(at("etc/resolv.conf"), O_RDONLY | O_CLOEXEC);
                int flags = 0;

                ASSERT_TRUE(fd >= 0);
                if (ioctl(fd, FS_IOC_GETFLAGS, &flags) >= 0) {
                        flags |= FS_IMMUTABLE_FL;
                        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) >= 0) {
                                ASSERT_ERROR(root_file_replace(root_fd, "etc/resolv.conf", "x\n", &c), EPERM);
                                flags &= ~FS_IMMUTABLE_FL;
                                ASSERT_TRUE(ioctl(fd, FS_IOC_SETFLAGS, &flags) >= 0);
                                _cleanup_free_ char *a = read_text(at("etc/resolv.conf"));
                                ASSERT_STREQ(a, "nameserver 192.0.2.53\n");
                        } else
                                fprintf(stderr, "immutable file: cannot set the flag here (%m), not tested\n");
                } else
                        fprintf(stderr, "immutable file: no flags on this file system (%m), not tested\n");
        }

        ASSERT_ERROR(root_file_replace(root_fd, "/etc/resolv.conf", "x\n", &c), EINVAL);
        ASSERT_ERROR(root_file_replace(root_fd, "etc/", "x\n", &c), EBADFD);
}

static void test_symlinks_stay_inside(void) {
        RootFileChange c = ROOT_FILE_CHANGE_NULL;

        /* A symlink out of the root resolves inside it: "/host.txt" is the root's, not the host's. */
        ASSERT_OK(write_string_file_atomic_at(AT_FDCWD, outside, "the host's\n", 0644));
        ASSERT_TRUE(unlink(at("etc/resolv.conf")) >= 0);
        ASSERT_TRUE(symlink("../../host.txt", at("etc/resolv.conf")) >= 0);
        put("host.txt", "the machine's\n");
        ASSERT_EQ(root_file_replace(root_fd, "etc/resolv.conf", "nameserver 10.222.0.1\n", &c), 1);
        _cleanup_free_ char *a = read_text(at("host.txt"));
        ASSERT_STREQ(a, "nameserver 10.222.0.1\n");
        ASSERT_OK(root_file_restore(&c));
        _cleanup_free_ char *b = read_text(at("host.txt"));
        ASSERT_STREQ(b, "the machine's\n");

        /* Dangling inside the root: not followed to make a file, and the host's is untouched. */
        ASSERT_TRUE(unlink(at("host.txt")) >= 0);
        ASSERT_ERROR(root_file_replace(root_fd, "etc/resolv.conf", "nameserver 10.222.0.1\n", &c), EEXIST);
        ASSERT_TRUE(access(at("host.txt"), F_OK) < 0);
        _cleanup_free_ char *h = read_text(outside);
        ASSERT_STREQ(h, "the host's\n");
        ASSERT_TRUE(unlink(at("etc/resolv.conf")) >= 0);

        /* Through a symlinked directory, also inside the root. */
        ASSERT_TRUE(mkdir(at("real-etc"), 0755) >= 0);
        put("real-etc/resolv.conf", "old\n");
        ASSERT_TRUE(symlink("/real-etc", at("link-etc")) >= 0);
        ASSERT_EQ(root_file_replace(root_fd, "link-etc/resolv.conf", "new\n", &c), 1);
        _cleanup_free_ char *d = read_text(at("real-etc/resolv.conf"));
        ASSERT_STREQ(d, "new\n");
        ASSERT_OK(root_file_restore(&c));
        _cleanup_free_ char *e = read_text(at("real-etc/resolv.conf"));
        ASSERT_STREQ(e, "old\n");
}

int main(void) {
        char cmd[200];

        ASSERT_TRUE(mkdtemp(tmpdir));
        snprintf(root, sizeof(root), "%s/root", tmpdir);
        snprintf(outside, sizeof(outside), "%s/host.txt", tmpdir);
        ASSERT_TRUE(mkdir(root, 0755) >= 0);
        ASSERT_TRUE(mkdir(at("etc"), 0755) >= 0);
        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(root_fd >= 0);

        test_replace_restore();
        test_create_remove();
        test_refused();
        test_symlinks_stay_inside();

        safe_close(root_fd);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        (void) system(cmd);
        return 0;
}
