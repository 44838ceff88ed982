#!/usr/bin/env bash
# cleanup-stale unmounts workspaces whose session unit is not running (asked from PID 1 over
# D-Bus) and leaves those of running sessions alone; tmpfs mode honours --size=.
. "$SESSIOND_TEST_DIR/lib.sh"

helper=/usr/libexec/sessiond-workspace
ws=/run/sessiond/workspaces

step "a workspace of a session that is not running, one of a running session"
$helper setup wsstale --mode=tmpfs --size=4M
findmnt "$ws/wsstale/merged" || fail "tmpfs not mounted"
head -c 8M /dev/zero >"$ws/wsstale/merged/big" 2>/dev/null && fail "--size=4M not enforced"
rm -f "$ws/wsstale/merged/big"

cleanup_units+=(sessiond-wslive.service)
systemd-run -q --unit=sessiond-wslive -p DynamicUser=yes \
        -p "ExecStartPre=+$helper setup wslive --mode=tmpfs" \
        -p "ExecStopPost=+$helper teardown wslive" \
        -p "BindPaths=-$ws/wslive/merged:/workspace" \
        /bin/sh -c 'touch /workspace/mine; exec sleep infinity'
wait_until 60 test -e "$ws/wslive/merged/mine"
[[ $(stat -c %U "$ws/wslive/merged") != root ]] || fail "tmpfs of a DynamicUser session owned by root"

step "cleanup-stale"
out=$($helper cleanup-stale)
echo "$out"
assert_eq "$out" "$ws/wsstale/merged" "unmounted"
findmnt "$ws/wsstale/merged" && fail "stale mount left"
findmnt "$ws/wslive/merged" >/dev/null || fail "a running session's workspace was unmounted"

step "a busy stale mount is detached lazily"
$helper setup wsbusy --mode=tmpfs
exec 7>"$ws/wsbusy/merged/held"
out=$($helper cleanup-stale --live=wslive)
assert_eq "$out" "$ws/wsbusy/merged" "unmounted"
findmnt "$ws/wsbusy/merged" && fail "busy stale mount left"
exec 7>&-

systemctl stop sessiond-wslive
findmnt "$ws/wslive/merged" && fail "teardown left the mount"
$helper teardown wsstale
$helper teardown wsbusy
echo ok
