/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <sys/stat.h>

#include "session-parse.h"
#include "strv.h"

int session_search_path(char ***ret) {
        const char *e;

        e = getenv("SESSIOND_UNIT_PATH");
        return strv_split_colon(isempty(e) ? SESSIOND_SEARCH_PATH : e, ret);
}

static bool is_masked(const char *path) {
        _cleanup_free_ char *target = NULL;

        target = realpath(path, NULL);
        return target && streq(target, "/dev/null");
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Lists the entries of 'dir' ending in 'suffix' (regular files or symlinks), without the suffix
 * if strip is set. A missing directory is not an error. */
static int list_dir(const char *dir, const char *suffix, bool strip, char ***names) {
        _cleanup_(closedirp) DIR *d = NULL;
        size_t sl = strlen(suffix);
        struct dirent *de;

        d = opendir(dir);
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

        while ((errno = 0, de = readdir(d))) {
                size_t n = strlen(de->d_name);
                int r;

                if (de->d_name[0] == '.' || n <= sl || !streq(de->d_name + n - sl, suffix))
                        continue;
                if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
                        continue;
                if (strv_contains(*names, de->d_name))
                        continue;
                r = strv_consume(names, strip ? strndup(de->d_name, n - sl) : strdup(de->d_name));
                if (r < 0)
                        return r;
        }
        if (errno > 0)
                return -errno;
        return 0;
}

int session_enumerate(char **search_path, char ***ret_names) {
        _cleanup_strv_free_ char **all = NULL, **result = NULL;
        int r;

        all = calloc(1, sizeof(char *));
        result = calloc(1, sizeof(char *));
        if (!all || !result)
                return -ENOMEM;

        STRV_FOREACH(dir, search_path) {
                _cleanup_strv_free_ char **here = calloc(1, sizeof(char *));

                if (!here)
                        return -ENOMEM;
                r = list_dir(*dir, ".session", false, &here);
                if (r < 0)
                        return r;
                STRV_FOREACH(f, here) {
                        _cleanup_free_ char *path = NULL;
                        size_t n = strlen(*f) - strlen(".session");

                        if (strv_contains(all, *f))
                                continue;       /* an earlier directory has it */
                        r = strv_extend(&all, *f);
                        if (r < 0)
                                return r;
                        if (asprintf(&path, "%s/%s", *dir, *f) < 0)
                                return -ENOMEM;
                        if (is_masked(path))
                                continue;
                        r = strv_consume(&result, strndup(*f, n));
                        if (r < 0)
                                return r;
                }
        }

        qsort(result, strv_length(result), sizeof(char *), cmp_str);
        *ret_names = TAKE_PTR(result);
        return 0;
}

int session_find(const char *name, char **search_path, char **ret_path, char ***ret_dropins) {
        _cleanup_strv_free_ char **names = NULL, **dropins = NULL;
        _cleanup_free_ char *main_path = NULL;
        int r;

        STRV_FOREACH(dir, search_path) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s.session", *dir, name) < 0)
                        return -ENOMEM;
                if (access(p, F_OK) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                if (is_masked(p))
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
                if (asprintf(&d, "%s/%s.session.d", *dir, name) < 0)
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
                        if (asprintf(&p, "%s/%s", d, *f) < 0)
                                return -ENOMEM;
                        if (is_masked(p))
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
