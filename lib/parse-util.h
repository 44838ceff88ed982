/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Value parsers and validators for .session files. All return 0 (or a positive value) on
 * success and a negative errno on bad input; none of them logs. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

#ifndef UINT64_INFINITY
/* "infinity" where systemd allows it (MemoryMax=infinity, TasksMax=infinity, ...). */
#define UINT64_INFINITY (UINT64_MAX - 1)
#endif

#define USEC_PER_SEC UINT64_C(1000000)

/* yes/no/true/false/on/off/1/0: 1 or 0, -EINVAL otherwise. */
int parse_boolean(const char *v);

/* A decimal unsigned integer without sign, spaces or suffix, in [min, max]; -ERANGE outside. */
int parse_uint64_range(const char *v, uint64_t min, uint64_t max, uint64_t *ret);

/* "512M", "2G", "4096" (bytes); suffixes K M G T P E are powers of 1024 (case-sensitive, as
 * systemd). With allow_infinity, "infinity" gives UINT64_INFINITY. -ERANGE on overflow. */
int parse_size(const char *v, bool allow_infinity, uint64_t *ret);

/* systemd-style time spans: "30s", "15min", "2h", "1d", "1h 30min", a bare number is seconds.
 * Units: us usec ms msec s sec second seconds m min minute minutes h hr hour hours d day days
 * w week weeks. "infinity" gives UINT64_INFINITY. Result in microseconds. */
int parse_duration(const char *v, uint64_t *ret_usec);

/* "200%": 200. Integer percentages only; the '%' is required. */
int parse_percent(const char *v, uint64_t max, uint64_t *ret);

/* "192.0.2.0/24", "2001:db8::/32", or a single address (full prefix length). Host bits set
 * beyond the prefix are refused (-EINVAL), so a typo cannot silently widen a rule. */
int parse_cidr(const char *v, int *ret_family, uint8_t ret_address[static 16], unsigned *ret_prefixlen);

/* A bare IPv4/IPv6 address. */
int parse_ip_address(const char *v, int *ret_family, uint8_t ret_address[static 16]);

/* "1".."65535" */
int parse_port(const char *v, uint16_t *ret);

bool hostname_is_valid(const char *s) _pure_;

/* Absolute, normalized (no "." or ".." components, no "//", no trailing '/' except "/"). */
bool path_is_normalized_absolute(const char *p) _pure_;

/* A path that can be written into unit-file settings that use ':' and spaces as separators
 * (BindPaths=, LoadCredential=): no whitespace, quotes, backslashes or ':'. */
bool path_is_unit_safe(const char *p) _pure_;

/* POSIX-ish user names as systemd accepts them in strict mode: [a-zA-Z_][a-zA-Z0-9_-]*, at most
 * 31 characters, not purely numeric. */
bool user_name_is_valid(const char *u) _pure_;

/* Environment assignment "KEY=VALUE" with KEY in [A-Za-z_][A-Za-z0-9_]*. */
bool env_assignment_is_valid(const char *s) _pure_;

/* Credential names: 1..255 characters, no '/', not "." or "..". */
bool credential_name_is_valid(const char *s) _pure_;

/* A system call name known to libseccomp on this architecture, or one of systemd's @groups. */
bool syscall_filter_entry_is_valid(const char *s);

/* Splits a command line into words, with systemd-like quoting: words are separated by
 * whitespace; '...' and "..." group; backslash escapes \\ \" \' \n \t \s (space) and a
 * backslash before a space. Returns -EBADMSG for an unterminated quote, -EINVAL for an
 * unknown escape. An empty or all-blank string gives an empty (non-NULL) strv. */
int split_quoted(const char *s, char ***ret);
