/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Backend availability: binaries found on a search path (made by the test), KVM device checks
 * against a missing path and a device that is not KVM, and the reason texts. */

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "tests.h"

static char dir[] = "/tmp/test-backend-XXXXXX";

static void make_exec(const char *name, mode_t mode) {
        char *p;
        FILE *f;

        ASSERT_TRUE(asprintf(&p, "%s/%s", dir, name) > 0);
        f = fopen(p, "we");
        ASSERT_TRUE(f);
        fputs("#!/bin/sh\nexit 0\n", f);
        ASSERT_TRUE(fclose(f) == 0);
        ASSERT_TRUE(chmod(p, mode) == 0);
        free(p);
}

int main(void) {
        char *reason = NULL, *path = NULL, *empty = NULL, *sp = NULL;
        BackendCheckPaths paths;
        int r;

        ASSERT_TRUE(mkdtemp(dir));
        ASSERT_TRUE(asprintf(&empty, "%s/empty", dir) > 0);
        ASSERT_TRUE(mkdir(empty, 0755) == 0);
        ASSERT_TRUE(asprintf(&sp, "%s:%s", empty, dir) > 0);

        /* not installed */
        paths = (BackendCheckPaths) { empty, "/nonexistent/kvm" };
        ASSERT_EQ(backend_available(SESSION_BACKEND_SERVICE, &paths, &reason), 1);
        ASSERT_TRUE(!reason);
        ASSERT_EQ(backend_available(SESSION_BACKEND_NSPAWN, &paths, &reason), 0);
        fprintf(stderr, "nspawn: %s\n", reason);
        ASSERT_TRUE(strstr(reason, "systemd-nspawn is not installed"));
        free(reason);
        reason = NULL;

        /* vmspawn: both the binary and KVM are named */
        ASSERT_EQ(backend_available(SESSION_BACKEND_VMSPAWN, &paths, &reason), 0);
        fprintf(stderr, "vmspawn: %s\n", reason);
        ASSERT_TRUE(strstr(reason, "systemd-vmspawn is not installed"));
        ASSERT_TRUE(strstr(reason, "/nonexistent/kvm: cannot open it: No such file or directory"));
        free(reason);
        reason = NULL;

        /* a file that is not executable does not count; an executable one does */
        make_exec("systemd-nspawn", 0644);
        ASSERT_ERROR(backend_find_binary(sp, "systemd-nspawn", &path), ENOENT);
        make_exec("systemd-nspawn", 0755);
        ASSERT_OK(backend_find_binary(sp, "systemd-nspawn", &path));
        ASSERT_TRUE(strstr(path, dir) == path);
        free(path);
        paths.search_path = sp;
        ASSERT_EQ(backend_available(SESSION_BACKEND_NSPAWN, &paths, &reason), 1);

        /* vmspawn installed without QEMU, which it runs: QEMU is named with the names looked for */
        make_exec("systemd-vmspawn", 0755);
        paths.kvm_device = "/dev/null";
        ASSERT_EQ(backend_available(SESSION_BACKEND_VMSPAWN, &paths, &reason), 0);
        fprintf(stderr, "vmspawn without qemu: %s\n", reason);
        ASSERT_TRUE(strstr(reason, "QEMU is not installed (none of qemu, qemu-kvm"));
        ASSERT_TRUE(!strstr(reason, "systemd-vmspawn is not installed"));
        free(reason);
        reason = NULL;

        /* any one of the names does; then the device is not KVM: only KVM is named */
        make_exec("qemu-kvm", 0755);
        ASSERT_EQ(backend_available(SESSION_BACKEND_VMSPAWN, &paths, &reason), 0);
        fprintf(stderr, "vmspawn: %s\n", reason);
        ASSERT_TRUE(!strstr(reason, "not installed"));
        ASSERT_TRUE(strstr(reason, "/dev/null: KVM_GET_API_VERSION failed"));
        free(reason);
        reason = NULL;

        /* emulation allowed (SESSIOND_VMSPAWN_ALLOW_TCG): vmspawn without KVM is available, but a
         * missing systemd-vmspawn is still named, and KVM is not */
        paths.allow_emulation = true;
        ASSERT_EQ(backend_available(SESSION_BACKEND_VMSPAWN, &paths, &reason), 1);
        ASSERT_TRUE(!reason);
        paths.search_path = empty;
        ASSERT_EQ(backend_available(SESSION_BACKEND_VMSPAWN, &paths, &reason), 0);
        fprintf(stderr, "vmspawn (emulation allowed): %s\n", reason);
        ASSERT_TRUE(strstr(reason, "systemd-vmspawn is not installed"));
        ASSERT_TRUE(!strstr(reason, "/dev/null"));
        free(reason);
        reason = NULL;
        paths.search_path = sp;
        paths.allow_emulation = false;

        /* virtiofsd: on the search path, or where distributions install it */
        r = backend_virtiofsd_available(&paths, &reason);
        ASSERT_OK(r);
        if (access("/usr/libexec/virtiofsd", X_OK) < 0 && access("/usr/lib/virtiofsd", X_OK) < 0) {
                ASSERT_EQ(r, 0);
                fprintf(stderr, "virtiofsd: %s\n", reason);
                ASSERT_TRUE(strstr(reason, "virtiofsd is not installed (searched "));
                ASSERT_TRUE(strstr(reason, ":/usr/libexec:/usr/lib)"));
                free(reason);
                reason = NULL;
        } else
                ASSERT_EQ(r, 1);
        make_exec("virtiofsd", 0755);
        ASSERT_EQ(backend_virtiofsd_available(&paths, &reason), 1);
        ASSERT_TRUE(!reason);

        /* the real /dev/kvm, whatever this machine has: a verdict, and a reason if unusable */
        r = backend_kvm_usable("/dev/kvm", &reason);
        ASSERT_OK(r);
        fprintf(stderr, "/dev/kvm here: %s\n", r ? "usable" : reason);
        ASSERT_TRUE(r == 1 ? !reason : reason && strstr(reason, "/dev/kvm"));
        free(reason);

        ASSERT_ERROR(backend_available(_SESSION_BACKEND_MAX, &paths, &reason), EINVAL);

        free(empty);
        free(sp);
        printf("ok\n");
        return 0;
}
