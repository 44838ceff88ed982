#!/usr/bin/env bash
# Backend=vmspawn where it cannot run (no systemd-vmspawn in trixie, no KVM under TCG): Start fails
# with BackendUnavailable naming what is missing, and nothing is left half-started: no unit, no
# slice, no session record, no runtime directory, no workspace, no nft chain. A [Workspace] is
# accepted (verify) for vmspawn.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

if command -v systemd-vmspawn >/dev/null && [[ -w /dev/kvm ]]; then
        skip "this machine has systemd-vmspawn and /dev/kvm; the missing case cannot be shown"
fi

write_session vmx <<'S'
[Session]
Backend=vmspawn
Image=none.raw
Exec=/bin/true
[Egress]
Allow=192.0.2.0/24
[Workspace]
Path=/usr/share
Mode=overlay
S

step "sessionctl verify accepts it"
sessionctl verify /etc/sessiond/vmx.session

step "start is refused with the reason"
rc=0
out=$(sessionctl start vmx 2>&1) || rc=$?
echo "$out"
[[ $rc != 0 ]] || fail "start of a vmspawn session succeeded"
assert_match "$out" "BackendUnavailable|not available|unavailable" "error"
command -v systemd-vmspawn >/dev/null || assert_match "$out" "systemd-vmspawn is not installed" "reason names the binary"
[[ -e /dev/kvm ]] || assert_match "$out" "/dev/kvm" "reason names KVM"
command -v qemu qemu-kvm qemu-system-x86_64 >/dev/null ||
        assert_match "$out" "QEMU is not installed" "reason names QEMU, which systemd-vmspawn runs"

step "the same through varlink"
rc=0
reply=$(varlinkctl call "$ADDR" io.sessiond.Manager.Start '{"name":"vmx"}' 2>&1) || rc=$?
echo "$reply"
assert_match "$reply" "io.sessiond.Manager.BackendUnavailable" "varlink error"

step "nothing half-started"
unit_gone vmx || fail "a unit sessiond-vmx.service exists"
slice_gone vmx || fail "a slice exists"
! sessionctl status vmx >/dev/null 2>&1 || fail "sessiond keeps a record of vmx"
[[ ! -e $STATE_DIR/vmx ]] && ! ls "$STATE_DIR" 2>/dev/null | grep -q '^vmx' || fail "state left in $STATE_DIR"
[[ ! -e /run/sessiond/agents/vmx ]] || fail "runtime directory left"
[[ ! -e /run/sessiond/workspaces/vmx ]] || fail "workspace mount left"
! nft list chain inet sessiond s_vmx 2>/dev/null || fail "nft chain left"
echo ok
