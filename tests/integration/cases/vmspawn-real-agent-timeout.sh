#!/usr/bin/env bash
# Opt-in (tests/vm/run vmspawn): a real Backend=vmspawn session whose agent never answers. The
# VM's READY=1 comes from the guest's PID 1 when its boot finished, which may be before the agent
# (a Type=exec unit) listens: sessiond waits for the agent, within a limit
# (SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC). Here the guest's agent is a stand-in that only sleeps.
# Shown: Start fails naming the vsock address, sessiond logged that it waited, and nothing is left
# of the VM (unit, slice, machine, qemu, session record). Skipped where there is no
# systemd-vmspawn (the default VM).
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/vmspawn-lib.sh"

write_session vmt <<'S'
[Session]
Backend=vmspawn
Image=sessiond-guest
Exec=/bin/sleep infinity
S
cleanup_units+=(sessiond-vmt.service)
agent=$guest/usr/libexec/sessiond-agent
agent_sec=$((kvm ? 20 : 60))
trap '[[ -e $agent.real ]] && mv -f "$agent.real" "$agent"; vmspawn_cleanup vmt' EXIT
vmspawn_env "$agent_sec" vmt

step "a guest whose agent never answers: Start fails after SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC, nothing left"
mv "$agent" "$agent.real"
printf '#!/bin/sh\nexec sleep infinity\n' >"$agent"
chmod 0755 "$agent"
t0=$(now)
rc=0
out=$(start_vm vmt) || rc=$?
mv -f "$agent.real" "$agent"
echo "$out"
[[ $rc != 0 ]] || fail "Start succeeded although the agent never answered"
# When sessionctl gave up first (the guest still booting), sessiond's journal has the reason.
[[ $out == *"did not answer on vsock:"* ]] ||
        out=$(journalctl -b -u sessiond.service --no-pager -o cat | grep -F "Session vmt failed to start:" | tail -n 1)
echo "$out"
assert_match "$out" "did not answer on vsock:" "reason"
echo "FIGURE vmspawn-agent-timeout-start $(secs "$t0" "$(now)") s (sessionctl start until it failed, agent limit $agent_sec s)"
journalctl -b -u sessiond.service --no-pager -o cat | grep -F "Session vmt: the VM is ready, waiting for its agent" ||
        fail "sessiond did not log that it waits for the agent"
wait_until 120 unit_gone vmt || fail "the unit was left"
wait_until 60 slice_gone vmt || fail "the slice was left"
! machinectl list --no-legend --no-pager | grep -q '^vmt ' || fail "machined still lists vmt"
! running qemu-system-x86 || fail "qemu left running"
! sessionctl list 2>/dev/null | grep -q '^vmt ' || fail "vmt is listed after its failed start"

echo ok
