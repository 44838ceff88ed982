/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A file inside another root (a running machine's, through /proc/LEADER/root), set to a text and, if
 * what follows fails, set back. The path is resolved as if root_fd were "/" (openat2() with
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a symlink in the machine resolves inside it, never to a
 * file of the host. The file is rewritten in place (the same inode: a bind mount of it sees the new
 * text); only a regular file is read or written (a FIFO there must not hang the caller).
 *
 * Nothing here logs. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* The most a file may hold to be replaced: what it held is kept for root_file_restore(). */
#define ROOT_FILE_MAX (64U * 1024U)

typedef struct RootFileChange {
        int fd;                 /* the file, open for writing; -EBADF: nothing was changed */
        int dir_fd;             /* with created: its directory, to remove it from */
        char *name;             /* with created: its name there */
        bool created;           /* there was none: restoring removes it */
        char *old;              /* what it held */
        size_t old_size;
} RootFileChange;

#define ROOT_FILE_CHANGE_NULL ((RootFileChange) { .fd = -EBADF, .dir_fd = -EBADF })

/* Sets path (relative, below root_fd) to text. Returns 0 if it held text already (nothing written,
 * *ret has nothing to restore), 1 if it was written (or made: a missing file is created, mode 0644,
 * unless a dangling symlink is in its place). -EBADFD if something other than a regular file is
 * there, -EFBIG if it holds more than ROOT_FILE_MAX bytes; on any failure the file is as it was (a
 * write that failed half-way is undone). *ret is set only on success. */
int root_file_replace(int root_fd, const char *path, const char *text, RootFileChange *ret);

/* Puts back what the file held before root_file_replace() (removes it if that made it); nothing to
 * do for a change that wrote nothing. Afterwards c has nothing left to restore. */
int root_file_restore(RootFileChange *c);

void root_file_change_done(RootFileChange *c);
