#!/usr/bin/env bash
# systemd is PID 1 and the system settles to "running" (not degraded, not stuck starting).
. "$SESSIOND_TEST_DIR/lib.sh"

comm=$(cat /proc/1/comm)
assert_eq "$comm" systemd "PID 1"

version=$(systemctl --version | awk 'NR == 1 { print $2 }')
echo "systemd $version"
((version >= 257)) || fail "systemd $version is older than 257"

state=$(timeout 300 systemctl is-system-running --wait || true)
if [[ $state != running ]]; then
        systemctl --failed --no-pager || true
        fail "system state is '$state', expected running"
fi
