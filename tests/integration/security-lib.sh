# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by the security-*.sh cases: the isolation battery, the host state it must not see, and
# the options that point it there. Sourced after lib.sh.

CHECK=/usr/libexec/sessiond-check
[[ -x $CHECK ]] || fail "$CHECK is not installed"

DENY_ADDR=198.51.100.7:8080

# Things of the "host" and of another session the battery must not see or reach. Made like a
# real installation makes them.
security_setup_host() {
        mkdir -p /home/sessiond-test-user
        echo secret >/home/sessiond-test-user/secret
        # Existing directories keep the modes sessiond's units gave them (a session's agent must
        # be able to reach its own runtime directory under /run/sessiond/agents).
        [[ -d /var/lib/sessiond ]] || install -d -m 0700 /var/lib/sessiond
        install -d -m 0700 /var/lib/sessiond/other-session
        echo spec >/var/lib/sessiond/other-session/spec
        [[ -d /run/sessiond/agents ]] || install -d -m 0755 /run/sessiond /run/sessiond/agents
        install -d -m 0700 /run/sessiond/agents/other-session
        echo host >/tmp/sessiond-host-marker
        echo host >/dev/shm/sessiond-host-marker
        # A denied network: an address of the host on a dummy link. Reaching it (even a refused
        # connection) proves packets flow; a session must get no answer.
        ip link show sdcheck0 >/dev/null 2>&1 || ip link add sdcheck0 type dummy
        ip addr replace 198.51.100.7/32 dev sdcheck0
        ip link set sdcheck0 up
}

security_cleanup_host() {
        rm -rf /home/sessiond-test-user /var/lib/sessiond/other-session /run/sessiond/agents/other-session \
                /tmp/sessiond-host-marker /dev/shm/sessiond-host-marker
        ip link del sdcheck0 2>/dev/null || true
}

CHECK_ARGS=(
        --deny-addr="$DENY_ADDR"
        --timeout=5000
        --other-path=/var/lib/sessiond/other-session/spec
        --other-path=/run/sessiond/agents/other-session
        --host-marker=/tmp/sessiond-host-marker
        --host-marker=/dev/shm/sessiond-host-marker
        --memory-probe
        --tasks-max=32
)

# The restrictive profile's hardening written out as transient-unit properties: what the battery
# expects of a restrictive session. (The generated units are checked in security-generated.sh.)
RESTRICTIVE_PROPS=(
        -p DynamicUser=yes
        -p PrivateUsers=yes
        -p PrivateTmp=yes
        -p PrivateDevices=yes
        -p PrivateNetwork=yes
        -p PrivateIPC=yes
        -p ProtectSystem=strict
        -p ProtectHome=yes
        -p ProtectKernelTunables=yes
        -p ProtectKernelModules=yes
        -p ProtectKernelLogs=yes
        -p ProtectControlGroups=yes
        -p ProtectClock=yes
        -p ProtectHostname=yes
        -p ProtectProc=invisible
        -p ProcSubset=pid
        -p NoNewPrivileges=yes
        -p CapabilityBoundingSet=
        -p AmbientCapabilities=
        -p RestrictNamespaces=yes
        -p RestrictRealtime=yes
        -p RestrictSUIDSGID=yes
        -p LockPersonality=yes
        -p MemoryDenyWriteExecute=yes
        -p "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"
        -p SystemCallArchitectures=native
        -p SystemCallFilter=@system-service
        -p "SystemCallFilter=~@privileged @resources @keyring io_uring_setup io_uring_enter io_uring_register"
        -p SystemCallErrorNumber=EPERM
        -p UMask=0077
        -p IPAddressDeny=any
        -p KeyringMode=private
        -p RemoveIPC=yes
        -p DevicePolicy=closed
        -p "InaccessiblePaths=-/var/lib/sessiond -/run/sessiond"
        -p TemporaryFileSystem=/dev/shm
        -p MemoryMax=64M
        -p MemorySwapMax=0
        -p TasksMax=32
        -p OOMPolicy=continue
)

# Prints the verdict of one check from a --json report.
verdict_of() {  # json-file check-name
        jq -r --arg n "$2" '.checks[] | select(.name == $n) | .verdict' "$1"
}
