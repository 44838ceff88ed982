/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the session can read and write on the host's file systems. */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "check.h"
#include "dirent-util.h"

/* Counts the entries of a directory, skipping "." "..", our own probe files and files of skip_owner.
 * Returns the count, or a negative errno when the directory cannot be listed. */
static int list_dir(const char *path, uid_t skip_owner, char *first, size_t size) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int n = 0, r;

        d = opendir(path);
        if (!d)
                return -errno;

        while ((r = readdir_next(d, &de)) > 0) {
                struct stat st;

                if (strncmp(de->d_name, ".sessiond-check-", 16) == 0)
                        continue;
                if (skip_owner != (uid_t) -1 && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 &&
                    st.st_uid == skip_owner)
                        continue;
                if (n == 0 && first)
                        snprintf(first, size, "%s", de->d_name);
                n++;
        }
        if (r < 0)
                return r;
        return n;
}

static void check_unreadable_file(const char *path, CheckResult *r) {
        _cleanup_close_ int fd = -EBADF;
        char buf[64];
        ssize_t l;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return isolated(r, "cannot open %s: %m", path);
        l = read(fd, buf, sizeof(buf));
        if (l < 0)
                return isolated(r, "opened %s, but reading fails: %m", path);
        if (l == 0)
                return isolated(r, "%s reads as empty", path);
        exposed(r, "read %zd bytes from %s", l, path);
}

static void check_unlistable_dir(const char *path, CheckResult *r) {
        char first[NAME_MAX + 1] = "";
        int n;

        n = list_dir(path, (uid_t) -1, first, sizeof(first));
        if (n < 0)
                return isolated(r, "cannot list %s: %s", path, strerror(-n));
        if (n == 0)
                return isolated(r, "%s looks empty", path);
        exposed(r, "%s lists %d entries (e.g. %s)", path, n, first);
}

void check_read_shadow(const CheckContext *c, CheckResult *r) {
        check_unreadable_file("/etc/shadow", r);
}

void check_read_root_home(const CheckContext *c, CheckResult *r) {
        check_unlistable_dir("/root", r);
}

void check_read_home(const CheckContext *c, CheckResult *r) {
        check_unlistable_dir("/home", r);
}

void check_read_proc1_environ(const CheckContext *c, CheckResult *r) {
        check_unreadable_file("/proc/1/environ", r);
}

/* One path of sessiond's or another session's. A file must not be readable, a socket must not
 * accept a connection, a directory must not reveal readable contents: entries owned by our own uid
 * (our own session's runtime directory) are skipped, the others are tried down to 'depth'
 * levels. Returns true if exposed, with what was found in msg. */
static bool other_path_exposed(const char *path, unsigned depth, char *msg, size_t size) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        struct stat st;
        unsigned n = 0;

        if (lstat(path, &st) < 0) {
                snprintf(msg, size, "%s: %m", path);
                return false;
        }

        if (S_ISSOCK(st.st_mode)) {
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                if (strlen(path) >= sizeof(sa.sun_path)) {
                        snprintf(msg, size, "%s: path too long to try", path);
                        return false;
                }
                strcpy(sa.sun_path, path);
                if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0) {
                        snprintf(msg, size, "connected to %s", path);
                        return true;
                }
                snprintf(msg, size, "cannot connect to %s: %m", path);
                return false;
        }

        if (!S_ISDIR(st.st_mode)) {
                CheckResult sub;

                check_unreadable_file(path, &sub);
                snprintf(msg, size, "%.200s", sub.detail);
                return sub.state == CHECK_EXPOSED;
        }

        d = opendir(path);
        if (!d) {
                snprintf(msg, size, "cannot list %s: %m", path);
                return false;
        }
        /* a listing that breaks off midway counts what it saw */
        while (readdir_next(d, &de) > 0) {
                char sub[PATH_MAX];

                /* Our own session's entries are ours to read; root owns no session. */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    (geteuid() != 0 && st.st_uid == geteuid()))
                        continue;
                n++;
                if (depth == 0) {
                        snprintf(msg, size, "%.100s lists foreign entries (e.g. %.100s)", path, de->d_name);
                        return true;
                }
                if ((size_t) snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
                        continue;
                if (other_path_exposed(sub, depth - 1, msg, size))
                        return true;
        }
        snprintf(msg, size, "%s: %u foreign entries, none readable", path, n);
        return false;
}

void check_read_other_sessions(const CheckContext *c, CheckResult *r) {
        const char *fixed[] = { SESSIOND_STATE_DIR, SESSIOND_RUNTIME_DIR "/agents" };
        char msg[256], all[sizeof(r->detail)] = "";

        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                if (other_path_exposed(fixed[i], 2, msg, sizeof(msg)))
                        return exposed(r, "%s", msg);
                else
                        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i > 0 ? "; " : "", msg);

        for (char **p = c->other_paths; p && *p; p++)
                if (other_path_exposed(*p, 2, msg, sizeof(msg)))
                        return exposed(r, "%s", msg);
                else
                        snprintf(all + strlen(all), sizeof(all) - strlen(all), "; %s", msg);

        isolated(r, "%s", all);
}

static int try_create_in(const char *dir) {
        char tmpl[PATH_MAX];
        int fd;

        if ((size_t) snprintf(tmpl, sizeof(tmpl), "%s/.sessiond-check-XXXXXX", streq(dir, "/") ? "" : dir) >= sizeof(tmpl))
                return -ENAMETOOLONG;
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        (void) unlink(tmpl);
        safe_close(fd);
        return 0;
}

static void check_unwritable(const char *const *dirs, size_t n, CheckResult *r) {
        char all[sizeof(r->detail)] = "";

        for (size_t i = 0; i < n; i++) {
                int k = try_create_in(dirs[i]);

                if (k >= 0)
                        return exposed(r, "created a file in %s", dirs[i]);
                snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s: %s",
                         i > 0 ? "; " : "", dirs[i], strerror(-k));
        }
        isolated(r, "%s", all);
}

void check_write_rootfs(const CheckContext *c, CheckResult *r) {
        check_unwritable((const char *[]) { "/" }, 1, r);
}

void check_write_usr(const CheckContext *c, CheckResult *r) {
        check_unwritable((const char *[]) { "/usr", "/usr/bin", "/usr/lib" }, 3, r);
}

void check_write_etc(const CheckContext *c, CheckResult *r) {
        check_unwritable((const char *[]) { "/etc", "/etc/systemd/system" }, 2, r);
}

void check_write_var(const CheckContext *c, CheckResult *r) {
        check_unwritable((const char *[]) { "/var", "/var/lib", "/var/log" }, 3, r);
}

/* A private directory shows none of the host's markers and nothing owned by anybody else. */
static void check_private_dir(const CheckContext *c, const char *dir, CheckResult *r) {
        char first[NAME_MAX + 1] = "";
        size_t l = strlen(dir);
        int n;

        for (char **m = c->host_markers; m && *m; m++) {
                struct stat st;

                if (strncmp(*m, dir, l) != 0 || (*m)[l] != '/')
                        continue;
                if (lstat(*m, &st) >= 0)
                        return exposed(r, "the host's %s is visible", *m);
        }

        n = list_dir(dir, geteuid(), first, sizeof(first));
        if (n == -ENOENT)
                return isolated(r, "%s does not exist", dir);
        if (n < 0)
                return isolated(r, "cannot list %s: %s", dir, strerror(-n));
        if (n > 0)
                return exposed(r, "%s shows %d entries of other users (e.g. %s)", dir, n, first);
        isolated(r, "%s shows no files of other users or the host", dir);
}

void check_private_tmp(const CheckContext *c, CheckResult *r) {
        check_private_dir(c, "/tmp", r);
}

void check_private_dev_shm(const CheckContext *c, CheckResult *r) {
        check_private_dir(c, "/dev/shm", r);
}

static int set_suid(void *userdata) {
        const char *dir = userdata;
        char tmpl[PATH_MAX];
        struct stat st;
        int fd, k = 0;

        if ((size_t) snprintf(tmpl, sizeof(tmpl), "%s/.sessiond-check-XXXXXX", dir) >= sizeof(tmpl))
                return -ENAMETOOLONG;
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        (void) unlink(tmpl);

        if (fchmod(fd, 04755) < 0 || fstat(fd, &st) < 0)
                k = -errno;
        else if (!(st.st_mode & S_ISUID))
                k = -EPERM;
        else if (fchmod(fd, 02755) < 0 || fstat(fd, &st) < 0)
                k = -errno;
        else if (!(st.st_mode & S_ISGID))
                k = -EPERM;
        safe_close(fd);
        return k;
}

void check_setuid_file(const CheckContext *c, CheckResult *r) {
        _cleanup_free_ char *dir = NULL;
        char buf[128];
        int k, error, sig;

        k = find_writable_dir(c, &dir);
        if (k < 0)
                return isolated(r, "found no writable directory to create a file in");

        k = probe_in_child(set_suid, dir, &error, &sig);
        if (k < 0)
                return unknown(r, "cannot fork: %s", strerror(-k));
        if (sig == 0 && error == 0)
                return exposed(r, "set the setuid and setgid bits on a new file in %s", dir);
        isolated(r, "chmod 04755/02755 in %s: %s", dir, probe_describe(error, sig, buf, sizeof(buf)));
}
