/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* String helpers that avoid the printf machinery on hot paths (the generator runs at every boot
 * and daemon-reload, once per session file). */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Concatenates the NULL-terminated list of strings into a new string. */
char *strjoin_real(const char *first, ...);
#define strjoin(first, ...) strjoin_real((first), __VA_ARGS__, NULL)

/* Writes v in decimal to buf (at least 21 bytes), returns buf. */
char *u64_to_string(uint64_t v, char buf[static 21]);

/* FNV-1a, 32 bit, of a string: stable across builds and machines, for names and numbers derived
 * from a session's name (veth names, vsock CIDs, address picks). Not for anything adversarial. */
uint32_t string_hash32(const char *s) _pure_;
