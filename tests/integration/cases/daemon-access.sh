#!/usr/bin/env bash
# Access by peer uid: root manages every session, another user only the sessions it started,
# and it cannot start one that runs as someone else.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

write_session droot <<'S'
[Session]
Exec=/bin/sleep infinity
S
sessionctl start droot
ls -l /run/sessiond/io.sessiond.Manager
[[ $(stat -c %a /run/sessiond/io.sessiond.Manager) == 666 ]] || fail "socket mode"

step "nobody does not see or touch root's session"
out=$(as_nobody sessionctl --no-legend list)
[[ $out != *droot* ]] || fail "nobody sees droot: $out"
rc=0; as_nobody sessionctl stop droot || rc=$?
assert_eq "$rc" 7 "stop by nobody"
rc=0; as_nobody sessionctl kill --signal=KILL droot || rc=$?
assert_eq "$rc" 7 "kill by nobody"
rc=0; as_nobody sessionctl status droot || rc=$?
assert_eq "$rc" 7 "status by nobody"
rc=0; as_nobody varlinkctl call /run/sessiond/io.sessiond.Manager io.sessiond.Manager.Stop '{"name":"droot"}' 2>&1 || rc=$?
[[ $rc != 0 ]] || fail "varlinkctl Stop by nobody succeeded"
unit_active droot || fail "droot was stopped by nobody"

step "nobody may not start a session running as root or another user"
rc=0; as_nobody sessionctl start --text=$'[Session]\nUser=root\nExec=/bin/sleep 100\n' dnobody_root || rc=$?
assert_eq "$rc" 7 "start of a root session by nobody"
unit_gone dnobody_root || fail "a refused start left a unit"

step "nobody starts, sees and stops its own dynamic-user session"
as_nobody sessionctl start --text=$'[Session]\nDynamicUser=yes\nExec=/bin/sleep infinity\n' dnobody
daemon_sessions+=(dnobody)
assert_eq "$(session_field dnobody .session.owner)" 65534 "owner"
as_nobody sessionctl --no-legend list | grep -q '^dnobody ' || fail "nobody does not see its session"
as_nobody sessionctl status dnobody
as_nobody sessionctl stop dnobody
unit_gone dnobody || fail "dnobody left"

step "root may stop anyone's session"
as_nobody sessionctl start --text=$'[Session]\nExec=/bin/sleep infinity\n' dnobody2
daemon_sessions+=(dnobody2)
sessionctl stop dnobody2
sessionctl stop droot
echo ok
