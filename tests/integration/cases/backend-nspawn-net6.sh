#!/usr/bin/env bash
# Backend=nspawn with [Egress]: IPv6 on the session's veth, checked from outside and inside:
#  - host side vs-NAME fd5e:55d0:e6:K::1/64, host0 in the machine ::2/64 (not tentative: no DAD)
#    with an IPv6 default route through it, the machine's address masqueraded (ip6 rule in chain
#    machines_nat), IPv6 forwarding on, forward_guard dropping unguarded IPv6;
#  - from inside (sessionctl exec) an address in the allowed v6 prefix answers, one outside it does
#    not and the drop is counted; the IPv4 policy still holds beside it;
#  - while forwarding is on, a v6 network that is no session's is not routed (forward_guard);
#  - UpdateEgress on the running machine: a new Allow= takes effect over IPv6 at once (AllowHost=
#    added to a running machine: backend-nspawn-dns-update);
#  - after stop nothing of it is left: addresses, routes, nft rules, IPv6 forwarding as before.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
[[ -e /proc/sys/net/ipv6 ]] || skip "no IPv6 in this kernel"

tmp=$(mktemp -d)
net6_cleanup() {
        ip link del sdot6 2>/dev/null || true
        ip netns del sdother6 2>/dev/null || true
        rm -rf "$tmp"
        egress_sessions=()
        egress_cleanup
        daemon_cleanup
}
trap net6_cleanup EXIT

machine_listed() { machinectl list --no-legend 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
machine_gone() { ! machine_listed "$1"; }
dropped() { sessionctl status "$1" | awk '/Dropped:/ {print $2}'; }
inside() { local n=$1; shift; sessionctl exec "$n" -- "$@"; }
# nc.openbsd by its own name: the machine's /etc (a tmpfs) has no /etc/alternatives/nc
can() { inside "$1" /usr/bin/nc.openbsd -z -w 3 "$2" "$3" </dev/null; }

outside_up
step "outside: 2001:db8:6::2 (in the allowed /125) and 2001:db8:6::9 (not), TCP 80 on both"
ip addr add 2001:db8:6::1/64 dev eg-host nodad
ip -n "$OUTSIDE_NS" addr add 2001:db8:6::2/64 dev eg-out nodad
ip -n "$OUTSIDE_NS" addr add 2001:db8:6::9/64 dev eg-out nodad
ip netns exec "$OUTSIDE_NS" socat TCP6-LISTEN:80,ipv6only=1,fork,reuseaddr SYSTEM:'echo hello6' &
egress_pids+=($!)
wait_until 20 nc -z -w 1 2001:db8:6::2 80
nc -z -w 3 2001:db8:6::9 80 || fail "outside v6 not reachable from the host"
forward_before=$(cat /proc/sys/net/ipv4/ip_forward)
forward6_before=$(cat /proc/sys/net/ipv6/conf/all/forwarding)
echo "forwarding before: IPv4 $forward_before, IPv6 $forward6_before"

write_session nsv6 <<'S'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Egress]
Allow=2001:db8:6::/125
Allow=198.51.100.2/32
S

step "start nspawn session nsv6 with Allow=2001:db8:6::/125 198.51.100.2/32"
sessionctl start nsv6
wait_state nsv6 running 60
machine_listed nsv6 || fail "machined does not list nsv6"

step "from outside: the host side's IPv6 address, masquerade, forwarding, guard"
ip -6 addr show dev vs-nsv6 | tee "$tmp/addr.txt"
h6=$(awk '$1 == "inet6" && $2 ~ /^fd5e:55d0:e6:/ {print $2}' "$tmp/addr.txt")
[[ $h6 =~ ^fd5e:55d0:e6:[0-9a-f]+::1/64$ ]] || fail "host side vs-nsv6 has no fd5e:55d0:e6:K::1/64: '$h6'"
! grep -q tentative "$tmp/addr.txt" || fail "an address of vs-nsv6 is tentative (DAD)"
host6=${h6%/64}
machine6=${host6%::1}::2
echo "nsv6: host $host6, machine $machine6"
assert_eq "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" 1 "IPv6 forwarding while the session runs"
nft list chain inet sessiond machines_nat | tee "$tmp/nat.txt"
grep -q "ip6 saddr $machine6 oifname != \"vs-nsv6\" masquerade" "$tmp/nat.txt" || fail "no IPv6 masquerade for $machine6"
nft list chain inet sessiond machines | grep 'vs-nsv6'
if [[ $forward6_before == 0 ]]; then
        nft list chain inet sessiond forward_guard | tee "$tmp/guard.txt"
        grep -q 'meta nfproto ipv6 counter' "$tmp/guard.txt" || fail "forward_guard does not guard IPv6"
fi

step "from inside: address (not tentative), default route"
out=$(inside nsv6 /bin/sh -c 'ip -6 addr show dev host0 scope global; echo ---; ip -6 route show default')
echo "$out"
grep -q "inet6 $machine6/64" <<<"$out" || fail "host0 inside has not $machine6/64"
! grep -q tentative <<<"$out" || fail "host0's address is tentative (DAD)"
grep -q "^default via $host6 dev host0" <<<"$out" || fail "no IPv6 default route via $host6 inside"

step "from inside: the allowed v6 prefix answers, an address outside it does not, drops are counted"
d0=$(dropped nsv6)
echo "dropped before: $d0"
[[ -n $d0 ]] || fail "sessionctl status shows no drop counter"
can nsv6 2001:db8:6::2 80 || fail "nsv6 cannot reach [2001:db8:6::2]:80 in the allowed 2001:db8:6::/125"
out=$(inside nsv6 /bin/sh -c 'echo | /usr/bin/nc.openbsd -w 3 2001:db8:6::2 80' </dev/null)
assert_eq "$out" hello6 "what the outside said over IPv6"
assert_eq "$(dropped nsv6)" "$d0" "drops after allowed traffic only"
echo "ok: [2001:db8:6::2]:80 answers"
! can nsv6 2001:db8:6::9 80 || fail "nsv6 reaches [2001:db8:6::9]:80, outside the allowed prefix"
echo "ok: [2001:db8:6::9]:80 does not answer"
d1=$(dropped nsv6)
echo "dropped after: $d1"
((d1 > d0)) || fail "the IPv6 drop was not counted ($d0 -> $d1)"
can nsv6 198.51.100.2 80 || fail "nsv6 cannot reach the allowed 198.51.100.2:80 (IPv4 beside IPv6)"
! can nsv6 198.51.100.3 80 || fail "nsv6 reaches 198.51.100.3:80, which is not allowed"
echo "ok: IPv4 as allowed"

step "from outside: nothing opens a connection into the machine over IPv6"
ip -n "$OUTSIDE_NS" route add fd5e:55d0:e6::/48 via 2001:db8:6::1
ip netns exec "$OUTSIDE_NS" busybox ping6 -c 1 -W 2 2001:db8:6::1 >/dev/null || fail "the outside cannot ping6 the host"
! ip netns exec "$OUTSIDE_NS" busybox ping6 -c 2 -W 2 "$machine6" || fail "the outside reached the machine ($machine6)"
echo "ok: $machine6 is closed to the outside"

step "IPv6 forwarding is for machines only: the host routes no other v6 network"
ip netns add sdother6
ip link add sdot6 type veth peer name eth0 netns sdother6
ip addr add 2001:db8:77::1/64 dev sdot6 nodad
ip link set sdot6 up
ip -n sdother6 addr add 2001:db8:77::2/64 dev eth0 nodad
ip -n sdother6 link set eth0 up
ip -n sdother6 link set lo up
ip -n sdother6 -6 route add default via 2001:db8:77::1
ip -n "$OUTSIDE_NS" -6 route add 2001:db8:77::/64 via 2001:db8:6::1
if [[ $forward6_before == 0 ]]; then
        ! ip netns exec sdother6 nc -z -w 3 2001:db8:6::2 80 || fail "the host routed a non-session v6 network"
        echo "ok: a v6 network that is no session's is not routed"
        # The control: without the guard the same connection goes through.
        nft delete chain inet sessiond forward_guard
        ip netns exec sdother6 nc -z -w 3 2001:db8:6::2 80 || fail "the control: not routed even without the guard"
        echo "ok: without forward_guard it would be routed"
else
        echo "NOTE: the host forwarded IPv6 before the session: no guard is added, nothing to check"
fi
ip link del sdot6
ip netns del sdother6

step "UpdateEgress on the running machine: Allow= follows at once over IPv6"
update() { varlinkctl call "$ADDR" io.sessiond.Manager.UpdateEgress "{\"name\":\"nsv6\",$1}" 2>&1; }
update '"allow":["2001:db8:6::8/125","198.51.100.2/32"]' || fail "UpdateEgress of Allow= failed"
can nsv6 2001:db8:6::9 80 || fail "after UpdateEgress nsv6 cannot reach [2001:db8:6::9]:80"
! can nsv6 2001:db8:6::2 80 || fail "after UpdateEgress nsv6 still reaches [2001:db8:6::2]:80"
echo "ok: the new v6 prefix is allowed, the old one not"

step "stop: nothing of the IPv6 network is left"
sessionctl stop nsv6
wait_until 60 machine_gone nsv6
wait_until 60 unit_gone nsv6
left=$(
        ip link show vs-nsv6 2>/dev/null || true
        ip -6 addr show | grep 'fd5e:55d0:e6:' || true
        ip -6 route show | grep 'fd5e:55d0:e6:' || true
        nft list table inet sessiond 2>/dev/null | grep -E 's_nsv6(_|\b)|vs-nsv6|ip6 saddr' || true
        ls /run/sessiond/egress-net 2>/dev/null || true
)
[[ -z $left ]] || fail "left after stop: $left"
! nft list chain inet sessiond forward_guard >/dev/null 2>&1 || fail "forward_guard left after the last session"
assert_eq "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" "$forward6_before" "IPv6 forwarding after the last session"
assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$forward_before" "IPv4 forwarding after the last session"
echo ok
