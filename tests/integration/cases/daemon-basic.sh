#!/usr/bin/env bash
# sessiond starts, lists, describes and stops a transient session, through sessionctl and
# through varlinkctl; a second Start of the same name is refused and starts nothing.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

write_session dbasic <<'S'
[Session]
Description=daemon-basic test session
Exec=/bin/sleep infinity
MaxRuntime=1h
OnEnd=discard

[Resources]
MemoryMax=64M
TasksMax=32
S

step "the interface introspects"
varlinkctl introspect "$ADDR" io.sessiond.Manager | tee /dev/stderr | grep -q 'method Start('

step "start from /etc/sessiond via sessionctl"
out=$(sessionctl start dbasic)
echo "$out"
assert_match "$out" "dbasic: running" "start output"
unit_active dbasic || fail "sessiond-dbasic.service is not active"
assert_eq "$(systemctl show -P Slice sessiond-dbasic.service)" "sessiond-dbasic.slice" "slice of the service"
assert_eq "$(systemctl show -P MemoryMax sessiond-dbasic.slice)" "$((64 * 1024 * 1024))" "MemoryMax on the slice"
assert_eq "$(systemctl show -P TasksMax sessiond-dbasic.slice)" "32" "TasksMax on the slice"
assert_eq "$(systemctl show -P RuntimeMaxUSec sessiond-dbasic.service)" "1h" "RuntimeMaxSec on the service"
assert_eq "$(systemctl show -P KillMode sessiond-dbasic.service)" "control-group" "KillMode"
[[ -f $STATE_DIR/dbasic.json ]] || fail "no state file"
jq -e '.owner == 0 and .state == "running"' "$STATE_DIR/dbasic.json"

step "a second start of the same name is refused"
rc=0; sessionctl start dbasic || rc=$?
assert_eq "$rc" 5 "exit code of a duplicate start"
assert_eq "$(systemctl list-units --all --plain --no-legend 'sessiond-dbasic*' | wc -l)" 2 "units of dbasic (service + slice)"

step "list and status"
sessionctl list
sessionctl list --no-legend | grep -E '^dbasic +running' || fail "dbasic not listed as running"
sessionctl --json=short list | jq -e '.[] | select(.name == "dbasic") | .state == "running"'
sessionctl status dbasic
assert_eq "$(session_state dbasic)" running "state"
mem=$(session_field dbasic '.figures.memoryCurrent')
[[ $mem =~ ^[0-9]+$ ]] || fail "no MemoryCurrent in status: $mem"
tasks=$(session_field dbasic '.figures.tasksCurrent')
[[ $tasks -ge 1 ]] || fail "no TasksCurrent: $tasks"
left=$(session_field dbasic '.figures.lifetimeLeftUSec')
[[ $left -gt 3000000000 && $left -le 3600000000 ]] || fail "lifetime left: $left"

step "inline session through varlinkctl"
varlinkctl call "$ADDR" io.sessiond.Manager.Start \
        '{"name":"dinline","sessionText":"[Session]\nExec=/bin/sleep infinity\n"}' | tee /dev/stderr |
        jq -e '.session.state == "running" and .session.origin == "<inline>"'
daemon_sessions+=(dinline)
unit_active dinline || fail "sessiond-dinline.service is not active"

step "stop both"
sessionctl stop dbasic dinline
unit_gone dbasic || fail "sessiond-dbasic.service still there"
unit_gone dinline || fail "sessiond-dinline.service still there"
wait_until 30 slice_gone dbasic
[[ ! -e $STATE_DIR/dbasic.json ]] || fail "state of a discarded session left behind"
rc=0; sessionctl status dbasic || rc=$?
assert_eq "$rc" 4 "status of a stopped (discarded) session"
echo "ok"
