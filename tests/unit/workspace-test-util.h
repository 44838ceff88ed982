/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the workspace tests: a private mount namespace with a tmpfs scratch directory,
 * small file writers, and a digest of a whole tree (names, types, modes, owners, devices,
 * contents) to prove that a tree is exactly what it was. */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "macro.h"
#include "tests.h"

/* Exits 77 (skip) when not root; otherwise enters a private mount namespace and returns a fresh
 * tmpfs directory that vanishes with the process. */
static inline const char *test_enter_scratch(void) {
        static char dir[] = "/tmp/sessiond-test-XXXXXX";

        if (geteuid() != 0) {
                fprintf(stderr, "not root: skipping\n");
                exit(77);
        }
        ASSERT_TRUE(unshare(CLONE_NEWNS) == 0);
        /* In a chroot "/" is no mount point (EINVAL); the build harness runs us in a private
         * namespace already there. */
        ASSERT_TRUE(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 || errno == EINVAL);
        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_TRUE(mount("tmpfs", dir, "tmpfs", 0, "mode=0755") == 0);
        return dir;
}

static inline void test_write(const char *path, const char *content) {
        FILE *f = fopen(path, "we");
        ASSERT_TRUE(f);
        ASSERT_TRUE(fputs(content, f) >= 0);
        ASSERT_TRUE(fclose(f) == 0);
}

static inline char *test_read(const char *path) {
        static char buf[4096];
        FILE *f = fopen(path, "re");
        size_t n;

        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}

static inline char *test_path(const char *a, const char *b) {
        char *s;
        ASSERT_TRUE(asprintf(&s, "%s/%s", a, b) > 0);
        return s;
}

static inline uint64_t fnv(uint64_t h, const void *p, size_t n) {
        const unsigned char *c = p;
        for (size_t i = 0; i < n; i++) {
                h ^= c[i];
                h *= 1099511628211ULL;
        }
        return h;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Order-independent of readdir(): entries are visited sorted by name. */
static inline uint64_t test_tree_digest_at(int dfd, uint64_t h) {
        DIR *d;
        char **names = NULL;
        size_t n = 0;
        int fd = dup(dfd);

        ASSERT_TRUE(fd >= 0);
        d = fdopendir(fd);
        ASSERT_TRUE(d);
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                names = realloc(names, sizeof(char *) * (n + 1));
                ASSERT_TRUE(names);
                names[n++] = strdup(de->d_name);
        }
        closedir(d);
        if (n)
                qsort(names, n, sizeof(char *), name_cmp);
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                uint64_t meta[5];

                ASSERT_TRUE(fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0);
                h = fnv(h, names[i], strlen(names[i]) + 1);
                meta[0] = st.st_mode;
                meta[1] = st.st_uid;
                meta[2] = st.st_gid;
                meta[3] = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? st.st_rdev : 0;
                meta[4] = S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0;
                h = fnv(h, meta, sizeof(meta));
                if (S_ISREG(st.st_mode)) {
                        char buf[65536];
                        ssize_t k;
                        int f = openat(dfd, names[i], O_RDONLY | O_CLOEXEC);

                        ASSERT_TRUE(f >= 0);
                        while ((k = read(f, buf, sizeof(buf))) > 0)
                                h = fnv(h, buf, k);
                        close(f);
                } else if (S_ISDIR(st.st_mode)) {
                        int sub = openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                        ASSERT_TRUE(sub >= 0);
                        h = test_tree_digest_at(sub, h);
                        close(sub);
                } else if (S_ISLNK(st.st_mode)) {
                        char t[4096];
                        ssize_t k = readlinkat(dfd, names[i], t, sizeof(t));

                        ASSERT_TRUE(k >= 0);
                        h = fnv(h, t, k);
                }
                free(names[i]);
        }
        free(names);
        return h;
}

static inline uint64_t test_tree_digest(const char *path) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint64_t h;

        ASSERT_TRUE(fd >= 0);
        h = test_tree_digest_at(fd, 1469598103934665603ULL);
        close(fd);
        return h;
}

static inline bool test_exists(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0;
}
