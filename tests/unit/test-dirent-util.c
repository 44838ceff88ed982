/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <sys/stat.h>

#include "dirent-util.h"
#include "fileio.h"
#include "macro.h"
#include "tests.h"
#include "tree-util.h"

/* Lists dir_fd with opendir_fd() + readdir_next(): the number of entries, and whether "a" and
 * ".hidden" were among them. */
static unsigned list(int dir_fd, bool *ret_a, bool *ret_hidden) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        unsigned n = 0;
        int r;

        *ret_a = *ret_hidden = false;
        ASSERT_OK(opendir_fd(dir_fd, &d));
        while ((r = readdir_next(d, &de)) > 0) {
                ASSERT_TRUE(!dot_or_dot_dot(de->d_name));
                *ret_a = *ret_a || streq(de->d_name, "a");
                *ret_hidden = *ret_hidden || streq(de->d_name, ".hidden");
                n++;
        }
        ASSERT_EQ(r, 0);
        /* at the end it stays at the end */
        ASSERT_EQ(readdir_next(d, &de), 0);
        return n;
}

int main(void) {
        char dir[] = "/tmp/test-dirent-util.XXXXXX";
        _cleanup_close_ int fd = -EBADF;
        bool a, hidden;

        ASSERT_TRUE(mkdtemp(dir));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);

        ASSERT_TRUE(dot_or_dot_dot("."));
        ASSERT_TRUE(dot_or_dot_dot(".."));
        ASSERT_TRUE(!dot_or_dot_dot("..."));
        ASSERT_TRUE(!dot_or_dot_dot(".hidden"));

        /* empty: no entries, "." and ".." are never returned */
        ASSERT_EQ(list(fd, &a, &hidden), 0u);

        ASSERT_OK(write_string_file_atomic_at(fd, "a", "x", 0600));
        ASSERT_OK(write_string_file_atomic_at(fd, ".hidden", "x", 0600));
        ASSERT_OK(mkdirat(fd, "sub", 0700));
        ASSERT_EQ(list(fd, &a, &hidden), 3u);
        ASSERT_TRUE(a);
        ASSERT_TRUE(hidden);

        /* the caller's fd stays usable, and a second listing starts from the beginning again
         * although the first one moved the shared file offset to the end */
        ASSERT_EQ(list(fd, &a, &hidden), 3u);
        ASSERT_TRUE(fcntl(fd, F_GETFD) >= 0);

        /* not a directory */
        {
                _cleanup_close_ int f = openat(fd, "a", O_RDONLY | O_CLOEXEC);
                DIR *d = NULL;

                ASSERT_TRUE(f >= 0);
                ASSERT_ERROR(opendir_fd(f, &d), ENOTDIR);
                ASSERT_TRUE(!d);
        }

        ASSERT_OK(tree_remove_at(AT_FDCWD, dir));
        return 0;
}
