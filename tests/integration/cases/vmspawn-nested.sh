#!/usr/bin/env bash
# Opt-in (tests/vm/run vmspawn): what a VM nested in this TCG VM costs, measured without sessiond,
# so that vmspawn-real's figures can be read. (1) A bare L2 kernel (qemu TCG inside this TCG VM,
# no firmware, a busybox init that prints and powers off): the floor of any nested boot.
# (2) The same with -accel kvm: this VM's CPU (qemu TCG, -cpu max) has SVM and kvm_amd loads, so
# /dev/kvm exists here; whether KVM on an emulated SVM runs a guest decides what systemd-vmspawn
# (which uses KVM whenever /dev/kvm opens) will do in vmspawn-real: the verdict is left in
# /run/sessiond-vmspawn-kvm for it. Skipped where there is no qemu (the default trixie VM).
. "$SESSIOND_TEST_DIR/lib.sh"

command -v qemu-system-x86_64 >/dev/null || skip "no qemu in this VM (run it with tests/vm/run vmspawn)"
guest=/var/lib/machines/sessiond-guest

step "this VM: CPU virtualization flags and /dev/kvm"
grep -o -w -E 'svm|vmx' /proc/cpuinfo | sort | uniq -c || echo "no svm/vmx flag"
modprobe kvm_amd 2>&1 || true
modprobe kvm_intel 2>&1 || true
ls -l /dev/kvm /dev/vhost-vsock 2>&1 || true
dmesg | grep -i -E 'kvm|svm' | tail -n 5 || true

step "L2: bare kernel + busybox init under TCG (nested)"
work=$(mktemp -d /var/tmp/l2.XXXXXX)
mkdir -p "$work/init/bin" "$work/init/proc"
cp /bin/busybox "$work/init/bin/busybox"
cat >"$work/init/init" <<'I'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox echo "L2-UP uptime=$(/bin/busybox cut -d' ' -f1 /proc/uptime) kernel=$(/bin/busybox uname -r)"
/bin/busybox poweroff -f
I
chmod 0755 "$work/init/init"
(cd "$work/init" && find . | busybox cpio -o -H newc 2>/dev/null) >"$work/init.cpio"
kernel=$(ls /boot/vmlinuz-* | tail -n1)
t0=$EPOCHREALTIME
timeout 1200 qemu-system-x86_64 -accel tcg -m 256 -smp 1 -nographic -no-reboot \
        -kernel "$kernel" -initrd "$work/init.cpio" \
        -append "console=ttyS0 quiet panic=-1 loglevel=1" </dev/null >"$work/l2.log" 2>&1 || true
t1=$EPOCHREALTIME
grep -a 'L2-UP' "$work/l2.log" || { tail -n 30 "$work/l2.log"; fail "the L2 kernel did not reach its init"; }
echo "FIGURE l2-bare-boot-to-poweroff $(python3 -c "print(round($t1 - $t0, 1))") s (wall, in L1, -accel tcg)"

kvm_ok=0
if [[ -w /dev/kvm ]]; then
        step "L2: the same with -accel kvm (KVM on this VM's emulated SVM)"
        t0=$EPOCHREALTIME
        timeout 300 qemu-system-x86_64 -accel kvm -cpu host -m 256 -smp 1 -nographic -no-reboot \
                -kernel "$kernel" -initrd "$work/init.cpio" \
                -append "console=ttyS0 quiet panic=-1 loglevel=1" </dev/null >"$work/l2kvm.log" 2>&1 || true
        t1=$EPOCHREALTIME
        if grep -a 'L2-UP' "$work/l2kvm.log"; then
                kvm_ok=1
                echo "FIGURE l2-bare-boot-to-poweroff-kvm $(python3 -c "print(round($t1 - $t0, 1))") s (wall, in L1, -accel kvm)"
        else
                tail -n 20 "$work/l2kvm.log"
                echo "L2 under KVM did not reach its init ($(python3 -c "print(round($t1 - $t0, 1))") s)"
        fi
fi
echo "$kvm_ok" >/run/sessiond-vmspawn-kvm

((kvm_ok)) || echo "KVM here does not run an L2 guest: vmspawn-real unloads kvm_amd (vmspawn then uses TCG)"
echo ok
