#!/usr/bin/env bash
# When sessiond starts, workspaces left mounted by sessions that no longer run are unmounted
# (sessiond.service: ExecStartPre=-+sessiond-workspace cleanup-stale); a running session's
# workspace stays mounted.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

helper=/usr/libexec/sessiond-workspace
ws=/run/sessiond/workspaces
src=/srv/wsstaled-src
mkdir -p "$src"

step "a stale workspace (no unit), and a running session's"
$helper setup wsstaled --mode=overlay --path="$src"
findmnt "$ws/wsstaled/merged" >/dev/null || fail "stale overlay not mounted"
write_session wslived <<S
[Session]
Exec=/bin/sleep infinity

[Workspace]
Path=$src
Mode=overlay
S
sessionctl start wslived
findmnt "$ws/wslived/merged" >/dev/null || fail "running session's overlay not mounted"

step "sessiond restarts"
timeout 300 systemctl restart sessiond.service
journalctl -b -u sessiond.service --no-pager | grep sessiond-workspace | tail -n 3 || true
findmnt "$ws/wsstaled/merged" && fail "the stale workspace is still mounted"
findmnt "$ws/wslived/merged" >/dev/null || fail "the running session's workspace was unmounted"
assert_eq "$(session_state wslived)" running "state of the running session after the restart"

sessionctl stop wslived
findmnt "$ws/wslived/merged" && fail "stop left the mount"
$helper teardown wsstaled
rm -rf "$src" /var/lib/sessiond/workspaces/wsstaled /var/lib/sessiond/workspaces/wslived
echo ok
