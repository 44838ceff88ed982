#!/usr/bin/env bash
# The agent on AF_VSOCK (how the host reaches it inside a vmspawn VM), here over vsock_loopback:
# no fd passing there, so exec streams output through the agent; stdin is sent up front.
. "$SESSIOND_TEST_DIR/lib.sh"

AGENT=/usr/libexec/sessiond-agent
CTL=$HELPERS/agentctl
modprobe vsock_loopback 2>/dev/null || skip "no vsock_loopback module"

name=vs$$
port=$((20000 + $$ % 10000))
unit=sessiond-test-$name.service
cleanup_units+=("$unit")

systemd-run -q --unit="$unit" -p Type=notify -p NotifyAccess=main -p DynamicUser=yes \
        -p ProtectSystem=strict -p PrivateTmp=yes \
        "$AGENT" --name="$name" --socket=vsock:$port -- sleep infinity
addr=vsock:1:$port

step "streamed exec over vsock: stdout, stderr, exit status"
set +e
out=$("$CTL" exec --agent-socket="$addr" "$name" -- sh -c 'echo out; echo err >&2; exit 3' 2>"/tmp/$name.err")
rc=$?
set -e
assert_eq "$rc" 3 "exit status over vsock"
assert_eq "$out" out "stdout over vsock"
assert_eq "$(cat "/tmp/$name.err")" err "stderr over vsock"
rm -f "/tmp/$name.err"

step "stdin is sent; 20 MB of binary output arrive intact"
assert_eq "$(printf 'abc' | "$CTL" exec --agent-socket="$addr" "$name" -- wc -c)" 3 "stdin over vsock"
head -c 20000000 /dev/urandom >/srv/vsock-big
chmod 644 /srv/vsock-big
want=$(sha256sum </srv/vsock-big)
got=$("$CTL" exec --agent-socket="$addr" "$name" -- cat /srv/vsock-big | sha256sum)
rm -f /srv/vsock-big
assert_eq "$got" "$want" "sha256 over vsock"
assert_eq "$("$CTL" exec --agent-socket="$addr" "$name" -- id -u)" "$(stat -c %u /proc/"$(systemctl show -P MainPID "$unit")")" "runs as the session's user"
