#!/usr/bin/env bash
# Mode=overlay through the helper in a DynamicUser= transient unit: the session writes, changes
# and deletes in /workspace; the host directory stays byte for byte as it was; without persist
# everything the session did is gone afterwards, and no mount is left behind.
. "$SESSIOND_TEST_DIR/lib.sh"

helper=/usr/libexec/sessiond-workspace
[[ -x $helper ]] || fail "$helper is not installed"
name=wsov
src=/srv/wsov-src
merged=/run/sessiond/workspaces/$name/merged

host_digest() {  # every name, type, mode, owner and content below $1
        (cd "$1" && find . -printf '%p %y %m %u:%g %s\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

rm -rf "$src" "/var/lib/sessiond/workspaces/$name"
mkdir -p "$src/shared" "$src/sub"
echo "host a" >"$src/a.txt"
echo "writable by all" >"$src/open.txt"
chmod 0666 "$src/open.txt"
chmod 0777 "$src/shared"
echo "delete me" >"$src/shared/gone.txt"
echo "host b" >"$src/sub/b.txt"
head -c 1M /dev/urandom >"$src/sub/blob"
before=$(host_digest "$src")

step "what a '+' ExecStartPre sees of a DynamicUser= unit (information)"
cleanup_units+=(wsov-probe.service)
systemd-run --wait -q --unit=wsov-probe -p DynamicUser=yes \
        -p BindPaths=/srv:/wsov-probe-bind \
        -p ExecStartPre='+/bin/sh -c "env > /run/wsov-probe.env; echo ns=$$(readlink /proc/self/ns/mnt) init=$$(readlink /proc/1/ns/mnt) >> /run/wsov-probe.env"' /bin/true
grep -E '^(USER|LOGNAME|ns)=' /run/wsov-probe.env || true

step "a session writes into its overlay workspace"
cleanup_units+=(sessiond-$name.service)
out=$(systemd-run --wait --unit=sessiond-$name -p DynamicUser=yes \
        -p "ExecStartPre=+$helper setup $name --mode=overlay --path=$src" \
        -p "ExecStopPost=+$helper teardown $name" \
        -p "BindPaths=-$merged:/workspace" \
        /bin/sh -euc '
                cd /workspace
                test "$(cat a.txt)" = "host a"
                test -f sub/blob
                echo mine > new.txt
                mkdir -p work/deep && head -c 2M /dev/urandom > work/deep/data
                echo "changed by the session" > open.txt
                rm shared/gone.txt
                id -u > who
                ls -ln /workspace
        ' 2>&1) || { echo "$out"; fail "session failed"; }
echo "$out"
assert_match "$out" "Finished with result: success" "session result"

step "the host directory is untouched"
after=$(host_digest "$src")
[[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") || true; fail "host directory changed"; }
[[ ! -e $src/new.txt && -e $src/shared/gone.txt ]] || fail "session's changes leaked to the host"

step "nothing stays mounted, nothing was kept (discard)"
findmnt "$merged" && fail "$merged is still mounted"
[[ ! -e /var/lib/sessiond/workspaces/$name/live ]] || fail "live layer left behind"
[[ ! -e /var/lib/sessiond/workspaces/$name/saved ]] || fail "a discarded session saved something"

step "the helper refuses what it cannot do"
out=$($helper setup $name --mode=overlay --path=/nonexistent 2>&1) && fail "setup over a missing directory succeeded"
echo "$out"
assert_match "$out" "/nonexistent.*No such file or directory" "error"
findmnt "$merged" && fail "failed setup left a mount"
rm -rf "$src" /run/wsov-probe.env
echo ok
