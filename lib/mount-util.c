/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "macro.h"
#include "mount-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

int mount_util_is_mount_point(const char *path) {
        struct statx sx;

        assert(path);

        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &sx) < 0)
                return negative_errno();
        if (!(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
                return -EOPNOTSUPP;
        return !!(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* "dir" itself or a path below it. */
static const char *path_below(const char *dir, const char *path) {
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (strncmp(path, dir, n) != 0)
                return NULL;
        if (path[n] == 0)
                return path + n;
        if (path[n] != '/')
                return NULL;
        return path + n + 1;
}

static int strv_push(char ***l, size_t *n, char *s) {
        char **nl;

        nl = realloc(*l, sizeof(char *) * (*n + 2));
        if (!nl)
                return -ENOMEM;
        nl[(*n)++] = s;
        nl[*n] = NULL;
        *l = nl;
        return 0;
}

int mount_util_list_under(const char *mountinfo_path, const char *dir, char ***ret_targets) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *t = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_strv_free_ char **l = NULL;
        struct libmnt_fs *fs;
        size_t n = 0;
        int r;

        assert(dir);
        assert(ret_targets);

        t = mnt_new_table();
        it = mnt_new_iter(MNT_ITER_BACKWARD);
        if (!t || !it)
                return -ENOMEM;
        r = mnt_table_parse_file(t, mountinfo_path ?: "/proc/self/mountinfo");
        if (r < 0)
                return r;

        /* Backwards: later mounts (those stacked on or below earlier ones) come first. */
        while ((r = mnt_table_next_fs(t, it, &fs)) == 0) {
                const char *target = mnt_fs_get_target(fs);
                char *c;

                if (!target || !path_below(dir, target))
                        continue;
                c = strdup(target);
                if (!c)
                        return -ENOMEM;
                r = strv_push(&l, &n, c);
                if (r < 0) {
                        free(c);
                        return r;
                }
        }
        if (r < 0)
                return r;

        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret_targets = TAKE_PTR(l);
        return (int) n;
}

int mount_util_umount(const char *target) {
        assert(target);

        if (umount2(target, UMOUNT_NOFOLLOW) >= 0)
                return 0;
        if (errno != EBUSY)
                return negative_errno();
        if (umount2(target, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
                return negative_errno();
        return 1;
}

int mount_util_name_below(const char *dir, const char *target, char **ret_name) {
        const char *rest, *slash;
        char *name;

        assert(dir);
        assert(target);
        assert(ret_name);

        rest = path_below(dir, target);
        if (!rest || !*rest) {
                *ret_name = NULL;
                return 0;
        }
        slash = strchr(rest, '/');
        name = slash ? strndup(rest, slash - rest) : strdup(rest);
        if (!name)
                return -ENOMEM;
        *ret_name = name;
        return 1;
}

static bool strv_contains(char * const *l, const char *s) {
        for (char * const *i = l; i && *i; i++)
                if (streq(*i, s))
                        return true;
        return false;
}

int mount_util_cleanup_stale(const char *mountinfo_path, const char *dir, char * const *live,
                             char ***ret_unmounted) {
        _cleanup_strv_free_ char **targets = NULL, **done = NULL;
        size_t n_done = 0;
        int r, ret = 0;

        assert(dir);

        r = mount_util_list_under(mountinfo_path, dir, &targets);
        if (r < 0)
                return r;

        for (char **t = targets; *t; t++) {
                _cleanup_free_ char *name = NULL;
                char *c;

                r = mount_util_name_below(dir, *t, &name);
                if (r < 0)
                        return r;
                if (!name || strv_contains(live, name))
                        continue;

                r = mount_util_umount(*t);
                if (r == -EINVAL || r == -ENOENT)
                        continue;       /* went away meanwhile, or shadowed by an earlier detach */
                if (r < 0) {
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                c = strdup(*t);
                if (!c)
                        return -ENOMEM;
                r = strv_push(&done, &n_done, c);
                if (r < 0) {
                        free(c);
                        return r;
                }
        }

        if (ret_unmounted) {
                if (!done) {
                        done = calloc(1, sizeof(char *));
                        if (!done)
                                return -ENOMEM;
                }
                *ret_unmounted = TAKE_PTR(done);
        }
        return ret < 0 ? ret : (int) n_done;
}
