#!/usr/bin/env bash
# IPv6: a real session (generated units, sessiond not running) with Allow= of a v6 prefix reaches
# an address in it over TCP, and not another v6 address of the same outside host, nor an allowed
# address on another port; drops are counted; nothing is left after stop.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v nft >/dev/null || skip "nft missing (used to inspect only)"
[[ -x /usr/libexec/sessiond-egress ]] || fail "/usr/libexec/sessiond-egress is not installed"

CTL=$HELPERS/agentctl
v6_cleanup() {
        systemctl stop sessiond-eg6.service 2>/dev/null || true
        systemctl reset-failed sessiond-eg6.service 2>/dev/null || true
        rm -f /etc/sessiond/eg6.session
        egress_cleanup
}
trap v6_cleanup EXIT
x() { "$CTL" exec --agent-socket=/run/sessiond/agents/eg6/agent.sock eg6 -- "$@" </dev/null; }

outside_up
step "outside gets 2001:db8:6::2 and 2001:db8:6::3 (TCP 80 on both), the host 2001:db8:6::1"
ip addr add 2001:db8:6::1/64 dev eg-host nodad
ip -n "$OUTSIDE_NS" addr add 2001:db8:6::2/64 dev eg-out nodad
ip -n "$OUTSIDE_NS" addr add 2001:db8:6::3/64 dev eg-out nodad
ip netns exec "$OUTSIDE_NS" socat TCP6-LISTEN:80,ipv6only=1,fork,reuseaddr SYSTEM:'echo hello6' &
egress_pids+=($!)
wait_until 20 nc -z -w 1 2001:db8:6::2 80
nc -z -w 3 2001:db8:6::3 80 || fail "outside v6 not reachable from the host"

step "session eg6: Allow=2001:db8:6::2/128 tcp:80"
systemctl stop sessiond.socket sessiond.service 2>/dev/null || true
mkdir -p /etc/sessiond
cat >/etc/sessiond/eg6.session <<'EOF'
[Session]
Exec=/bin/sleep infinity
[Egress]
Allow=[2001:db8:6::2]:80/tcp
EOF
systemctl daemon-reload
systemctl cat sessiond-eg6.slice | grep -E '^IPAddress'
timeout 120 systemctl start sessiond-eg6.service || fail "eg6 did not start"
wait_until 30 test -S /run/sessiond/agents/eg6/agent.sock
nft list chain inet sessiond s_eg6 | grep -q 'ip6 daddr 2001:db8:6::2 tcp dport 80 accept' || fail "no v6 rule in eg6's chain"

x nc -z -w 3 2001:db8:6::2 80 || fail "eg6 does not reach the allowed [2001:db8:6::2]:80"
echo "ok: eg6 reaches [2001:db8:6::2]:80"
x nc -z -w 3 2001:db8:6::3 80 && fail "eg6 reaches [2001:db8:6::3]:80"
echo "ok: eg6 does not reach [2001:db8:6::3]:80"
x nc -z -w 3 2001:db8:6::2 81 && fail "eg6 reaches [2001:db8:6::2]:81"
echo "ok: eg6 does not reach [2001:db8:6::2]:81"
x nc -z -w 3 198.51.100.2 80 && fail "eg6 reaches v4 198.51.100.2"
read -r packets _ < <(/usr/libexec/sessiond-egress counters eg6)
((packets > 0)) || fail "no drops counted for eg6"
echo "ok: eg6 dropped $packets packets"

step "stop: nothing left"
systemctl stop sessiond-eg6.service
nft list table inet sessiond | grep -E 's_eg6(_|\b)' && fail "objects of eg6 left"
echo "ok: nothing of eg6 left"
