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
