#!/usr/bin/env bash
# Bad Varlink input gets a clear, named error and starts nothing.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

M=io.sessiond.Manager
units_before=$(systemctl list-units --all --plain --no-legend 'sessiond-*' | grep -vc '^sessiond\.' || true)

call_err() {  # expect an error; print it
        local out rc=0
        out=$(varlinkctl call "$ADDR" "$M.$1" "$2" 2>&1) || rc=$?
        echo "$1 $2 -> rc=$rc: $out"
        [[ $rc != 0 ]] || fail "$1 $2 succeeded"
        [[ $out == *"$3"* ]] || fail "$1 $2: expected '$3' in: $out"
}

step "wrong types and bad names are InvalidParameter naming the field"
call_err Start '{"name":42}' 'org.varlink.service.InvalidParameter'
call_err Start '{"name":42}' 'name'
call_err Start '{}' 'name'
call_err Start '{"name":"../etc"}' 'name'
call_err Start '{"name":"ok","sessionText":7}' 'sessionText'
call_err Kill '{"name":"x","signal":"TERM"}' 'signal'
call_err Kill '{"name":"x","signal":9999}' 'signal'
call_err Describe '{"name":null}' 'name'

step "unknown sessions are NoSuchSession"
call_err Stop '{"name":"no-such-session"}' 'io.sessiond.Manager.NoSuchSession'
call_err Start '{"name":"no-such-session"}' 'io.sessiond.Manager.NoSuchSession'
call_err Describe '{"name":"no-such-session"}' 'io.sessiond.Manager.NoSuchSession'
rc=0; sessionctl stop no-such-session || rc=$?
assert_eq "$rc" 4 "sessionctl exit code for no such session"

step "invalid session text is InvalidSession with every error and its line"
out=$(varlinkctl call "$ADDR" $M.Start \
        '{"name":"dbad","sessionText":"[Session]\nExec=/bin/true\nMaxRuntime=soon\n[Resources]\nMemoryMax=lots\nBogus=1\n"}' 2>&1) || true
echo "$out"
[[ $out == *io.sessiond.Manager.InvalidSession* ]] || fail "no InvalidSession"
for line in 3 5 6; do
        [[ $out == *"\"line\" : $line"* || $out == *"\"line\":$line"* ]] || fail "error on line $line not reported"
done
rc=0; sessionctl start --text=$'[Session]\nExec=relative/path\n' dbad2 || rc=$?
assert_eq "$rc" 6 "sessionctl exit code for an invalid session"

step "Verify reports without starting"
varlinkctl call "$ADDR" $M.Verify '{"name":"dbad","sessionText":"[Session]\nTerminal=perhaps\n"}' | tee /dev/stderr |
        jq -e '.valid == false and (.errors | length) >= 1 and .errors[0].line == 2'
varlinkctl call "$ADDR" $M.Verify '{"name":"dgood","sessionText":"[Session]\nExec=/bin/true\n"}' | jq -e '.valid == true'

step "a backend this machine cannot run is BackendUnavailable (vmspawn: not in trixie, no KVM under TCG)"
if command -v systemd-vmspawn >/dev/null && [[ -w /dev/kvm ]]; then
        echo "systemd-vmspawn and /dev/kvm are here: backend-vmspawn.sh covers this"
else
        call_err Start '{"name":"dvm","sessionText":"[Session]\nBackend=vmspawn\nImage=dvm.raw\n"}' 'BackendUnavailable'
fi

step "vmspawn without Image= is InvalidSession at the Backend= line (the VM must not boot the host's root)"
out=$(varlinkctl call "$ADDR" $M.Start '{"name":"dvm","sessionText":"[Session]\nExec=/bin/true\nBackend=vmspawn\n"}' 2>&1) || true
echo "$out"
[[ $out == *io.sessiond.Manager.InvalidSession* ]] || fail "no InvalidSession"
[[ $out == *"\"line\" : 3"* || $out == *"\"line\":3"* ]] || fail "error not at line 3"
[[ $out == *"needs Image="* ]] || fail "the message does not name Image="

step "List needs more"
call_err List '{}' 'ExpectedMore'
varlinkctl call --more "$ADDR" $M.List '{}'

step "nothing was started"
units_after=$(systemctl list-units --all --plain --no-legend 'sessiond-*' | grep -vc '^sessiond\.' || true)
assert_eq "$units_after" "$units_before" "session units"
ls /var/lib/sessiond/sessions
[[ -z $(ls /var/lib/sessiond/sessions) ]] || fail "records left by refused calls"
echo ok
