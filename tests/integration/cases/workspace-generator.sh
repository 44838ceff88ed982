#!/usr/bin/env bash
# A generator session (/etc/sessiond, daemon-reload, systemctl start; no sessiond involved) with
# [Workspace] Mode=overlay and OnEnd=persist, under the restrictive profile: writes land in the
# overlay, the host directory never changes, and ExecStopPost= keeps every byte whatever ends it:
# MaxRuntime= (timeout), systemctl stop, and SIGKILL of the main process (a crash).
. "$SESSIOND_TEST_DIR/lib.sh"

name=wsgen
src=/srv/wsgen-src
state=/var/lib/sessiond/workspaces/$name
merged=/run/sessiond/workspaces/$name/merged
unit=sessiond-$name.service

host_digest() {
        (cd "$1" && find . -printf '%p %y %m %u:%g %s\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

rm -rf "$src" "$state"
mkdir -p "$src"
echo "from the host" >"$src/host.txt"
before=$(host_digest "$src")
cleanup_units+=("$unit")
# Over only once ExecStopPost= is done: "deactivating" is not yet.
unit_over() { [[ $(systemctl show -p ActiveState --value $unit) == @(inactive|failed) ]]; }
trap 'cleanup; rm -f /etc/sessiond/$name.session; systemctl daemon-reload' EXIT

write_unit() {  # MaxRuntime, Exec
        mkdir -p /etc/sessiond
        cat >/etc/sessiond/$name.session <<S
[Session]
Exec=$2
OnEnd=persist
MaxRuntime=$1

[Workspace]
Path=$src
Mode=overlay
S
        systemctl daemon-reload
}

step "the generated unit"
write_unit 40s "/bin/sh -c 'cd /workspace && head -c 4M /dev/urandom > big && sha256sum big > SUMS && touch DONE && exec sleep infinity'"
systemctl cat $unit | grep -E '^(ExecStartPre|ExecStopPost|BindPaths|RuntimeMaxSec)='
systemctl cat $unit | grep -q "^ExecStopPost=+/usr/libexec/sessiond-workspace teardown $name --persist$" ||
        fail "no persisting teardown in the generated unit"

step "MaxRuntime= ends it: every byte kept"
systemctl start $unit
wait_until 120 test -f "$merged/DONE"
[[ ! -e $src/big ]] || fail "the session wrote into the host directory"
wait_until 120 unit_over
systemctl show -p Result --value $unit
assert_eq "$(systemctl show -p Result --value $unit)" timeout "result"
(cd "$state/saved" && sha256sum --quiet -c SUMS) || fail "saved bytes differ after the timeout"
findmnt "$merged" && fail "still mounted"
systemctl reset-failed $unit 2>/dev/null || true

step "systemctl stop: kept"
write_unit 10min "/bin/sh -c 'echo stopped > /workspace/stop.txt && exec sleep infinity'"
systemctl start $unit
wait_until 120 test -f "$merged/stop.txt"
systemctl stop $unit
[[ $(cat "$state/saved/stop.txt") == stopped ]] || fail "stop lost the workspace"

step "SIGKILL of the main process (a crash): kept"
write_unit 10min "/bin/sh -c 'echo crashed > /workspace/crash.txt && exec sleep infinity'"
systemctl start $unit
wait_until 120 test -f "$merged/crash.txt"
systemctl kill --kill-whom=main -s KILL $unit
wait_until 120 unit_over
systemctl show -p Result --value $unit
[[ $(cat "$state/saved/crash.txt") == crashed ]] || fail "a crash lost the workspace"
findmnt "$merged" && fail "still mounted after the crash"

step "the host directory is untouched"
assert_eq "$(host_digest "$src")" "$before" "host directory"
rm -rf "$src" "$state"
echo ok
