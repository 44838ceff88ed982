#!/usr/bin/env bash
# `sessionctl check NAME` in a Backend=nspawn session: the isolation battery runs inside the
# container (as an exec'd command of the agent, which is the container's PID 1) and must pass
# every check listed below. A check dropping off this list is a regression of the nspawn sandbox.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/security-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
trap 'security_cleanup_host; daemon_cleanup' EXIT
security_setup_host

write_session nschk <<'EOT'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity

[Resources]
MemoryMax=128M
TasksMax=32
EOT
sessionctl start nschk
wait_state nschk running 60
wait_until 60 test -S /run/sessiond/agents/nschk/agent.sock

args=("${CHECK_ARGS[@]}" ${NSCHK_EXTRA_ARGS:-})
step "sessionctl check in a restrictive nspawn session"
rc=0
sessionctl --json=short check nschk --profile=restrictive "${args[@]}" >/run/nschk.json 2>/run/nschk.err || rc=$?
cat /run/nschk.err
jq -r '.checks[] | "\(.verdict)  \(.name)  \(.detail)"' /run/nschk.json || cat /run/nschk.json
echo "sessionctl check exit status $rc; $(jq -r '[.checks[] | select(.verdict == "PASS")] | length' /run/nschk.json) PASS," \
        "$(jq -r '[.checks[] | select(.verdict == "FAIL")] | length' /run/nschk.json) FAIL"
