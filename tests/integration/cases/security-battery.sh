#!/usr/bin/env bash
# The isolation battery passes inside a unit hardened like the restrictive profile, and fails in
# a plain unit: it can tell a sandbox from none, so a passing run means something.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/security-lib.sh"

trap 'security_cleanup_host; cleanup' EXIT
security_setup_host
out=$(mktemp -d)

step "battery inside a restrictive transient unit"
rc=0
systemd-run --wait --pipe -q --collect --unit=security-battery-hardened "${RESTRICTIVE_PROPS[@]}" \
        "$CHECK" --profile=restrictive "${CHECK_ARGS[@]}" >"$out/hardened.txt" 2>&1 || rc=$?
cat "$out/hardened.txt"
grep -q '^score: ' "$out/hardened.txt" || fail "no score line in the battery's report"
if grep -q '^FAIL' "$out/hardened.txt"; then
        fail "checks failed inside the restrictive unit: $(grep '^FAIL' "$out/hardened.txt" | awk '{print $2}' | tr '\n' ' ')"
fi
assert_eq "$rc" 0 "battery exit status in the restrictive unit"
# Nothing may be skipped either: every check must have reached a verdict.
if grep -q '^SKIP' "$out/hardened.txt"; then
        fail "checks skipped inside the restrictive unit: $(grep '^SKIP' "$out/hardened.txt" | awk '{print $2}' | tr '\n' ' ')"
fi
# The probes really ran: the memory hog was killed and fork hit the pids limit.
grep -q '^PASS  memory-limit .*killed (OOM)' "$out/hardened.txt" || fail "memory probe did not observe an OOM kill"
grep -q '^PASS  tasks-limit .*EAGAIN' "$out/hardened.txt" || fail "tasks probe did not observe EAGAIN"

step "the same battery in a plain unit (root, no sandbox) must fail"
rc=0
systemd-run --wait --pipe -q --collect --unit=security-battery-plain \
        "$CHECK" --profile=restrictive --json=short "${CHECK_ARGS[@]}" >"$out/plain.json" 2>"$out/plain.err" || rc=$?
jq -r '.checks[] | "\(.verdict)  \(.name)  \(.detail)"' "$out/plain.json"
assert_eq "$rc" 1 "battery exit status in a plain unit"
assert_eq "$(jq -r .ok "$out/plain.json")" false "report's ok"
for c in cap-effective cap-bounding no-new-privs seccomp user-namespace non-root read-shadow read-root-home \
         read-home read-other-sessions read-proc1-environ write-rootfs write-usr write-etc write-var \
         private-tmp private-dev-shm setuid-file ptrace-traceme host-processes mount raw-socket \
         userns-create keyctl clock module-load reboot bpf perf-event io-uring egress-deny memory-limit tasks-limit; do
        assert_eq "$(verdict_of "$out/plain.json" "$c")" FAIL "verdict of $c in a plain unit"
done

step "a permissive expectation turns the same exposures into warnings where allowed"
rc=0
systemd-run --wait --pipe -q --collect --unit=security-battery-plain-permissive \
        "$CHECK" --profile=permissive --json=short --only=user-namespace,read-home,non-root \
        >"$out/permissive.json" 2>&1 || rc=$?
assert_eq "$(verdict_of "$out/permissive.json" user-namespace)" WARN "user-namespace under permissive"
assert_eq "$(verdict_of "$out/permissive.json" read-home)" WARN "read-home under permissive"
assert_eq "$(verdict_of "$out/permissive.json" non-root)" FAIL "non-root under permissive"
assert_eq "$rc" 1 "exit status with one required failure"
