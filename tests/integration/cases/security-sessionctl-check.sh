#!/usr/bin/env bash
# `sessionctl check NAME`: the isolation battery runs inside a running session through sessiond
# and the session's agent, with the session's own sandbox; its report and exit status come back.
# A restrictive session passes; the same battery expecting restrictive in a permissive session
# fails, and that failure reaches the caller.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/security-lib.sh"

[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
trap 'security_cleanup_host; daemon_cleanup' EXIT
security_setup_host

args=(--deny-addr="$DENY_ADDR" --timeout=5000 --other-path=/var/lib/sessiond/other-session/spec
      --other-path=/run/sessiond/agents/other-session --host-marker=/tmp/sessiond-host-marker
      --host-marker=/dev/shm/sessiond-host-marker --tasks-max=32)

for p in restrictive permissive; do
        write_session "chk-$p" <<EOT
[Session]
Exec=/bin/sleep infinity
Profile=$p

[Resources]
MemoryMax=64M
TasksMax=32
EOT
        sessionctl start "chk-$p"
        wait_until 60 test -S "/run/sessiond/agents/chk-$p/agent.sock"
done

step "sessionctl check in a restrictive session"
rc=0
sessionctl check chk-restrictive --profile=restrictive "${args[@]}" >/run/chk-restrictive.txt 2>&1 || rc=$?
cat /run/chk-restrictive.txt
assert_eq "$rc" 0 "sessionctl check exit status (restrictive)"
grep -q '^score: 36/36 .*: PASS$' /run/chk-restrictive.txt || fail "restrictive session did not isolate all 36 checks"
# It ran inside the session: as the session's dynamic user, not as root or the caller.
grep -q '^PASS  non-root .*dynamic user range' /run/chk-restrictive.txt || fail "the battery did not run as the session's user"

step "sessionctl --json=short check: the JSON report"
rc=0
sessionctl --json=short check chk-restrictive --only=seccomp,read-shadow,tasks-limit --tasks-max=32 \
        >/run/chk-restrictive.json || rc=$?
jq . /run/chk-restrictive.json
assert_eq "$rc" 0 "sessionctl --json check exit status"
assert_eq "$(jq -r '.ok' /run/chk-restrictive.json)" true "report ok"
assert_eq "$(jq -r '.checks | length' /run/chk-restrictive.json)" 3 "checks in the report"

step "a permissive session does not meet the restrictive expectations"
rc=0
sessionctl check chk-permissive --profile=restrictive "${args[@]}" >/run/chk-permissive.txt 2>&1 || rc=$?
cat /run/chk-permissive.txt
assert_eq "$rc" 1 "sessionctl check exit status (permissive session, restrictive expectations)"
for c in user-namespace host-processes userns-create keyctl io-uring; do
        grep -q "^FAIL  $c " /run/chk-permissive.txt || fail "$c did not fail in the permissive session"
done
rc=0
sessionctl check chk-permissive --profile=permissive "${args[@]}" >/run/chk-permissive2.txt 2>&1 || rc=$?
tail -n 1 /run/chk-permissive2.txt
assert_eq "$rc" 0 "sessionctl check exit status (permissive session, permissive expectations)"
