/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "root-file.h"
#include "string-util.h"

static int openat2_in(int root_fd, const char *path, uint64_t flags, uint64_t mode) {
        struct open_how how = {
                .flags = flags,
                .mode = mode,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

        return fd < 0 ? -errno : fd;
}

/* The same file open again, for writing: no second lookup by name that the machine could redirect. */
static int fd_reopen_write(int fd) {
        char p[64];
        int wfd;

        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        wfd = open(p, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        return wfd < 0 ? -errno : wfd;
}

static int read_regular(int fd, char **ret, size_t *ret_size) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > (off_t) ROOT_FILE_MAX)
                return -EFBIG;
        return read_full_fd(fd, ROOT_FILE_MAX, ret, ret_size);
}

static int write_text(int fd, const char *data, size_t size) {
        off_t offset = 0;

        if (ftruncate(fd, 0) < 0)
                return -errno;
        while (size > 0) {
                ssize_t k = pwrite(fd, data, size, offset);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                data += k;
                size -= (size_t) k;
                offset += k;
        }
        return 0;
}

/* Removes the file c made, if its name still is that file (else the machine put another there). */
static int remove_created(const RootFileChange *c) {
        struct stat a, b;

        if (fstat(c->fd, &a) < 0)
                return -errno;
        if (fstatat(c->dir_fd, c->name, &b, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return 0;
        if (unlinkat(c->dir_fd, c->name, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

void root_file_change_done(RootFileChange *c) {
        safe_close(c->fd);
        safe_close(c->dir_fd);
        free(c->name);
        free(c->old);
        *c = ROOT_FILE_CHANGE_NULL;
}

int root_file_restore(RootFileChange *c) {
        int r;

        if (c->fd < 0)
                return 0;
        if (c->created)
                r = remove_created(c);
        else
                r = write_text(c->fd, c->old, c->old_size);
        root_file_change_done(c);
        return r;
}

/* No file at path: makes one in its directory (resolved in the root), not through a dangling symlink. */
static int create_in_root(int root_fd, const char *path, RootFileChange *c) {
        _cleanup_free_ char *dir = NULL;
        const char *slash, *base;

        slash = strrchr(path, '/');
        base = slash ? slash + 1 : path;
        if (isempty(base) || streq(base, ".") || streq(base, ".."))
                return -EISDIR;
        dir = slash ? strndup(path, (size_t) (slash - path)) : strdup(".");
        c->name = strdup(base);
        if (!dir || !c->name)
                return -ENOMEM;
        c->dir_fd = openat2_in(root_fd, isempty(dir) ? "." : dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (c->dir_fd < 0)
                return c->dir_fd;
        c->fd = openat(c->dir_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
        if (c->fd < 0)
                return -errno;
        c->created = true;
        return 0;
}

int root_file_replace(int root_fd, const char *path, const char *text, RootFileChange *ret) {
        _cleanup_(root_file_change_done) RootFileChange c = ROOT_FILE_CHANGE_NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n;
        int r;

        if (!path || !text || path[0] == '/')
                return -EINVAL;
        n = strlen(text);

        fd = openat2_in(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
        if (fd >= 0) {
                r = read_regular(fd, &c.old, &c.old_size);
                if (r < 0)
                        return r;
                if (c.old_size == n && memcmp(c.old, text, n) == 0) {
                        *ret = ROOT_FILE_CHANGE_NULL;
                        return 0;
                }
                c.fd = fd_reopen_write(fd);
                if (c.fd < 0)
                        return c.fd;
        } else if (fd == -ENOENT) {
                r = create_in_root(root_fd, path, &c);
                if (r < 0)
                        return r;
        } else
                return fd;

        r = write_text(c.fd, text, n);
        if (r < 0) {
                (void) root_file_restore(&c);
                return r;
        }
        *ret = c;
        c = ROOT_FILE_CHANGE_NULL;
        return 1;
}
