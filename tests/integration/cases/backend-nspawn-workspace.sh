#!/usr/bin/env bash
# Backend=nspawn workspaces, written from inside by the session's commands (the agent runs them as
# uid 61184 of the container's user namespace, without capabilities), checked from outside:
#  - Mode=overlay with OnEnd=persist: /workspace is writable, host files change only where their
#    mode lets "other" write (as for a service), the host directory never changes; running into
#    MaxRuntime= keeps every byte (sha256 inside, checked outside); start --restore sees them;
#  - Mode=tmpfs: writable; with OnEnd=persist a stop keeps what was written;
#  - Mode=bind (idmapped): writable where the host lets uid 61184 write, and what the session
#    creates is the host's uid 61184; a root-owned 0755 directory stays closed.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"

src=/srv/nsws-src
bsrc=/srv/nsws-bind
state=/var/lib/sessiond/workspaces/nsov
merged=/run/sessiond/workspaces/nsov/merged
machine_listed() { machinectl list --no-legend 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
machine_gone() { ! machine_listed "$1"; }
host_digest() {  # every name, type, mode, owner and content below $1
        (cd "$1" && find . -printf '%p %y %m %u:%g %s\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}
trap 'rm -rf "$src" "$bsrc" "$state" /var/lib/sessiond/workspaces/nstp; daemon_cleanup' EXIT

rm -rf "$src" "$bsrc" "$state" /var/lib/sessiond/workspaces/nstp
mkdir -p "$src/sub" "$bsrc/closed"
echo "from the host" >"$src/host.txt"          # root's 0644: read-only for the session
chmod 0777 "$src/sub"
head -c 64K /dev/urandom >"$src/sub/blob"
chmod 0666 "$src/sub/blob"                       # "other" may write: the session may change it
chmod 1777 "$bsrc"                               # as a DynamicUser= service needs it
before=$(host_digest "$src")

step "Mode=overlay, OnEnd=persist: the session writes its /workspace"
write_session nsov <<S
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
OnEnd=persist
MaxRuntime=90s

[Workspace]
Path=$src
Mode=overlay
S
sessionctl start nsov
wait_state nsov running 90
systemctl cat sessiond-nsov.service | grep -E 'sessiond-workspace|merged' || true
out=$(sessionctl exec nsov -- /bin/sh -c 'id -u; stat -c "%a %u" /workspace') || fail "exec failed"
echo "$out"
assert_eq "$(head -1 <<<"$out")" 61184 "the session's uid inside"
sessionctl exec nsov -- /bin/sh -euc '
        cd /workspace
        test "$(cat host.txt)" = "from the host"
        mkdir -p out
        head -c 4M /dev/urandom > out/big
        for i in $(seq 1 20); do echo "line $i" > out/small-$i; done
        ln -s big out/link
        echo appended >> sub/blob
        (cd out && sha256sum big small-* > ../SUMS)
        sha256sum sub/blob > BLOBSUM
        sync
        touch DONE' || fail "the session could not write its overlay workspace"
rc=0; sessionctl exec nsov -- /bin/sh -c 'echo x >> /workspace/host.txt' 2>/dev/null || rc=$?
[[ $rc != 0 ]] || fail "a root-owned 0644 host file was writable inside (not so for a service either)"
[[ -f $merged/DONE ]] || fail "the session's files are not in the overlay"
uid1=$(stat -c %u "$merged/DONE")
echo "upper files on the host are owned by uid $uid1"
(( uid1 >= 65536 )) || fail "the session's files are not owned by the container's range on the host"
assert_eq "$(stat -c %a "$merged")" 1777 "mode of the top"
assert_eq "$(stat -c %a /run/sessiond/workspaces/nsov)" 700 "mode of its parent (the host's users stay out)"
assert_eq "$(host_digest "$src")" "$before" "host directory while the session runs"

step "MaxRuntime= ends it: every byte is kept, the host directory is untouched"
wait_state nsov ended 180
assert_eq "$(session_result nsov)" timeout "result"
wait_until 60 machine_gone nsov
[[ -f $state/saved/DONE ]] || fail "no saved state after the timeout"
(cd "$state/saved/out" && sha256sum --quiet -c ../SUMS) || fail "saved bytes differ from what the session wrote"
(cd "$state/saved" && sha256sum --quiet -c BLOBSUM) || fail "the changed host file was not kept"
[[ $(readlink "$state/saved/out/link") == big ]] || fail "symlink not kept"
findmnt "$merged" && fail "still mounted after the end"
assert_eq "$(host_digest "$src")" "$before" "host directory"

step "start --restore: the session sees every byte"
sed -i '/^MaxRuntime=/d' /etc/sessiond/nsov.session
sessionctl start --restore nsov
wait_state nsov running 90
sessionctl exec nsov -- /bin/sh -euc '
        cd /workspace
        test -f DONE
        (cd out && sha256sum --quiet -c ../SUMS)
        sha256sum --quiet -c BLOBSUM
        echo again > again.txt' || fail "the restored session did not see its files"
# What an earlier run created belongs to that run's uid range: writable again only if nspawn
# picked the same range (it did in every run so far: the machine name is the same).
uid2=$(stat -c %u "$merged/again.txt")
rc=0; sessionctl exec nsov -- /bin/sh -c 'echo more >> /workspace/out/small-1' 2>/dev/null || rc=$?
echo "host uid of the first run $uid1, of the restored run $uid2; appending to a restored file: exit status $rc"
if [[ $uid1 == "$uid2" ]]; then
        assert_eq "$rc" 0 "appending to a restored file in the same uid range"
else
        [[ $rc != 0 ]] || fail "a file of another uid range was writable"
fi
sessionctl stop nsov
wait_until 60 unit_gone nsov
[[ $(cat "$state/saved/again.txt") == again ]] || fail "the restored run was not persisted"
assert_eq "$(host_digest "$src")" "$before" "host directory"

step "Mode=tmpfs: writable; OnEnd=persist keeps it at stop"
write_session nstmp <<S
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Workspace]
Mode=tmpfs
Size=16M
S
write_session nstp <<S
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
OnEnd=persist
[Workspace]
Mode=tmpfs
S
sessionctl start nstmp
sessionctl start nstp
wait_state nstmp running 90
wait_state nstp running 90
sessionctl exec nstmp -- /bin/sh -euc 'echo t > /workspace/t.txt; test "$(cat /workspace/t.txt)" = t' ||
        fail "tmpfs workspace not writable"
sum=$(sessionctl exec nstp -- /bin/sh -euc 'head -c 1M /dev/urandom > /workspace/k; sha256sum < /workspace/k') ||
        fail "persisted tmpfs workspace not writable"
sessionctl stop nstmp nstp
wait_until 60 unit_gone nstp
assert_eq "$(sha256sum < /var/lib/sessiond/workspaces/nstp/saved/k)" "$sum" "kept tmpfs bytes"

step "Mode=bind (idmapped): writable where the host lets uid 61184 write"
write_session nsbd <<S
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Workspace]
Path=$bsrc
Mode=bind
S
sessionctl start nsbd
wait_state nsbd running 90
sessionctl exec nsbd -- /bin/sh -euc 'echo b > /workspace/b.txt' || fail "a 1777 host directory was not writable"
assert_eq "$(stat -c %u "$bsrc/b.txt")" 61184 "owner on the host of what the session created"
rc=0; sessionctl exec nsbd -- /bin/sh -c 'touch /workspace/closed/x' 2>/dev/null || rc=$?
[[ $rc != 0 && ! -e $bsrc/closed/x ]] || fail "a root-owned 0755 host directory was writable"
out=$(sessionctl exec nsbd -- /bin/sh -c 'stat -c %u /workspace/closed')
assert_eq "$out" 0 "the host's root is root inside the idmapped bind"
sessionctl stop nsbd
wait_until 60 unit_gone nsbd
echo ok
