#!/usr/bin/env bash
# Units generated from the example sessions and one session per profile and workspace mode pass
# `systemd-analyze verify` without a single complaint about them.
. "$SESSIOND_TEST_DIR/lib.sh"

gen=/usr/lib/systemd/system-generators/sessiond-generator
agent=/usr/libexec/sessiond-agent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup' EXIT
mkdir -p "$tmp/in" "$tmp/out" "$tmp/src" "$tmp/secrets"
echo secret >"$tmp/secrets/token"

cp /usr/share/doc/sessiond/examples/*.session "$tmp/in/"
for p in restrictive moderate permissive; do
        cat >"$tmp/in/profile-$p.session" <<EOS
[Session]
Exec=/usr/bin/sleep infinity
Profile=$p
SystemCallFilter=@timer
Environment="GREETING=hello world" PCT=100%
[Egress]
Allow=192.0.2.0/24 [2001:db8::1]:443
[Secrets]
Credential=token:$tmp/secrets/token
EOS
done
for m in overlay bind bind-ro; do
        printf '[Session]\nExec=/bin/sh -c "echo a ; echo $HOME"\n[Workspace]\nPath=%s\nMode=%s\n' "$tmp/src" "$m" \
                >"$tmp/in/ws-$m.session"
done
printf '[Session]\nTerminal=yes\n[Workspace]\nMode=tmpfs\nSize=64M\n' >"$tmp/in/ws-tmpfs.session"

step "generate"
SESSIOND_UNIT_PATH=$tmp/in "$gen" --strict "$tmp/out" "$tmp/out" "$tmp/out"
ls -la "$tmp/out"
n=$(ls "$tmp/out"/*.service | wc -l)
assert_eq "$n" "$(ls "$tmp/in"/*.session | wc -l)" "number of services"

if [[ ! -x $agent ]]; then
        echo "NOTE: $agent not installed yet: verifying with ExecStart= pointing at /usr/bin/true"
        sed -i "s|^ExecStart=$agent |ExecStart=/usr/bin/true |" "$tmp/out"/*.service
fi

step "systemd-analyze verify"
rc=0
(cd "$tmp/out" && systemd-analyze verify --man=no ./*.service ./*.slice) >"$tmp/verify.log" 2>&1 || rc=$?
cat "$tmp/verify.log"
[[ $rc == 0 ]] || fail "systemd-analyze verify exited $rc"
if grep -E 'sessiond-[^ ]*\.(service|slice)' "$tmp/verify.log"; then
        fail "systemd-analyze verify complained about generated units"
fi

step "sessionctl verify agrees"
for f in "$tmp"/in/profile-*.session "$tmp"/in/ws-*.session; do
        sessionctl verify "$f"
done
