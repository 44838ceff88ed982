#!/usr/bin/env bash
# Opt-in (tests/vm/run vmspawn): a real Backend=vmspawn session through sessiond. systemd-vmspawn
# boots the guest tree (/var/lib/machines/sessiond-guest, made by the harness: a copy of this
# root with sessiond installed) as a nested VM, under TCG inside this TCG VM; systemd in the guest
# runs sessiond-agent on vsock:1024 (sessiond-agent.service, from a systemd.extra-unit credential),
# and sessiond reaches it over AF_VSOCK.
# Shown: start through sessiond, machined lists the VM, exec answers from INSIDE the guest (its
# hostname, boot id and kernel command line differ from this machine's), stdin/stdout/stderr and
# exit codes cross the VM boundary, exec -t works streamed, and stop leaves no
# unit, no machine and no qemu. Skipped where there is no systemd-vmspawn (the default VM).
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/vmspawn-lib.sh"

write_session vmr <<'S'
[Session]
Backend=vmspawn
Image=sessiond-guest
Exec=/bin/sleep infinity
S
unit=sessiond-vmr.service
cleanup_units+=("$unit")

step "sessionctl verify"
sessionctl verify /etc/sessiond/vmr.session

if [[ ! -w /dev/kvm ]]; then
        step "no KVM here: by default sessiond refuses, naming /dev/kvm (systemd-vmspawn is installed)"
        rc=0
        out=$(sessionctl start vmr 2>&1) || rc=$?
        echo "$out"
        [[ $rc != 0 ]] || fail "start without KVM succeeded without the opt-in"
        assert_match "$out" "/dev/kvm" "reason"
        [[ $out != *"not installed"* ]] || fail "reason names a missing binary: $out"
        unit_gone vmr || fail "a unit was left"
fi

trap 'vmspawn_cleanup vmr' EXIT
vmspawn_env "$vm_limit" vmr
assert_eq "$(systemctl show -P LoadState "$unit")" not-found "$unit before the start"

step "without virtiofsd (it shares the image directory) Start is refused naming it, nothing left"
vfs=
for f in "$(command -v virtiofsd || true)" /usr/libexec/virtiofsd /usr/lib/virtiofsd; do
        [[ -n $f && -x $f ]] && { vfs=$f; break; }
done
[[ -n $vfs ]] || fail "no virtiofsd here"
mount --bind /dev/null "$vfs"
rc=0
out=$(sessionctl start vmr 2>&1) || rc=$?
umount "$vfs"
echo "$out"
[[ $rc != 0 ]] || fail "Start succeeded without virtiofsd"
assert_match "$out" "BackendUnavailable|unavailable" "error"
assert_match "$out" "virtiofsd is not installed" "reason"
unit_gone vmr || fail "a unit was left"
! sessionctl status vmr >/dev/null 2>&1 || fail "sessiond keeps a record of vmr"

step "sessionctl start vmr (through sessiond; returns when the agent in the guest answers)"
t0=$(now)
rc=0
start_vm vmr || rc=$?
t1=$(now)
systemctl show -P ExecStart "$unit" | head -c 2000; echo
if ((rc != 0)); then
        journalctl -b -u "$unit" --no-pager -o short-monotonic | tail -n 150
        fail "sessionctl start vmr failed ($rc)"
fi
echo "FIGURE vmspawn-session-start $(secs "$t0" "$t1") s (sessionctl start until the agent in the guest answered; KVM: $kvm)"
journalctl -b -u sessiond.service --no-pager -o cat | grep -F "Session vmr: " || fail "sessiond logged nothing of vmr"
journalctl -b -u sessiond.service --no-pager -o cat | grep -F "Session vmr: its agent answers on vsock:" ||
        fail "sessiond did not log the agent's answer"
assert_eq "$(session_state vmr)" running "state"
assert_eq "$(session_field vmr .session.backend)" vmspawn "backend"

step "machined lists the VM"
machinectl list --no-legend --no-pager
machinectl list --no-legend --no-pager | grep -E '^vmr +vm ' || fail "machinectl does not list vmr as a vm"
# (so that the checks after the stop that they are gone can fail)
running qemu-system-x86 || fail "no qemu runs the VM"
running virtiofsd || fail "no virtiofsd shares the guest's root"

step "exec answers from inside the guest, at once after Start returned"
rc=0
t2=$(now)
inside=$(sessionctl exec vmr -- sh -c 'echo "$(hostname) $(cat /proc/sys/kernel/random/boot_id) $(cat /proc/1/comm) $(id -u)"; uname -r' 2>&1) || rc=$?
t3=$(now)
echo "$inside"
((rc == 0)) || { journalctl -b -u "$unit" --no-pager -o cat | tail -n 80; fail "the first exec after Start failed ($rc)"; }
echo "FIGURE vmspawn-session-first-exec $(secs "$t2" "$t3") s (the first sessionctl exec after start returned)"
read -r ghost gboot gcomm guid <<<"$(head -n1 <<<"$inside")"
assert_eq "$ghost" sessiond-guest "hostname inside"
[[ $gboot != "$(cat /proc/sys/kernel/random/boot_id)" ]] || fail "exec ran on this machine (same boot id)"
assert_eq "$gcomm" systemd "PID 1 inside"
assert_eq "$guid" 0 "uid inside (the agent runs the command as the guest's root)"
cmdline=$(sessionctl exec vmr -- cat /proc/cmdline)
echo "guest kernel command line: $cmdline"
assert_match "$cmdline" "rootfstype=virtiofs" "guest booted the virtiofs root"
assert_match "$cmdline" "systemd.wants=sessiond-agent.service" "guest pulls in the agent's unit"
agent_unit=$(sessionctl exec vmr -- systemctl show -p Type -p ExecStart -p SuccessAction sessiond-agent.service)
echo "$agent_unit"
assert_match "$agent_unit" "sessiond-agent --name=vmr --socket=vsock:1024" "the guest's agent unit"
assert_match "$agent_unit" "Type=exec" "its type"
! grep -q virtiofs /proc/cmdline || fail "this machine's own command line has virtiofs"

step "stdin, stdout, stderr and exit codes cross the VM boundary"
out=$(printf 'hello from L1' | sessionctl exec vmr -- sh -c 'cat; echo; echo to-stderr >&2; exit 7' 2>/run/vmr.err) && rc=0 || rc=$?
assert_eq "$rc" 7 "exit code of the command in the guest"
assert_eq "$out" "hello from L1" "stdout (stdin echoed)"
assert_eq "$(cat /run/vmr.err)" to-stderr "stderr"
rc=0
sessionctl exec vmr -- /bin/false || rc=$?
assert_eq "$rc" 1 "exit code of /bin/false"
rc=0
sessionctl exec vmr -- /nonexistent 2>/run/vmr.err || rc=$?
cat /run/vmr.err
[[ $rc != 0 ]] || fail "a missing command in the guest succeeded"
t4=$(now)
sessionctl exec vmr -- /bin/true
echo "FIGURE vmspawn-exec-true $(secs "$t4" "$(now)") s (sessionctl exec -- /bin/true, warm)"

step "terminals cross the VM boundary streamed (no fds over AF_VSOCK): exec -t and its exit code"
rc=0
# the client's stdout is a file: script's own PTY drains for only ~10 ms after its child ends
script -qec "sessionctl exec -t vmr -- sh -c 'tty; [ -t 0 ] && echo on-a-tty; exit 3' >/run/vmr.tty" /dev/null </dev/null || rc=$?
out=$(cat /run/vmr.tty)
echo "rc=$rc: $out"
assert_eq "$rc" 3 "exit code of exec -t in the guest"
assert_match "$out" "/dev/pts/" "the command's tty in the guest"
assert_match "$out" "on-a-tty" "stdin is a terminal in the guest"

step "sessionctl stop leaves nothing"
t5=$(now)
sessionctl stop vmr
echo "FIGURE vmspawn-session-stop $(secs "$t5" "$(now)") s"
wait_until 120 unit_gone vmr
wait_until 60 slice_gone vmr
! machinectl list --no-legend --no-pager | grep -q '^vmr ' || fail "machined still lists vmr"
! running qemu-system-x86 || fail "qemu left running"
! running virtiofsd || fail "virtiofsd left running"

echo ok
