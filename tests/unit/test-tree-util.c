/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"
#include "tests.h"
#include "tree-util.h"

static void make_file(int dir_fd, const char *path, const char *text, uid_t uid, mode_t mode) {
        ASSERT_OK(write_string_file_atomic_at(dir_fd, path, text, mode));
        ASSERT_OK(fchownat(dir_fd, path, uid, uid, AT_SYMLINK_NOFOLLOW));
        ASSERT_OK(fchmodat(dir_fd, path, mode, 0));
}

static uid_t owner(int dir_fd, const char *path, mode_t *ret_mode) {
        struct stat st;

        ASSERT_OK(fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW));
        if (ret_mode)
                *ret_mode = st.st_mode & 07777;
        return st.st_uid;
}

int main(void) {
        char dir[] = "/tmp/test-tree-util.XXXXXX";
        _cleanup_close_ int fd = -EBADF;
        uint64_t bytes = 0, entries = 0;
        mode_t mode;

        if (geteuid() != 0) {
                fprintf(stderr, "needs root (chown), skipping\n");
                return 77;
        }
        ASSERT_TRUE(mkdtemp(dir));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);

        /* a/ (uid 61000) holds a/b/ (uid 61001) holds a file; a symlink and files at each level */
        ASSERT_OK(mkdirat(fd, "a", 0755));
        ASSERT_OK(mkdirat(fd, "a/b", 0755));
        ASSERT_OK(fchownat(fd, "a", 61000, 61000, AT_SYMLINK_NOFOLLOW));
        ASSERT_OK(fchownat(fd, "a/b", 61001, 61001, AT_SYMLINK_NOFOLLOW));
        make_file(fd, "top", "12345", 61002, 0644);
        make_file(fd, "a/mid", "1234567890", 1000, 0644);              /* outside the range */
        make_file(fd, "a/b/deep", "xyz", 61003, 04755);                 /* set-uid kept */
        ASSERT_OK(symlinkat("../../top", fd, "a/b/link"));
        ASSERT_OK(fchownat(fd, "a/b/link", 61004, 61004, AT_SYMLINK_NOFOLLOW));

        /* Sizes of regular files only (the link does not count its target), every entry counted. */
        ASSERT_OK(tree_measure(fd, &bytes, &entries));
        ASSERT_EQ(bytes, 5 + 10 + 3);
        ASSERT_EQ(entries, 6);
        ASSERT_OK(tree_measure(fd, NULL, NULL));

        ASSERT_OK(tree_chown_range(fd, 61000, 61999, 4242, 4243));
        ASSERT_EQ(owner(fd, "a", NULL), 4242);
        ASSERT_EQ(owner(fd, "a/b", NULL), 4242);
        ASSERT_EQ(owner(fd, "top", NULL), 4242);
        ASSERT_EQ(owner(fd, "a/b/link", NULL), 4242);
        ASSERT_EQ(owner(fd, "a/mid", NULL), 1000);
        ASSERT_EQ(owner(fd, "a/b/deep", &mode), 4242);
        ASSERT_EQ(mode, 04755);

        ASSERT_OK(tree_remove_at(AT_FDCWD, dir));
        ASSERT_TRUE(faccessat(AT_FDCWD, dir, F_OK, 0) < 0 && errno == ENOENT);
        return 0;
}
