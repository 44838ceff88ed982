#!/usr/bin/env bash
# A --terminal session under a transient unit, joined with sessionctl's attach verb inside tmux:
# scrollback on attach, input, window resize seen by `stty size`, Ctrl-] detach, reattach.
. "$SESSIOND_TEST_DIR/lib.sh"

AGENT=/usr/libexec/sessiond-agent
CTL=$HELPERS/agentctl
command -v tmux >/dev/null || skip "tmux missing"

name=att$$
unit=sessiond-test-$name.service
sock=/run/sessiond/agents/$name/agent.sock
cleanup_units+=("$unit")
trap 'tmux kill-server 2>/dev/null || true; cleanup' EXIT

systemd-run -q --unit="$unit" -p Type=notify -p NotifyAccess=main \
        -p DynamicUser=yes -p RuntimeDirectory=sessiond/agents/$name -p RuntimeDirectoryMode=0700 \
        -p ProtectSystem=strict -p PrivateDevices=yes -p PrivateNetwork=yes \
        "$AGENT" --name="$name" --terminal -- \
        sh -c 'echo ready-marker; while read l; do echo "got:$l"; [ "$l" = size ] && stty size; done'

screen() { tmux capture-pane -p -t t; }
seen() { screen | grep -q -- "$1"; }

step "attach: the scrollback comes first"
tmux new-session -d -s t -x 100 -y 30 "$CTL attach --agent-socket=$sock $name; sleep 600"
wait_until 30 seen ready-marker

step "input reaches the command; stty size sees the viewer's window"
tmux send-keys -t t 'size' Enter
wait_until 30 seen '^30 100'

step "a resize is forwarded"
tmux resize-window -t t -x 120 -y 40
sleep 1
tmux send-keys -t t 'size' Enter
wait_until 30 seen '^40 120'

step "Ctrl-] detaches; the session lives on"
tmux send-keys -t t C-]
wait_until 30 seen 'Detached from session'
systemctl is-active -q "$unit" || fail "session ended on detach"

step "reattach shows what happened before"
tmux kill-session -t t
tmux new-session -d -s t -x 100 -y 30 "$CTL attach --read-only --agent-socket=$sock $name; sleep 600"
wait_until 30 seen 'got:size'
screen | grep -q '^40 120' || fail "scrollback lacks earlier output: $(screen)"
