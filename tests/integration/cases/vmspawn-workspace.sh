#!/usr/bin/env bash
# Opt-in (tests/vm/run vmspawn): [Workspace] of a real Backend=vmspawn session, shared with the
# nested guest through systemd-vmspawn's own virtiofs (--bind=/--bind-ro=; the guest's
# systemd-fstab-generator mounts it from vmspawn's fstab.extra credential).
# Shown: an overlay over a host directory, written from inside the guest (sessionctl exec), is
# seen on the host in the merged directory while the host directory stays byte for byte as it
# was; `sessionctl persist` of the live VM saves what the guest wrote; OnEnd=persist keeps every
# byte at stop (the saved layer over the host directory gives exactly the tree the guest saw);
# a read-only workspace (bind-ro) cannot be written from inside, not even after the guest's root
# remounts it read-write (the host's mount is read-only). Skipped where there is no
# systemd-vmspawn (the default VM).
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/vmspawn-lib.sh"
[[ -x $guest/usr/lib/systemd/system-generators/systemd-fstab-generator ]] ||
        fail "the guest has no systemd-fstab-generator: nothing would mount the workspace"

name=vmws
ro=vmwsro
src=/srv/vmws-src
state=/var/lib/sessiond/workspaces/$name
merged=/run/sessiond/workspaces/$name/merged
rm -rf "$src" "$state" /run/vmws-check
mkdir -p "$src/dir"
echo "from the host" >"$src/host.txt"
echo "delete me" >"$src/dir/gone.txt"
head -c 100000 /dev/urandom >"$src/dir/host.bin"
tree_sums() { (cd "$1" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }
# names, types, symlink targets and the bytes of every file (run in the guest too)
view_sums="find . -printf '%p %y %l\\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"
before=$(tree_sums "$src")

write_session $name <<S
[Session]
Backend=vmspawn
Image=sessiond-guest
Exec=/bin/sleep infinity
OnEnd=persist
[Workspace]
Path=$src
Mode=overlay
Target=/work
S
write_session $ro <<S
[Session]
Backend=vmspawn
Image=sessiond-guest
Exec=/bin/sleep infinity
[Workspace]
Path=$src
Target=/ro
S
cleanup_units+=(sessiond-$name.service sessiond-$ro.service)

trap 'umount /run/vmws-check 2>/dev/null; rm -rf /run/vmws-check; vmspawn_cleanup vmws vmwsro' EXIT
vmspawn_env "$vm_limit" $name $ro

step "sessionctl verify accepts both"
sessionctl verify /etc/sessiond/$name.session
sessionctl verify /etc/sessiond/$ro.session

start_vm_exec() {  # NAME
        if ! start_vm "$1"; then
                journalctl -b -u "sessiond-$1.service" --no-pager -o short-monotonic | tail -n 150
                fail "sessionctl start $1 failed"
        fi
        # Start returns once the agent in the guest answers
        sessionctl exec "$1" -- /bin/true || fail "sessionctl exec $1 failed right after its start"
}

step "start $name (overlay over $src at /work, OnEnd=persist)"
start_vm_exec $name
systemctl show -P ExecStart sessiond-$name.service | head -c 2000; echo
findmnt "$merged" || fail "no overlay on the host at $merged"
assert_eq "$(findmnt -no FSTYPE "$merged")" overlay "host-side workspace"
mounts=$(sessionctl exec $name -- cat /proc/self/mounts)
echo "$mounts" | grep -E ' /work ' || fail "nothing mounted at /work in the guest"
assert_match "$(echo "$mounts" | grep -E ' /work ')" " virtiofs " "guest mount type"

step "the guest sees the host directory and writes into the overlay"
assert_eq "$(sessionctl exec $name -- cat /work/host.txt)" "from the host" "host file inside"
sessionctl exec $name -- sh -euc '
        cd /work
        echo "changed in the guest" > host.txt
        rm dir/gone.txt
        mkdir -p out
        head -c 4M /dev/urandom > out/big
        for i in 1 2 3 4 5; do echo "line $i" > out/small-$i; done
        ln -s big out/link
        (cd out && sha256sum big small-* > ../SUMS1)' || fail "writing in the guest failed"
sums1=$(sessionctl exec $name -- cat /work/SUMS1)
echo "$sums1"
# a write() the guest completed reached the host through virtiofsd (no writeback cache)
(cd "$merged/out" && sha256sum --quiet -c <<<"$sums1") || fail "the host's merged view differs from what the guest wrote"
assert_eq "$(cat "$merged/host.txt")" "changed in the guest" "changed file on the host's merged view"
assert_eq "$(tree_sums "$src")" "$before" "host directory after the guest wrote (must be unchanged)"

step "sessionctl persist of the live VM"
sessionctl persist $name
[[ -d $state/saved ]] || fail "no saved state after persist"
(cd "$state/saved/out" && sha256sum --quiet -c <<<"$sums1") || fail "persisted bytes differ"
assert_eq "$(cat "$state/saved/host.txt")" "changed in the guest" "persisted change"
[[ $(stat -c '%F %t:%T' "$state/saved/dir/gone.txt") == "character special file 0:0" ]] ||
        fail "the removal is not kept as a whiteout"
assert_eq "$(session_state $name)" running "state after persist (thawed)"
sessionctl exec $name -- /bin/true || fail "the guest does not answer after persist"

step "more writes, then stop: OnEnd=persist keeps every byte"
sessionctl exec $name -- sh -euc '
        cd /work
        head -c 2M /dev/urandom > out/after-persist
        echo again >> out/small-1
        rm out/small-2'
guest_tree=$(sessionctl exec $name -- sh -c "cd /work && $view_sums")
sessionctl stop $name
wait_until 300 unit_gone $name
! findmnt "$merged" >/dev/null || fail "overlay still mounted after stop"
[[ ! -e $state/live ]] || fail "live layer left behind"
# the saved layer over the host directory is exactly the tree the guest saw
mkdir -p /run/vmws-check
mount -t overlay overlay -o "ro,lowerdir=$state/saved:$src" /run/vmws-check
kept=$(cd /run/vmws-check && sh -c "$view_sums")
umount /run/vmws-check
diff <(echo "$guest_tree") <(echo "$kept") || fail "what OnEnd=persist kept differs from the guest's /work"
assert_eq "$(tree_sums "$src")" "$before" "host directory after stop (must be unchanged)"
! running virtiofsd || fail "virtiofsd left running"

step "start $ro (bind-ro of $src at /ro): read-only on the host, not only in the guest"
start_vm_exec $ro
sessionctl exec $ro -- cat /ro/host.txt | grep -qx "from the host" || fail "the guest cannot read /ro"
rc=0
sessionctl exec $ro -- sh -c 'echo x > /ro/x' || rc=$?
[[ $rc != 0 ]] || fail "the guest wrote into a bind-ro workspace"
# the guest's root owns its kernel: it may drop the "ro" vmspawn asked for
sessionctl exec $ro -- mount -o remount,rw /ro || echo "(remount refused in the guest)"
rc=0
sessionctl exec $ro -- sh -c 'echo y > /ro/y' || rc=$?
[[ $rc != 0 ]] || fail "after a remount in the guest, the guest wrote into the host directory"
assert_eq "$(tree_sums "$src")" "$before" "host directory after the bind-ro session tried to write"
sessionctl stop $ro
wait_until 300 unit_gone $ro
[[ ! -e /run/sessiond/agents/$ro ]] || fail "runtime directory (with the read-only bind) left"
! running qemu-system-x86 || fail "qemu left running"
! running virtiofsd || fail "virtiofsd left running"
rm -rf "$src" "$state"
echo ok
