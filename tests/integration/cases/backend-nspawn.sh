#!/usr/bin/env bash
# Backend=nspawn end to end, checked from outside:
#  - a small image built here (busybox-static + what sessiond-agent links against) in
#    /var/lib/machines, started from a generated unit: machined lists the machine, the limits are
#    on the session slice, exec reaches the agent inside the container (PID 1, own hostname);
#  - the host root with --volatile=yes, started by sessiond (sessionctl start): exec exit codes and
#    output, status, logs, Terminal=yes attach;
#  - egress through a veth: the host side is matched in the session's nft chain;
#  - stop leaves nothing: no unit, no machine, no mounts, no nft objects.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"

gen=/usr/lib/systemd/system-generators/sessiond-generator
agent=/usr/libexec/sessiond-agent
img=/var/lib/machines/sdmini
tmp=$(mktemp -d)
nspawn_cleanup() {
        systemctl stop sessiond-nsgen.service 2>/dev/null || true
        systemctl reset-failed sessiond-nsgen.service 2>/dev/null || true
        rm -f /run/systemd/system/sessiond-nsgen* /run/systemd/system/sessiond-nsgen\\x2d* 2>/dev/null || true
        systemctl daemon-reload || true
        rm -rf "$tmp" "$img"
        daemon_cleanup
}
trap nspawn_cleanup EXIT

machine_listed() { machinectl list --no-legend 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
machine_gone() { ! machine_listed "$1"; }
# Nothing of the machine may stay mounted on the host.
no_mounts() { ! grep -q -e "$1" /proc/self/mountinfo; }
cg() { cat "/sys/fs/cgroup/sessiond.slice/sessiond-$1.slice/$2"; }

step "build a small image in $img"
t0=$SECONDS
rm -rf "$img"
mkdir -p "$img"/usr/bin "$img"/usr/lib "$img"/usr/lib64 "$img"/etc "$img"/tmp "$img"/run "$img"/proc "$img"/sys "$img"/dev "$img"/workspace
for d in bin sbin lib lib64; do ln -s "usr/$([[ $d == sbin ]] && echo bin || echo $d)" "$img/$d"; done
cp /bin/busybox "$img/usr/bin/busybox"
for c in sh cat echo sleep id ls env true false wc touch; do ln -s busybox "$img/usr/bin/$c"; done
mkdir -p "$img$(dirname $agent)"
# what the agent links against, at the same paths
for lib in $(ldd "$agent" | grep -o '/[^ ]*'); do
        mkdir -p "$img$(dirname "$lib")"
        cp -L "$lib" "$img$lib"
done
cp /usr/lib/os-release "$img/usr/lib/os-release"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$img/etc/passwd"
printf 'root:x:0:\n' >"$img/etc/group"
echo "image: $(du -sh "$img" | cut -f1), built in $((SECONDS - t0)) s"

step "generator: Backend=nspawn from the image"
mkdir -p "$tmp/in" "$tmp/out"
cat >"$tmp/in/nsgen.session" <<'EOS'
[Session]
Backend=nspawn
Image=sdmini
Exec=/bin/sh -c "echo started-in-container; exec sleep 1000"
Environment=GREETING=hello
[Resources]
MemoryMax=96M
TasksMax=32
EOS
SESSIOND_UNIT_PATH=$tmp/in "$gen" --strict "$tmp/out" "$tmp/out" "$tmp/out"
grep ExecStart= "$tmp/out/sessiond-nsgen.service"
cp "$tmp/out"/sessiond-nsgen* /run/systemd/system/
systemctl daemon-reload
cleanup_units+=(sessiond-nsgen.service)
t0=$SECONDS
systemctl start sessiond-nsgen.service || {
        journalctl -b -u sessiond-nsgen.service --no-pager | tail -30
        fail "sessiond-nsgen.service did not start"
}
echo "started in $((SECONDS - t0)) s"
wait_until 60 test -S /run/sessiond/agents/nsgen/agent.sock
machinectl list --no-pager
machine_listed nsgen || fail "machined does not list nsgen"
assert_eq "$(machinectl show nsgen -p Unit --value)" sessiond-nsgen.service "machine's unit (--keep-unit)"

step "limits on the slice, from outside"
assert_eq "$(cg nsgen memory.max)" $((96 * 1024 * 1024)) "memory.max of the slice"
assert_eq "$(cg nsgen pids.max)" 32 "pids.max of the slice"
# the container's processes are below the slice
leader=$(machinectl show nsgen -p Leader --value)
grep -q "sessiond.slice/sessiond-nsgen.slice/sessiond-nsgen.service" "/proc/$leader/cgroup" ||
        fail "the container's PID 1 is not in the session's cgroup: $(cat "/proc/$leader/cgroup")"

step "root in the container is not root on the host (user namespace)"
uid_outside=$(awk '/^Uid:/ {print $2}' "/proc/$leader/status")
echo "container PID 1 runs as host uid $uid_outside"
(( uid_outside >= 65536 )) || fail "the container's PID 1 is host uid $uid_outside"
[[ $(stat -c %u /run/sessiond/agents/nsgen/agent.sock) == 0 ]] || fail "agent.sock is not root's on the host (idmap)"

step "exec inside the container, through the agent"
sock=/run/sessiond/agents/nsgen/agent.sock
out=$(sessionctl exec --agent-socket=$sock nsgen -- /bin/sh -c 'echo "$(cat /proc/sys/kernel/hostname) $(cat /proc/1/comm) $GREETING"; ls /usr/bin | wc -l; exit 4') && rc=0 || rc=$?
echo "$out"
assert_eq "$rc" 4 "exit status"
assert_eq "$(head -1 <<<"$out")" "nsgen sessiond-agent hello" "hostname, PID 1, environment inside"
# only the image's files: busybox and its links, not the host's /usr/bin
(( $(tail -1 <<<"$out") < 20 )) || fail "the container sees the host's /usr/bin"
journalctl -b -u sessiond-nsgen.service --no-pager | grep -q started-in-container || fail "payload output not in the unit's journal"

step "a memory hog is stopped by the slice's MemoryMax"
rc=0
sessionctl exec --agent-socket=$sock nsgen -- /bin/sh -c 'x=a; while :; do x="$x$x"; done' || rc=$?
echo "hog exit status $rc"
[[ $rc != 0 ]] || fail "the memory hog was not stopped"
oom=$(grep -o 'oom_kill [0-9]*' "/sys/fs/cgroup/sessiond.slice/sessiond-nsgen.slice/memory.events" | awk '{print $2}')
(( oom >= 1 )) || fail "no OOM kill in the slice"

step "stop leaves nothing"
systemctl stop sessiond-nsgen.service
wait_until 60 machine_gone nsgen
no_mounts "$img" || { grep "$img" /proc/self/mountinfo; fail "mounts of the image left"; }
no_mounts /run/sessiond/agents/nsgen || fail "agent runtime dir still mounted"
[[ ! -e /run/sessiond/agents/nsgen ]] || fail "agent runtime dir left"
[[ -z $(ls -A "$img/tmp") ]] || fail "the container wrote into the image (volatile=overlay expected)"

step "sessiond: Backend=nspawn on the host root (--volatile=yes), Terminal=yes"
write_session nsd <<'S'
[Session]
Backend=nspawn
Exec=/bin/sh -c "while :; do echo tick-tock; sleep 1; done"
Terminal=yes
[Resources]
MemoryMax=128M
TasksMax=48
S
t0=$SECONDS
sessionctl start nsd
echo "sessionctl start: $((SECONDS - t0)) s"
wait_state nsd running 60
wait_until 60 test -S /run/sessiond/agents/nsd/agent.sock
machine_listed nsd || fail "machined does not list nsd"
assert_eq "$(cg nsd memory.max)" $((128 * 1024 * 1024)) "memory.max of the slice"
assert_eq "$(cg nsd pids.max)" 48 "pids.max of the slice"
assert_eq "$(systemctl show -p Slice --value sessiond-nsd.service)" sessiond-nsd.slice "slice"

out=$(sessionctl exec nsd -- /bin/sh -c 'echo "$(cat /proc/sys/kernel/hostname) $(cat /proc/1/comm)"; echo err >&2; exit 7' 2>"$tmp/err") && rc=0 || rc=$?
echo "$out"
assert_eq "$rc" 7 "sessionctl exec exit status"
assert_eq "$out" "nsd sessiond-agent" "hostname and PID 1 inside"
assert_eq "$(cat "$tmp/err")" err "stderr"
sessionctl exec nsd -- /bin/true || fail "exit status 0"
# --volatile=yes: a tmpfs root, the host's files do not change
sessionctl exec nsd -- /bin/sh -c 'echo x >/etc/sessiond-nspawn-probe' || true
[[ ! -e /etc/sessiond-nspawn-probe ]] || { rm -f /etc/sessiond-nspawn-probe; fail "the container wrote to the host's /etc"; }
sessionctl exec nsd -- /bin/sh -c 'touch /usr/probe' 2>/dev/null && fail "/usr is writable inside" || true

sessionctl status nsd
assert_eq "$(session_state nsd)" running "status"

step "attach (Terminal=yes) sees the session's terminal"
if command -v script >/dev/null; then
        # attach on a pty made by script(1): the session's command prints a tick every second
        # on its terminal (the agent's PTY inside the container)
        rc=0
        (sleep 8; ) | timeout 10 script -qfec "sessionctl attach --read-only nsd" /dev/null >"$tmp/attach.txt" 2>&1 || rc=$?
        echo "attach exit status $rc"
        cat -v "$tmp/attach.txt" | head -5
        grep -q 'tick-' "$tmp/attach.txt" || fail "attach did not show the session's terminal"
else
        echo "NOTE: no script(1): attach not tried"
fi

step "sessiond stop leaves nothing, and the session ended cleanly"
sessionctl stop nsd
wait_until 60 machine_gone nsd
wait_until 60 unit_gone nsd
# the agent as the container's PID 1 exits 0 after a forwarded SIGTERM, as a service's main
# process dying of SIGTERM is success: no "exit-code" failure for a plain stop
wait_until 30 bash -c "journalctl -b -u sessiond.service --no-pager -g 'Session nsd ended' | grep -q ."
ended=$(journalctl -b -u sessiond.service --no-pager -o cat -g 'Session nsd ended' | tail -n1)
echo "$ended"
[[ $ended == *"unit result success"* ]] || fail "a stopped nspawn session did not end cleanly: $ended"
no_mounts /run/sessiond/agents/nsd || fail "agent runtime dir still mounted"

step "egress through a veth: the host side goes through the session's nft chain"
write_session nsnet <<'S'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Egress]
Allow=192.0.2.0/24
S
sessionctl start nsnet
wait_state nsnet running 60
ip link show vs-nsnet || fail "no host side veth vs-nsnet"
nft list chain inet sessiond machines | tee "$tmp/machines.txt"
grep -q 'iifname "vs-nsnet" jump s_nsnet' "$tmp/machines.txt" || fail "no nft rule for vs-nsnet"
nft list chain inet sessiond s_nsnet >/dev/null || fail "no session chain"
out=$(sessionctl exec nsnet -- /bin/sh -c 'ls /sys/class/net') || true
echo "interfaces inside: $out"
grep -qw host0 <<<"$out" || fail "no host0 inside the container"
sessionctl stop nsnet
wait_until 60 machine_gone nsnet
! ip link show vs-nsnet 2>/dev/null || fail "veth left"
! nft list chain inet sessiond s_nsnet 2>/dev/null || fail "session chain left"
! nft list chain inet sessiond machines | grep -q vs-nsnet || fail "machines rule left"

step "no network at all: --private-network; logs"
write_session nsnone <<'S'
[Session]
Backend=nspawn
Exec=/bin/sh -c "echo nsnone-up; exec sleep infinity"
S
sessionctl start nsnone
wait_state nsnone running 60
wait_until 30 bash -c "sessionctl logs nsnone 2>/dev/null | grep -q nsnone-up"
out=$(sessionctl exec nsnone -- /bin/sh -c 'ls /sys/class/net')
assert_eq "$(echo $out)" lo "interfaces inside"
sessionctl stop nsnone
wait_until 60 machine_gone nsnone

step "the isolation battery inside an nspawn session (host root, no network)"
. "$SESSIOND_TEST_DIR/security-lib.sh"
security_setup_host
write_session nsbat <<'S'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Resources]
MemoryMax=256M
TasksMax=32
S
sessionctl start nsbat
wait_state nsbat running 60
rc=0
sessionctl exec nsbat -- $CHECK --profile=restrictive --json=short "${CHECK_ARGS[@]}" >"$tmp/battery.json" 2>"$tmp/battery.err" || rc=$?
cat "$tmp/battery.err"
jq -r '.checks[] | "\(.verdict)  \(.name)  \(.detail)"' "$tmp/battery.json" || cat "$tmp/battery.json"
sessionctl stop nsbat
security_cleanup_host
echo "battery exit status $rc"
# nspawn's sandbox plus the agent's --sandbox=restrictive: the commands run as uid 61184 of the
# container without capabilities, with the profile's argument filters. Everything passes but
# memory-limit: the limit sits on the slice above the container's cgroup namespace and this run
# does not tell the battery its size (security-nspawn-check.sh does, with --memory-max=).
for c in cap-effective cap-permitted cap-bounding cap-ambient no-new-privs seccomp user-namespace non-root \
         read-shadow read-root-home read-home read-other-sessions read-proc1-environ write-rootfs write-usr \
         write-etc write-var private-tmp private-dev-shm setuid-file ptrace-traceme ptrace-attach host-processes \
         mount module-load raw-socket userns-create keyctl clock reboot bpf perf-event io-uring egress-deny tasks-limit; do
        assert_eq "$(verdict_of "$tmp/battery.json" "$c")" PASS "verdict of $c in an nspawn session"
done
echo ok
