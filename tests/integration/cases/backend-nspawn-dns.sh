#!/usr/bin/env bash
# Backend=nspawn with AllowHost=: the machine resolves through the session's DNS stub, which
# listens on a loopback address of the host; the machine reaches it through the host's side of
# its veth (DNAT in chain machines_dns, route_localnet on the veth), and its /etc/resolv.conf
# names that address alone. From inside (sessionctl exec): the allowed name resolves (UDP and
# TCP) and its address answers; another name gets no answer and reaches no upstream (queries
# counted at the upstream dnsmasq); the upstream asked directly does not answer; the other name's
# address dialled directly is dropped. After stop nothing is left.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
command -v dnsmasq >/dev/null || skip "dnsmasq missing"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"

n=nsdns
dnslog=$(mktemp /tmp/nspawn-dnsmasq.XXXXXX)
dns_cleanup() {
        rm -f "$dnslog"
        egress_sessions=()
        egress_cleanup
        daemon_cleanup
}
trap dns_cleanup EXIT

machine_gone() { ! machinectl list --no-legend 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
inside() { sessionctl exec "$n" -- "$@" </dev/null; }
can() { inside /usr/bin/nc.openbsd -z -w 3 "$1" "$2"; }
upstream_queries() { sleep 1; grep -c 'query\[' "$dnslog" || true; }
# egress-tool query exits 4 (timeout) or 1 (refused at send) without an answer
no_answer() {
        local rc=0
        "$@" || rc=$?
        [[ $rc == 1 || $rc == 4 ]] || fail "$*: exit status $rc, expected no answer"
        echo "ok: no answer: ${*: -2}"
}

outside_up

step "upstream resolver in the outside namespace"
ip netns exec "$OUTSIDE_NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address=203.0.113.2 --port=53 --local-ttl=300 --user=root --pid-file= \
        --address=/allowed.test/198.51.100.2 --address=/other.test/198.51.100.3 \
        --log-queries --log-facility="$dnslog" &
egress_pids+=($!)
wait_until 20 "$EGRESS_TOOL" query 203.0.113.2:53 allowed.test

write_session "$n" <<'S'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Egress]
AllowHost=allowed.test:80
DNS=203.0.113.2
S

step "start an nspawn session with AllowHost=allowed.test:80"
t0=$SECONDS
sessionctl start "$n" || {
        journalctl -b --no-pager -u "sessiond-$n.service" -u "sessiond-dns@$n.service" | tail -40
        fail "the session did not start"
}
echo "started in $((SECONDS - t0)) s"
wait_state "$n" running 60
systemctl is-active -q "sessiond-dns@$n.service" || fail "the stub of $n is not running"
stub=$(awk '/^listen/ {print $2}' "/run/sessiond/egress/$n.conf")
host=$(ip -4 -br addr show dev "vs-$n" | awk '{print $3}')
host=${host%/30}
echo "stub $stub, host side of the veth $host"
[[ $stub == 127.* && $host == 10.222.* ]] || fail "stub '$stub', host side '$host'"
assert_eq "$(cat "/proc/sys/net/ipv4/conf/vs-$n/route_localnet")" 1 "route_localnet on vs-$n"
out=$(nft list chain inet sessiond machines_dns)
echo "$out"
grep -q "iifname \"vs-$n\" ip daddr $host udp dport 53 dnat ip to $stub:53" <<<"$out" || fail "no UDP DNS redirect for vs-$n"
grep -q "iifname \"vs-$n\" ip daddr $host tcp dport 53 dnat ip to $stub:53" <<<"$out" || fail "no TCP DNS redirect for vs-$n"

step "inside, /etc/resolv.conf names the host's side of the veth alone"
out=$(inside cat /etc/resolv.conf) || fail "cannot read resolv.conf in the machine"
echo "$out"
[[ $(grep -c '^nameserver' <<<"$out") == 1 ]] && grep -qx "nameserver $host" <<<"$out" ||
        fail "resolv.conf in the machine: $out"

step "nothing reachable before resolution, no way around the stub"
can 198.51.100.2 80 && fail "allowed.test's address reachable before it was resolved"
before=$(upstream_queries)
no_answer inside "$EGRESS_TOOL" query 203.0.113.2:53 allowed.test
assert_eq "$(upstream_queries)" "$before" "queries at the upstream"

step "the allowed name resolves from inside and is reachable by name"
out=$(inside getent ahostsv4 allowed.test) || fail "allowed.test does not resolve in the machine"
echo "$out" | head -2
grep -q '^198\.51\.100\.2 ' <<<"$out" || fail "allowed.test resolved to: $out"
nft list set inet sessiond "s_${n}_dns4p" | grep -q '198.51.100.2 . tcp . 80' || fail "not in $n's set"
can allowed.test 80 || fail "allowed.test:80 not reachable from the machine"
echo "ok: reaches allowed.test:80"
out=$(inside /bin/sh -c 'echo | /usr/bin/nc.openbsd -w 3 allowed.test 80')
assert_eq "$out" hello "what allowed.test said"
can 198.51.100.2 81 && fail "allowed.test:81 reachable (AllowHost= named port 80)"
out=$(inside env RES_OPTIONS=use-vc getent ahostsv4 allowed.test) || fail "allowed.test does not resolve over TCP"
grep -q '^198\.51\.100\.2 ' <<<"$out" || fail "allowed.test resolved over TCP to: $out"
echo "ok: over TCP too"

step "another name: no answer, never forwarded; its address dialled directly is dropped"
before=$(upstream_queries)
inside getent hosts other.test && fail "other.test resolved in the machine"
inside env RES_OPTIONS=use-vc getent hosts other.test && fail "other.test resolved over TCP"
assert_eq "$(upstream_queries)" "$before" "queries at the upstream during refused lookups"
if grep -E 'query\[.*other\.test' "$dnslog"; then fail "a query for other.test reached the upstream"; fi
can 198.51.100.3 80 && fail "other.test's address reachable when dialled directly"
read -r packets _ < <(/usr/libexec/sessiond-egress counters "$n")
((packets > 0)) || fail "no drops counted for $n"
echo "ok: $packets packets dropped"

step "stop: nothing of the session is left"
sessionctl stop "$n"
wait_until 60 machine_gone "$n"
wait_until 60 unit_gone "$n"
systemctl is-active -q "sessiond-dns@$n.service" && fail "the stub of $n still runs"
[[ -e /run/sessiond/egress/$n.conf || -e /run/sessiond/egress/$n.resolv ]] && fail "stub files of $n left"
[[ -z $(ip link show "vs-$n" 2>/dev/null) ]] || fail "veth vs-$n left"
nft list table inet sessiond 2>/dev/null | grep -E "s_$n(_|\b)|vs-$n" && fail "nft rules or objects of $n left"
[[ -z $(nft list chain inet sessiond machines_dns 2>/dev/null | grep dnat) ]] || fail "DNS redirects left"
echo ok
