/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "egress-policy.h"
#include "egress-stub-config.h"
#include "fileio.h"
#include "parse-util.h"
#include "string-util.h"
#include "strv.h"

#define CONFIG_SUFFIX ".conf"
#define CONFIG_MAX (64 * 1024)
/* 127.128.0.0/9 holds 2^23 addresses; give up long before that. */
#define ATTEMPTS_MAX 4096U

static const char *startswith(const char *s, const char *prefix) {
        size_t n = strlen(prefix);

        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

void egress_stub_config_done(EgressStubConfig *c) {
        if (!c)
                return;
        strv_free(c->upstreams);
        for (size_t i = 0; i < c->n_hosts; i++)
                egress_host_done(&c->hosts[i]);
        free(c->hosts);
        *c = (EgressStubConfig) {};
}

void egress_stub_address_candidate(const char *session, unsigned attempt, uint8_t ret[static 4]) {
        uint32_t h;

        assert(session);

        h = string_hash32(session);
        /* Linear probing over 23 bits; the last byte stays within 1..254. */
        h = (h + attempt * 257U) & 0x7fffffU;
        ret[0] = 127;
        ret[1] = (uint8_t) (0x80 | (h >> 16));
        ret[2] = (uint8_t) (h >> 8);
        ret[3] = (uint8_t) (h & 0xff);
        if (ret[3] == 0)
                ret[3] = 1;
        else if (ret[3] == 255)
                ret[3] = 254;
}

static bool address_listed(uint8_t (*used)[4], size_t n_used, const uint8_t a[static 4]) {
        for (size_t i = 0; i < n_used; i++)
                if (memcmp(used[i], a, 4) == 0)
                        return true;
        return false;
}

int egress_stub_address_pick(int dir_fd, const char *session, uint8_t ret[static 4]) {
        _cleanup_free_ char *own = NULL;
        _cleanup_free_ uint8_t (*used)[4] = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        size_t n_used = 0, n_allocated = 0;
        uint8_t previous[4] = {};
        bool have_previous = false;
        struct dirent *de;
        int fd, r;

        assert(session);

        r = egress_stub_config_file(session, &own);
        if (r < 0)
                return r;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_(egress_stub_config_done) EgressStubConfig c = {};
                _cleanup_free_ char *text = NULL;
                _cleanup_close_ int file_fd = -EBADF;
                size_t n = strlen(de->d_name);
                char path[64];

                if (n <= strlen(CONFIG_SUFFIX) || !streq(de->d_name + n - strlen(CONFIG_SUFFIX), CONFIG_SUFFIX))
                        continue;
                /* read_full_file() takes a path: go through /proc/self/fd to stay below dir_fd. */
                file_fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (file_fd < 0)
                        continue;       /* gone meanwhile */
                snprintf(path, sizeof(path), "/proc/self/fd/%d", file_fd);
                r = read_full_file(path, CONFIG_MAX, &text, NULL);
                if (r < 0)
                        return r;
                if (egress_stub_config_parse(text, &c) < 0)
                        continue;       /* not ours to judge: it holds no address we could take */
                if (streq(de->d_name, own)) {
                        /* The session's own address (a policy update, or a stale file): keep it if
                         * nobody else took it, the session's resolv.conf may name it already. */
                        memcpy(previous, c.listen, 4);
                        have_previous = true;
                        continue;
                }
                if (n_used >= n_allocated) {
                        size_t k = n_allocated ? n_allocated * 2 : 16;
                        uint8_t (*u)[4] = reallocarray(used, k, sizeof(*used));

                        if (!u)
                                return -ENOMEM;
                        used = u;
                        n_allocated = k;
                }
                memcpy(used[n_used++], c.listen, 4);
        }

        if (have_previous && previous[1] >= 128 && !address_listed(used, n_used, previous)) {
                memcpy(ret, previous, 4);
                return 0;
        }
        for (unsigned i = 0; i < ATTEMPTS_MAX; i++) {
                uint8_t a[4];

                egress_stub_address_candidate(session, i, a);
                if (!address_listed(used, n_used, a)) {
                        memcpy(ret, a, 4);
                        return 0;
                }
        }
        return -EADDRNOTAVAIL;
}

int egress_stub_config_format(const EgressStubConfig *c, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        char a[INET_ADDRSTRLEN];
        size_t size;

        assert(c);
        assert(ret);

        if (!inet_ntop(AF_INET, c->listen, a, sizeof(a)))
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "listen %s\n", a);
        STRV_FOREACH(u, c->upstreams)
                fprintf(f, "upstream %s\n", *u);
        for (size_t i = 0; i < c->n_hosts; i++) {
                _cleanup_free_ char *h = NULL;
                int r;

                r = egress_host_to_string(&c->hosts[i], &h);
                if (r < 0)
                        return r;
                fprintf(f, "host %s\n", h);
        }
        if (fflush(f) != 0 || ferror(f))
                return -ENOMEM;
        f = (fclose(f), NULL);
        *ret = TAKE_PTR(buf);
        return 0;
}

int egress_stub_config_parse(const char *text, EgressStubConfig *ret) {
        _cleanup_(egress_stub_config_done) EgressStubConfig c = {};
        bool have_listen = false;
        const char *p = text;
        int r;

        assert(text);
        assert(ret);

        while (*p) {
                _cleanup_free_ char *line = NULL;
                size_t n = strcspn(p, "\n");
                const char *v;

                line = strndup(p, n);
                if (!line)
                        return -ENOMEM;
                p += n + (p[n] == '\n');
                if (isempty(line))
                        continue;

                if ((v = startswith(line, "listen "))) {
                        uint8_t a[16];
                        int family;

                        if (parse_ip_address(v, &family, a) < 0 || family != AF_INET || a[0] != 127)
                                return -EBADMSG;
                        memcpy(c.listen, a, 4);
                        have_listen = true;
                } else if ((v = startswith(line, "upstream "))) {
                        uint8_t a[16];
                        int family;

                        if (parse_ip_address(v, &family, a) < 0)
                                return -EBADMSG;
                        r = strv_extend(&c.upstreams, v);
                        if (r < 0)
                                return r;
                } else if ((v = startswith(line, "host "))) {
                        EgressHost h = {}, *a;

                        if (egress_host_from_string(v, &h) < 0)
                                return -EBADMSG;
                        a = reallocarray(c.hosts, c.n_hosts + 1, sizeof(EgressHost));
                        if (!a) {
                                egress_host_done(&h);
                                return -ENOMEM;
                        }
                        c.hosts = a;
                        c.hosts[c.n_hosts++] = h;
                } else
                        return -EBADMSG;
        }
        if (!have_listen || strv_length(c.upstreams) == 0)
                return -EINVAL;

        *ret = c;
        c = (EgressStubConfig) {};
        return 0;
}

int egress_stub_resolv_conf(const EgressStubConfig *c, char **ret) {
        char a[INET_ADDRSTRLEN];

        assert(c);
        assert(ret);

        if (!inet_ntop(AF_INET, c->listen, a, sizeof(a)))
                return -EINVAL;
        return asprintf(ret,
                        "# The DNS stub of this session (sessiond): it answers only the names its\n"
                        "# [Egress] AllowHost= allows.\n"
                        "nameserver %s\n", a) < 0 ? -ENOMEM : 0;
}

int egress_stub_nameservers_from_resolv_conf(const char *text, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = text;
        int r;

        assert(text);
        assert(ret);

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while (*p) {
                _cleanup_free_ char *line = NULL;
                size_t n = strcspn(p, "\n");
                const char *v;
                uint8_t a[16];
                int family;

                line = strndup(p, n);
                if (!line)
                        return -ENOMEM;
                p += n + (p[n] == '\n');
                v = startswith(line, "nameserver");
                if (!v || !strchr(" \t", *v))
                        continue;
                v += strspn(v, " \t");
                line[(v - line) + strcspn(v, " \t\r#;")] = 0;
                if (parse_ip_address(v, &family, a) < 0)
                        continue;       /* scoped IPv6 ("fe80::1%eth0") and the like: not usable */
                r = strv_extend(&l, v);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int egress_stub_config_file(const char *session, char **ret) {
        assert(ret);
        if (!session_name_is_valid(session))
                return -EINVAL;
        *ret = strjoin(session, CONFIG_SUFFIX);
        return *ret ? 0 : -ENOMEM;
}

int egress_stub_resolv_file(const char *session, char **ret) {
        assert(ret);
        if (!session_name_is_valid(session))
                return -EINVAL;
        *ret = strjoin(session, ".resolv");
        return *ret ? 0 : -ENOMEM;
}

int egress_stub_unit_name(const char *session, char **ret) {
        assert(ret);
        if (!session_name_is_valid(session))
                return -EINVAL;
        *ret = strjoin(EGRESS_STUB_UNIT_PREFIX, session, ".service");
        return *ret ? 0 : -ENOMEM;
}

int egress_policy_format(const EgressRule *rules, size_t n_rules, const EgressHost *hosts, size_t n_hosts,
                         char **dns, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size;
        int r;

        assert(rules || n_rules == 0);
        assert(hosts || n_hosts == 0);
        assert(ret);

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < n_rules; i++) {
                _cleanup_free_ char *t = NULL;

                r = egress_rule_to_string(&rules[i], &t);
                if (r < 0)
                        return r;
                fprintf(f, "allow %s\n", t);
        }
        for (size_t i = 0; i < n_hosts; i++) {
                _cleanup_free_ char *t = NULL;

                r = egress_host_to_string(&hosts[i], &t);
                if (r < 0)
                        return r;
                fprintf(f, "host %s\n", t);
        }
        STRV_FOREACH(d, dns)
                fprintf(f, "dns %s\n", *d);
        if (fflush(f) != 0 || ferror(f))
                return -ENOMEM;
        f = (fclose(f), NULL);
        *ret = TAKE_PTR(buf);
        return 0;
}

int egress_policy_file(const char *session, char **ret) {
        assert(ret);
        if (!session_name_is_valid(session))
                return -EINVAL;
        *ret = strjoin(session, ".policy");
        return *ret ? 0 : -ENOMEM;
}

int egress_policy_path(const char *session, char **ret) {
        _cleanup_free_ char *file = NULL;
        int r;

        assert(ret);
        r = egress_policy_file(session, &file);
        if (r < 0)
                return r;
        *ret = strjoin(EGRESS_STUB_DIR "/", file);
        return *ret ? 0 : -ENOMEM;
}
