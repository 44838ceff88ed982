#!/usr/bin/env bash
# OnEnd=persist: a session that runs into its RuntimeMaxSec= keeps every byte it wrote (sha256
# computed inside the session, checked outside); `restore` makes the next run see those files;
# the host directory never changes; a live session can be persisted and snapshotted.
. "$SESSIOND_TEST_DIR/lib.sh"

helper=/usr/libexec/sessiond-workspace
name=wspersist
src=/srv/wspersist-src
state=/var/lib/sessiond/workspaces/$name
merged=/run/sessiond/workspaces/$name/merged

rm -rf "$src" "$state" "/var/lib/sessiond/snapshots/$name"
mkdir -p "$src"
echo "from the host" >"$src/host.txt"
before=$(cd "$src" && find . -printf '%p %m %s\n' | sort && sha256sum host.txt)

run_session() {  # unit properties..., -- command
        systemd-run --wait --collect --unit=sessiond-$name -p DynamicUser=yes \
                -p "ExecStartPre=+$helper setup $name --mode=overlay --path=$src" \
                -p "ExecStopPost=+$helper teardown $name --persist" \
                -p "BindPaths=-$merged:/workspace" "$@" 2>&1
}
cleanup_units+=(sessiond-$name.service)

step "a session writes, then runs into RuntimeMaxSec="
out=$(run_session -p RuntimeMaxSec=45 /bin/sh -euc '
        cd /workspace
        mkdir -p out
        head -c 8M /dev/urandom > out/big
        for i in $(seq 1 50); do echo "line $i" > out/small-$i; done
        ln -s big out/link
        (cd out && sha256sum big small-* > ../SUMS)
        sync
        touch DONE
        exec sleep infinity') || true
echo "$out"
assert_match "$out" "Finished with result: timeout" "session result"

step "every byte was kept"
[[ -f $state/saved/DONE ]] || fail "no saved state (or the session never finished writing)"
(cd "$state/saved/out" && sha256sum --quiet -c ../SUMS) || fail "saved bytes differ from what the session wrote"
[[ $(readlink "$state/saved/out/link") == big ]] || fail "symlink not kept"
findmnt "$merged" && fail "still mounted after the end"
[[ ! -e $state/live ]] || fail "live layer left behind"

step "a restored session sees those files and can change its own files"
$helper restore $name
out=$(run_session /bin/sh -euc '
        cd /workspace
        test -f DONE
        (cd out && sha256sum --quiet -c ../SUMS)
        echo again >> out/small-1
        rm out/small-2
        test "$(cat host.txt)" = "from the host"
        echo second > second.txt') || { echo "$out"; fail "restored session failed"; }
echo "$out"
assert_match "$out" "Finished with result: success" "restored session result"
[[ -f $state/saved/second.txt && ! -e $state/saved/out/small-2 ]] || fail "second run not persisted"
grep -q again "$state/saved/out/small-1" || fail "change to a restored file not persisted"

step "persist and snapshot a live session"
$helper restore $name
systemd-run -q --collect --unit=sessiond-$name -p DynamicUser=yes \
        -p "ExecStartPre=+$helper setup $name --mode=overlay --path=$src" \
        -p "ExecStopPost=+$helper teardown $name" \
        -p "BindPaths=-$merged:/workspace" \
        /bin/sh -c 'echo live > /workspace/live.txt; exec sleep infinity'
wait_until 60 test -f "$merged/live.txt"
$helper persist $name
[[ $(cat "$state/saved/live.txt") == live ]] || fail "live persist did not save live.txt"
$helper snapshot-save $name snap1
out=$($helper snapshot-save $name snap1 2>&1) && fail "a second snap1 was saved"
assert_match "$out" "exists already" "error"
list=$($helper snapshot-list $name)
echo "$list"
assert_match "$list" "^snap1	[0-9]+	[0-9]+" "snapshot list"
size=$(cut -f2 <<<"$list")
((size > 8000000)) || fail "snapshot size $size too small"
systemctl stop sessiond-$name
[[ -f $state/saved/live.txt ]] || fail "discarding end removed the saved state"

step "snapshot restore and delete"
rm -f "$state/saved/live.txt"   # change saved behind its back: restore must bring it back
$helper snapshot-restore $name snap1
[[ $(cat "$state/saved/live.txt") == live ]] || fail "snapshot-restore did not bring back live.txt"
$helper snapshot-delete $name snap1
[[ -z $($helper snapshot-list $name) ]] || fail "snapshot not deleted"

step "the host directory is untouched"
after=$(cd "$src" && find . -printf '%p %m %s\n' | sort && sha256sum host.txt)
assert_eq "$after" "$before" "host directory"
rm -rf "$src" "$state" "/var/lib/sessiond/snapshots/$name"
echo ok
