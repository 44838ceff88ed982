/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>

#include "string-util.h"

char *strjoin_real(const char *first, ...) {
        size_t len = 0;
        const char *s;
        char *r, *p;
        va_list ap;

        va_start(ap, first);
        for (s = first; s; s = va_arg(ap, const char *))
                len += strlen(s);
        va_end(ap);

        r = malloc(len + 1);
        if (!r)
                return NULL;
        p = r;
        va_start(ap, first);
        for (s = first; s; s = va_arg(ap, const char *))
                p = stpcpy(p, s);
        va_end(ap);
        *p = 0;
        return r;
}

char *u64_to_string(uint64_t v, char buf[static 21]) {
        char tmp[21], *p = tmp + sizeof(tmp) - 1;

        *p = 0;
        do {
                *--p = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        return memcpy(buf, p, (size_t) (tmp + sizeof(tmp) - p));
}

uint32_t string_hash32(const char *s) {
        uint32_t h = 2166136261U;

        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * 16777619U;
        return h;
}
