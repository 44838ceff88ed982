#!/usr/bin/env bash
# Backend availability from lib/backend: this VM has no systemd-vmspawn (trixie does not ship
# it) and qemu gives it no KVM, so vmspawn must be refused with a reason naming both; nspawn is
# installed. If the binary is hidden, nspawn is refused by name too.
. "$SESSIOND_TEST_DIR/lib.sh"

helper=/usr/libexec/sessiond-workspace

step "service and nspawn"
$helper backend-check service
$helper backend-check nspawn

step "vmspawn"
if command -v systemd-vmspawn >/dev/null && [[ -w /dev/kvm ]]; then
        skip "this machine has systemd-vmspawn and /dev/kvm; the missing case cannot be shown"
fi
rc=0
out=$($helper backend-check vmspawn 2>&1) || rc=$?
echo "$out"
assert_eq "$rc" 1 "exit status"
command -v systemd-vmspawn >/dev/null || assert_match "$out" "systemd-vmspawn is not installed" "reason"
[[ -e /dev/kvm ]] || assert_match "$out" "/dev/kvm: cannot open it: No such file or directory" "reason"

step "nspawn with the binary hidden"
mount --bind /dev/null "$(command -v systemd-nspawn)" 2>/dev/null || skip "cannot hide systemd-nspawn"
rc=0
out=$($helper backend-check nspawn 2>&1) || rc=$?
umount "$(command -v systemd-nspawn)"
echo "$out"
assert_eq "$rc" 1 "exit status"
assert_match "$out" "systemd-nspawn is not installed" "reason"
echo ok
