#!/usr/bin/env bash
# AllowHost=: the session's DNS stub answers only the allowed name and its address becomes
# reachable; other names do not resolve and reach no upstream (a tunnelling attempt with many
# random subdomains leaves no trace at the upstream server); their addresses stay unreachable
# when dialled directly; the session cannot bypass the stub; with the stub killed (-9) everything
# stays denied; nothing is left after removal.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v dnsmasq >/dev/null || skip "dnsmasq missing"
command -v nft >/dev/null || skip "nft missing (used to inspect only)"

"$EGRESS_TOOL" ensure
outside_up

step "upstream resolver in the outside namespace: allowed.test and exfil.test both resolve there"
dnslog=$(mktemp /tmp/egress-dnsmasq.XXXXXX)
ip netns exec "$OUTSIDE_NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address=203.0.113.2 --port=53 --local-ttl=300 --user=root --pid-file= \
        --address=/allowed.test/198.51.100.2 --address=/exfil.test/198.51.100.3 \
        --log-queries --log-facility="$dnslog" &
egress_pids+=($!)
wait_until 20 "$EGRESS_TOOL" query 203.0.113.2:53 allowed.test
grep -q allowed.test "$dnslog" || fail "dnsmasq does not log queries"

step "session tdns: no Allow=, AllowHost=allowed.test:80, its stub on 127.0.0.1:5353"
session_up tdns -- --stub 127.0.0.1:5353
"$EGRESS_TOOL" stub tdns 127.0.0.1:5353 203.0.113.2:53 "allowed.test:80" >/tmp/egress-stub.log &
stub_pid=$!
egress_pids+=($stub_pid)
wait_until 20 grep -q listening /tmp/egress-stub.log

assert_no_reach tdns 198.51.100.2       # not before it is resolved
assert_no_reach tdns 203.0.113.2 53     # no way around the stub

step "the allowed name resolves through the stub, and its address becomes reachable"
out=$(in_session tdns "$EGRESS_TOOL" query 127.0.0.1:5353 allowed.test) || fail "allowed.test did not resolve: $out"
echo "$out"
assert_match "$out" '^198\.51\.100\.2 300' "answer"
nft list set inet sessiond s_tdns_dns4p | grep -q '198.51.100.2 . tcp . 80 timeout 5m' || fail "not in the set with its TTL"
assert_reach tdns 198.51.100.2
assert_no_reach tdns 198.51.100.2 81    # AllowHost= named port 80

step "other names: REFUSED by the stub, never forwarded"
rc=0
in_session tdns "$EGRESS_TOOL" query 127.0.0.1:5353 exfil.test || rc=$?
assert_eq "$rc" 2 "exit status of a query for exfil.test (2: REFUSED)"
in_session tdns bash -c '
        for i in $(seq 1 40); do
                "$0" query 127.0.0.1:5353 "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d " \n").$i.exfil.test"
                [[ $? == 2 ]] || { echo "query $i not refused"; exit 1; }
        done' "$EGRESS_TOOL" || fail "a tunnelling query was not refused"
if grep -q exfil "$dnslog"; then
        grep exfil "$dnslog" | head
        fail "a query for exfil.test reached the upstream"
fi
echo "upstream saw: $(grep -c 'query\[' "$dnslog") queries, none for exfil.test"
assert_no_reach tdns 198.51.100.3       # exfil.test's address, dialled directly

step "stub killed with -9 (the daemon crashed): still denied, no resolution"
kill -9 "$stub_pid"
rc=0
in_session tdns "$EGRESS_TOOL" query 127.0.0.1:5353 allowed.test || rc=$?
assert_eq "$rc" 4 "query without the stub (4: no answer)"
assert_no_reach tdns 198.51.100.3
assert_no_reach tdns 203.0.113.2 53

step "nothing left after removal"
systemctl stop sessiond-tdns.slice
"$EGRESS_TOOL" remove tdns
egress_sessions=()
if nft list table inet sessiond | grep -q s_tdns; then fail "objects of tdns left"; fi
rm -f "$dnslog" /tmp/egress-stub.log
