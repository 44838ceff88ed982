#!/usr/bin/env bash
# MaxRuntime= ends a session through PID 1 (RuntimeMaxSec=, result timeout); IdleTimeout= ends
# an idle session (result idle) but not one that computes.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

write_session dshort <<'S'
[Session]
Exec=/bin/sleep infinity
MaxRuntime=5s
OnEnd=persist
S
write_session didle <<'S'
[Session]
Exec=/bin/sleep infinity
IdleTimeout=8s
OnEnd=persist
S
write_session dbusy <<'S'
[Session]
Exec=/bin/sh -c 'while :; do :; done'
IdleTimeout=8s
OnEnd=persist
[Resources]
CPUQuota=30%
S

sessionctl start dshort
sessionctl start didle
sessionctl start dbusy

step "MaxRuntime=5s"
wait_state dshort ended 90
assert_eq "$(session_result dshort)" timeout "result after MaxRuntime"

step "IdleTimeout=8s on an idle session"
wait_state didle ended 120
assert_eq "$(session_result didle)" idle "result of the idle session"

step "the busy session outlives its IdleTimeout"
sleep 10
assert_eq "$(session_state dbusy)" running "state of the busy session"
unit_active dbusy || fail "busy session's unit ended"
sessionctl status dbusy

step "persisted records stay until stop"
sessionctl --no-legend list
sessionctl stop dshort didle dbusy
unit_gone dbusy || fail "dbusy left"
rc=0; sessionctl status didle || rc=$?
assert_eq "$rc" 4 "status after stop of an ended session"
echo ok
