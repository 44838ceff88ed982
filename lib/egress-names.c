/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The names of a session's nftables objects. Apart from lib/egress.c so that programs that only
 * need the names (sessiond-generator renders NFTSet=) do not link libnftables. */

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "egress.h"
#include "macro.h"
#include "session.h"
#include "string-util.h"

static bool session_name_ok(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > SESSION_NAME_MAX || s[0] == '.' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_.-", *p)))
                        return false;
        return true;
}

int egress_session_object_name(const char *session, const char *suffix, char **ret) {
        char *buf, *q;

        assert(ret);

        if (!session_name_ok(session))
                return -EINVAL;

        /* "s_" + at most 2 chars per input char + "_" + suffix */
        buf = malloc(2 + 2 * strlen(session) + 1 + strlen(strempty(suffix)) + 1);
        if (!buf)
                return -ENOMEM;
        q = stpcpy(buf, "s_");
        for (const char *p = session; *p; p++)
                switch (*p) {
                case '_':
                        q = stpcpy(q, "__");
                        break;
                case '-':
                        q = stpcpy(q, "_m");
                        break;
                case '.':
                        q = stpcpy(q, "_d");
                        break;
                default:
                        *q++ = *p;
                }
        *q = 0;
        if (!isempty(suffix)) {
                q = stpcpy(q, "_");
                strcpy(q, suffix);
        }
        *ret = buf;
        return 0;
}

/* systemd's NFTSet= takes set names of at most 31 characters (nft_identifier_valid()): a long
 * session name gets "c_" + its hash instead, which no other object's name starts with. */
int egress_cgroup_set_name(const char *session, char **ret) {
        _cleanup_free_ char *name = NULL;
        char buf[sizeof("c_12345678_cg")];
        int r;

        assert(ret);

        r = egress_session_object_name(session, "cg", &name);
        if (r < 0)
                return r;
        if (strlen(name) > EGRESS_SYSTEMD_SET_NAME_MAX) {
                snprintf(buf, sizeof(buf), "c_%08x_cg", string_hash32(session));
                free(name);
                name = strdup(buf);
                if (!name)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(name);
        return 0;
}

int egress_session_from_chain(const char *chain, char **ret) {
        _cleanup_free_ char *buf = NULL;
        char *q;

        assert(chain);
        assert(ret);

        if (strncmp(chain, "s_", 2) != 0)
                return -EINVAL;
        buf = malloc(strlen(chain));
        if (!buf)
                return -ENOMEM;
        q = buf;
        for (const char *p = chain + 2; *p; p++) {
                if (*p != '_') {
                        *q++ = *p;
                        continue;
                }
                p++;
                switch (*p) {
                case '_':
                        *q++ = '_';
                        break;
                case 'm':
                        *q++ = '-';
                        break;
                case 'd':
                        *q++ = '.';
                        break;
                default:        /* "s_N_suffix" or a stray '_': not a session chain name */
                        return -EINVAL;
                }
        }
        *q = 0;
        if (!session_name_ok(buf))
                return -EINVAL;
        *ret = TAKE_PTR(buf);
        return 0;
}
