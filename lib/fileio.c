/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

static int loop_write(int fd, const void *data, size_t size) {
        const uint8_t *p = data;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

int write_file_atomic_full(int dir_fd, const char *path, const void *data, size_t size, mode_t mode,
                           WriteFileFlags flags) {
        _cleanup_close_ int fd = -EBADF, parent_fd = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        const char *slash, *base;
        size_t n_base;
        char rnd[9];
        int pfd, r;

        if (!path || (!data && size > 0))
                return -EINVAL;

        slash = strrchr(path, '/');
        base = slash ? slash + 1 : path;
        if (isempty(base))
                return -EISDIR;

        if (slash) {
                _cleanup_free_ char *dir = strndup(path, slash == path ? 1 : (size_t) (slash - path));

                if (!dir)
                        return -ENOMEM;
                parent_fd = openat(dir_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (parent_fd < 0)
                        return -errno;
                pfd = parent_fd;
        } else if (!(flags & WRITE_FILE_NO_SYNC)) {
                /* the directory is fsync()ed: it needs a descriptor of its own */
                parent_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (parent_fd < 0)
                        return -errno;
                pfd = parent_fd;
        } else
                pfd = dir_fd;

        /* ".#BASE.xxxxxxxx": 8 hex digits of random() */
        n_base = strlen(base);
        tmp = malloc(n_base + 2 + 1 + 8 + 1);
        if (!tmp)
                return -ENOMEM;
        {
                unsigned long v = (unsigned long) random();

                for (int i = 7; i >= 0; i--, v >>= 4)
                        rnd[i] = "0123456789abcdef"[v & 0xf];
                rnd[8] = 0;
        }
        memcpy(tmp, ".#", 2);
        memcpy(tmp + 2, base, n_base);
        tmp[2 + n_base] = '.';
        memcpy(tmp + 3 + n_base, rnd, 9);

        fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;

        r = loop_write(fd, data, size);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && !(flags & WRITE_FILE_NO_SYNC) && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(pfd, tmp, pfd, base) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(pfd, tmp, 0);
                return r;
        }

        /* Make the rename itself durable. */
        if (!(flags & WRITE_FILE_NO_SYNC))
                (void) fsync(pfd);
        return 0;
}

int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_atomic_full(dir_fd, path, data, size, mode, 0);
}

int write_string_file_atomic_at(int dir_fd, const char *path, const char *s, mode_t mode) {
        return write_file_atomic_at(dir_fd, path, s, strlen(s), mode);
}

int read_full_fd(int fd, size_t max_size, char **ret_data, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        for (;;) {
                ssize_t k;

                if (n + 1 >= allocated) {
                        size_t want = allocated == 0 ? 4096 : allocated * 2;
                        char *p;

                        if (allocated > max_size + 1)
                                return -EFBIG;
                        p = realloc(buf, want);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = want;
                }

                k = read(fd, buf + n, allocated - n - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max_size)
                        return -EFBIG;
        }

        buf[n] = 0;
        if (ret_size)
                *ret_size = n;
        *ret_data = TAKE_PTR(buf);
        return 0;
}

int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, max_size, ret_data, ret_size);
}
