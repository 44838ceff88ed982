/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (!l)
                return 0;
        while (l[n])
                n++;
        return n;
}

int strv_consume(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -ENOMEM;
        c = reallocarray(*l, n + 2, sizeof(char *));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        return strv_consume(l, strdup(value));
}

int strv_extend_strv(char ***l, char * const *other) {
        STRV_FOREACH(i, other) {
                int r = strv_extend(l, *i);
                if (r < 0)
                        return r;
        }
        return 0;
}

char **strv_copy(char * const *l) {
        _cleanup_strv_free_ char **c = NULL;

        c = calloc(1, sizeof(char *));
        if (!c)
                return NULL;
        if (strv_extend_strv(&c, l) < 0)
                return NULL;
        return TAKE_PTR(c);
}

bool strv_contains(char * const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_split_colon(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = s;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (;;) {
                const char *e = strchrnul(p, ':');
                int r;

                if (e > p) {
                        r = strv_consume(&l, strndup(p, (size_t) (e - p)));
                        if (r < 0)
                                return r;
                }
                if (!*e)
                        break;
                p = e + 1;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
