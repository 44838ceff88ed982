/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Any text as an Allow= and as an AllowHost= value: what parses must print back to text that
 * parses to the same thing, and must render to nft set elements without error. */

#include <stdint.h>

#include "egress-policy.h"
#include "egress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL;
        EgressRule rule, rule2;
        EgressHost host = {}, host2 = {};

        if (size > 4096)
                return 0;
        s = strndup((const char *) data, size);
        if (!s)
                return 0;

        if (egress_rule_from_string(s, &rule) >= 0) {
                _cleanup_free_ char *t = NULL;
                char *e[2] = {};
                int n;

                if (egress_rule_to_string(&rule, &t) < 0 || egress_rule_from_string(t, &rule2) < 0 ||
                    memcmp(&rule, &rule2, sizeof(rule)) != 0)
                        abort();
                n = egress_rule_to_elements(&rule, e);
                if (n < 1 || n > 2)
                        abort();
                for (int i = 0; i < n; i++) {
                        /* Only address, '/', ' ', '.', ':', '-', digits and protocol names reach nft. */
                        if (strspn(e[i], "0123456789abcdefptcu.:/ -") != strlen(e[i]))
                                abort();
                        free(e[i]);
                }
        }

        if (egress_host_from_string(s, &host) >= 0) {
                _cleanup_free_ char *t = NULL;

                if (egress_host_to_string(&host, &t) < 0 || egress_host_from_string(t, &host2) < 0 ||
                    strcmp(host.name, host2.name) != 0 || host.port != host2.port || host.protocol != host2.protocol)
                        abort();
                if (!egress_host_pattern_is_valid(host.name))
                        abort();
                /* A pattern matches its own name (wildcards: one label below it), never the empty name. */
                if (strncmp(host.name, "*.", 2) == 0) {
                        _cleanup_free_ char *below = NULL;

                        if (strlen(host.name) < 252 && asprintf(&below, "a%s", host.name + 1) >= 0 &&
                            !egress_host_pattern_match(host.name, below))
                                abort();
                        if (egress_host_pattern_match(host.name, host.name + 2))
                                abort();
                } else if (!egress_host_pattern_match(host.name, host.name))
                        abort();
                if (egress_host_pattern_match(host.name, ""))
                        abort();
        }
        egress_host_done(&host);
        egress_host_done(&host2);

        /* And as a name to match against fixed patterns: never a crash. */
        (void) egress_host_pattern_match("*.example.org", s);
        (void) egress_host_pattern_match("example.org", s);
        return 0;
}
