#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sessionctl's exec and attach verbs (built alone as agentctl) against a real sessiond-agent on a
# temp socket: exit codes, fd passthrough, options, -t, attach with detach key and scrollback.
set -euo pipefail
AGENT=$1 CTL=$2
command -v script >/dev/null || { echo "script(1) missing"; exit 77; }

d=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

start() {  # name, socket, agent args...
        local sock=$1; shift
        "$AGENT" --socket="$sock" "$@" 2>>"$d/agent.log" &
        pids+=($!)
        for _ in $(seq 100); do "$CTL" exec --agent-socket="$sock" x -- true 2>/dev/null && return 0; sleep 0.05; done
        fail "agent did not listen on $sock"
}
rc() { set +e; "$@"; echo $?; set -e; }

start "$d/s" --name=t -- sleep infinity
S=--agent-socket=$d/s

for c in 0 1 42; do
        [[ $(rc "$CTL" exec "$S" t -- sh -c "exit $c") == "$c" ]] || fail "exit $c"
done
[[ $(rc "$CTL" exec "$S" t -- sh -c 'kill -9 $$') == 137 ]] || fail "SIGKILL -> 137"
[[ $(rc "$CTL" exec "$S" t -- /nonexistent) == 127 ]] || fail "missing command -> 127"
[[ $(rc "$CTL" exec "$S" --timeout=0.3 t -- sleep 10 2>/dev/null) == 137 ]] || fail "timeout -> 137"

out=$(printf 'line1\nline2\n' | "$CTL" exec "$S" t -- sh -c 'cat; echo err >&2' 2>"$d/err")
[[ $out == $'line1\nline2' ]] || fail "stdin/stdout passthrough: $out"
[[ $(cat "$d/err") == err ]] || fail "stderr passthrough"
out=$("$CTL" exec "$S" -E A=1 --env=B='x y' -C /tmp t -- sh -c 'echo "$A/$B"; pwd')
[[ $out == $'1/x y\n/tmp' ]] || fail "env/workdir: $out"
[[ $(rc "$CTL" exec "$S" t 2>/dev/null) == 125 ]] || fail "usage error -> 125"

# exec -t: the command gets a terminal; the exit status still passes through. The client's stdout
# is a file, not script's PTY: once its child has ended, script polls its PTY for only about 10 ms
# more (util-linux), and under load (ASan, parallel tests) the output was once missing. The agent
# reads its own PTY until EAGAIN/EIO, and the kernel flushes pending slave output before either.
script -qec "$CTL exec -t $S t -- sh -c '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; exit 3' >$d/exec-t.out" /dev/null </dev/null && r=0 || r=$?
[[ $r == 3 ]] || fail "exec -t exit status $r"
[[ $(cat "$d/exec-t.out") == *on-a-tty* ]] || fail "exec -t: no tty: $(cat "$d/exec-t.out")"

# attach: scrollback first, input reaches the command, Ctrl-] detaches, the session lives on.
start "$d/t" --name=term --terminal -- sh -c 'echo ready-marker; while read l; do echo "got:$l"; done'
sleep 0.5
(sleep 1; printf 'ping\n'; sleep 1; printf '\035') |
        script -qfec "$CTL attach --agent-socket=$d/t term" /dev/null >"$d/attach1" || fail "attach failed"
grep -q ready-marker "$d/attach1" || fail "no scrollback: $(cat "$d/attach1")"
grep -q got:ping "$d/attach1" || fail "input did not arrive: $(cat "$d/attach1")"
grep -q Detached "$d/attach1" || fail "no detach message"
kill -0 "${pids[1]}" || fail "session died on detach"

# reattach read-only: the scrollback has what happened before; typed input is dropped.
(sleep 1; printf 'zzz\n'; sleep 1; printf '\035') |
        script -qfec "$CTL attach --read-only --agent-socket=$d/t term" /dev/null >"$d/attach2" || fail "attach -r failed"
grep -q got:ping "$d/attach2" || fail "reattach lacks scrollback: $(cat "$d/attach2")"
! grep -q got:zzz "$d/attach2" || fail "read-only input reached the command"
[[ $(rc "$CTL" attach "$S" t 2>/dev/null) == 1 ]] || fail "attach without terminal should fail"

# The main command's last output reaches a viewer that reads slowly: the agent drains its terminal
# and waits for its viewers before it exits (with the command's status). Without that the last
# ~100 KB of these 290 KB were lost. Once over a socket, once streamed (as for a vmspawn session).
for mode in socket --stream; do
        opt=; [[ $mode == socket ]] || opt=$mode
        "$AGENT" --socket="$d/tail" --name=tail --terminal -- sh -c 'read l; seq 1 50000; echo tail-end-marker; exit 7' 2>>"$d/agent.log" &
        tp=$!
        for _ in $(seq 100); do [[ -S $d/tail ]] && break; sleep 0.05; done
        (sleep 1; printf 'go\n'; sleep 5) |
                script -qfec "$CTL attach $opt --agent-socket=$d/tail tail" /dev/null 2>&1 | (sleep 3; cat) >"$d/tail.out"
        wait "$tp" && trc=0 || trc=$?
        [[ $trc == 7 ]] || fail "$mode: agent exit status $trc after lingering, want 7"
        grep -q tail-end-marker "$d/tail.out" || fail "$mode: the last output was lost: $(tail -c 60 "$d/tail.out")"
        n=$(tr -d '\r' <"$d/tail.out" | grep -cx '[0-9][0-9]*' || true)
        [[ $n == 50000 ]] || fail "$mode: $n of 50000 lines arrived"
        rm -f "$d/tail"
done
# a session that ended: a clear error and 125
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
err=$("$CTL" exec "$S" t -- true 2>&1) && fail "exec into an ended session succeeded"
[[ $err == *"Session t is not running"* ]] || fail "unclear error: $err"
[[ $(rc "$CTL" exec "$S" t -- true 2>/dev/null) == 125 ]] || fail "ended session -> 125"
echo OK
