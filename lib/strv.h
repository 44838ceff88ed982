/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string arrays ("strv"), as systemd uses them. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
size_t strv_length(char * const *l) _pure_;
/* Appends a copy of 'value'. */
int strv_extend(char ***l, const char *value);
/* Appends 'value' itself, taking ownership (freed on failure too). */
int strv_consume(char ***l, char *value);
/* Appends copies of all of 'other'. */
int strv_extend_strv(char ***l, char * const *other);
char **strv_copy(char * const *l);
bool strv_contains(char * const *l, const char *s) _pure_;
int strv_split_colon(const char *s, char ***ret);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
/* A NULL-terminated array of its arguments, for the scope of the expression's block. */
#define STRV_MAKE_CONST(...) ((const char *const[]) { __VA_ARGS__, NULL })
