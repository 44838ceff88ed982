/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* How long a policy change on one session takes with N sessions loaded (default 1,000), against the
 * same with one session loaded: an incremental set update should not grow with N. Also the time to
 * load the N sessions, to add one more and to remove one. Runs in a private network namespace.
 *
 *   bench-egress [N [UPDATES]]
 */

#include <arpa/inet.h>
#include <sched.h>
#include <time.h>

#include "egress.h"

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static EgressRule rule(unsigned i, unsigned j) {
        EgressRule r = { .family = AF_INET, .prefixlen = 24, .protocol = j % 2 ? IPPROTO_TCP : 0,
                         .port = j % 2 ? 443 : 0 };

        r.address[0] = 10;
        r.address[1] = (uint8_t) (i >> 8);
        r.address[2] = (uint8_t) i;
        r.address[3] = (uint8_t) j;
        r.prefixlen = 32;
        return r;
}

/* Median and 95th percentile of n update times of session "s0". */
static int updates(EgressContext *ctx, unsigned n, uint64_t *ret_median, uint64_t *ret_p95) {
        uint64_t *t = calloc(n, sizeof(uint64_t));
        int r = 0;

        if (!t)
                return -ENOMEM;
        for (unsigned k = 0; k < n; k++) {
                EgressRule rules[4];
                uint64_t a;

                for (unsigned j = 0; j < 4; j++)
                        rules[j] = rule(60000 + k, j);
                a = now_usec();
                r = egress_session_update(ctx, "s0", rules, 4, NULL, false);
                t[k] = now_usec() - a;
                if (r < 0)
                        break;
        }
        qsort(t, n, sizeof(uint64_t), cmp_u64);
        *ret_median = t[n / 2];
        *ret_p95 = t[n * 95 / 100];
        free(t);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n = argc > 1 ? (unsigned) atoi(argv[1]) : 1000, n_updates = argc > 2 ? (unsigned) atoi(argv[2]) : 100;
        _cleanup_(egress_ctx_freep) EgressContext *ctx = NULL;
        uint64_t med1, p951, medn, p95n, t0, t_load, t_add, t_remove;
        char name[32];
        int r;

        if (n < 1 || n_updates < 1)
                return EXIT_FAILURE;
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNET): %m\n");
                return 77;
        }
        r = egress_ctx_new(&ctx);
        if (r < 0)
                return EXIT_FAILURE;
        r = egress_table_ensure(ctx);
        if (r < 0)
                goto fail;

        /* One session loaded */
        EgressRule first[4];
        for (unsigned j = 0; j < 4; j++)
                first[j] = rule(0, j);
        r = egress_session_add(ctx, "s0", first, 4, NULL);
        if (r < 0)
                goto fail;
        r = updates(ctx, n_updates, &med1, &p951);
        if (r < 0)
                goto fail;

        /* N sessions loaded */
        t0 = now_usec();
        for (unsigned i = 1; i < n; i++) {
                EgressRule rules[4];

                for (unsigned j = 0; j < 4; j++)
                        rules[j] = rule(i, j);
                snprintf(name, sizeof(name), "s%u", i);
                r = egress_session_add(ctx, name, rules, 4, NULL);
                if (r < 0)
                        goto fail;
        }
        t_load = now_usec() - t0;
        r = updates(ctx, n_updates, &medn, &p95n);
        if (r < 0)
                goto fail;

        t0 = now_usec();
        r = egress_session_add(ctx, "extra", first, 4, NULL);
        t_add = now_usec() - t0;
        if (r < 0)
                goto fail;
        t0 = now_usec();
        r = egress_session_remove(ctx, "extra");
        t_remove = now_usec() - t0;
        if (r < 0)
                goto fail;

        printf("sessions loaded:                 %u (4 Allow= each)\n", n);
        printf("load %u sessions:               %.2f s (%.2f ms per session)\n", n, t_load / 1e6,
               t_load / 1e3 / (n > 1 ? n - 1 : 1));
        printf("update one session, 1 loaded:    median %.2f ms, p95 %.2f ms (%u updates)\n", med1 / 1e3,
               p951 / 1e3, n_updates);
        printf("update one session, %u loaded: median %.2f ms, p95 %.2f ms (%u updates)\n", n, medn / 1e3,
               p95n / 1e3, n_updates);
        printf("ratio (median, %u vs 1):        %.2f\n", n, (double) medn / (double) med1);
        printf("add one session with %u loaded: %.2f ms\n", n, t_add / 1e3);
        printf("remove one session with %u loaded: %.2f ms\n", n, t_remove / 1e3);
        return EXIT_SUCCESS;

fail:
        fprintf(stderr, "failed: %s\n%s", strerror(-r), egress_last_error(ctx));
        return EXIT_FAILURE;
}
