#!/usr/bin/env bash
# `sessionctl exec` into sessions that sessiond did not start: the generator's units from
# /etc/sessiond (tests/integration/boot-root). execgen.session is started with systemctl while
# sessiond already runs (status and list show it at once); demo.session was started at boot
# (AutoStart=yes) before sessiond.
# Exit codes 0, 1, 42 and 137 pass through, output and stdin arrive, and the command runs inside
# the session: its cgroup, its user, its limits, its (empty) network.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

name=execgen
unit=sessiond-$name.service
slice=sessiond-$name.slice
cleanup_units+=("$unit")

assert_eq "$(systemctl show -P FragmentPath "$unit")" "/run/systemd/generator/$unit" "the generator's unit"

step "start the generator's unit with systemctl while sessiond runs"
systemctl is-active -q sessiond.service || fail "sessiond is not running"
systemctl start "$unit"
wait_until 60 test -S /run/sessiond/agents/$name/agent.sock

step "sessiond shows it at once, before any exec: status (Describe) and list"
assert_eq "$(session_state "$name")" running "state of $name from status, before any exec"
# a second generator unit, for List (status above has adopted execgen already)
cat >/etc/sessiond/listgen.session <<'S'
[Session]
Exec=/bin/sleep infinity
S
cleanup_units+=(sessiond-listgen.service)
systemctl daemon-reload
systemctl start sessiond-listgen.service
out=$(sessionctl --no-legend list)
echo "$out"
grep -q '^listgen ' <<<"$out" || fail "sessionctl list does not show listgen, started after sessiond"
grep -q "^$name " <<<"$out" || fail "sessionctl list does not show $name"
varlinkctl call --more "$ADDR" io.sessiond.Manager.List '{}' | grep -q '"name" *: *"listgen"' ||
        fail "Varlink List does not show listgen"
systemctl stop sessiond-listgen.service
rm -f /etc/sessiond/listgen.session
systemctl daemon-reload
wait_until 60 bash -c "! sessionctl --no-legend list | grep -q '^listgen .*running'"

step "exit codes pass through"
for want in 0 1 42; do
        sessionctl exec "$name" -- /bin/sh -c "exit $want" && rc=0 || rc=$?
        assert_eq "$rc" "$want" "exit code of 'exit $want'"
done
sessionctl exec "$name" -- /bin/sh -c 'kill -9 $$' && rc=0 || rc=$?
assert_eq "$rc" 137 "exit code of a command killed by SIGKILL"
assert_eq "$(session_state "$name")" running "state of the adopted session"

step "stdout, stderr and stdin (EOF seen)"
out=$(sessionctl exec "$name" -- /bin/sh -c 'echo out; echo err >&2' 2>/run/gen-err.txt)
assert_eq "$out" out "stdout"
assert_eq "$(cat /run/gen-err.txt)" err "stderr"
out=$(printf 'line1\nline2' | sessionctl exec "$name" -- /bin/sh -c 'cat; echo "|eof"')
assert_eq "$out" "line1
line2|eof" "stdin through to EOF"

step "the command runs in the session's cgroup, as its user, with its limits"
main=$(systemctl show -P MainPID "$unit")
cg=$(sessionctl exec "$name" -- cat /proc/self/cgroup)
echo "$cg"
assert_match "$cg" "^0::/sessiond.slice/$slice/$unit(/|\$)" "cgroup of the exec'd command"
uid=$(sessionctl exec "$name" -- id -u)
assert_eq "$uid" "$(stat -c %u /proc/$main)" "uid of the exec'd command vs. the session's main process"
[[ $uid != 0 ]] || fail "the command ran as root"
assert_eq "$(sessionctl exec "$name" -- cat /sys/fs/cgroup/sessiond.slice/$slice/memory.max)" 100663296 \
        "memory.max seen from inside"
assert_eq "$(sessionctl exec "$name" -- grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t' ' ' | tr '\n' ' ')" \
        "NoNewPrivs: 1 Seccomp: 2 " "NoNewPrivs and the seccomp filter of the unit"
nets=$(sessionctl exec "$name" -- ls /sys/class/net | tr '\n' ' ')
assert_eq "$nets" "lo " "network interfaces inside (PrivateNetwork=yes)"
sessionctl exec "$name" -- ls /root >/dev/null 2>&1 && fail "the command can list /root despite ProtectHome=yes"

step "TasksMax=24 holds for exec'd commands too"
out=$(sessionctl exec "$name" -- /bin/sh -c 'i=0; while [ $i -lt 40 ]; do sleep 60 </dev/null >/dev/null 2>&1 & i=$((i + 1)); done; echo started' 2>&1) || true
echo "$out" | tail -n 3
[[ $out == *"annot fork"* || $out == *"an't fork"* || $out == *"Resource temporarily unavailable"* ]] || fail "40 forks went through TasksMax=24: $out"
pids=$(cat "/sys/fs/cgroup/sessiond.slice/$slice/pids.current")
((pids <= 24)) || fail "pids.current $pids > 24"
for p in $(cat $(find "/sys/fs/cgroup/sessiond.slice/$slice" -name cgroup.procs)); do
        if [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == "sleep 60 " ]]; then kill "$p" 2>/dev/null || true; fi
done

step "demo.session, started at boot by AutoStart=yes, takes exec too"
if systemctl is-active -q sessiond-demo.service; then
        out=$(sessionctl exec demo -- /bin/sh -c 'cat /proc/self/cgroup; exit 42') && rc=0 || rc=$?
        assert_eq "$rc" 42 "exit code in demo"
        assert_match "$out" "^0::/sessiond.slice/sessiond-demo.slice/sessiond-demo.service" "cgroup in demo"
else
        echo "NOTE: sessiond-demo.service is not active, skipping that part"
fi

step "after the unit stops, exec gets a clear error"
systemctl stop "$unit"
wait_until 60 bash -c "[[ \$(sessionctl --json=short status $name 2>/dev/null | jq -r .session.state) != running ]]"
out=$(sessionctl exec "$name" -- true 2>&1) && fail "exec into a stopped session succeeded"
echo "$out"
[[ $out == *"has ended"* || $out == *"No such session"* || $out == *"not running"* ]] || fail "unclear error: $out"
echo ok
