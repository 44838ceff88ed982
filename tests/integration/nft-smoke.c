/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Creates and deletes an nftables table through libnftables, and checks that the kernel listed it
 * in between. Proves the VM's kernel, libnftables and our linkage work before egress relies on them. */

#include <nftables/libnftables.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ctx *, nft_ctx_free);

static int run(struct nft_ctx *ctx, const char *cmd) {
        if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
                fprintf(stderr, "nft '%s' failed: %s\n", cmd, nft_ctx_get_error_buffer(ctx));
                return -EIO;
        }
        return 0;
}

int main(void) {
        _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = NULL;
        const char *out;

        ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return EXIT_FAILURE;
        if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
                return EXIT_FAILURE;

        if (run(ctx, "add table inet sessiond_smoke") < 0 ||
            run(ctx, "add chain inet sessiond_smoke out { type filter hook output priority 0; }") < 0 ||
            run(ctx, "list tables") < 0)
                return EXIT_FAILURE;

        out = nft_ctx_get_output_buffer(ctx);
        if (!strstr(out, "table inet sessiond_smoke")) {
                fprintf(stderr, "table missing from listing:\n%s\n", out);
                return EXIT_FAILURE;
        }

        if (run(ctx, "delete table inet sessiond_smoke") < 0 || run(ctx, "list tables") < 0)
                return EXIT_FAILURE;
        out = nft_ctx_get_output_buffer(ctx);
        if (strstr(out, "sessiond_smoke")) {
                fprintf(stderr, "table still listed after delete:\n%s\n", out);
                return EXIT_FAILURE;
        }

        printf("created, listed and deleted table inet sessiond_smoke\n");
        return EXIT_SUCCESS;
}
