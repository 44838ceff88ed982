/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <sys/stat.h>

#include "macro.h"
#include "session-parse.h"
#include "session-render.h"
#include "sessionctl-verify.h"
#include "strv.h"

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* The drop-ins ("*.conf" in FILE.d/) next to FILE, sorted by name. */
static int dropins_next_to(const char *file, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *dir = NULL;
        struct dirent *de;
        int r;

        l = calloc(1, sizeof(char *));
        if (!l || asprintf(&dir, "%s.d", file) < 0)
                return -ENOMEM;
        d = opendir(dir);
        if (d)
                while ((de = readdir(d))) {
                        size_t n = strlen(de->d_name);
                        char *p;

                        if (de->d_name[0] == '.' || n <= 5 || !streq(de->d_name + n - 5, ".conf"))
                                continue;
                        if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                                return -ENOMEM;
                        r = strv_consume(&l, p);
                        if (r < 0)
                                return r;
                }
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

static int verify_one(const char *arg, SessionErrorList *errors) {
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_strv_free_ char **dropins = NULL, **search_path = NULL;
        struct stat st;
        int r;

        if (stat(arg, &st) >= 0 || strchr(arg, '/')) {
                r = dropins_next_to(arg, &dropins);
                if (r < 0)
                        return r;
                r = session_parse_file_full(arg, dropins, SESSION_PARSE_CHECK_REFERENCES, &s, errors);
        } else {
                r = session_search_path(&search_path);
                if (r < 0)
                        return r;
                r = session_load_full(arg, search_path, SESSION_PARSE_CHECK_REFERENCES, &s, errors);
                if (r == -ENOENT)
                        return session_error_list_add(errors, arg, 0, "No such file, and no session of that name");
                if (r == -ERFKILL)
                        return session_error_list_add(errors, arg, 0, "Session is masked");
        }
        if (r == -EBADMSG)
                return 0;
        if (r < 0)
                return r;

        /* What parses must also render. */
        r = session_render_assignments(s, NULL, NULL);
        if (r == -EOPNOTSUPP)
                return 0;       /* started by sessiond, not by units: nothing more to check here */
        if (r < 0)
                return session_error_list_add(errors, s->source_path, 0, "Cannot render units");
        return 0;
}

int verb_verify(int argc, char **argv) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        int r;

        if (argc < 2) {
                fprintf(stderr, "sessionctl verify: expected at least one FILE or NAME\n");
                return 2;
        }

        for (int i = 1; i < argc; i++) {
                r = verify_one(argv[i], &errors);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                        return 1;
                }
        }

        for (size_t i = 0; i < errors.n_errors; i++) {
                _cleanup_free_ char *m = NULL;

                if (session_error_format(errors.errors + i, &m) < 0)
                        return 1;
                fprintf(stderr, "%s\n", m);
        }
        return errors.n_errors > 0 ? 1 : 0;
}
