#!/usr/bin/env bash
# `sessionctl check NAME` in Backend=nspawn sessions: the isolation battery runs inside the
# container as a command the agent (the container's PID 1, root of its user namespace) starts.
#  - nsroot: the generated unit with --sandbox= taken out (nspawn's sandbox alone, commands as
#    root of the container, as rendered before the agent's sandbox). Printed for comparison; it
#    must fail where root is the problem (non-root, read-proc1-environ, setuid-file), which
#    shows the battery can fail in a container.
#  - nschk (default profile, restrictive): the agent's --sandbox=restrictive on top. Every check
#    in EXPECTED must PASS; one dropping off the list is a regression of the nspawn sandbox.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/security-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
trap 'security_cleanup_host; daemon_cleanup' EXIT
security_setup_host

EXPECTED=(
        cap-effective cap-permitted cap-bounding cap-ambient no-new-privs seccomp user-namespace non-root
        read-shadow read-root-home read-home read-other-sessions read-proc1-environ write-rootfs write-usr
        write-etc write-var private-tmp private-dev-shm setuid-file
        ptrace-traceme ptrace-attach host-processes
        mount module-load raw-socket userns-create keyctl clock reboot bpf perf-event io-uring
        egress-deny memory-limit tasks-limit
)

# The limits sit on the session slice, above the container's cgroup namespace: the battery is
# told the memory limit and probes both limits by trying (SECURITY.md).
args=("${CHECK_ARGS[@]}" --memory-max=128M)

table() {  # NAME RC: prints the report in /run/NAME.json
        jq -r '.checks[] | "\(.verdict)  \(.name)  \(.detail)"' "/run/$1.json" || cat "/run/$1.json"
        echo "$1: battery exit status $2;" \
                "$(jq -r '[.checks[] | select(.verdict == "PASS")] | length' "/run/$1.json") PASS," \
                "$(jq -r '[.checks[] | select(.verdict == "FAIL")] | length' "/run/$1.json") FAIL"
}

session_file() {  # [PROFILE]
        cat <<EOT
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
Profile=${1:-restrictive}

[Resources]
MemoryMax=128M
TasksMax=32

# the memory probe's OOM kill must not end the session (the default OOMPolicy=stop would)
[Service]
OOMPolicy=continue
EOT
}

step "nspawn alone: the generated unit without the agent's --sandbox= (the rendering before it)"
gen=/usr/lib/systemd/system-generators/sessiond-generator
tmp=$(mktemp -d)
mkdir -p "$tmp/in" "$tmp/out"
session_file >"$tmp/in/nsroot.session"
SESSIOND_UNIT_PATH=$tmp/in "$gen" --strict "$tmp/out" "$tmp/out" "$tmp/out"
grep -q -- ' --sandbox=restrictive ' "$tmp/out/sessiond-nsroot.service" || fail "generated unit without --sandbox=restrictive"
sed -i 's/ --sandbox=restrictive / /' "$tmp/out/sessiond-nsroot.service"
grep ExecStart= "$tmp/out/sessiond-nsroot.service"
cp "$tmp/out"/sessiond-nsroot* /run/systemd/system/
systemctl daemon-reload
cleanup_units+=(sessiond-nsroot.service)
systemctl start sessiond-nsroot.service
wait_until 60 test -S /run/sessiond/agents/nsroot/agent.sock
rc=0
sessionctl exec --agent-socket=/run/sessiond/agents/nsroot/agent.sock nsroot -- \
        "$CHECK" --json=short --profile=restrictive "${args[@]}" >/run/nsroot.json || rc=$?
table nsroot $rc
assert_eq "$rc" 1 "battery exit status with commands as root of the container"
for c in non-root read-proc1-environ setuid-file; do
        assert_eq "$(verdict_of /run/nsroot.json $c)" FAIL "verdict of $c with commands as root of the container"
done
systemctl stop sessiond-nsroot.service
rm -rf "$tmp" /run/systemd/system/sessiond-nsroot*
systemctl daemon-reload

step "restrictive nspawn session (agent --sandbox=restrictive)"
write_session nschk < <(session_file)
sessionctl start nschk
wait_state nschk running 60
systemctl show -p ExecStart --value sessiond-nschk.service | grep -q -- '--sandbox=restrictive' || fail "no --sandbox=restrictive"
rc=0
sessionctl --json=short check nschk --profile=restrictive "${args[@]}" >/run/nschk.json || rc=$?
table nschk $rc
bad=()
for c in "${EXPECTED[@]}"; do
        v=$(verdict_of /run/nschk.json "$c")
        [[ $v == PASS ]] || bad+=("$c=$v")
done
((${#bad[@]} == 0)) || fail "checks not passing in the restrictive nspawn session: ${bad[*]}"
assert_eq "$rc" 0 "battery exit status in the restrictive nspawn session"
# the session still works: its main command and exec run, as the sandbox uid
assert_eq "$(sessionctl exec nschk -- /bin/sh -c 'id -u; cat /proc/sys/kernel/hostname')" "$(printf '61184\nnschk')" "exec in the sandbox"
sessionctl stop nschk

# The other profiles: the battery with their expectations passes, and the agent's filter follows
# Profile= (nested user namespaces denied under moderate, allowed under permissive).
for p in moderate permissive; do
        step "Profile=$p nspawn session (agent --sandbox=$p)"
        write_session "ns$p" < <(session_file $p)
        sessionctl start "ns$p"
        wait_state "ns$p" running 60
        systemctl show -p ExecStart --value "sessiond-ns$p.service" | grep -q -- "--sandbox=$p" || fail "no --sandbox=$p"
        rc=0
        sessionctl --json=short check "ns$p" --profile=$p "${args[@]}" >"/run/ns$p.json" || rc=$?
        table "ns$p" $rc
        assert_eq "$rc" 0 "battery exit status in the $p nspawn session"
        for c in non-root setuid-file read-proc1-environ; do
                assert_eq "$(verdict_of "/run/ns$p.json" $c)" PASS "verdict of $c under $p"
        done
        assert_eq "$(verdict_of "/run/ns$p.json" userns-create)" "$([[ $p == moderate ]] && echo PASS || echo WARN)" \
                "verdict of userns-create under $p"
        sessionctl stop "ns$p"
done
echo ok
