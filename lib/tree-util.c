/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dirent-util.h"
#include "macro.h"
#include "tree-util.h"

/* copy_file_range() cannot do this pair of files: fall back to read()/write(). */
static bool errno_is_cfr_unsupported(int e) {
        return e == EXDEV || e == EINVAL || e == EOPNOTSUPP || e == ENOSYS || e == EBADF;
}

static int copy_xattrs_fd(int src, int dst) {
        _cleanup_free_ char *names = NULL, *value = NULL;
        ssize_t n;

        n = flistxattr(src, NULL, 0);
        if (n < 0)
                return errno == ENOTSUP ? 0 : negative_errno();
        if (n == 0)
                return 0;
        names = malloc(n);
        if (!names)
                return -ENOMEM;
        n = flistxattr(src, names, n);
        if (n < 0)
                return negative_errno();

        for (char *k = names; k < names + n; k += strlen(k) + 1) {
                ssize_t v;

                v = fgetxattr(src, k, NULL, 0);
                if (v < 0) {
                        if (errno == ENODATA)
                                continue;
                        return negative_errno();
                }
                free(value);
                value = malloc(v + 1);
                if (!value)
                        return -ENOMEM;
                v = fgetxattr(src, k, value, v);
                if (v < 0)
                        return negative_errno();
                /* system.* (ACLs) and security.* may be refused on the target file system; the
                 * data and the overlay's trusted.* attributes are what must survive. */
                if (fsetxattr(dst, k, value, v, 0) < 0 && strncmp(k, "trusted.", 8) == 0)
                        return negative_errno();
        }
        return 0;
}

static int copy_meta_fd(int src, const struct stat *st, int dst) {
        struct timespec ts[2] = { st->st_atim, st->st_mtim };
        int r;

        if (fchown(dst, st->st_uid, st->st_gid) < 0)
                return negative_errno();
        if (fchmod(dst, st->st_mode & 07777) < 0)
                return negative_errno();
        r = copy_xattrs_fd(src, dst);
        if (r < 0)
                return r;
        if (futimens(dst, ts) < 0)
                return negative_errno();
        return 0;
}

int tree_copy_attrs(int src_fd, int dst_fd) {
        struct stat st;

        if (fstat(src_fd, &st) < 0)
                return negative_errno();
        return copy_meta_fd(src_fd, &st, dst_fd);
}

static int copy_data(int src, int dst, uint64_t size) {
        static const size_t chunk = 1U << 20;
        _cleanup_free_ char *buf = NULL;
        bool try_cfr = true;

        if (ioctl(dst, FICLONE, src) >= 0)
                return 0;

        for (;;) {
                ssize_t n;

                if (try_cfr) {
                        n = copy_file_range(src, NULL, dst, NULL, 1U << 30, 0);
                        if (n < 0 && errno_is_cfr_unsupported(errno)) {
                                try_cfr = false;
                                continue;
                        }
                        if (n < 0)
                                return negative_errno();
                        if (n == 0)
                                break;
                        continue;
                }

                if (!buf) {
                        buf = malloc(chunk);
                        if (!buf)
                                return -ENOMEM;
                }
                n = read(src, buf, chunk);
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = write(dst, buf + done, n - done);
                        if (w < 0)
                                return negative_errno();
                        done += w;
                }
        }
        (void) size;
        return 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, dev_t dev);

static int copy_dir_contents_dev(int src_fd, int dst_fd, dev_t dev) {
        _cleanup_closedir_ DIR *d = NULL;
        int r;

        r = opendir_fd(src_fd, &d);
        if (r < 0)
                return r;

        for (;;) {
                struct dirent *de;

                r = readdir_next(d, &de);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = copy_entry(src_fd, dst_fd, de->d_name, dev);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, dev_t dev) {
        struct stat st;
        int r;

        if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (st.st_dev != dev)
                return -EXDEV;

        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int s = -EBADF, t = -EBADF;

                s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0)
                        return negative_errno();
                if (mkdirat(dst_dir, name, 0700) < 0)
                        return negative_errno();
                t = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (t < 0)
                        return negative_errno();
                r = copy_dir_contents_dev(s, t, dev);
                if (r < 0)
                        return r;
                return copy_meta_fd(s, &st, t);
        }

        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int s = -EBADF, t = -EBADF;

                s = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                if (s < 0)
                        return negative_errno();
                t = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (t < 0)
                        return negative_errno();
                r = copy_data(s, t, st.st_size);
                if (r < 0)
                        return r;
                return copy_meta_fd(s, &st, t);
        }

        if (S_ISLNK(st.st_mode)) {
                _cleanup_free_ char *target = NULL;
                struct timespec ts[2] = { st.st_atim, st.st_mtim };
                ssize_t n;

                target = malloc(st.st_size + 2);
                if (!target)
                        return -ENOMEM;
                n = readlinkat(src_dir, name, target, st.st_size + 1);
                if (n < 0)
                        return negative_errno();
                if (n > st.st_size)
                        return -EAGAIN;         /* changed under us */
                target[n] = 0;
                if (symlinkat(target, dst_dir, name) < 0)
                        return negative_errno();
                if (fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                if (utimensat(dst_dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                return 0;
        }

        /* Character devices (overlayfs whiteouts are 0:0), block devices, FIFOs, sockets. */
        {
                struct timespec ts[2] = { st.st_atim, st.st_mtim };

                if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0)
                        return negative_errno();
                if (fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                if (fchmodat(dst_dir, name, st.st_mode & 07777, 0) < 0)
                        return negative_errno();
                if (utimensat(dst_dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
        }
        return 0;
}

int tree_copy_contents(int src_fd, int dst_fd) {
        struct stat st;

        if (fstat(src_fd, &st) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        return copy_dir_contents_dev(src_fd, dst_fd, st.st_dev);
}

static int remove_contents(int fd, dev_t dev) {
        _cleanup_closedir_ DIR *d = NULL;
        int r, ret = 0;

        r = opendir_fd(fd, &d);
        if (r < 0)
                return r;

        for (;;) {
                struct dirent *de;
                struct stat st;

                r = readdir_next(d, &de);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return negative_errno();
                }
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = -EBADF;

                        if (st.st_dev != dev) {
                                ret = -EBUSY;
                                continue;
                        }
                        sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                return negative_errno();
                        r = remove_contents(sub, dev);
                        if (r < 0) {
                                ret = r;
                                continue;
                        }
                        if (unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0) {
                                /* a mount point on a directory of the same file system */
                                ret = errno == EBUSY ? -EBUSY : negative_errno();
                                continue;
                        }
                } else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
                        return negative_errno();
        }
        return ret;
}

int tree_remove_at(int dir_fd, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dir_fd, name, 0) < 0 ? negative_errno() : 0;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = remove_contents(fd, st.st_dev);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0)
                return negative_errno();
        return 0;
}

/* Calls visit() for every entry below fd (not fd itself), depth first: the entries of a
 * directory before the directory. Symlinks are not followed. Stops at the first error. */
typedef int (*TreeVisit)(int dir_fd, const char *name, const struct stat *st, void *userdata);

static int walk(int fd, TreeVisit visit, void *userdata) {
        _cleanup_closedir_ DIR *d = NULL;
        int r;

        r = opendir_fd(fd, &d);
        if (r < 0)
                return r;
        for (;;) {
                struct dirent *de;
                struct stat st;

                r = readdir_next(d, &de);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = -EBADF;

                        sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                return negative_errno();
                        r = walk(sub, visit, userdata);
                        if (r < 0)
                                return r;
                }
                r = visit(fd, de->d_name, &st, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct {
        uint64_t bytes, entries;
} Measure;

static int measure_one(int dir_fd, const char *name, const struct stat *st, void *userdata) {
        Measure *m = userdata;

        m->entries++;
        if (S_ISREG(st->st_mode))
                m->bytes += st->st_size;
        return 0;
}

int tree_measure(int dir_fd, uint64_t *ret_bytes, uint64_t *ret_entries) {
        Measure m = {};
        int r;

        r = walk(dir_fd, measure_one, &m);
        if (r < 0)
                return r;
        if (ret_bytes)
                *ret_bytes = m.bytes;
        if (ret_entries)
                *ret_entries = m.entries;
        return 0;
}

typedef struct {
        uid_t from_min, from_max;
        uid_t uid;
        gid_t gid;
} ChownRange;

static int chown_one(int dir_fd, const char *name, const struct stat *st, void *userdata) {
        const ChownRange *c = userdata;

        if (st->st_uid < c->from_min || st->st_uid > c->from_max || st->st_uid == c->uid)
                return 0;
        /* fchownat() clears set-uid/set-gid bits: restore the mode of regular files. */
        if (fchownat(dir_fd, name, c->uid, st->st_gid == st->st_uid ? c->gid : st->st_gid,
                     AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (S_ISREG(st->st_mode) && (st->st_mode & 06000) &&
            fchmodat(dir_fd, name, st->st_mode & 07777, 0) < 0)
                return negative_errno();
        return 0;
}

int tree_chown_range(int dir_fd, uid_t from_min, uid_t from_max, uid_t uid, gid_t gid) {
        struct stat st;
        int r;

        r = walk(dir_fd, chown_one, &(ChownRange) { .from_min = from_min, .from_max = from_max, .uid = uid, .gid = gid });
        if (r < 0)
                return r;
        if (fstat(dir_fd, &st) < 0)
                return negative_errno();
        if (st.st_uid >= from_min && st.st_uid <= from_max && st.st_uid != uid &&
            fchown(dir_fd, uid, st.st_gid == st.st_uid ? gid : st.st_gid) < 0)
                return negative_errno();
        return 0;
}
