#!/usr/bin/env bash
# Stop leaves nothing: a child that double-forked and left the session (setsid) is in the
# session's cgroup all the same and dies with it; Kill signals the session's processes.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

write_session descape <<'S'
[Session]
Exec=/bin/sh -c '( setsid sh -c "sleep 4321 & sleep 4322" & ) ; sleep infinity'
S

sessionctl start descape
cg=/sys/fs/cgroup/sessiond.slice/sessiond-descape.slice/sessiond-descape.service
wait_until 30 bash -c "grep -q . $cg/cgroup.procs && [[ \$(wc -l <$cg/cgroup.procs) -ge 4 ]]"
pids=$(cat $cg/cgroup.procs)
echo "session processes: $pids"
escapee=""
for p in $pids; do
        if tr '\0' ' ' </proc/$p/cmdline | grep -q 'sleep 4321'; then escapee=$p; fi
done
[[ -n $escapee ]] || fail "the double-forked sleep was not found"

step "kill --signal=SIGSTOP stops every process, SIGCONT resumes them"
sessionctl kill --signal=SIGSTOP descape
wait_until 10 bash -c "grep -q '^State:.*T' /proc/$escapee/status"
sessionctl kill --signal=CONT descape
wait_until 10 bash -c "! grep -q '^State:.*T' /proc/$escapee/status"

step "stop"
sessionctl stop descape
# A process that has exited may linger a moment as a zombie until its new parent (PID 1) reaps
# it: that is dead. Alive means a /proc entry in any state but Z.
for p in $pids; do
        state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$p/status" 2>/dev/null || true)
        if [[ -n $state && $state != Z ]]; then
                fail "process $p (state $state: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) survived the stop"
        fi
done
unit_gone descape || fail "unit left"
rc=0; sessionctl kill descape || rc=$?
assert_eq "$rc" 4 "kill of a gone session"
echo ok
