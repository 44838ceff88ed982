/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirent-util.h"
#include "macro.h"
#include "fileio.h"
#include "mount-util.h"
#include "tree-util.h"
#include "workspace.h"

/* systemd's DynamicUser= range (61184..65519): files left by an earlier session's dynamic uid
 * are handed to the uid of the session that restores them. */
#define DYNAMIC_UID_MIN ((uid_t) 0x0000EF00U)
#define DYNAMIC_UID_MAX ((uid_t) 0x0000FFEFU)

static bool name_is_valid(const char *name) {
        size_t n;

        if (isempty(name))
                return false;
        n = strlen(name);
        if (n > SESSION_NAME_MAX || name[0] == '.' || name[0] == '-')
                return false;
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '_' || *c == '.' || *c == '-'))
                        return false;
        return true;
}

bool workspace_snapshot_name_is_valid(const char *snap) {
        return name_is_valid(snap);
}

static int join(char **ret, const char *a, const char *b, const char *c, const char *d) {
        char *s;

        if (asprintf(&s, "%s%s%s%s%s%s%s", a, b ? "/" : "", strempty(b), c ? "/" : "", strempty(c),
                     d ? "/" : "", strempty(d)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int workspace_state_path(const WorkspacePaths *p, const char *name, const char *suffix, char **ret) {
        assert(p);
        assert(ret);
        if (!name_is_valid(name))
                return -EINVAL;
        return join(ret, p->state_dir, "workspaces", name, suffix);
}

int workspace_merged_path(const WorkspacePaths *p, const char *name, char **ret) {
        assert(p);
        assert(ret);
        if (!name_is_valid(name))
                return -EINVAL;
        return join(ret, p->runtime_dir, "workspaces", name, "merged");
}

int workspace_snapshot_dir(const WorkspacePaths *p, const char *name, char **ret) {
        assert(p);
        assert(ret);
        if (!name_is_valid(name))
                return -EINVAL;
        return join(ret, p->state_dir, "snapshots", name, NULL);
}

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *c = NULL;

        c = strdup(path);
        if (!c)
                return -ENOMEM;
        for (char *s = c + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(c, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(c, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

/* Opens (creating) a directory and takes an exclusive lock on it: every operation on one
 * workspace holds the lock of STATE/workspaces/NAME, so concurrent helpers never see each
 * other's temporary directories. */
static int open_locked_dir(const char *path, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = mkdir_p(path, 0700);
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int open_ws(const WorkspacePaths *p, const char *name, int *ret_fd) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = workspace_state_path(p, name, NULL, &path);
        if (r < 0)
                return r;
        return open_locked_dir(path, ret_fd);
}

/* Removes every ".tmp-*" below dir_fd: left by an operation that was killed midway. */
static int remove_tmp(int dir_fd) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r;

        r = opendir_fd(dir_fd, &d);
        if (r < 0)
                return r;
        while ((r = readdir_next(d, &de)) > 0) {
                if (strncmp(de->d_name, ".tmp-", 5) != 0)
                        continue;
                r = tree_remove_at(dir_fd, de->d_name);
                if (r < 0)
                        return r;
        }
        return r;
}

static int make_tmp_dir(int dir_fd, const char *what, char **ret_name, int *ret_fd) {
        _cleanup_free_ char *n = NULL;
        _cleanup_close_ int fd = -EBADF;
        uint64_t rnd;

        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                return -EIO;
        if (asprintf(&n, ".tmp-%s-%016" PRIx64, what, rnd) < 0)
                return -ENOMEM;
        if (mkdirat(dir_fd, n, 0700) < 0)
                return negative_errno();
        fd = openat(dir_fd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_name = TAKE_PTR(n);
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 0;
}

static int exists_at(int dir_fd, const char *name) {
        struct stat st;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return 1;
}

/* Puts the fully written directory tmp in place of target, in one step, and removes what was
 * there before. Everything in tmp must already be on disk (syncfs()). */
static int replace_dir(int dir_fd, const char *tmp, const char *target) {
        int r;

        if (renameat2(dir_fd, tmp, dir_fd, target, RENAME_EXCHANGE) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                if (renameat2(dir_fd, tmp, dir_fd, target, RENAME_NOREPLACE) < 0)
                        return negative_errno();
        }
        if (fsync(dir_fd) < 0)
                return negative_errno();
        /* tmp now holds the old state (or nothing). */
        r = tree_remove_at(dir_fd, tmp);
        return r < 0 ? r : 0;
}

/* Copies the directory src_fd to a new temporary directory below dir_fd and makes it durable. */
static int copy_to_tmp(int src_fd, int dir_fd, const char *what, char **ret_tmp) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int tfd = -EBADF;
        int r;

        r = make_tmp_dir(dir_fd, what, &tmp, &tfd);
        if (r < 0)
                return r;
        r = tree_copy_contents(src_fd, tfd);
        if (r >= 0)
                r = tree_copy_attrs(src_fd, tfd);
        if (r >= 0 && syncfs(tfd) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) tree_remove_at(dir_fd, tmp);
                return r;
        }
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

int workspace_is_mounted(const WorkspacePaths *p, const char *name) {
        _cleanup_free_ char *merged = NULL;
        int r;

        r = workspace_merged_path(p, name, &merged);
        if (r < 0)
                return r;
        r = mount_util_is_mount_point(merged);
        return r == -ENOENT ? 0 : r;
}

static int runtime_dir(const WorkspacePaths *p, const char *name, char **ret) {
        return join(ret, p->runtime_dir, "workspaces", name, NULL);
}

static int read_mode(const WorkspacePaths *p, const char *name, WorkspaceMode *ret) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *data = NULL;
        int r;

        r = runtime_dir(p, name, &dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/mode", dir) < 0)
                return -ENOMEM;
        r = read_full_file(path, 64, &data, NULL);
        if (r == -ENOENT) {
                *ret = WORKSPACE_NONE;
                return 0;
        }
        if (r < 0)
                return r;
        data[strcspn(data, "\n")] = 0;
        if (streq(data, "overlay"))
                *ret = WORKSPACE_OVERLAY;
        else if (streq(data, "tmpfs"))
                *ret = WORKSPACE_TMPFS;
        else
                return -EBADMSG;
        return 0;
}

/* Paths that reach the kernel inside a comma-separated overlay option string. */
static bool path_is_mount_option_safe(const char *path) {
        return path[0] == '/' && !strpbrk(path, ",:\\\n");
}

static int setup_live(int ws_fd, bool *ret_restored) {
        int r;

        r = exists_at(ws_fd, "live/restored");
        if (r < 0)
                return r;
        if (r > 0) {
                /* staged by workspace_restore(): use it once */
                if (unlinkat(ws_fd, "live/restored", 0) < 0)
                        return negative_errno();
                r = tree_remove_at(ws_fd, "live/work");
                if (r < 0)
                        return r;
                if (mkdirat(ws_fd, "live/work", 0700) < 0)
                        return negative_errno();
                *ret_restored = true;
                return 0;
        }

        /* Leftovers of a session that ended without teardown: not ours to resume. */
        r = tree_remove_at(ws_fd, "live");
        if (r < 0)
                return r;
        if (mkdirat(ws_fd, "live", 0700) < 0 ||
            mkdirat(ws_fd, "live/upper", 0755) < 0 ||
            mkdirat(ws_fd, "live/work", 0700) < 0)
                return negative_errno();
        *ret_restored = false;
        return 0;
}

static int own_top(int dir_fd, const char *name, const WorkspaceSetup *s, bool restored) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (s->uid == (uid_t) -1 && !s->userns)
                return 0;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (s->userns) {
                /* the sticky bit: one uid of the container cannot remove another's files */
                if (fchmod(fd, 01777) < 0)
                        return negative_errno();
                return 0;
        }
        if (restored) {
                r = tree_chown_range(fd, DYNAMIC_UID_MIN, DYNAMIC_UID_MAX, s->uid, s->gid);
                if (r < 0)
                        return r;
        }
        if (fchown(fd, s->uid, s->gid) < 0)
                return negative_errno();
        return 0;
}

static int write_mode(const char *rdir, const char *mode) {
        _cleanup_close_ int fd = -EBADF;

        fd = open(rdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return write_string_file_atomic_at(fd, "mode", mode, 0644);
}

int workspace_setup(const WorkspacePaths *p, const char *name, const WorkspaceSetup *s) {
        _cleanup_free_ char *merged = NULL, *rdir = NULL, *upper = NULL, *work = NULL, *opts = NULL;
        _cleanup_close_ int ws_fd = -EBADF;
        bool restored = false;
        struct stat st;
        int r;

        assert(p);
        assert(s);

        if (!name_is_valid(name))
                return -EINVAL;

        if (s->mode == WORKSPACE_OVERLAY || s->mode == WORKSPACE_BIND || s->mode == WORKSPACE_BIND_RO) {
                if (!s->host_path || stat(s->host_path, &st) < 0)
                        return s->host_path ? negative_errno() : -EINVAL;
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
        }

        switch (s->mode) {
        case WORKSPACE_BIND:
        case WORKSPACE_BIND_RO:
                return 0;       /* BindPaths=/BindReadOnlyPaths= in the unit do it all */
        case WORKSPACE_OVERLAY:
        case WORKSPACE_TMPFS:
                break;
        default:
                return -EINVAL;
        }

        r = workspace_merged_path(p, name, &merged);
        if (r < 0)
                return r;
        r = runtime_dir(p, name, &rdir);
        if (r < 0)
                return r;
        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = workspace_is_mounted(p, name);
        if (r < 0)
                return r;
        if (r > 0)
                return -EBUSY;
        r = remove_tmp(ws_fd);
        if (r < 0)
                return r;
        r = setup_live(ws_fd, &restored);
        if (r < 0)
                return r;
        r = mkdir_p(merged, 0755);
        if (r < 0)
                return r;
        /* A top of mode 1777 must not be reachable for the host's users: only root (nspawn)
         * goes through NAME/ to bind merged/; the container reaches it through that bind. */
        if (s->userns && chmod(rdir, 0700) < 0)
                return negative_errno();

        if (s->mode == WORKSPACE_OVERLAY) {
                if (!path_is_mount_option_safe(s->host_path))
                        return -EINVAL;
                r = workspace_state_path(p, name, "live/upper", &upper);
                if (r < 0)
                        return r;
                r = workspace_state_path(p, name, "live/work", &work);
                if (r < 0)
                        return r;
                if (!path_is_mount_option_safe(upper) || !path_is_mount_option_safe(work))
                        return -EINVAL;
                r = own_top(ws_fd, "live/upper", s, restored);
                if (r < 0)
                        return r;
                if (asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", s->host_path, upper, work) < 0)
                        return -ENOMEM;
                if (mount("overlay", merged, "overlay", MS_NOSUID | MS_NODEV, opts) < 0)
                        return negative_errno();
                r = write_mode(rdir, "overlay");
        } else {
                _cleanup_close_ int mfd = -EBADF, ufd = -EBADF;
                char size[64] = "", owner[64] = "";

                if (s->size != UINT64_UNSET)
                        snprintf(size, sizeof(size), ",size=%" PRIu64, s->size);
                if (s->uid != (uid_t) -1)
                        snprintf(owner, sizeof(owner), ",uid=%u,gid=%u", (unsigned) s->uid, (unsigned) s->gid);
                if (asprintf(&opts, "mode=%s%s%s", s->userns ? "1777" : "0755", size, owner) < 0)
                        return -ENOMEM;
                if (mount("tmpfs", merged, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
                        return negative_errno();
                if (restored) {
                        /* tmpfs has no layer on disk: fill it from the staged copy */
                        ufd = openat(ws_fd, "live/upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        mfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (ufd < 0 || mfd < 0)
                                r = negative_errno();
                        else
                                r = tree_copy_contents(ufd, mfd);
                        if (r >= 0 && s->uid != (uid_t) -1)
                                r = tree_chown_range(mfd, DYNAMIC_UID_MIN, DYNAMIC_UID_MAX, s->uid, s->gid);
                        if (r < 0) {
                                (void) umount2(merged, MNT_DETACH);
                                return r;
                        }
                }
                r = write_mode(rdir, "tmpfs");
        }
        if (r < 0) {
                (void) umount2(merged, MNT_DETACH);
                return r;
        }
        return 0;
}

/* The directory that holds what a live session wrote: the upper layer, or the tmpfs itself. */
static int open_live_source(const WorkspacePaths *p, const char *name, int ws_fd, WorkspaceMode mode, int *ret_fd) {
        _cleanup_free_ char *merged = NULL;
        int fd;

        if (mode == WORKSPACE_OVERLAY)
                fd = openat(ws_fd, "live/upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        else if (mode == WORKSPACE_TMPFS) {
                int r = workspace_merged_path(p, name, &merged);
                if (r < 0)
                        return r;
                fd = open(merged, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        } else
                return -ESRCH;
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

int workspace_teardown(const WorkspacePaths *p, const char *name, bool persist) {
        _cleanup_free_ char *merged = NULL, *rdir = NULL, *tmp = NULL;
        _cleanup_close_ int ws_fd = -EBADF;
        WorkspaceMode mode;
        int r, mounted;

        assert(p);

        r = read_mode(p, name, &mode);
        if (r < 0)
                return r;
        if (mode == WORKSPACE_NONE)
                return 0;       /* nothing of ours was set up (bind modes, or torn down already) */

        r = workspace_merged_path(p, name, &merged);
        if (r < 0)
                return r;
        r = runtime_dir(p, name, &rdir);
        if (r < 0)
                return r;
        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = remove_tmp(ws_fd);
        if (r < 0)
                return r;
        mounted = workspace_is_mounted(p, name);
        if (mounted < 0)
                return mounted;

        if (persist && mode == WORKSPACE_TMPFS && mounted) {
                /* tmpfs content is gone once unmounted: copy it before */
                _cleanup_close_ int src = -EBADF;

                r = open_live_source(p, name, ws_fd, mode, &src);
                if (r < 0)
                        return r;
                r = copy_to_tmp(src, ws_fd, "persist", &tmp);
                if (r < 0)
                        return r;
        }

        if (mounted) {
                r = mount_util_umount(merged);
                if (r < 0)
                        return r;
        }

        if (persist && mode == WORKSPACE_OVERLAY) {
                r = exists_at(ws_fd, "live/upper");
                if (r < 0)
                        return r;
                if (r > 0) {
                        /* No longer in use: move it, do not copy it. */
                        r = make_tmp_dir(ws_fd, "persist", &tmp, NULL);
                        if (r < 0)
                                return r;
                        if (unlinkat(ws_fd, tmp, AT_REMOVEDIR) < 0)
                                return negative_errno();
                        if (renameat(ws_fd, "live/upper", ws_fd, tmp) < 0)
                                return negative_errno();
                        if (syncfs(ws_fd) < 0)
                                return negative_errno();
                }
        }
        if (tmp) {
                r = replace_dir(ws_fd, tmp, "saved");
                if (r < 0)
                        return r;
        }

        r = tree_remove_at(ws_fd, "live");
        if (r < 0)
                return r;
        if (rmdir(merged) < 0 && errno != ENOENT && !mounted)
                return negative_errno();
        {
                _cleanup_free_ char *modefile = NULL;

                if (asprintf(&modefile, "%s/mode", rdir) < 0)
                        return -ENOMEM;
                if (unlink(modefile) < 0 && errno != ENOENT)
                        return negative_errno();
        }
        (void) rmdir(rdir);
        return 0;
}

int workspace_persist(const WorkspacePaths *p, const char *name) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int ws_fd = -EBADF, src = -EBADF;
        WorkspaceMode mode;
        int r;

        assert(p);

        r = read_mode(p, name, &mode);
        if (r < 0)
                return r;
        r = workspace_is_mounted(p, name);
        if (r < 0)
                return r;
        if (mode == WORKSPACE_NONE || r == 0)
                return -ESRCH;  /* no live workspace of ours */

        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = remove_tmp(ws_fd);
        if (r < 0)
                return r;
        r = open_live_source(p, name, ws_fd, mode, &src);
        if (r < 0)
                return r;
        r = copy_to_tmp(src, ws_fd, "persist", &tmp);
        if (r < 0)
                return r;
        return replace_dir(ws_fd, tmp, "saved");
}

int workspace_has_saved(const WorkspacePaths *p, const char *name) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        r = workspace_state_path(p, name, "saved", &path);
        if (r < 0)
                return r;
        if (stat(path, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return S_ISDIR(st.st_mode);
}

int workspace_restore(const WorkspacePaths *p, const char *name) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int ws_fd = -EBADF, src = -EBADF, tfd = -EBADF, ufd = -EBADF;
        int r;

        assert(p);

        r = workspace_has_saved(p, name);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = workspace_is_mounted(p, name);
        if (r < 0)
                return r;
        if (r > 0)
                return -EBUSY;
        r = remove_tmp(ws_fd);
        if (r < 0)
                return r;

        src = openat(ws_fd, "saved", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (src < 0)
                return negative_errno();

        /* Stage live/ = { upper (a copy of saved), work, restored } in a temporary directory, then
         * put it in place: setup finds either no staged state or a complete one. */
        r = make_tmp_dir(ws_fd, "restore", &tmp, &tfd);
        if (r < 0)
                return r;
        if (mkdirat(tfd, "upper", 0755) < 0 || mkdirat(tfd, "work", 0700) < 0)
                return negative_errno();
        ufd = openat(tfd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ufd < 0)
                return negative_errno();
        r = tree_copy_contents(src, ufd);
        if (r < 0)
                return r;
        r = tree_copy_attrs(src, ufd);
        if (r < 0)
                return r;
        r = write_string_file_atomic_at(tfd, "restored", "", 0644);
        if (r < 0)
                return r;
        if (syncfs(tfd) < 0)
                return negative_errno();
        r = tree_remove_at(ws_fd, "live");
        if (r < 0)
                return r;
        if (renameat(ws_fd, tmp, ws_fd, "live") < 0)
                return negative_errno();
        if (fsync(ws_fd) < 0)
                return negative_errno();
        return 0;
}

int workspace_remove(const WorkspacePaths *p, const char *name) {
        _cleanup_close_ int ws_fd = -EBADF;
        int r;

        r = workspace_is_mounted(p, name);
        if (r < 0)
                return r;
        if (r > 0)
                return -EBUSY;
        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = remove_tmp(ws_fd);
        if (r < 0)
                return r;
        r = tree_remove_at(ws_fd, "live");
        if (r < 0)
                return r;
        return tree_remove_at(ws_fd, "saved");
}

static int open_snap_dir(const WorkspacePaths *p, const char *name, bool create, int *ret_fd) {
        _cleanup_free_ char *path = NULL;
        int r, fd;

        r = workspace_snapshot_dir(p, name, &path);
        if (r < 0)
                return r;
        if (create) {
                r = mkdir_p(path, 0700);
                if (r < 0)
                        return r;
        }
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

int workspace_snapshot_save(const WorkspacePaths *p, const char *name, const char *snap) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int ws_fd = -EBADF, sd_fd = -EBADF, src = -EBADF;
        WorkspaceMode mode;
        int r;

        assert(p);

        if (!workspace_snapshot_name_is_valid(snap))
                return -EINVAL;
        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = open_snap_dir(p, name, true, &sd_fd);
        if (r < 0)
                return r;
        r = remove_tmp(sd_fd);
        if (r < 0)
                return r;
        r = exists_at(sd_fd, snap);
        if (r < 0)
                return r;
        if (r > 0)
                return -EEXIST;

        r = read_mode(p, name, &mode);
        if (r < 0)
                return r;
        r = workspace_is_mounted(p, name);
        if (r < 0)
                return r;
        if (r > 0 && mode != WORKSPACE_NONE)
                r = open_live_source(p, name, ws_fd, mode, &src);
        else {
                src = openat(ws_fd, "saved", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                r = src < 0 ? negative_errno() : 0;
        }
        if (r < 0)
                return r;

        r = copy_to_tmp(src, sd_fd, "snapshot", &tmp);
        if (r < 0)
                return r;
        if (renameat2(sd_fd, tmp, sd_fd, snap, RENAME_NOREPLACE) < 0) {
                r = negative_errno();
                (void) tree_remove_at(sd_fd, tmp);
                return r;
        }
        if (fsync(sd_fd) < 0)
                return negative_errno();
        return 0;
}

int workspace_snapshot_restore(const WorkspacePaths *p, const char *name, const char *snap) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int ws_fd = -EBADF, sd_fd = -EBADF, src = -EBADF;
        int r;

        assert(p);

        if (!workspace_snapshot_name_is_valid(snap))
                return -EINVAL;
        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = open_snap_dir(p, name, false, &sd_fd);
        if (r < 0)
                return r;
        src = openat(sd_fd, snap, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (src < 0)
                return negative_errno();
        r = remove_tmp(ws_fd);
        if (r < 0)
                return r;
        r = copy_to_tmp(src, ws_fd, "snapshot", &tmp);
        if (r < 0)
                return r;
        return replace_dir(ws_fd, tmp, "saved");
}

void workspace_snapshots_free(WorkspaceSnapshot *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(s[i].name);
        free(s);
}

static int snapshot_cmp(const void *a, const void *b) {
        return strcmp(((const WorkspaceSnapshot *) a)->name, ((const WorkspaceSnapshot *) b)->name);
}

int workspace_snapshot_list(const WorkspacePaths *p, const char *name, WorkspaceSnapshot **ret, size_t *ret_n) {
        _cleanup_close_ int sd_fd = -EBADF;
        _cleanup_free_ char *path = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        WorkspaceSnapshot *l = NULL;
        size_t n = 0;
        int r;

        assert(p);
        assert(ret);
        assert(ret_n);

        /* No lock: snapshots appear and vanish by one rename, so a listing sees whole ones
         * only, and does not wait for a long copy (sessiond lists from its event loop). */
        r = workspace_state_path(p, name, NULL, &path);
        if (r < 0)
                return r;
        r = open_snap_dir(p, name, false, &sd_fd);
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return r;

        r = opendir_fd(sd_fd, &d);
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_close_ int sfd = -EBADF;
                WorkspaceSnapshot *nl;
                struct dirent *de;
                struct stat st;

                r = readdir_next(d, &de);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                if (de->d_name[0] == '.')
                        continue;       /* .tmp-*: a copy under way */
                sfd = openat(sd_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0 && errno == ENOENT)
                        continue;       /* deleted meanwhile */
                if (sfd < 0) {
                        r = negative_errno();
                        goto fail;
                }
                nl = realloc(l, sizeof(*l) * (n + 1));
                if (!nl) {
                        r = -ENOMEM;
                        goto fail;
                }
                l = nl;
                l[n] = (WorkspaceSnapshot) {};
                l[n].name = strdup(de->d_name);
                if (!l[n].name) {
                        r = -ENOMEM;
                        goto fail;
                }
                n++;
                r = tree_measure(sfd, &l[n - 1].size, &l[n - 1].n_files);
                if (r == -ENOENT) {
                        free(l[--n].name);      /* deleted meanwhile */
                        continue;
                }
                if (r < 0)
                        goto fail;
                if (fstat(sfd, &st) < 0) {
                        r = negative_errno();
                        goto fail;
                }
                l[n - 1].mtime_sec = st.st_mtim.tv_sec;
        }
        if (n > 1)
                qsort(l, n, sizeof(*l), snapshot_cmp);
        *ret = l;
        *ret_n = n;
        return 0;

fail:
        workspace_snapshots_free(l, n);
        return r;
}

int workspace_snapshot_delete(const WorkspacePaths *p, const char *name, const char *snap) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int ws_fd = -EBADF, sd_fd = -EBADF;
        int r;

        assert(p);

        if (!workspace_snapshot_name_is_valid(snap))
                return -EINVAL;
        r = open_ws(p, name, &ws_fd);
        if (r < 0)
                return r;
        r = open_snap_dir(p, name, false, &sd_fd);
        if (r < 0)
                return r;
        r = exists_at(sd_fd, snap);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        /* Out of sight first, so a crash midway never leaves a half-deleted snapshot listed. */
        r = make_tmp_dir(sd_fd, "delete", &tmp, NULL);
        if (r < 0)
                return r;
        if (unlinkat(sd_fd, tmp, AT_REMOVEDIR) < 0)
                return negative_errno();
        if (renameat(sd_fd, snap, sd_fd, tmp) < 0)
                return negative_errno();
        if (fsync(sd_fd) < 0)
                return negative_errno();
        return tree_remove_at(sd_fd, tmp);
}
