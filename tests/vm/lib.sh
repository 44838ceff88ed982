# shellcheck shell=bash
# Shared settings and helpers of the VM harness. Sourced, never run.

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_DIR=$SRC/tests/vm
OUT=${SESSIOND_VM_OUT:-$SRC/build/vm}
CACHE=${SESSIOND_VM_CACHE:-/var/cache/sessiond-vm}
SUITE=trixie

# The root is keyed by its package lists and by the script that makes it.
ROOT_KEY=$(cat "$VM_DIR/packages-base.txt" "$VM_DIR/packages-extra.txt" "$VM_DIR/mkroot" | sha256sum | cut -c1-12)
ROOT=$CACHE/root-$SUITE-$ROOT_KEY

# The opt-in vmspawn run (tests/vm/run vmspawn) boots a forky root instead (tests/vm/mkroot-vmspawn);
# sessiond is still built in the trixie root above.
VMSPAWN_ROOT_KEY=$(cat "$VM_DIR/packages-vmspawn.txt" "$VM_DIR/mkroot-vmspawn" | sha256sum | cut -c1-12)
VMSPAWN_ROOT=$CACHE/root-forky-$VMSPAWN_ROOT_KEY

log() { printf '[vm %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

packages() { grep -v '^#' "$1" | grep -v '^$'; }

mirror() {
        local m
        m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n1)
        [[ -n $m ]] || m=$(awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
        [[ -n $m ]] || die "cannot find the host's Debian mirror in /etc/apt"
        echo "$m"
}

# Run a command inside the root, in a private mount namespace, so nothing stays mounted and
# concurrent runs from different checkouts do not disturb each other. The checkout is visible
# at the same path inside, so build directories work from both sides.
in_root() {
        unshare --mount --propagation private -- bash -euc '
                root=$1; src=$2; shift 2
                mount --bind /proc "$root/proc"
                mount --rbind /sys "$root/sys"
                mount --rbind /dev "$root/dev"
                mkdir -p "$root$src"
                mount --bind "$src" "$root$src"
                [ -e /etc/resolv.conf ] && mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
                exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                        HOME=/root LANG=C.UTF-8 CI="${CI:-}" "$@"
        ' in_root "$ROOT" "$SRC" "$@"
}
