#!/usr/bin/env bash
# AllowHost= in a real session (generated units, sessiond not running): the session resolves
# through its own DNS stub (sessiond-dns@NAME.service, on an address of its own, bound over its
# /etc/resolv.conf). The allowed name resolves from inside and is reachable by name; another name
# gets no answer and reaches no upstream (queries counted at the upstream dnsmasq), over UDP and
# over TCP; its address dialled directly is dropped; the upstream and another session's stub cannot be asked directly;
# many random subdomains reach no server; kill -9 of the stub keeps everything denied and the
# stub comes back; `sessionctl egress` replaces the policy of the running session; nothing is left
# after stop.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v dnsmasq >/dev/null || skip "dnsmasq missing"
command -v nft >/dev/null || skip "nft missing (used to inspect only)"
[[ -x /usr/libexec/sessiond-egress ]] || fail "/usr/libexec/sessiond-egress is not installed"

CTL=$HELPERS/agentctl
names=(egh egh2)

host_cleanup() {
        local n
        for n in "${names[@]}"; do
                systemctl stop "sessiond-$n.service" 2>/dev/null || true
                systemctl reset-failed "sessiond-$n.service" "sessiond-dns@$n.service" 2>/dev/null || true
                rm -f "/etc/sessiond/$n.session"
        done
        rm -f "${dnslog:-}"
        egress_cleanup
}
trap host_cleanup EXIT

# x NAME COMMAND...: runs inside the session, through its agent (its mounts, user, cgroup)
x() { local n=$1; shift; "$CTL" exec --agent-socket="/run/sessiond/agents/$n/agent.sock" "$n" -- "$@" </dev/null; }
# no_answer COMMAND...: an egress-tool query gets no answer: exit 4 (timeout) or 1 (the packet was
# refused at send, EPERM from the nft drop); 0 (an answer) and 2 (REFUSED) would be answers.
no_answer() {
        local rc=0
        "$@" || rc=$?
        [[ $rc == 1 || $rc == 4 ]] || fail "$*: exit status $rc, expected no answer"
        echo "ok: no answer: ${*: -2}"
}
upstream_queries() { sleep 1; grep -c 'query\[' "$dnslog" || true; }

outside_up

step "upstream resolver in the outside namespace: allowed.test, other.test and exfil.test resolve there"
dnslog=$(mktemp /tmp/egress-dnsmasq.XXXXXX)
ip netns exec "$OUTSIDE_NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address=203.0.113.2 --port=53 --local-ttl=300 --user=root --pid-file= \
        --address=/allowed.test/198.51.100.2 --address=/exfil.test/198.51.100.3 \
        --address=/other.test/198.51.100.3 \
        --log-queries --log-facility="$dnslog" &
egress_pids+=($!)
wait_until 20 "$EGRESS_TOOL" query 203.0.113.2:53 allowed.test

step "two sessions from .session files: egh may resolve allowed.test:80, egh2 other.test"
systemctl stop sessiond.socket sessiond.service 2>/dev/null || true
mkdir -p /etc/sessiond
cat >/etc/sessiond/egh.session <<'EOF'
[Session]
Exec=/bin/sleep infinity
[Egress]
AllowHost=allowed.test:80
DNS=203.0.113.2
EOF
cat >/etc/sessiond/egh2.session <<'EOF'
[Session]
Exec=/bin/sleep infinity
[Egress]
AllowHost=other.test
DNS=203.0.113.2
EOF
systemctl daemon-reload
ls -la /etc/resolv.conf
systemctl cat sessiond-egh.service | grep -E '^(ExecStartPre|BindReadOnlyPaths)='
timeout 180 systemctl start sessiond-egh.service sessiond-egh2.service || {
        journalctl -b --no-pager -u sessiond-egh.service -u 'sessiond-dns@*' | tail -40
        fail "the sessions did not start"
}
systemctl is-active -q sessiond-dns@egh.service || fail "the stub of egh is not running"
wait_until 30 test -S /run/sessiond/agents/egh/agent.sock
wait_until 30 test -S /run/sessiond/agents/egh2/agent.sock
systemctl is-active -q sessiond.service && fail "sessiond is running: the case must not depend on it"
stub1=$(awk '/^listen/ {print $2}' /run/sessiond/egress/egh.conf)
stub2=$(awk '/^listen/ {print $2}' /run/sessiond/egress/egh2.conf)
echo "stubs: egh $stub1, egh2 $stub2"
[[ $stub1 == 127.* && $stub2 == 127.* && $stub1 != "$stub2" ]] || fail "stub addresses not distinct loopback addresses"

step "inside egh, /etc/resolv.conf names its stub alone"
out=$(x egh cat /etc/resolv.conf) || fail "cannot read resolv.conf in the session"
grep '^nameserver' <<<"$out"
[[ $(grep -c '^nameserver' <<<"$out") == 1 ]] && grep -qx "nameserver $stub1" <<<"$out" ||
        fail "resolv.conf in the session: $out"

step "nothing reachable before resolution, no way around the stub"
x egh nc -z -w 3 198.51.100.2 80 && fail "allowed.test's address reachable before it was resolved"
before=$(upstream_queries)
no_answer x egh "$EGRESS_TOOL" query 203.0.113.2:53 allowed.test
no_answer x egh "$EGRESS_TOOL" query "$stub2:53" other.test
assert_eq "$(upstream_queries)" "$before" "queries at the upstream"

step "the allowed name resolves from inside and is reachable by name"
out=$(x egh getent ahostsv4 allowed.test) || fail "allowed.test does not resolve in the session"
echo "$out" | head -2
grep -q '^198\.51\.100\.2 ' <<<"$out" || fail "allowed.test resolved to: $out"
nft list set inet sessiond s_egh_dns4p | grep -q '198.51.100.2 . tcp . 80' || fail "not in egh's set"
x egh nc -z -w 3 allowed.test 80 || fail "allowed.test:80 not reachable from egh"
echo "ok: egh reaches allowed.test:80"
x egh nc -z -w 3 198.51.100.2 81 && fail "allowed.test:81 reachable (AllowHost= named port 80)"
# egh's resolution opens nothing for egh2
x egh2 nc -z -w 3 198.51.100.2 80 && fail "egh's allowed.test opened egh2"

step "DNS over TCP (glibc's use-vc): the stub answers the allowed name, not the others"
out=$(x egh env RES_OPTIONS=use-vc getent ahostsv4 allowed.test) || fail "allowed.test does not resolve over TCP"
grep -q '^198\.51\.100\.2 ' <<<"$out" || fail "allowed.test resolved over TCP to: $out"
before=$(upstream_queries)
x egh env RES_OPTIONS=use-vc getent hosts exfil.test && fail "exfil.test resolved over TCP"
assert_eq "$(upstream_queries)" "$before" "queries at the upstream after a refused TCP lookup"
echo "ok: TCP answers the allowed name only"

step "other names: no answer, never forwarded; their address dialled directly is dropped"
before=$(upstream_queries)
x egh getent hosts exfil.test && fail "exfil.test resolved in egh"
x egh getent hosts other.test && fail "egh2's other.test resolved in egh"
x egh bash -c '
        for i in $(seq 1 20); do
                n="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d " \n").$i.exfil.test"
                getent hosts "$n" && { echo "$n resolved"; exit 1; }
        done; exit 0' || fail "a tunnelling query was answered"
after=$(upstream_queries)
if grep -E 'query\[.*(exfil|other)\.test' "$dnslog"; then fail "a query for a name egh may not resolve reached the upstream"; fi
assert_eq "$after" "$before" "queries at the upstream during 22 refused lookups"
echo "ok: upstream saw $after queries in all, none for exfil.test or other.test from egh"
x egh nc -z -w 3 198.51.100.3 80 && fail "exfil.test's address reachable when dialled directly"
read -r packets _ < <(/usr/libexec/sessiond-egress counters egh)
((packets > 0)) || fail "no drops counted for egh"
echo "ok: egh dropped $packets packets"

step "kill -9 of the stub: everything stays denied, the stub comes back"
systemctl kill -s KILL sessiond-dns@egh.service
x egh nc -z -w 3 198.51.100.3 80 && fail "exfil.test's address reachable with the stub dead"
no_answer x egh "$EGRESS_TOOL" query 203.0.113.2:53 exfil.test
wait_until 60 systemctl is-active -q sessiond-dns@egh.service
wait_until 60 x egh getent ahostsv4 allowed.test
echo "ok: the stub was restarted and answers again"
grep -E 'query\[.*exfil\.test' "$dnslog" && fail "exfil.test reached the upstream"

step "sessionctl egress: egh's policy replaced while it runs, no restart"
# through sessiond's UpdateEgress: the daemon was stopped above
systemctl start sessiond.socket
pid=$(systemctl show -P MainPID sessiond-egh.service)
out=$(sessionctl egress egh --show) || fail "sessionctl egress --show failed"
echo "$out"
grep -q 'hosts allowed.test :80' <<<"$out" || fail "--show does not list AllowHost="
grep -Eq 'Dropped: [1-9][0-9]* packets' <<<"$out" || fail "--show does not show drops"
sessionctl egress egh --allow="203.0.113.2/32 tcp:80" --allow-host=other.test --dns=203.0.113.2 ||
        fail "sessionctl egress could not replace the policy"
assert_eq "$(systemctl show -P MainPID sessiond-egh.service)" "$pid" "main PID after the update"
sessionctl --json=short egress egh --show | grep -q '"allowHost":\["other.test"\]' || fail "--show --json after the update"
x egh nc -z -w 3 203.0.113.2 80 || fail "the new Allow= does not reach 203.0.113.2:80"
x egh getent ahostsv4 other.test | grep -q '^198\.51\.100\.3 ' || fail "other.test does not resolve after the update"
x egh getent hosts allowed.test && fail "allowed.test still resolves after the update"
x egh nc -z -w 3 198.51.100.2 80 && fail "allowed.test's address still reachable after the update (resolved set not flushed)"
echo "ok: the update applied without a restart"

step "stop: the stub and everything of the sessions is gone"
systemctl stop sessiond-egh.service sessiond-egh2.service
for n in egh egh2; do
        systemctl is-active -q "sessiond-dns@$n.service" && fail "the stub of $n still runs"
        [[ -e /run/sessiond/egress/$n.conf || -e /run/sessiond/egress/$n.resolv ]] && fail "stub files of $n left"
        nft list table inet sessiond | grep -E "s_$n(_|\b)" && fail "nft objects of $n left"
done
echo "ok: nothing left"
