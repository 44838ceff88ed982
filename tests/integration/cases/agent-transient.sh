#!/usr/bin/env bash
# sessiond-agent as the main process of a hardened transient unit, driven the way sessiond and
# sessionctl will: commands exec'd through it run inside the unit (cgroup, dynamic user, limits,
# network, file system view), exit codes and bytes pass through unchanged, every exec is journaled.
. "$SESSIOND_TEST_DIR/lib.sh"

AGENT=/usr/libexec/sessiond-agent
CTL=$HELPERS/agentctl
[[ -x $AGENT ]] || fail "$AGENT not installed"

name=agt$$
unit=sessiond-test-$name.service
sock=/run/sessiond/agents/$name/agent.sock
cleanup_units+=("$unit")

step "start the agent under a hardened transient unit (Type=notify)"
systemd-run -q --unit="$unit" \
        -p Type=notify -p NotifyAccess=main \
        -p DynamicUser=yes -p RuntimeDirectory=sessiond/agents/$name -p RuntimeDirectoryMode=0700 \
        -p ProtectSystem=strict -p ProtectHome=yes -p PrivateTmp=yes -p PrivateDevices=yes \
        -p PrivateNetwork=yes -p NoNewPrivileges=yes -p MemoryMax=64M -p TasksMax=64 \
        -p LogExtraFields=SESSIOND_SESSION=$name \
        "$AGENT" --name="$name" -- sleep infinity
# Type=notify: systemd-run returned after READY=1, so the socket must be there now.
[[ -S $sock ]] || fail "no agent socket at $sock"
assert_eq "$(stat -c %a "/run/sessiond/agents/$name")" 700 "runtime directory mode"
main=$(systemctl show -P MainPID "$unit")
uid=$(stat -c %u "/proc/$main")
[[ $uid != 0 ]] || fail "agent runs as root"

x() { "$CTL" exec --agent-socket="$sock" "$name" -- "$@"; }
rc() { set +e; "$@"; echo $?; set -e; }

step "exec'd commands live in the unit's cgroup, as its dynamic user"
cg=$(x cat /proc/self/cgroup)
assert_eq "$cg" "0::/system.slice/$unit" "cgroup of an exec'd command"
assert_eq "$(x id -u)" "$uid" "uid of an exec'd command"
assert_eq "$(x cat /proc/self/status | awk '/^NoNewPrivs/ { print $2 }')" 1 "NoNewPrivs"

step "they see the session's limits, network and files, and no more"
assert_eq "$(x sh -c 'cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max')" 67108864 "memory.max seen inside"
assert_eq "$(x ls /sys/class/net | tr '\n' ' ')" "lo " "network interfaces inside"
[[ $(rc x touch /usr/agent-test 2>/dev/null) != 0 ]] || fail "/usr is writable inside"
x sh -c 'echo private > /tmp/agent-test'
[[ ! -e /tmp/agent-test ]] || fail "the session's /tmp is the host's"
assert_eq "$(x cat /tmp/agent-test)" private "the session's private /tmp persists between execs"
[[ $(rc x ls /root 2>/dev/null) != 0 ]] || fail "/root visible inside"

step "exit codes 0, 1, 42 and 137 pass through; a missing command is 127"
for c in 0 1 42; do
        assert_eq "$(rc x sh -c "exit $c")" "$c" "exit $c"
done
assert_eq "$(rc x sh -c 'kill -9 $$')" 137 "SIGKILL"
assert_eq "$(rc x /nonexistent 2>/dev/null)" 127 "missing command"

step "stdin EOF is seen; 100 MB of binary output arrive intact"
assert_eq "$(printf abc | x wc -c)" 3 "stdin through"
assert_eq "$(x cat </dev/null | wc -c)" 0 "stdin EOF"
head -c 100000000 /dev/urandom >/srv/agent-big
chmod 644 /srv/agent-big
want=$(sha256sum </srv/agent-big)
got=$(x cat /srv/agent-big | sha256sum)
rm -f /srv/agent-big
assert_eq "$got" "$want" "sha256 of 100 MB through exec"

step "exec -t gets a terminal inside the hardened unit (PrivateDevices=yes)"
# the client's stdout is a file: script drains its own PTY for only ~10 ms after its child ends
script -qec "$CTL exec -t --agent-socket=$sock $name -- sh -c 'tty; stty size' >/run/agent-transient.tty" /dev/null </dev/null
out=$(cat /run/agent-transient.tty)
rm -f /run/agent-transient.tty
assert_match "$out" "/dev/pts/[0-9]+" "tty inside"

step "each exec is in the journal with session, command, status and duration"
journalctl --sync
wait_until 30 sh -c "journalctl -q -o json SESSIOND_SESSION=$name SESSIOND_EXEC_STATUS=42 | grep -q SESSIOND_EXEC_DURATION_USEC"
journalctl -q -o verbose SESSIOND_SESSION="$name" SESSIOND_EXEC_STATUS=42 | grep -E 'MESSAGE|SESSIOND_' | head -n 8

step "stopping the unit ends it cleanly (SIGTERM forwarded; clean death)"
systemctl stop "$unit"
result=$(systemctl show -P Result "$unit")
assert_eq "$result" success "unit result after stop"
[[ ! -e $sock ]] || fail "socket left behind"

step "exec into an ended session gets a clear error"
err=$(rc x true 2>&1 || true)
echo "$err"
assert_match "$err" "Session $name is not running" "error text"
