#!/usr/bin/env bash
# The README's demo, run inside the VM. It grows as features land; today it shows the ground
# sessiond stands on: systemd as PID 1, cgroup v2 limits enforced, nftables via libnftables.
set -euo pipefail
testdir=$(cd "$(dirname "$0")/.." && pwd)

say() { printf '\n== %s\n' "$*"; }

say "systemd as PID 1"
systemctl --version | head -n1
echo "PID 1: $(cat /proc/1/comm); system state: $(systemctl is-system-running)"

say "a unit with MemoryMax=32M running a 200M memory hog"
systemd-run --wait --collect -p MemoryMax=32M -p MemorySwapMax=0 \
        sh -c 'head -c 200M /dev/zero | tail >/dev/null' || true

say "nftables through libnftables"
"$testdir/nft-smoke"

say "journal"
journalctl -b --no-pager -n 5 -o cat -u 'run-*.service'
