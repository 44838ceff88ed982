/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The values of [Egress] Allow= and AllowHost=, parsed into the session model's EgressRule and
 * EgressHost, and back (for `sessionctl status`); and host name patterns for the DNS stub.
 *
 *   Allow=ADDRESS[/PREFIX] [PROTOCOL][:PORT]
 *       192.0.2.0/24                 any protocol, any port
 *       198.51.100.7 tcp:443         PROTOCOL is tcp or udp
 *       2001:db8::/32 udp            one protocol, any port
 *       203.0.113.0/24 :53           a port without a protocol means tcp and udp
 *   AllowHost=NAME[:PORT] [PROTOCOL:PORT]      (a protocol needs a port)
 *       example.org                  the name itself (not its subdomains)
 *       *.example.org:443            any name below example.org (not example.org itself), tcp and udp 443
 *       example.org tcp:443
 *
 * Names are matched case-insensitively; a trailing dot is accepted and dropped. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "session.h"

/* -EINVAL for anything malformed. ret->name of a host is allocated: free with egress_host_done(). */
int egress_rule_from_string(const char *s, EgressRule *ret);
int egress_host_from_string(const char *s, EgressHost *ret);
void egress_host_done(EgressHost *h);

int egress_rule_to_string(const EgressRule *r, char **ret);
int egress_host_to_string(const EgressHost *h, char **ret);

/* NAME or *.NAME: labels of [a-zA-Z0-9_-], 1..63 bytes, 253 in all, no empty label. */
bool egress_host_pattern_is_valid(const char *pattern) _pure_;
/* Whether name (text form, any case, optional trailing dot) is allowed by pattern. */
bool egress_host_pattern_match(const char *pattern, const char *name) _pure_;

/* Exit status of "sessiond-egress update" when the session has no policy loaded (not running,
 * or started without network: then it has no chain to change). */
#define EGRESS_EXIT_NOT_LOADED 3
