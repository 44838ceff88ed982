/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal assertions for unit tests: on failure print file:line and the expression, exit 1. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT_TRUE(expr)                                                                      \
        do {                                                                                   \
                if (!(expr)) {                                                                 \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__,   \
                                #expr);                                                        \
                        exit(EXIT_FAILURE);                                                    \
                }                                                                              \
        } while (0)

#define ASSERT_OK(expr)                                                                        \
        do {                                                                                   \
                long _r = (long) (expr);                                                       \
                if (_r < 0) {                                                                  \
                        fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr,   \
                                strerror((int) -_r));                                          \
                        exit(EXIT_FAILURE);                                                    \
                }                                                                              \
        } while (0)

#define ASSERT_ERROR(expr, err)                                                                \
        do {                                                                                   \
                long _r = (long) (expr);                                                       \
                if (_r != -(long) (err)) {                                                     \
                        fprintf(stderr, "%s:%d: %s returned %ld, expected -%s\n", __FILE__,    \
                                __LINE__, #expr, _r, #err);                                    \
                        exit(EXIT_FAILURE);                                                    \
                }                                                                              \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                     \
        do {                                                                                   \
                const char *_a = (a), *_b = (b);                                               \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                       \
                        fprintf(stderr, "%s:%d: %s != %s\n  got:      \"%s\"\n  expected: \"%s\"\n", \
                                __FILE__, __LINE__, #a, #b, _a ?: "(null)", _b ?: "(null)");   \
                        exit(EXIT_FAILURE);                                                    \
                }                                                                              \
        } while (0)

#define ASSERT_EQ(a, b)                                                                        \
        do {                                                                                   \
                long long _a = (long long) (a), _b = (long long) (b);                          \
                if (_a != _b) {                                                                \
                        fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__,        \
                                __LINE__, #a, _a, _b);                                         \
                        exit(EXIT_FAILURE);                                                    \
                }                                                                              \
        } while (0)
