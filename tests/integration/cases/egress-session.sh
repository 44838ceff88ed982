#!/usr/bin/env bash
# A real session enforces its [Egress] Allow= policy by itself, with sessiond not running: the
# generator's units run sessiond-egress setup/remove around the session (ExecStartPre=+,
# ExecStopPost=+) and put the slice into the session's nft set (NFTSet=). The same through the
# daemon's transient units. The allowed address is reachable from inside the session, others
# are not (not even in the same /24), and nothing of the session is left in nft after stop.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v nft >/dev/null || skip "nft missing (used to inspect only)"
[[ -x /usr/libexec/sessiond-egress ]] || fail "/usr/libexec/sessiond-egress is not installed"

long=egress_with_a_rather_long_session_name   # no "-": that is nesting in a slice name
session_cleanup() {
        local n
        timeout 60 sessionctl stop egd >/dev/null 2>&1 || true
        for n in egs egd $long; do
                systemctl stop "sessiond-$n.service" 2>/dev/null || true
                systemctl reset-failed "sessiond-$n.service" 2>/dev/null || true
        done
        rm -f /etc/sessiond/egs.session "/etc/sessiond/$long.session"
        egress_cleanup
}
trap session_cleanup EXIT

session_text='[Session]
Exec=/bin/sleep infinity
[Egress]
Allow=198.51.100.2/32 tcp:80
'

# left NAME: what nft still has of the session (empty when nothing)
left() { nft list table inet sessiond 2>/dev/null | grep -E "s_$1(_|\b)" || true; }

assert_policy() {  # NAME
        assert_reach "$1" 198.51.100.2
        assert_no_reach "$1" 203.0.113.2
        # Same /24, not in the policy: both the cgroup BPF filter and nft refuse it.
        assert_no_reach "$1" 198.51.100.3
        nft list set inet sessiond "s_$1_cg" | grep -q "sessiond-$1.slice" ||
                fail "the slice of $1 is not in its set s_$1_cg"
        read -r packets _ < <(/usr/libexec/sessiond-egress counters "$1")
        ((packets > 0)) || fail "no drops counted for $1"
        echo "ok: $1 dropped $packets packets"
}

outside_up

step "generator path, sessiond stopped, and no table yet"
systemctl stop sessiond.socket sessiond.service 2>/dev/null || true
"$EGRESS_TOOL" table-remove 2>/dev/null || true
mkdir -p /etc/sessiond
printf '%s' "$session_text" >/etc/sessiond/egs.session
systemctl daemon-reload
systemctl cat sessiond-egs.service | grep -E '^(ExecStartPre|ExecStopPost|Requires)='
systemctl cat sessiond-egs.slice | grep -E '^(NFTSet|IPAddress)'
systemctl start sessiond-egs.service
systemctl is-active -q sessiond-egs.service || fail "sessiond-egs.service is not active"
systemctl is-active -q sessiond.service && fail "sessiond is running: the case must not depend on it"
systemctl is-active -q sessiond-egress.service || fail "sessiond-egress.service did not run"
nft list set inet sessiond sessions_cg | grep -q "sessiond.slice" || fail "sessiond.slice is not in the catch-all set"
assert_policy egs

step "stop: nothing of the session is left"
systemctl stop sessiond-egs.service
[[ -z $(left egs) ]] || { left egs; fail "objects of egs left after stop"; }
echo "ok: nothing of egs left"

step "a long session name: systemd takes set names of at most 31 characters, so it is hashed"
printf '%s' "$session_text" >"/etc/sessiond/$long.session"
systemctl daemon-reload
# (systemctl show prints NFTSet= as "[unprintable]": read the unit)
set=$(systemctl cat "sessiond-$long.slice" | sed -n 's/^NFTSet=//p')
echo "NFTSet=$set"
[[ $set =~ ^cgroup:inet:sessiond:c_[0-9a-f]{8}_cg$ ]] || fail "NFTSet= of $long: '$set'"
systemctl start "sessiond-$long.service"
nft list set inet sessiond "${set##*:}" | grep -q "sessiond-$long.slice" ||
        fail "the slice of $long is not in its set ${set##*:}"
assert_reach "$long" 198.51.100.2
assert_no_reach "$long" 203.0.113.2
systemctl stop "sessiond-$long.service"
nft list table inet sessiond | grep -q "${set##*:}" && fail "set ${set##*:} left after stop"
echo "ok: nothing of $long left"

step "fail closed: a slice below sessiond.slice without a chain is dropped"
echo "[Slice]" >/run/systemd/system/sessiond-egnone.slice
egress_slices+=(sessiond-egnone.slice)
systemctl daemon-reload
assert_no_reach egnone 198.51.100.2

step "daemon path: sessionctl start, the transient units carry the same policy"
if ! timeout 300 systemctl start sessiond.socket sessiond.service; then
        echo "sessiond is not usable here: daemon path skipped"
        exit 0
fi
timeout 120 sessionctl start --text="$session_text" egd
systemctl show -p ExecStartPreEx sessiond-egd.service | grep -q 'flags=privileged' ||
        fail "the transient unit has no privileged ExecStartPre"
assert_policy egd
out=$(timeout 60 sessionctl exec egd -- /bin/sh -c 'nc -z -w 3 198.51.100.2 80 && echo reach-allowed; nc -z -w 3 203.0.113.2 80 || echo no-reach-other') || true
echo "$out"
[[ $out == *reach-allowed* && $out == *no-reach-other* ]] || fail "sessionctl exec: policy not as expected inside the session"

step "the policy holds with sessiond stopped (kill -9)"
systemctl kill -s KILL sessiond.service || true
assert_reach egd 198.51.100.2
assert_no_reach egd 203.0.113.2

timeout 120 sessionctl stop egd || systemctl stop sessiond-egd.service
wait_until 60 bash -c '! systemctl is-active -q sessiond-egd.service'
[[ -z $(left egd) ]] || { left egd; fail "objects of egd left after stop"; }
echo "ok: nothing of egd left"
