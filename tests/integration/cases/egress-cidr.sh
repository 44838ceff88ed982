#!/usr/bin/env bash
# Allow= CIDRs: a session reaches what it allows and nothing else; session A's allow list does not
# open session B; a policy change applies without a restart; drops are counted; nothing is left
# after the sessions are removed; a session without nft rules is dropped by the catch-all.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v nft >/dev/null || skip "nft missing (used to inspect only)"

"$EGRESS_TOOL" ensure
outside_up

step "fail closed: a session slice without rules of its own is dropped by the catch-all"
if systemctl is-active -q sessiond.slice; then
        echo "sessiond.slice is already active: NFTSet= on it would not apply now, catch-all not exercised"
else
        mkdir -p /run/systemd/system/sessiond.slice.d
        printf '[Slice]\nNFTSet=cgroup:inet:sessiond:sessions_cg\n' >/run/systemd/system/sessiond.slice.d/50-egress-test.conf
        echo "[Slice]" >/run/systemd/system/sessiond-tnone.slice
        egress_slices+=(sessiond-tnone.slice)
        systemctl daemon-reload
        assert_no_reach tnone 203.0.113.2
        nft list set inet sessiond sessions_cg | grep -q elements || fail "sessiond.slice did not join sessions_cg"
        nft list counter inet sessiond unmatched_drop | grep -q 'packets [1-9]' || fail "unmatched_drop did not count"
        rm -f /run/systemd/system/sessiond.slice.d/50-egress-test.conf
        systemctl daemon-reload
fi

step "session ta allows 198.51.100.2 tcp:80, session tb allows 203.0.113.0/24"
session_up ta -- "198.51.100.2/32 tcp:80"
session_up tb -- "203.0.113.0/24"
assert_reach ta 198.51.100.2
assert_no_reach ta 203.0.113.2
assert_no_reach ta 198.51.100.3
assert_reach tb 203.0.113.2
assert_no_reach tb 198.51.100.2
nft list set inet sessiond s_ta_cg | grep -q 'elements' || fail "systemd did not add ta's slice to s_ta_cg"

step "drops are counted per session"
read -r packets bytes < <("$EGRESS_TOOL" counters ta)
echo "ta dropped $packets packets, $bytes bytes"
((packets > 0)) || fail "no drops counted for ta"
# ... and logged, rate-limited, to the kernel log that the journal records.
wait_until 20 journalctl -k -q --no-pager -g "sessiond-drop ta: "
journalctl -k -q --no-pager -g "sessiond-drop ta: " | tail -n 2

step "policy change on the running session: ta now allows 203.0.113.2 tcp:80 only"
handles_before=$(nft -a list chain inet sessiond sessions)
"$EGRESS_TOOL" update ta "203.0.113.2 tcp:80"
assert_reach ta 203.0.113.2
assert_no_reach ta 198.51.100.2
assert_eq "$(nft -a list chain inet sessiond sessions)" "$handles_before" "rules after update (no reload)"

step "layering: IPAddressDeny= on the slice (cgroup BPF) also has to allow what nft allows"
session_up td IPAddressDeny=any IPAddressAllow=198.51.100.2 -- "198.51.100.2/32" "203.0.113.2/32"
assert_reach td 198.51.100.2
assert_no_reach td 203.0.113.2

step "removing the sessions leaves nothing behind"
for s in ta tb td; do
        systemctl stop "sessiond-$s.slice"
        "$EGRESS_TOOL" remove "$s"
done
egress_sessions=()
left=$(nft list table inet sessiond)
echo "$left"
if grep -Eq 's_(ta|tb|td)' <<<"$left"; then fail "objects of removed sessions left"; fi
assert_eq "$("$EGRESS_TOOL" list)" "" "sessions listed after removal"
