/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <sys/stat.h>

#include "session-parse.h"
#include "string-util.h"
#include "strv.h"

int session_search_path(char ***ret) {
        const char *e;

        e = getenv("SESSIOND_UNIT_PATH");
        return strv_split_colon(isempty(e) ? SESSIOND_SEARCH_PATH : e, ret);
}

/* A symlink that resolves to /dev/null masks; everything else is cheap to rule out. */
static bool is_masked(const char *path, bool maybe_link) {
        _cleanup_free_ char *target = NULL;
        struct stat st;

        if (!maybe_link)
                return false;
        if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
                return false;
        target = realpath(path, NULL);
        return target && streq(target, "/dev/null");
}

/* Lists the entries of 'dir' ending in 'suffix' (regular files or symlinks), without the suffix
 * if strip is set. A missing directory is not an error. */
static int list_dir(const char *dir, const char *suffix, bool strip, char ***names) {
        _cleanup_(closedirp) DIR *d = NULL;
        size_t sl = strlen(suffix), n = strv_length(*names), allocated = n + 1;
        struct dirent *de;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

        /* Grows geometrically: strv_consume() would walk the whole list for every name. */
        while ((errno = 0, de = readdir(d))) {
                size_t len = strlen(de->d_name);
                char *name;

                if (de->d_name[0] == '.' || len <= sl || !streq(de->d_name + len - sl, suffix))
                        continue;
                if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
                        continue;
                if (n + 2 > allocated) {
                        size_t want = allocated < 32 ? 64 : allocated * 2;
                        char **l = reallocarray(*names, want, sizeof(char *));

                        if (!l)
                                return -ENOMEM;
                        *names = l;
                        allocated = want;
                }
                name = strip ? strndup(de->d_name, len - sl) : strdup(de->d_name);
                if (!name)
                        return -ENOMEM;
                (*names)[n++] = name;
                (*names)[n] = NULL;
        }
        if (errno > 0)
                return -errno;
        return 0;
}

typedef struct Entry {
        char *file;             /* NAME.session */
        size_t dir;             /* index in the search path */
} Entry;

static int cmp_entry(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        int c = strcmp(x->file, y->file);

        if (c != 0)
                return c;
        return x->dir < y->dir ? -1 : x->dir > y->dir;
}

int session_enumerate(char **search_path, char ***ret_names) {
        _cleanup_strv_free_ char **result = NULL;
        Entry *entries = NULL;
        size_t n = 0, allocated = 0, k = 0, d = 0;
        int r = 0;

        /* All NAME.session of all directories, sorted by name and directory: the first of each
         * name wins. O(n log n), whatever the number of files. */
        STRV_FOREACH(dir, search_path) {
                _cleanup_strv_free_ char **here = calloc(1, sizeof(char *));

                if (!here) {
                        r = -ENOMEM;
                        goto finish;
                }
                r = list_dir(*dir, ".session", false, &here);
                if (r < 0)
                        goto finish;
                STRV_FOREACH(f, here) {
                        if (n >= allocated) {
                                size_t want = allocated ? allocated * 2 : 64;
                                Entry *e = reallocarray(entries, want, sizeof(Entry));

                                if (!e) {
                                        r = -ENOMEM;
                                        goto finish;
                                }
                                entries = e;
                                allocated = want;
                        }
                        entries[n++] = (Entry) { .file = TAKE_PTR(*(char **) f), .dir = d };
                }
                d++;
        }
        qsort(entries, n, sizeof(Entry), cmp_entry);

        result = calloc(k + n + 1, sizeof(char *));
        if (!result) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                size_t len = strlen(entries[i].file) - strlen(".session");

                if (i > 0 && streq(entries[i].file, entries[i - 1].file))
                        continue;       /* an earlier directory has it */
                path = strjoin(search_path[entries[i].dir], "/", entries[i].file);
                if (!path) {
                        r = -ENOMEM;
                        goto finish;
                }
                if (is_masked(path, true))
                        continue;
                result[k] = strndup(entries[i].file, len);
                if (!result[k++]) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        *ret_names = TAKE_PTR(result);
        r = 0;
finish:
        for (size_t i = 0; i < n; i++)
                free(entries[i].file);
        free(entries);
        return r;
}

int session_find(const char *name, char **search_path, char **ret_path, char ***ret_dropins) {
        _cleanup_strv_free_ char **names = NULL, **dropins = NULL;
        _cleanup_free_ char *main_path = NULL;
        int r;

        STRV_FOREACH(dir, search_path) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                p = strjoin(*dir, "/", name, ".session");
                if (!p)
                        return -ENOMEM;
                if (lstat(p, &st) < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return -errno;
                }
                if (is_masked(p, S_ISLNK(st.st_mode)))
                        return -ERFKILL;
                main_path = TAKE_PTR(p);
                break;
        }
        if (!main_path)
                return -ENOENT;

        /* Drop-ins from all directories; the first directory to have a file name wins. */
        names = calloc(1, sizeof(char *));
        dropins = calloc(1, sizeof(char *));
        if (!names || !dropins)
                return -ENOMEM;
        STRV_FOREACH(dir, search_path) {
                _cleanup_strv_free_ char **here = calloc(1, sizeof(char *));
                _cleanup_free_ char *d = NULL;

                if (!here)
                        return -ENOMEM;
                d = strjoin(*dir, "/", name, ".session.d");
                if (!d)
                        return -ENOMEM;
                r = list_dir(d, ".conf", false, &here);
                if (r < 0)
                        return r;
                STRV_FOREACH(f, here) {
                        _cleanup_free_ char *p = NULL;

                        if (strv_contains(names, *f))
                                continue;
                        r = strv_extend(&names, *f);
                        if (r < 0)
                                return r;
                        p = strjoin(d, "/", *f);
                        if (!p)
                                return -ENOMEM;
                        if (is_masked(p, true))
                                continue;
                        r = strv_consume(&dropins, TAKE_PTR(p));
                        if (r < 0)
                                return r;
                }
        }

        /* Applied in file-name order, whichever directory they came from. */
        {
                size_t n = strv_length(dropins);

                for (size_t i = 1; i < n; i++)
                        for (size_t j = i; j > 0; j--) {
                                const char *a = strrchr(dropins[j - 1], '/') + 1;
                                const char *b = strrchr(dropins[j], '/') + 1;
                                char *t;

                                if (strcmp(a, b) <= 0)
                                        break;
                                t = dropins[j - 1];
                                dropins[j - 1] = dropins[j];
                                dropins[j] = t;
                        }
        }

        *ret_path = TAKE_PTR(main_path);
        *ret_dropins = TAKE_PTR(dropins);
        return 0;
}

int session_load_full(const char *name, char **search_path, SessionParseFlags flags, Session **ret,
                      SessionErrorList *errors) {
        _cleanup_strv_free_ char **dropins = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = session_find(name, search_path, &path, &dropins);
        if (r < 0)
                return r;
        return session_parse_file_full(path, dropins, flags, ret, errors);
}

int session_load(const char *name, char **search_path, Session **ret, SessionErrorList *errors) {
        return session_load_full(name, search_path, 0, ret, errors);
}
