/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

/* Current time of 'clock' in microseconds (CLOCK_REALTIME for records, CLOCK_MONOTONIC for
 * intervals). */
static inline uint64_t now_clock_usec(clockid_t clock) {
        struct timespec ts;

        (void) clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static inline uint64_t now_realtime_usec(void) {
        return now_clock_usec(CLOCK_REALTIME);
}

static inline uint64_t now_monotonic_usec(void) {
        return now_clock_usec(CLOCK_MONOTONIC);
}
