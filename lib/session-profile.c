/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "session-profile.h"

/* restrictive: everything systemd offers that an unprivileged command-line workload can live
 * with. Aimed at `systemd-analyze security` exposure below 1.0 together with the egress
 * settings on the slice. */
static const ProfileSetting restrictive[] = {
        { "NoNewPrivileges", "yes" },
        { "CapabilityBoundingSet", "" },
        { "AmbientCapabilities", "" },
        { "ProtectSystem", "strict" },
        { "ProtectHome", "yes" },
        { "PrivateTmp", "yes" },
        { "PrivateDevices", "yes" },
        { "DevicePolicy", "closed" },
        { "PrivateIPC", "yes" },
        { "PrivateUsers", "yes" },
        { "ProtectKernelTunables", "yes" },
        { "ProtectKernelModules", "yes" },
        { "ProtectKernelLogs", "yes" },
        { "ProtectControlGroups", "yes" },
        { "ProtectClock", "yes" },
        { "ProtectHostname", "yes" },
        { "ProtectProc", "invisible" },
        { "ProcSubset", "pid" },
        { "RestrictNamespaces", "yes" },
        { "RestrictRealtime", "yes" },
        { "RestrictSUIDSGID", "yes" },
        { "LockPersonality", "yes" },
        { "MemoryDenyWriteExecute", "yes" },
        { "RemoveIPC", "yes" },
        { "KeyringMode", "private" },
        { "UMask", "0077" },
        { "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6" },
        { "SystemCallArchitectures", "native" },
        { "SystemCallFilter", "@system-service" },
        { "SystemCallFilter", "~@privileged @resources" },
        /* Found by the isolation battery (SECURITY.md): @system-service allows the kernel keyring
         * (@keyring) and io_uring (in @aio), and PrivateDevices= binds the host's /dev/shm in,
         * shared by every session. */
        { "SystemCallFilter", "~@keyring io_uring_enter io_uring_register io_uring_setup" },
        { "TemporaryFileSystem", "/dev/shm:mode=1777,nosuid,nodev" },
        { "SystemCallErrorNumber", "EPERM" },
};

/* moderate: for runtimes that JIT (node, java), read /proc, or need netlink: as restrictive,
 * but without MemoryDenyWriteExecute=, PrivateUsers=, ProcSubset=pid and the @resources
 * denial; home directories read-only instead of hidden; AF_NETLINK allowed; UMask=0022. */
static const ProfileSetting moderate[] = {
        { "NoNewPrivileges", "yes" },
        { "CapabilityBoundingSet", "" },
        { "AmbientCapabilities", "" },
        { "ProtectSystem", "strict" },
        { "ProtectHome", "read-only" },
        { "PrivateTmp", "yes" },
        { "PrivateDevices", "yes" },
        { "DevicePolicy", "closed" },
        { "PrivateIPC", "yes" },
        { "ProtectKernelTunables", "yes" },
        { "ProtectKernelModules", "yes" },
        { "ProtectKernelLogs", "yes" },
        { "ProtectControlGroups", "yes" },
        { "ProtectClock", "yes" },
        { "ProtectHostname", "yes" },
        { "ProtectProc", "invisible" },
        { "RestrictNamespaces", "yes" },
        { "RestrictRealtime", "yes" },
        { "RestrictSUIDSGID", "yes" },
        { "LockPersonality", "yes" },
        { "RemoveIPC", "yes" },
        { "KeyringMode", "private" },
        { "UMask", "0022" },
        { "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK" },
        { "SystemCallArchitectures", "native" },
        { "SystemCallFilter", "@system-service" },
        { "SystemCallFilter", "~@privileged" },
        { "SystemCallErrorNumber", "EPERM" },
};

/* permissive: for tools that need devices, namespaces (nested sandboxes such as bwrap) or
 * unusual system calls: no system call filter, no address family or namespace restriction, the
 * host's /dev; still no privileges, a read-only /usr, /boot and /etc, read-only homes, a private
 * /tmp and protected kernel interfaces. */
static const ProfileSetting permissive[] = {
        { "NoNewPrivileges", "yes" },
        { "CapabilityBoundingSet", "" },
        { "AmbientCapabilities", "" },
        { "ProtectSystem", "full" },
        { "ProtectHome", "read-only" },
        { "PrivateTmp", "yes" },
        { "ProtectKernelTunables", "yes" },
        { "ProtectKernelModules", "yes" },
        { "ProtectKernelLogs", "yes" },
        { "ProtectControlGroups", "yes" },
        { "RestrictRealtime", "yes" },
        { "RestrictSUIDSGID", "yes" },
        { "LockPersonality", "yes" },
        { "RemoveIPC", "yes" },
        { "UMask", "0022" },
        { "SystemCallArchitectures", "native" },
};

const ProfileSetting *session_profile_settings(SessionProfile p, size_t *ret_n) {
        switch (p) {
        case SESSION_PROFILE_RESTRICTIVE:
                *ret_n = ELEMENTSOF(restrictive);
                return restrictive;
        case SESSION_PROFILE_MODERATE:
                *ret_n = ELEMENTSOF(moderate);
                return moderate;
        case SESSION_PROFILE_PERMISSIVE:
                *ret_n = ELEMENTSOF(permissive);
                return permissive;
        default:
                return NULL;
        }
}
