/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "backend.h"
#include "parse-util.h"
#include "string-util.h"
#include "strv.h"

int backend_find_binary(const char *search_path, const char *name, char **ret_path) {
        _cleanup_free_ char *copy = NULL;
        char *saveptr = NULL;

        assert(search_path);
        assert(name);

        copy = strdup(search_path);
        if (!copy)
                return -ENOMEM;
        for (char *dir = strtok_r(copy, ":", &saveptr); dir; dir = strtok_r(NULL, ":", &saveptr)) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (asprintf(&p, "%s/%s", dir, name) < 0)
                        return -ENOMEM;
                if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || access(p, X_OK) < 0)
                        continue;
                if (ret_path)
                        *ret_path = TAKE_PTR(p);
                return 0;
        }
        return -ENOENT;
}

static int reason(char **ret, const char *fmt, ...) _printf_(2, 3);
static int reason(char **ret, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(ret, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : 0;
}

int backend_kvm_usable(const char *device, char **ret_reason) {
        _cleanup_close_ int fd = -EBADF, vm = -EBADF;
        int version, r;

        assert(device);
        assert(ret_reason);

        fd = open(device, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int e = errno;
                r = reason(ret_reason, "%s: cannot open it: %s%s", device, strerror(e),
                           e == ENOENT ? " (no KVM on this machine: load kvm_intel or kvm_amd, or enable nested virtualization)" :
                           e == EACCES || e == EPERM ? " (no permission: the kvm group, or run as root)" : "");
                return r < 0 ? r : 0;
        }
        version = ioctl(fd, KVM_GET_API_VERSION, 0);
        if (version < 0) {
                r = reason(ret_reason, "%s: KVM_GET_API_VERSION failed: %s (not a KVM device?)", device, strerror(errno));
                return r < 0 ? r : 0;
        }
        if (version != KVM_API_VERSION) {
                r = reason(ret_reason, "%s: KVM API version %d, expected %d", device, version, KVM_API_VERSION);
                return r < 0 ? r : 0;
        }
        vm = ioctl(fd, KVM_CREATE_VM, 0);
        if (vm < 0) {
                r = reason(ret_reason, "%s: KVM_CREATE_VM failed: %s", device, strerror(errno));
                return r < 0 ? r : 0;
        }
        return 1;
}

/* The names systemd-vmspawn looks for, in its order. */
#if defined(__x86_64__)
#  define QEMU_SYSTEM_BINARY "qemu-system-x86_64"
#elif defined(__aarch64__)
#  define QEMU_SYSTEM_BINARY "qemu-system-aarch64"
#elif defined(__i386__)
#  define QEMU_SYSTEM_BINARY "qemu-system-i386"
#else
#  define QEMU_SYSTEM_BINARY NULL
#endif

/* 1 if one of names (NULL-terminated) is on the search path; 0 if none is, then "WHAT is not
 * installed (...)" is appended to *acc. */
static int need_any_binary(const char *search_path, const char *what, const char *const *names, char **acc) {
        _cleanup_free_ char *list = NULL;
        char *s;
        int r;

        for (const char *const *n = names; *n; n++) {
                r = backend_find_binary(search_path, *n, NULL);
                if (r != -ENOENT)
                        return r < 0 ? r : 1;
                s = list ? strjoin(list, ", ", *n) : strdup(*n);
                if (!s)
                        return -ENOMEM;
                free(list);
                list = s;
        }
        if (streq(what, list))
                r = asprintf(&s, "%s%s%s is not installed (searched %s)", strempty(*acc), *acc ? "; " : "",
                             what, search_path);
        else
                r = asprintf(&s, "%s%s%s is not installed (none of %s in %s)", strempty(*acc), *acc ? "; " : "",
                             what, list, search_path);
        if (r < 0)
                return -ENOMEM;
        free(*acc);
        *acc = s;
        return 0;
}

static int need_binary(const BackendCheckPaths *p, const char *name, char **acc) {
        return need_any_binary(p->search_path, name, STRV_MAKE_CONST(name), acc);
}

static int need_qemu(const BackendCheckPaths *p, char **acc) {
        return need_any_binary(p->search_path, "QEMU", STRV_MAKE_CONST("qemu", "qemu-kvm", QEMU_SYSTEM_BINARY), acc);
}

int backend_virtiofsd_available(const BackendCheckPaths *paths, char **ret_reason) {
        BackendCheckPaths def = BACKEND_CHECK_PATHS_DEFAULT;
        _cleanup_free_ char *search = NULL, *acc = NULL;
        int r;

        assert(ret_reason);

        if (!paths)
                paths = &def;
        search = strjoin(paths->search_path, ":/usr/libexec:/usr/lib");
        if (!search)
                return -ENOMEM;
        r = need_any_binary(search, "virtiofsd", STRV_MAKE_CONST("virtiofsd"), &acc);
        if (r != 0)
                return r;
        *ret_reason = TAKE_PTR(acc);
        return 0;
}

int backend_available(SessionBackend backend, const BackendCheckPaths *paths, char **ret_reason) {
        BackendCheckPaths def = BACKEND_CHECK_PATHS_DEFAULT;
        _cleanup_free_ char *acc = NULL, *kvm = NULL;
        int r;

        assert(ret_reason);

        if (!paths) {
                const char *e = getenv("SESSIOND_VMSPAWN_ALLOW_TCG");

                def.allow_emulation = e && parse_boolean(e) > 0;
                paths = &def;
        }

        switch (backend) {
        case SESSION_BACKEND_SERVICE:
                return 1;
        case SESSION_BACKEND_NSPAWN:
                r = need_binary(paths, "systemd-nspawn", &acc);
                break;
        case SESSION_BACKEND_VMSPAWN:
                r = need_binary(paths, "systemd-vmspawn", &acc);
                if (r >= 0)
                        r = need_qemu(paths, &acc);
                if (r < 0 || paths->allow_emulation)
                        break;
                r = backend_kvm_usable(paths->kvm_device, &kvm);
                if (r < 0)
                        return r;
                if (r == 0) {
                        char *s;

                        if (asprintf(&s, "%s%s%s", strempty(acc), acc ? "; " : "", kvm) < 0)
                                return -ENOMEM;
                        free(acc);
                        acc = s;
                }
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        if (!acc)
                return 1;
        *ret_reason = TAKE_PTR(acc);
        return 0;
}
