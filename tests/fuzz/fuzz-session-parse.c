/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: any bytes through the parser, and whatever parses through the renderer. */

#include <stddef.h>
#include <stdint.h>

#include "session-parse.h"
#include "session-render.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_free_ char *slice = NULL, *service = NULL;
        _cleanup_strv_free_ char **wanted = NULL, **required = NULL;

        if (size > 64 * 1024)
                return 0;

        if (session_parse_buffer("fuzz", "<fuzz>", (const char *) data, size, &s, &errors) < 0) {
                for (size_t i = 0; i < errors.n_errors; i++) {
                        _cleanup_free_ char *m = NULL;

                        if (session_error_format(errors.errors + i, &m) < 0)
                                abort();
                }
                return 0;
        }
        if (errors.n_errors > 0)
                abort();        /* a Session is returned only without errors */

        (void) session_render_unit_files(s, &slice, &service);
        (void) session_install_targets(s, &wanted, &required);
        return 0;
}
