/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Can this machine run a session backend? For vmspawn: systemd-vmspawn and QEMU (what vmspawn
 * runs: qemu, qemu-kvm or qemu-system-ARCH) must be installed and /dev/kvm usable (opened read-write, KVM_GET_API_VERSION answers 12, KVM_CREATE_VM gives a VM),
 * unless the caller allows emulation: systemd-vmspawn then falls back to TCG by itself, which
 * works but is one to two orders of magnitude slower (the host's administrator opts in).
 * For nspawn: systemd-nspawn must be installed. The service backend needs nothing. No logging:
 * the reason is returned as text for the caller's BackendUnavailable error. */

#include <errno.h>
#include <stdbool.h>

#include "macro.h"
#include "session.h"

typedef struct BackendCheckPaths {
        const char *search_path;        /* ':'-separated directories searched for the binaries */
        const char *kvm_device;         /* normally /dev/kvm */
        bool allow_emulation;           /* vmspawn without usable KVM is available (TCG) */
} BackendCheckPaths;

#define BACKEND_SEARCH_PATH_DEFAULT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define BACKEND_CHECK_PATHS_DEFAULT ((BackendCheckPaths) { BACKEND_SEARCH_PATH_DEFAULT, "/dev/kvm", false })

/* Finds an executable file NAME in the ':'-separated search path. -ENOENT if there is none. */
int backend_find_binary(const char *search_path, const char *name, char **ret_path);

/* 1 if the KVM device is usable, 0 if not (ret_reason says why), negative on internal errors. */
int backend_kvm_usable(const char *device, char **ret_reason);

/* 1 if the backend can run here; 0 if it cannot, with ret_reason naming everything that is
 * missing (e.g. "systemd-vmspawn is not installed (searched /usr/bin:...); /dev/kvm: open
 * failed: No such file or directory"); negative errno on internal errors (-ENOMEM) or an
 * invalid backend. ret_reason is set only when 0 is returned. paths NULL: the defaults, with emulation allowed
 * if the environment variable SESSIOND_VMSPAWN_ALLOW_TCG is true (sessiond.service's drop-in). */
int backend_available(SessionBackend backend, const BackendCheckPaths *paths, char **ret_reason);

/* systemd-vmspawn shares a directory image and host-side workspaces with the guest through
 * virtiofsd (one per shared directory), which it finds on the search path or where distributions
 * install it (/usr/libexec, /usr/lib). 1 if installed; 0 with ret_reason set if not; negative
 * errno on internal errors. paths NULL: the defaults. */
int backend_virtiofsd_available(const BackendCheckPaths *paths, char **ret_reason);
