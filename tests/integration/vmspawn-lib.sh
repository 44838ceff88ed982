# shellcheck shell=bash
# Shared by the opt-in cases that boot a real nested VM through sessiond (tests/vm/run vmspawn):
# the guest tree, no KVM that cannot run a guest, and the limits a nested boot needs. Sourced after
# lib.sh; skips the case where there is no systemd-vmspawn (the default VM).
command -v systemd-vmspawn >/dev/null || skip "no systemd-vmspawn here (run it with tests/vm/run vmspawn)"
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
guest=/var/lib/machines/sessiond-guest
[[ -d $guest/boot/loader/entries ]] || fail "no guest tree at $guest (tests/vm/run vmspawn makes it)"
[[ $(head -c2 "$guest/usr/libexec/sessiond-agent") != '#!' ]] || fail "the guest has no real sessiond-agent"

# Whether a process of that name (its comm, at most 15 characters) runs. Not pgrep: the forky
# root has no procps, and `! pgrep` then passes whatever runs.
running() { grep -qsxF "$1" /proc/[0-9]*/comm; }
now() { python3 -c 'import time; print(time.monotonic())'; }
secs() { python3 -c "print(round($2 - $1, 1))"; }

# vmspawn-nested (run before) finds whether KVM on this VM's emulated SVM runs a guest. Unless it
# did, /dev/kvm goes away, so that systemd-vmspawn does not pick a KVM that cannot work. Only the
# device node: unloading kvm_amd flips static keys, and the kernel's text patching under TCG
# oopsed once doing that ("Oops: int3"; the VM died).
if [[ -e /dev/kvm && $(cat /run/sessiond-vmspawn-kvm 2>/dev/null) != 1 ]]; then
        step "KVM here cannot run a guest (vmspawn-nested): removing /dev/kvm"
        rm -f /dev/kvm
        [[ ! -e /dev/kvm ]] || fail "/dev/kvm is still there"
fi
kvm=0
[[ -w /dev/kvm ]] && kvm=1
echo "KVM for the guest: $((kvm)) ($([[ $kvm == 1 ]] && echo "on emulated SVM" || echo "none: vmspawn uses TCG in this TCG VM"))"
# Only for this machine's slowness, a start limit longer than PID 1's default 90 s, which would
# kill vmspawn while it waits for the guest's READY=1. Under TCG in TCG each process the guest's
# PID 1 spawns took about 6 min (fork, then systemd-executor linking its libraries), the boot
# until the agent runs about 25 min.
vm_limit=$((kvm ? 600 : 3600))

# The administrator's opt-in to emulation and sessiond's wait for the agent (AGENT_SEC), and each
# session's start limit. A daemon-reload runs sessiond-generator, which would make units of the
# sessions' files (and sessiond would then see them as existing): they are away while PID 1 reloads.
vmspawn_env() {  # AGENT_SEC NAME...
        local agent_sec=$1 n
        shift
        mkdir -p /run/systemd/system/sessiond.service.d
        printf '[Service]\nEnvironment=SESSIOND_VMSPAWN_ALLOW_TCG=1 SESSIOND_VMSPAWN_AGENT_TIMEOUT_SEC=%s\n' \
                "$agent_sec" >/run/systemd/system/sessiond.service.d/50-tcg.conf
        for n; do
                mkdir -p "/run/systemd/system/sessiond-$n.service.d"
                printf '[Service]\nTimeoutStartSec=%s\n' "$vm_limit" \
                        >"/run/systemd/system/sessiond-$n.service.d/50-nested-tcg.conf"
                mv "/etc/sessiond/$n.session" "/run/$n.session"
        done
        systemctl daemon-reload
        for n; do
                mv "/run/$n.session" "/etc/sessiond/$n.session"
        done
        timeout 300 systemctl restart sessiond.service
}

vmspawn_cleanup() {  # NAME...
        local n
        for n; do
                rm -rf "/run/systemd/system/sessiond-$n.service.d"
        done
        rm -f /run/systemd/system/sessiond.service.d/50-tcg.conf
        systemctl daemon-reload
        daemon_cleanup
        systemctl restart sessiond.service
}

# sessionctl start NAME; sessionctl gives up on a call after 600 s, a nested TCG boot takes longer,
# and the session keeps starting without it: then wait for sessiond to say how it ended. Prints
# sessionctl's output; returns 0 if the session runs.
start_vm() {  # NAME
        local rc=0 out t0
        t0=$(now)
        out=$(sessionctl start "$1" 2>&1) || rc=$?
        echo "$out"
        if ((rc != 0)) && [[ $(session_state "$1") == starting ]]; then
                echo "sessionctl start gave up after $(secs "$t0" "$(now)") s with the session still starting; waiting"
                for _ in $(seq 1 $((vm_limit / 5 + 60))); do
                        [[ $(session_state "$1") == starting ]] || break
                        sleep 5
                done
                rc=0
                [[ $(session_state "$1") == running ]] || rc=1
        fi
        return "$rc"
}
