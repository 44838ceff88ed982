/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Directory trees: copy (keeping owners, modes, times, xattrs, device nodes such as overlayfs
 * whiteouts), remove, measure. Used by the workspace code; no logging. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Copies every entry below the directory src_fd into the (existing, empty) directory dst_fd.
 * Regular files are reflinked where the file system can (FICLONE), else copied in the kernel
 * with copy_file_range(), else with read()/write(). Hard links are not preserved (each name gets
 * its own copy). Never crosses into another file system below src_fd (-EXDEV). */
int tree_copy_contents(int src_fd, int dst_fd);

/* Gives dst_fd the owner, mode, xattrs and times of src_fd (both directories). */
int tree_copy_attrs(int src_fd, int dst_fd);

/* Removes NAME below dir_fd and everything in it. Never crosses into another file system: a
 * mount point anywhere below gives -EBUSY and leaves that part alone. -ENOENT is returned as 0. */
int tree_remove_at(int dir_fd, const char *name);

/* Sums the apparent size of the regular files below dir_fd and counts the entries. */
int tree_measure(int dir_fd, uint64_t *ret_bytes, uint64_t *ret_entries);

/* Changes the owner of every entry below (and including) dir_fd whose uid is in [from_min,
 * from_max] to uid/gid. */
int tree_chown_range(int dir_fd, uid_t from_min, uid_t from_max, uid_t uid, gid_t gid);
