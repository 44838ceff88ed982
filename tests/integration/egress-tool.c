/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Drives lib/egress and the DNS stub for the egress-*.sh integration cases, the way the daemon
 * will: nothing here but argument parsing and calls into the library.
 *
 *   egress-tool ensure | table-remove | list
 *   egress-tool add NAME [--stub ADDR:PORT] [ALLOW...]     ALLOW as in Allow=, e.g. "192.0.2.0/24 tcp:80"
 *   egress-tool update NAME [--stub ADDR:PORT] [--flush-resolved] [ALLOW...]
 *   egress-tool remove NAME
 *   egress-tool counters NAME                              prints "PACKETS BYTES"
 *   egress-tool bind NAME CGROUP                           binds a cgroup ("sessiond.slice/x.slice") in the verdict map
 *   egress-tool cgroup-set NAME                            prints the set name for NFTSet=
 *   egress-tool stub NAME LISTEN:PORT UPSTREAM:PORT [HOST...]   serves until SIGTERM; HOST as in AllowHost=
 *   egress-tool query SERVER:PORT NAME                     prints A records, exit 0; REFUSED: 2;
 *                                                          other rcode: 3; no answer in 2 s: 4
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

#include "dns-stub-server.h"
#include "egress-policy.h"
#include "egress.h"

static int parse_endpoint(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        _cleanup_free_ char *a = strdup(s);
        char *colon;
        unsigned long port;

        if (!a)
                return -ENOMEM;
        colon = strrchr(a, ':');
        if (!colon)
                return -EINVAL;
        *colon = 0;
        port = strtoul(colon + 1, NULL, 10);
        if (port == 0 || port > 65535)
                return -EINVAL;
        memset(ret, 0, sizeof(*ret));
        if (inet_pton(AF_INET, a, &((struct sockaddr_in *) ret)->sin_addr) == 1) {
                struct sockaddr_in *in = (struct sockaddr_in *) ret;
                in->sin_family = AF_INET;
                in->sin_port = htons((uint16_t) port);
                *ret_len = sizeof(*in);
                return 0;
        }
        if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *) ret)->sin6_addr) == 1) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ret;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t) port);
                *ret_len = sizeof(*in6);
                return 0;
        }
        return -EINVAL;
}

static int parse_stub(const char *s, EgressStub *ret) {
        struct sockaddr_storage ss;
        socklen_t len;
        int r;

        r = parse_endpoint(s, &ss, &len);
        if (r < 0)
                return r;
        *ret = (EgressStub) { .family = ss.ss_family };
        if (ss.ss_family == AF_INET) {
                memcpy(ret->address, &((struct sockaddr_in *) &ss)->sin_addr, 4);
                ret->port = ntohs(((struct sockaddr_in *) &ss)->sin_port);
        } else {
                memcpy(ret->address, &((struct sockaddr_in6 *) &ss)->sin6_addr, 16);
                ret->port = ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
        }
        return 0;
}

static int do_add_update(EgressContext *ctx, bool update, int argc, char *argv[]) {
        _cleanup_free_ EgressRule *rules = NULL;
        EgressStub stub = {};
        bool flush = false;
        size_t n = 0;
        int r;

        rules = calloc(argc + 1, sizeof(EgressRule));
        if (!rules)
                return -ENOMEM;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--stub") && i + 1 < argc) {
                        r = parse_stub(argv[++i], &stub);
                        if (r < 0) {
                                fprintf(stderr, "bad stub address: %s\n", argv[i]);
                                return r;
                        }
                } else if (streq(argv[i], "--flush-resolved"))
                        flush = true;
                else {
                        r = egress_rule_from_string(argv[i], &rules[n]);
                        if (r < 0) {
                                fprintf(stderr, "bad Allow= value: %s\n", argv[i]);
                                return r;
                        }
                        n++;
                }
        }
        if (update)
                return egress_session_update(ctx, argv[0], rules, n, &stub, flush);
        return egress_session_add(ctx, argv[0], rules, n, &stub);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int do_stub(EgressContext *ctx, int argc, char *argv[]) {
        _cleanup_(dns_stub_server_freep) DnsStubServer *server = NULL;
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_free_ EgressHost *hosts = NULL;
        struct sockaddr_storage listen_addr, upstream;
        socklen_t listen_len, upstream_len;
        const DnsStubCounters *c;
        size_t n = 0;
        int r;

        if (argc < 3)
                return -EINVAL;
        r = parse_endpoint(argv[1], &listen_addr, &listen_len);
        if (r < 0)
                return r;
        r = parse_endpoint(argv[2], &upstream, &upstream_len);
        if (r < 0)
                return r;
        hosts = calloc(argc, sizeof(EgressHost));
        if (!hosts)
                return -ENOMEM;
        for (int i = 3; i < argc; i++) {
                r = egress_host_from_string(argv[i], &hosts[n]);
                if (r < 0) {
                        fprintf(stderr, "bad AllowHost= value: %s\n", argv[i]);
                        return r;
                }
                n++;
        }

        r = sd_event_default(&e);
        if (r < 0)
                return r;
        r = sd_event_add_signal(e, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_signal, NULL);
        if (r < 0)
                return r;
        r = dns_stub_server_new(e, ctx, argv[0], (struct sockaddr *) &listen_addr, listen_len,
                                (struct sockaddr *) &upstream, upstream_len, hosts, n, &server);
        for (size_t i = 0; i < n; i++)
                egress_host_done(&hosts[i]);
        if (r < 0)
                return r;

        printf("stub for %s listening on %s\n", argv[0], argv[1]);
        fflush(stdout);
        r = sd_event_loop(e);
        c = dns_stub_server_counters(server);
        printf("queries=%" PRIu64 " refused=%" PRIu64 " forwarded=%" PRIu64 " answered=%" PRIu64
               " addresses=%" PRIu64 " errors=%" PRIu64 "\n",
               c->queries, c->refused, c->forwarded, c->answered, c->addresses, c->errors);
        return r;
}

static int do_query(int argc, char *argv[]) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_storage server;
        socklen_t server_len;
        uint8_t q[512], buf[4096];
        DnsAddress a[DNS_ADDRESSES_MAX];
        DnsQuestion question;
        const char *name;
        size_t n = 12;
        int r, rcode;

        if (argc != 2)
                return -EINVAL;
        r = parse_endpoint(argv[0], &server, &server_len);
        if (r < 0)
                return r;

        srand((unsigned) time(NULL) ^ (unsigned) getpid());
        memcpy(q, "\x00\x00\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
        q[0] = (uint8_t) rand();
        q[1] = (uint8_t) rand();
        for (name = argv[1]; *name;) {
                size_t l = strcspn(name, ".");
                if (l == 0 || l > 63 || n + l + 6 > sizeof(q))
                        return -EINVAL;
                q[n++] = (uint8_t) l;
                memcpy(q + n, name, l);
                n += l;
                name += l + (name[l] == '.');
        }
        memcpy(q + n, "\x00\x00\x01\x00\x01", 5);
        n += 5;
        r = dns_query_parse(q, n, &question);
        if (r < 0)
                return r;

        fd = socket(server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &server, server_len) < 0 || send(fd, q, n, 0) < 0)
                return negative_errno();
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;

                r = poll(&p, 1, 2000);
                if (r == 0) {
                        fprintf(stderr, "no answer\n");
                        return 4;
                }
                k = recv(fd, buf, sizeof(buf), 0);
                if (k < 0) {
                        fprintf(stderr, "recv: %m\n");
                        return 4;
                }
                r = dns_response_addresses(buf, (size_t) k, &question, a, &rcode);
                if (r == -ESRCH)
                        continue;
                if (r < 0)
                        return r;
                break;
        }
        if (rcode == DNS_RCODE_REFUSED) {
                printf("REFUSED\n");
                return 2;
        }
        if (rcode != DNS_RCODE_NOERROR) {
                printf("rcode %d\n", rcode);
                return 3;
        }
        for (int i = 0; i < r; i++) {
                char s[INET6_ADDRSTRLEN];
                printf("%s %u\n", inet_ntop(a[i].family, a[i].address, s, sizeof(s)), a[i].ttl);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        const char *verb;
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: egress-tool VERB ...\n");
                return EXIT_FAILURE;
        }
        verb = argv[1];
        argc -= 2;
        argv += 2;

        if (streq(verb, "query")) {
                r = do_query(argc, argv);
                if (r < 0)
                        fprintf(stderr, "query failed: %s\n", strerror(-r));
                return r < 0 ? EXIT_FAILURE : r;
        }
        if (streq(verb, "cgroup-set") && argc == 1) {
                _cleanup_free_ char *s = NULL;
                r = egress_cgroup_set_name(argv[0], &s);
                if (r >= 0)
                        puts(s);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        r = egress_ctx_new(&ctx);
        if (r < 0)
                return EXIT_FAILURE;

        if (streq(verb, "ensure") && argc == 0)
                r = egress_table_ensure(ctx);
        else if (streq(verb, "table-remove") && argc == 0)
                r = egress_table_remove(ctx);
        else if (streq(verb, "list") && argc == 0) {
                _cleanup_strv_free_ char **l = NULL;
                r = egress_list_sessions(ctx, &l);
                for (char **i = l; r >= 0 && *i; i++)
                        puts(*i);
        } else if (streq(verb, "add") && argc >= 1)
                r = do_add_update(ctx, false, argc, argv);
        else if (streq(verb, "update") && argc >= 1)
                r = do_add_update(ctx, true, argc, argv);
        else if (streq(verb, "remove") && argc == 1)
                r = egress_session_remove(ctx, argv[0]);
        else if (streq(verb, "bind") && argc == 2)
                r = egress_session_bind_cgroup(ctx, argv[0], argv[1]);
        else if (streq(verb, "counters") && argc == 1) {
                uint64_t p, b;
                r = egress_session_counters(ctx, argv[0], &p, &b);
                if (r >= 0)
                        printf("%" PRIu64 " %" PRIu64 "\n", p, b);
        } else if (streq(verb, "stub"))
                r = do_stub(ctx, argc, argv);
        else {
                fprintf(stderr, "unknown verb or wrong arguments: %s\n", verb);
                return EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, "%s failed: %s\n%s", verb, strerror(-r), egress_last_error(ctx));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
