#!/usr/bin/env bash
# A session started by sessiond with [Workspace] Mode=overlay and OnEnd=persist: its writes land
# in the overlay and the host directory never changes; running into MaxRuntime= keeps every byte
# (sha256 computed inside, checked outside); `sessionctl start --restore` sees them; an idle end
# (sessiond stops it) persists too; `sessionctl persist` saves a live session; snapshots are
# saved, listed with sizes, restored and deleted through sessionctl, with named errors.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

name=wsd
src=/srv/wsd-src
state=/var/lib/sessiond/workspaces/$name
merged=/run/sessiond/workspaces/$name/merged
work=/usr/local/bin/wsd-work

host_digest() {  # every name, type, mode, owner and content below $1
        (cd "$1" && find . -printf '%p %y %m %u:%g %s\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

rm -rf "$src" "$state" "/var/lib/sessiond/snapshots/$name" "/var/lib/sessiond/workspaces/wsidle"
mkdir -p "$src/sub"
chmod 0777 "$src/sub"    # the session (a dynamic user) may delete in it: a whiteout
echo "from the host" >"$src/host.txt"
head -c 256K /dev/urandom >"$src/sub/blob"
before=$(host_digest "$src")

# What the session does: the first run writes, a restored run checks and marks what it found.
cat >"$work" <<'W'
#!/bin/sh
set -eu
cd /workspace
if [ -f DONE ]; then
        if (cd out && sha256sum --quiet -c ../SUMS); then echo ok > restored-ok; else echo bad > restored-bad; fi
else
        test "$(cat host.txt)" = "from the host"
        mkdir -p out
        head -c 8M /dev/urandom > out/big
        for i in $(seq 1 50); do echo "line $i" > out/small-$i; done
        ln -s big out/link
        (cd out && sha256sum big small-* > ../SUMS)
        rm sub/blob
        sync
        touch DONE
fi
exec sleep infinity
W
chmod 0755 "$work"
trap 'rm -f "$work"; daemon_cleanup' EXIT

write_session $name <<S
[Session]
Exec=$work
OnEnd=persist
MaxRuntime=45s

[Workspace]
Path=$src
Mode=overlay
S

step "nothing saved yet: start --restore is refused by name"
rc=0; out=$(sessionctl start --restore $name 2>&1) || rc=$?
echo "$out"
assert_eq "$rc" 4 "exit status of start --restore without a saved state"
assert_match "$out" "Nothing saved" "message"
unit_gone $name || fail "a refused start left a unit"

step "a daemon-started overlay session writes, then runs into MaxRuntime="
sessionctl start $name
systemctl cat sessiond-$name.service | grep -E 'sessiond-workspace|BindPaths' || true
wait_until 120 test -f "$merged/DONE"
[[ ! -e $src/DONE && -e $src/sub/blob ]] || fail "the session's writes reached the host directory"
wait_state $name ended 150
assert_eq "$(session_result $name)" timeout "result"

step "every byte was kept, the host directory is untouched"
[[ -f $state/saved/DONE ]] || fail "no saved state after the timeout"
(cd "$state/saved/out" && sha256sum --quiet -c ../SUMS) || fail "saved bytes differ from what the session wrote"
[[ $(readlink "$state/saved/out/link") == big ]] || fail "symlink not kept"
findmnt "$merged" && fail "still mounted after the end"
assert_eq "$(host_digest "$src")" "$before" "host directory"

step "start --restore: the session sees its files"
sed -i '/^MaxRuntime=/d' "/etc/sessiond/$name.session"
sessionctl start --restore $name
wait_until 120 bash -c "test -f $merged/restored-ok -o -f $merged/restored-bad"
[[ -f $merged/restored-ok ]] || fail "the restored session did not find its files intact"
[[ ! -e $merged/sub/blob ]] || fail "a deletion (whiteout) was not restored"

step "persist a live session"
echo "written live" >"$merged/live.txt"
sessionctl persist $name
[[ $(cat "$state/saved/live.txt") == "written live" ]] || fail "persist did not save live.txt"
[[ -f $state/saved/restored-ok ]] || fail "persist did not save the session's own file"

step "snapshots: save, list with sizes, errors by name"
sessionctl snapshot save $name snap1
rc=0; out=$(sessionctl snapshot save $name snap1 2>&1) || rc=$?
echo "$out"
assert_eq "$rc" 5 "exit status of a second snap1"
rc=0; sessionctl snapshot save $name ../evil 2>&1 || rc=$?
assert_eq "$rc" 2 "exit status of a bad snapshot name"
sessionctl snapshot list $name
size=$(sessionctl --json=short snapshot list $name | jq -r '.[] | select(.snapshot == "snap1") | .size')
((size > 8000000)) || fail "snapshot size '$size' too small"
entries=$(sessionctl --json=short snapshot list $name | jq -r '.[0].entries')
((entries > 50)) || fail "snapshot entries '$entries' too few"

step "the end persists again; snapshot restore brings back what the snapshot had"
sessionctl stop $name
[[ -f $state/saved/live.txt ]] || fail "stop lost the saved state"
rm -f "$state/saved/live.txt"
sessionctl snapshot restore $name snap1
[[ $(cat "$state/saved/live.txt") == "written live" ]] || fail "snapshot restore did not bring back live.txt"
rc=0; sessionctl snapshot restore $name nosuch 2>&1 || rc=$?
assert_eq "$rc" 4 "exit status of restoring a missing snapshot"
sessionctl snapshot delete $name snap1
[[ $(sessionctl --json=short snapshot list $name | jq length) == 0 ]] || fail "snapshot not deleted"
rc=0; sessionctl snapshot delete $name snap1 2>&1 || rc=$?
assert_eq "$rc" 4 "exit status of deleting a missing snapshot"

step "persist of a session that does not run"
rc=0; sessionctl persist $name 2>&1 || rc=$?
assert_eq "$rc" 3 "exit status of persist on an ended session"

step "an idle end (sessiond stops the session) persists too"
write_session wsidle <<S
[Session]
Exec=/bin/sh -c 'echo idle-bytes > /workspace/idle.txt && exec sleep infinity'
OnEnd=persist
IdleTimeout=8s

[Workspace]
Path=$src
Mode=overlay
S
sessionctl start wsidle
wait_state wsidle ended 150
assert_eq "$(session_result wsidle)" idle "result"
[[ $(cat /var/lib/sessiond/workspaces/wsidle/saved/idle.txt) == idle-bytes ]] || fail "idle end lost the workspace"

step "the host directory is still untouched"
assert_eq "$(host_digest "$src")" "$before" "host directory"
rm -rf "$src" "$state" "/var/lib/sessiond/snapshots/$name" /var/lib/sessiond/workspaces/wsidle
echo ok
