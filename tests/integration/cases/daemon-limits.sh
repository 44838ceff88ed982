#!/usr/bin/env bash
# Limits live on the session's slice and PID 1 enforces them: a memory hog is OOM-killed inside
# its own session (result oom) while a neighbour keeps running, and a fork bomb is capped by
# TasksMax= without harm to anyone else.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

write_session dhog <<'S'
[Session]
Exec=/bin/sh -c 'sleep 1; head -c 300M /dev/zero | tail >/dev/null; sleep infinity'
OnEnd=persist
[Resources]
MemoryMax=32M
MemorySwapMax=0
S
write_session dcalm <<'S'
[Session]
Exec=/bin/sleep infinity
[Resources]
MemoryMax=32M
S
write_session dbomb <<'S'
[Session]
Exec=/bin/sh -c 'sleep infinity & (b() { b & b & }; b) & wait'
[Resources]
TasksMax=24
S

step "memory hog next to a calm session"
sessionctl start dcalm
sessionctl start dhog
wait_state dhog ended 120
sessionctl status dhog || true
assert_eq "$(session_result dhog)" oom "result of the hog"
unit_active dcalm || fail "the calm neighbour was hit"
assert_eq "$(session_state dcalm)" running "state of the neighbour"
unit_gone dhog || fail "the hog's unit is still loaded after its end was recorded"
jq -e '.state == "ended" and .result == "oom"' "$STATE_DIR/dhog.json"

# The main shell forks twice before the bomb goes off (a sleep that keeps the session alive,
# then the bomb's own subshell) and then only waits: it never needs a fork once the slice is
# full, so the session outlives the bomb and its pids.events can be read.
step "fork bomb under TasksMax=24"
sessionctl start dbomb
cg=/sys/fs/cgroup/sessiond.slice/sessiond-dbomb.slice
wait_until 60 bash -c "[[ \$(sed -n 's/^max //p' $cg/pids.events) -gt 0 ]]"
assert_eq "$(cat $cg/pids.max)" 24 "pids.max of the slice"
cur=$(cat $cg/pids.current)
echo "tasks in the bomb's slice: $cur"
((cur <= 24)) || fail "TasksMax exceeded: $cur"
# the host still forks fine
for i in 1 2 3; do /bin/true; done
unit_active dcalm || fail "the calm neighbour was hit by the bomb"
unit_active dbomb || fail "the bomb's session ended: its main process could not survive the limit"

step "stop cleans up everything"
sessionctl stop dbomb dcalm dhog
unit_gone dbomb || fail "bomb unit left"
wait_until 60 bash -c "[[ ! -e $cg ]]"
[[ ! -e $STATE_DIR/dhog.json ]] || fail "stop of an ended persist session leaves its record"
echo ok
