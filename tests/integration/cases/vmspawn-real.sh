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
command -v systemd-vmspawn >/dev/null || skip "no systemd-vmspawn here (run it with tests/vm/run vmspawn)"
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
guest=/var/lib/machines/sessiond-guest
[[ -d $guest/boot/loader/entries ]] || fail "no guest tree at $guest (tests/vm/run vmspawn makes it)"
[[ $(head -c2 "$guest/usr/libexec/sessiond-agent") != '#!' ]] || fail "the guest has no real sessiond-agent"

now() { python3 -c 'import time; print(time.monotonic())'; }
secs() { python3 -c "print(round($2 - $1, 1))"; }

write_session vmr <<'S'
[Session]
Backend=vmspawn
Image=sessiond-guest
Exec=/bin/sleep infinity
S
unit=sessiond-vmr.service
cleanup_units+=("$unit")

# vmspawn-nested (run before) found whether KVM on this VM's emulated SVM runs a guest. If not,
# /dev/kvm goes away, so that systemd-vmspawn does not pick a KVM that cannot work.
if [[ -e /dev/kvm && $(cat /run/sessiond-vmspawn-kvm 2>/dev/null) == 0 ]]; then
        step "KVM here cannot run a guest (vmspawn-nested): unloading kvm_amd"
        rmmod kvm_amd kvm 2>&1 || true
        [[ ! -e /dev/kvm ]] || fail "/dev/kvm is still there"
fi
echo "KVM for the guest: $([[ -w /dev/kvm ]] && echo "yes (on emulated SVM)" || echo "no (vmspawn uses TCG in this TCG VM)")"

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

# The administrator's opt-in to emulation, and (only for this machine's slowness: the nested guest
# boots in minutes under TCG in TCG) a start timeout longer than PID 1's default 90 s, which would
# kill vmspawn while it waits for the guest's READY=1, and as long a wait for the agent after it.
kvm=0
[[ -w /dev/kvm ]] && kvm=1
limit=$((kvm ? 600 : 1800))
mkdir -p /run/systemd/system/sessiond.service.d /run/systemd/system/$unit.d
sessiond_env() {  # the agent wait limit in s
        printf '[Service]\nEnvironment=SESSIOND_VMSPAWN_ALLOW_TCG=1 SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC=%s\n' "$1" \
                >/run/systemd/system/sessiond.service.d/50-tcg.conf
        # A daemon-reload runs sessiond-generator, which would make a unit of /etc/sessiond/vmr.session
        # (and sessiond would then see vmr as existing): the file is away while PID 1 reloads.
        mv /etc/sessiond/vmr.session /run/vmr.session
        systemctl daemon-reload
        mv /run/vmr.session /etc/sessiond/vmr.session
        timeout 300 systemctl restart sessiond.service
}
printf '[Service]\nTimeoutStartSec=%s\n' "$limit" >/run/systemd/system/$unit.d/50-nested-tcg.conf
agent=$guest/usr/libexec/sessiond-agent
trap '[[ -e $agent.real ]] && mv -f "$agent.real" "$agent"
      rm -rf /run/systemd/system/sessiond-vmr.service.d /run/systemd/system/sessiond.service.d/50-tcg.conf
      systemctl daemon-reload; daemon_cleanup; systemctl restart sessiond.service' EXIT

sessiond_env "$limit"
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
out=$(sessionctl start vmr 2>&1) || rc=$?
t1=$(now)
echo "$out"
systemctl show -P ExecStart "$unit" | head -c 2000; echo
# sessionctl gives up on a call after 600 s; a nested TCG boot may take longer. The session keeps
# starting without it: then wait for sessiond to say it runs.
if ((rc != 0)) && [[ $(session_state vmr) == starting ]]; then
        echo "sessionctl start gave up after $(secs "$t0" "$t1") s with the session still starting; waiting"
        for _ in $(seq 1 300); do
                [[ $(session_state vmr) == starting ]] || break
                sleep 5
        done
        t1=$(now)
        rc=0
        [[ $(session_state vmr) == running ]] || rc=1
fi
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
! pgrep -x qemu-system-x86 >/dev/null || { pgrep -a qemu-system; fail "qemu left running"; }
! pgrep -x virtiofsd >/dev/null || { pgrep -a virtiofsd; fail "virtiofsd left running"; }

# The VM's READY=1 comes from the guest's PID 1 at basic.target, before the agent listens: sessiond
# waits for the agent, within a limit. A guest whose agent never listens (here a stand-in that
# only sleeps) fails the start with the address named, and nothing is left of the VM.
step "a guest whose agent never answers: Start fails after SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC, nothing left"
sessiond_env $((kvm ? 20 : 60))
mv "$agent" "$agent.real"
printf '#!/bin/sh\nexec sleep infinity\n' >"$agent"
chmod 0755 "$agent"
rc=0
t0=$(now)
out=$(sessionctl start vmr 2>&1) || rc=$?
echo "$out"
[[ $rc != 0 ]] || fail "Start succeeded although the agent never answered"
# As above, sessionctl may give up first while the guest still boots: then sessiond's journal
# carries the reason once it fails the session.
if [[ $out != *"did not answer on vsock:"* ]] && [[ $(session_state vmr) == starting ]]; then
        echo "sessionctl start gave up after $(secs "$t0" "$(now)") s with the session still starting; waiting"
        for _ in $(seq 1 300); do
                [[ $(session_state vmr) == starting ]] || break
                sleep 5
        done
        out=$(journalctl -b -u sessiond.service --no-pager -o cat | grep -F "Session vmr failed to start:" | tail -n 1)
        echo "$out"
fi
mv -f "$agent.real" "$agent"
assert_match "$out" "did not answer on vsock:" "reason"
echo "FIGURE vmspawn-agent-timeout-start $(secs "$t0" "$(now)") s (sessionctl start until it failed, agent limit $((kvm ? 20 : 60)) s)"
journalctl -b -u sessiond.service --no-pager -o cat | grep -F "Session vmr: the VM is ready, waiting for its agent" ||
        fail "sessiond did not log that it waits for the agent"
wait_until 120 unit_gone vmr || fail "the unit was left"
wait_until 60 slice_gone vmr || fail "the slice was left"
! machinectl list --no-legend --no-pager | grep -q '^vmr ' || fail "machined still lists vmr"
! pgrep -x qemu-system-x86 >/dev/null || { pgrep -a qemu-system; fail "qemu left running"; }
! sessionctl list 2>/dev/null | grep -q '^vmr ' || fail "vmr is listed after its failed start"

echo ok
