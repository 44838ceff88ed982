/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading directories: one place for the fd bookkeeping of fdopendir() and for telling the end
 * of a directory from a readdir() error. No logging. */

#include <dirent.h>
#include <stdbool.h>

bool dot_or_dot_dot(const char *name);

/* Opens fd's directory for reading from its start; fd stays the caller's (it is duplicated,
 * since fdopendir() takes the fd it is given). */
int opendir_fd(int fd, DIR **ret);

/* The next entry other than "." and "..": 1 and *ret set, 0 at the end, or a negative errno. */
int readdir_next(DIR *d, struct dirent **ret);
