#!/usr/bin/env bash
# The terminal lives in the session, not in sessiond: a Terminal=yes session started through
# sessiond, joined with `sessionctl attach` (in tmux), survives `systemctl restart sessiond` and a
# kill -9 of sessiond. A viewer attached across the restart keeps working; a new attach afterwards
# shows the scrollback, and input still reaches the same running command.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
command -v tmux >/dev/null || skip "tmux missing"

name=rtty
unit=sessiond-$name.service
trap 'tmux kill-server 2>/dev/null || true; daemon_cleanup' EXIT

write_session "$name" <<'S'
[Session]
Terminal=yes
Exec=/bin/sh -c 'echo ready-marker; while read l; do echo "got:$l"; done'
S
sessionctl start "$name"
wait_until 60 test -S /run/sessiond/agents/$name/agent.sock
wait_state "$name" running 60
main=$(systemctl show -P MainPID "$unit")
child=$(cat /proc/$main/task/$main/children | awk '{ print $1 }')
[[ -n $child ]] || fail "the agent has no child"

screen() { tmux capture-pane -p -S -100 -t "$1"; }
seen() { screen "$1" | grep -q -- "$2"; }

step "attach and type"
tmux new-session -d -s v1 -x 100 -y 30 "sessionctl attach $name; echo viewer-exited; sleep 600"
wait_until 60 seen v1 ready-marker
tmux send-keys -t v1 'one' Enter
wait_until 60 seen v1 '^got:one'

step "systemctl restart sessiond: the session runs on, the attached viewer keeps working"
systemctl restart sessiond.service
systemctl is-active -q "$unit" || fail "the session stopped with sessiond"
assert_eq "$(systemctl show -P MainPID "$unit")" "$main" "MainPID after the restart"
[[ -d /proc/$child ]] || fail "the session's command died with sessiond"
wait_state "$name" running 60
tmux send-keys -t v1 'two' Enter
wait_until 60 seen v1 '^got:two'
seen v1 viewer-exited && fail "the viewer was dropped by the restart"

step "detach"
tmux send-keys -t v1 C-]
wait_until 60 seen v1 'Detached from session'
tmux kill-session -t v1

step "reattach after the restart: scrollback, then input"
tmux new-session -d -s v2 -x 100 -y 30 "sessionctl attach $name; echo viewer-exited; sleep 600"
wait_until 60 seen v2 '^got:two'
seen v2 '^got:one' || fail "scrollback lacks the output from before the restart: $(screen v2)"
tmux send-keys -t v2 'three' Enter
wait_until 60 seen v2 '^got:three'
tmux send-keys -t v2 C-]
wait_until 60 seen v2 'Detached from session'
tmux kill-session -t v2

step "kill -9 sessiond, attach again (socket activation brings it back)"
spid=$(systemctl show -P MainPID sessiond.service)
[[ $spid -gt 0 ]] || fail "sessiond has no main PID"
kill -9 "$spid"
wait_until 60 bash -c "! kill -0 $spid 2>/dev/null"
[[ -d /proc/$child ]] || fail "the session's command died with sessiond"
tmux new-session -d -s v3 -x 100 -y 30 "sessionctl attach $name; echo viewer-exited; sleep 600"
wait_until 120 seen v3 '^got:three'
seen v3 '^got:one' || fail "scrollback lacks the first output after kill -9: $(screen v3)"
tmux send-keys -t v3 'four' Enter
wait_until 60 seen v3 '^got:four'
assert_eq "$(systemctl show -P MainPID "$unit")" "$main" "MainPID after kill -9 of sessiond"
assert_eq "$(session_state "$name")" running "state seen by the new sessiond"
tmux send-keys -t v3 C-]
wait_until 60 seen v3 'Detached from session'
echo ok
