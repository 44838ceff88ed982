#!/usr/bin/env bash
# Generated units of every profile start under systemd 257 and stay running: the hardening
# combination (DynamicUser + PrivateUsers + ProtectProc + SystemCallFilter + ...) is accepted at
# runtime, not only by `systemd-analyze verify`. Checks from outside what systemd enforced.
. "$SESSIOND_TEST_DIR/lib.sh"

gen=/usr/lib/systemd/system-generators/sessiond-generator
agent=/usr/libexec/sessiond-agent
tmp=$(mktemp -d)
dest=/run/systemd/system
trap 'cleanup; rm -f "$dest"/sessiond-genrun*; systemctl daemon-reload; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in" "$tmp/out"

for p in restrictive moderate permissive; do
        cat >"$tmp/in/genrun-$p.session" <<EOS
[Session]
Exec=/usr/bin/sleep infinity
Profile=$p
MaxRuntime=10min
[Resources]
MemoryMax=96M
TasksMax=20
EOS
done
SESSIOND_UNIT_PATH=$tmp/in "$gen" --strict "$tmp/out" "$tmp/out" "$tmp/out"
if [[ ! -x $agent ]]; then
        echo "NOTE: $agent not installed yet: running Exec= directly"
        sed -i "s|^ExecStart=$agent .* -- |ExecStart=|" "$tmp/out"/*.service
fi
cp "$tmp/out"/sessiond-genrun* "$dest/"
systemctl daemon-reload

for p in restrictive moderate permissive; do
        unit=sessiond-genrun-$p.service
        slice='sessiond-genrun\x2d'$p.slice
        cleanup_units+=("$unit")
        step "$p"
        systemctl start "$unit" || { systemctl status --no-pager "$unit" || true; journalctl -b -u "$unit" --no-pager | tail -20; fail "$unit did not start"; }
        wait_until 30 systemctl is-active --quiet "$unit"
        sleep 2
        systemctl is-active --quiet "$unit" || fail "$unit did not stay up"
        assert_eq "$(systemctl show -P Slice "$unit")" "$slice" "Slice"
        assert_eq "$(cat "/sys/fs/cgroup/sessiond.slice/$slice/memory.max")" $((96 * 1024 * 1024)) "memory.max"
        assert_eq "$(cat "/sys/fs/cgroup/sessiond.slice/$slice/pids.max")" 20 "pids.max"
        pid=$(systemctl show -P MainPID "$unit")
        status=/proc/$pid/status
        assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "$status")" 1 "NoNewPrivs"
        assert_eq "$(awk '/^CapEff:/ { print $2 }' "$status")" 0000000000000000 "CapEff"
        uid=$(awk '/^Uid:/ { print $2 }' "$status")
        [[ $uid != 0 ]] || fail "$unit runs as root"
        echo "$p: pid $pid uid $uid seccomp $(awk '/^Seccomp:/ { print $2 }' "$status")"
        if [[ $p != permissive ]]; then
                assert_eq "$(awk '/^Seccomp:/ { print $2 }' "$status")" 2 "seccomp filter mode"
        fi
        if [[ $p == restrictive ]]; then
                # PrivateUsers=yes: the process's user namespace is not the host's.
                [[ $(readlink "/proc/$pid/ns/user") != $(readlink /proc/1/ns/user) ]] || fail "not in a private user namespace"
                # No egress configured: own network namespace.
                [[ $(readlink "/proc/$pid/ns/net") != $(readlink /proc/1/ns/net) ]] || fail "not in a private network namespace"
        fi
        systemctl stop "$unit"
done
