/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"
#include "tests.h"

static unsigned count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        ASSERT_TRUE(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

int main(void) {
        char dir[] = "/tmp/test-fileio.XXXXXX";
        _cleanup_free_ char *path = NULL, *data = NULL;
        struct stat st;
        size_t size;

        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&path, "%s/state.json", dir) > 0);

        ASSERT_OK(write_string_file_atomic_at(AT_FDCWD, path, "first\n", 0600));
        ASSERT_OK(read_full_file(path, 4096, &data, &size));
        ASSERT_STREQ(data, "first\n");
        ASSERT_EQ(size, 6);
        free(data);
        data = NULL;

        /* Replacing keeps exactly one file, with the new content and mode. */
        ASSERT_OK(write_string_file_atomic_at(AT_FDCWD, path, "second, longer\n", 0640));
        ASSERT_OK(read_full_file(path, 4096, &data, NULL));
        ASSERT_STREQ(data, "second, longer\n");
        ASSERT_OK(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0640);
        ASSERT_EQ(count_entries(dir), 1);

        /* A failed write leaves neither a temp file nor a changed target. */
        ASSERT_ERROR(write_string_file_atomic_at(AT_FDCWD, "/nonexistent-dir/x", "x", 0600), ENOENT);
        ASSERT_EQ(count_entries(dir), 1);

        /* Size limit is enforced. */
        free(data);
        data = NULL;
        ASSERT_ERROR(read_full_file(path, 4, &data, NULL), EFBIG);
        ASSERT_TRUE(!data);

        /* WRITE_FILE_NO_SYNC through a directory fd, a bare name and a subdirectory path:
         * same content, mode and no temporary file left. */
        {
                _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                ASSERT_TRUE(dfd >= 0);
                ASSERT_OK(write_file_atomic_full(dfd, "unit.service", "[Unit]\n", 7, 0644, WRITE_FILE_NO_SYNC));
                ASSERT_OK(mkdirat(dfd, "sub", 0755));
                ASSERT_OK(write_file_atomic_full(dfd, "sub/x.conf", "x\n", 2, 0600, WRITE_FILE_NO_SYNC));
                ASSERT_OK(write_file_atomic_full(dfd, "unit.service", "[Unit]\nA=b\n", 11, 0644, WRITE_FILE_NO_SYNC));
                ASSERT_ERROR(write_file_atomic_full(dfd, "sub/", "x", 1, 0600, WRITE_FILE_NO_SYNC), EISDIR);
                ASSERT_OK(fstatat(dfd, "unit.service", &st, 0));
                ASSERT_EQ(st.st_mode & 07777, 0644);
                ASSERT_EQ(st.st_size, 11);
                ASSERT_OK(fstatat(dfd, "sub/x.conf", &st, 0));
                ASSERT_EQ(st.st_mode & 07777, 0600);
                ASSERT_EQ(count_entries(dir), 3);
                ASSERT_OK(unlinkat(dfd, "sub/x.conf", 0));
                ASSERT_OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
                ASSERT_OK(unlinkat(dfd, "unit.service", 0));
        }

        ASSERT_OK(unlink(path));
        ASSERT_OK(rmdir(dir));
        return 0;
}
