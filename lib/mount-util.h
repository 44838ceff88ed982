/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Mount table queries with libmount (the kernel's /proc/self/mountinfo, parsed by libmount's
 * table API, never by hand) and unmounting. No logging. */

#include <stdbool.h>

/* > 0 if path is the root of a mount, 0 if not. */
int mount_util_is_mount_point(const char *path);

/* Targets of all mounts at or below dir (a directory path without trailing slash), in the order
 * they should be unmounted (the most recent, deepest first). From mountinfo_path (NULL:
 * /proc/self/mountinfo). */
int mount_util_list_under(const char *mountinfo_path, const char *dir, char ***ret_targets);

/* Unmounts target; if it is busy, detaches it lazily (MNT_DETACH) instead. Returns 0 if it went
 * away at once, 1 if it was detached lazily, -EINVAL if target is not a mount point. */
int mount_util_umount(const char *target);

/* Finds mounts below dir/NAME/ for every NAME that is not in live (a NULL-terminated list of
 * names of running sessions; NULL means none), unmounts them (lazily if busy), and returns the
 * targets it unmounted. Continues past failures and returns the first error after trying all. */
int mount_util_cleanup_stale(const char *mountinfo_path, const char *dir, char * const *live,
                             char ***ret_unmounted);

/* The NAME of dir/NAME/... if target lies below dir, else NULL (newly allocated). */
int mount_util_name_below(const char *dir, const char *target, char **ret_name);
