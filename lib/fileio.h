/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes 'size' bytes to 'path' (relative to dir_fd, or AT_FDCWD) so that readers see either the
 * old file or the whole new one: a temporary file in the same directory, fsync(), rename(), and
 * an fsync() of the directory. Nothing is left behind on failure. */
int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode);
int write_string_file_atomic_at(int dir_fd, const char *path, const char *s, mode_t mode);

typedef enum WriteFileFlags {
        /* Still atomic (temporary file + rename), but neither the file nor the directory is
         * fsync()ed: for files on a tmpfs such as a generator's output, where a sync does nothing
         * but cost a system call or two. */
        WRITE_FILE_NO_SYNC = 1 << 0,
} WriteFileFlags;

int write_file_atomic_full(int dir_fd, const char *path, const void *data, size_t size, mode_t mode,
                           WriteFileFlags flags);

/* Reads a whole regular file, up to max_size bytes (-EFBIG beyond), NUL-terminated. */
int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size);
/* The same from an open file, from where its offset is. */
int read_full_fd(int fd, size_t max_size, char **ret_data, size_t *ret_size);
