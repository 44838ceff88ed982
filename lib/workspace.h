/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Workspaces: the directory a session works in, and its persistence.
 *
 * Layout (state_dir is /var/lib/sessiond, runtime_dir is /run/sessiond; both are parameters so
 * that tests can work in a scratch directory):
 *
 *   STATE/workspaces/NAME/live/upper      overlay upper layer of the running session
 *   STATE/workspaces/NAME/live/work       overlay work dir (same file system as upper)
 *   STATE/workspaces/NAME/live/restored   marker: `restore` staged live/upper from saved/
 *   STATE/workspaces/NAME/saved/          the persisted upper layer (what OnEnd=persist keeps)
 *   STATE/workspaces/NAME/.tmp-*          work in progress, never read, removed on sight
 *   STATE/snapshots/NAME/SNAP/            named copies of an upper layer
 *   STATE/snapshots/NAME/.tmp-*           work in progress
 *   RUNTIME/workspaces/NAME/merged        the overlay (or tmpfs) mount the unit binds to /workspace
 *   RUNTIME/workspaces/NAME/mode          "overlay" or "tmpfs": what teardown has to undo
 *
 * Why live/ and saved/ are separate: the upper layer of a running overlay changes under us, and
 * the saved state must only ever change by one atomic step. A saved state is replaced by writing
 * the new one completely into a .tmp-* directory next to it, syncfs(), then renameat2(
 * RENAME_EXCHANGE) (or a plain rename when there was none) and an fsync() of the parent; the old
 * one, now under the temporary name, is deleted afterwards. A crash (or SIGKILL) at any point
 * leaves either the old or the new saved state visible, never a mix, and the leftover .tmp-*
 * directory is removed by the next operation on that workspace.
 *
 * - setup (overlay): lowerdir is the host directory, which is never written (overlayfs writes
 *   only to upperdir); live/ is created fresh, unless `restore` staged it (marker file), in which
 *   case the staged upper is used. The root of upper is chowned to the session's uid so that a
 *   DynamicUser= session can write to /workspace. That uid exists only once the unit runs:
 *   verified in the VM (systemd 257), a '+' ExecStartPre= of a DynamicUser= unit gets
 *   USER=/LOGNAME= of the dynamic user, which sessiond-workspace resolves through NSS or, without
 *   nss-systemd, systemd's io.systemd.DynamicUser userdb Varlink service. Also verified there: a
 *   '+' command still runs in a mount namespace of its own when the unit has BindPaths= (it
 *   fails at step NAMESPACE if a BindPaths= source is missing), so the helper joins PID 1's
 *   mount namespace before mounting, and the unit must say BindPaths=-SOURCE:TARGET ('-': the
 *   source does not exist yet when the '+' command's namespace is made). Files that come from
 *   the host directory keep their owners: a dynamic user can create files where the merged
 *   view lets it, and change host files only where their mode lets it (an idmapped lower layer
 *   would lift that; not done).
 * - setup (tmpfs): a tmpfs with size= and uid=/gid= of the session at merged.
 * - setup --userns (Backend=nspawn; Backend=vmspawn too, whose guest's uids are its own and
 *   whose virtiofsd shares merged): the same mounts (RUNTIME/workspaces/NAME mode 0700, so the
 *   host's users cannot reach the 1777 top), handed to the container with a plain bind
 *   (overlayfs cannot be idmapped). The container's uids are a range that nspawn picks only when
 *   it starts (--private-users=pick), so the top (root of upper, or the tmpfs) cannot be chowned
 *   to the session's uid beforehand: it is root's with mode 1777 (sticky, like /tmp). The
 *   session's uid inside can then create and remove its own files there; what it creates is
 *   stored with the host uid of the container's range (base + 61184). Host files in the lower
 *   layer, as for a service, are changed only where their mode lets "other" write.
 * - bind, bind-ro: nothing to mount; the unit uses BindPaths=/BindReadOnlyPaths= directly (nspawn
 *   and vmspawn their own --bind=/--bind-ro=).
 * - teardown: unmount (lazily if busy), then with persist: the live upper is no longer in use,
 *   so it is moved (not copied) into a temporary directory and exchanged with saved/: O(1) in
 *   the size of the workspace. Without persist live/ is deleted. saved/ and snapshots are kept.
 * - persist (live session): copy live/upper (reflink, else copy_file_range) to a temporary
 *   directory and exchange it with saved/ (sessiond-workspace freezes the unit's cgroup around
 *   the copy, so the copy is one point in time). Overlay whiteouts (0:0 character devices) and
 *   trusted.overlay.* xattrs are copied as they are, so the copy is again a valid upper layer.
 * - restore: copy saved/ to live/upper and leave the marker; the next setup uses it. The saved
 *   state itself stays, so a session that is then discarded does not lose it.
 * - snapshots: save copies the live upper (if the session runs) or saved/ into
 *   snapshots/NAME/SNAP atomically; restore replaces saved/ by a copy of the snapshot (start
 *   with restore to use it); list reports apparent sizes; delete removes one.
 *
 * This file does not log; functions return negative errno. */

#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <sys/types.h>

#include "macro.h"
#include "session.h"

typedef struct WorkspacePaths {
        const char *state_dir;          /* SESSIOND_STATE_DIR by default */
        const char *runtime_dir;        /* SESSIOND_RUNTIME_DIR by default */
} WorkspacePaths;

#define WORKSPACE_PATHS_DEFAULT ((WorkspacePaths) { SESSIOND_STATE_DIR, SESSIOND_RUNTIME_DIR })

typedef struct WorkspaceSetup {
        WorkspaceMode mode;
        const char *host_path;          /* overlay lowerdir; required for overlay */
        uint64_t size;                  /* tmpfs size in bytes, UINT64_UNSET: kernel default */
        uid_t uid;                      /* owner of the writable top; (uid_t) -1: keep root */
        gid_t gid;
        bool userns;                    /* the session's uids are not the host's: a user namespace
                                         * whose range is picked only when it starts (nspawn), or a
                                         * VM's own (vmspawn): the top is root's with mode 1777,
                                         * like /tmp, instead of owned */
} WorkspaceSetup;

/* Path builders; all return newly allocated strings. */
int workspace_state_path(const WorkspacePaths *p, const char *name, const char *suffix, char **ret);
int workspace_merged_path(const WorkspacePaths *p, const char *name, char **ret);
int workspace_snapshot_dir(const WorkspacePaths *p, const char *name, char **ret);

bool workspace_snapshot_name_is_valid(const char *snap) _pure_;

/* Returns > 0 if the merged directory of NAME is a mount point, 0 if not. */
int workspace_is_mounted(const WorkspacePaths *p, const char *name);

int workspace_setup(const WorkspacePaths *p, const char *name, const WorkspaceSetup *s);
int workspace_teardown(const WorkspacePaths *p, const char *name, bool persist);
int workspace_persist(const WorkspacePaths *p, const char *name);
/* Returns -ENOENT if nothing was saved. */
int workspace_restore(const WorkspacePaths *p, const char *name);
/* Returns > 0 if NAME has a saved state. */
int workspace_has_saved(const WorkspacePaths *p, const char *name);
/* Removes the saved state and any live leftovers of a session that is not running. */
int workspace_remove(const WorkspacePaths *p, const char *name);

typedef struct WorkspaceSnapshot {
        char *name;
        uint64_t size;          /* bytes in regular files (apparent size) */
        uint64_t n_files;       /* entries of any type below the top */
        int64_t mtime_sec;      /* when it was taken */
} WorkspaceSnapshot;

void workspace_snapshots_free(WorkspaceSnapshot *s, size_t n);

int workspace_snapshot_save(const WorkspacePaths *p, const char *name, const char *snap);
int workspace_snapshot_restore(const WorkspacePaths *p, const char *name, const char *snap);
/* Sorted by name. */
int workspace_snapshot_list(const WorkspacePaths *p, const char *name, WorkspaceSnapshot **ret, size_t *ret_n);
int workspace_snapshot_delete(const WorkspacePaths *p, const char *name, const char *snap);

/* Exit statuses of sessiond-workspace for the errors that sessiond tells apart: it runs the
 * helper as a transient unit and reads the unit's ExecMainStatus. Anything else is 1. */
enum {
        WORKSPACE_EXIT_INVALID = 2,     /* -EINVAL: bad name, bad arguments */
        WORKSPACE_EXIT_NO_LIVE = 3,     /* -ESRCH: no live workspace to persist */
        WORKSPACE_EXIT_NOT_FOUND = 4,   /* -ENOENT: nothing saved, no such snapshot */
        WORKSPACE_EXIT_EXISTS = 5,      /* -EEXIST: the snapshot exists already */
        WORKSPACE_EXIT_BUSY = 6,        /* -EBUSY: mounted, the session runs */
};

static inline int workspace_exit_status(int r) {
        switch (r) {
        case -EINVAL:
                return WORKSPACE_EXIT_INVALID;
        case -ESRCH:
                return WORKSPACE_EXIT_NO_LIVE;
        case -ENOENT:
                return WORKSPACE_EXIT_NOT_FOUND;
        case -EEXIST:
                return WORKSPACE_EXIT_EXISTS;
        case -EBUSY:
                return WORKSPACE_EXIT_BUSY;
        default:
                return 1;
        }
}
