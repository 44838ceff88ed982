#!/usr/bin/env bash
# Backend=nspawn with [Egress]: the session's veth is a working point-to-point link under the
# session's egress policy, checked from outside and inside:
#  - host side vs-NAME 10.222.x.1/30, host0 in the machine .2/30 with a default route through it,
#    the machine's address masqueraded (nft chain machines_nat), IPv4 forwarding on (IPv6 on the
#    same veth: backend-nspawn-net6);
#  - from inside (sessionctl exec) the allowed outside address answers, another one does not, nor
#    does the host itself on an address the policy does not allow; the drops are counted in
#    `sessionctl status`; from outside nothing opens a connection into the machine;
#  - two sessions (one with a name too long for an interface name) get distinct /30s;
#  - after stop nothing of the network is left: links, addresses, routes, nft rules and chains,
#    files, and forwarding is off again if it was off;
#  - while forwarding is on for the machines, a network that is no session's is not routed.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"

tmp=$(mktemp -d)
host_pids=()
net_cleanup() {
        local p
        for p in "${host_pids[@]}"; do kill "$p" 2>/dev/null || true; done
        ip link del sdot0 2>/dev/null || true
        ip netns del sdother 2>/dev/null || true
        rm -rf "$tmp"
        egress_sessions=()
        egress_cleanup
        daemon_cleanup
}
trap net_cleanup EXIT

machine_listed() { machinectl list --no-legend 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
machine_gone() { ! machine_listed "$1"; }
dropped() { sessionctl status "$1" | awk '/Dropped:/ {print $2}'; }
inside() { local n=$1; shift; sessionctl exec "$n" -- "$@"; }
# can NAME ADDRESS PORT: a TCP connect from inside the machine
# nc.openbsd by its own name: the machine's /etc (a tmpfs) has no /etc/alternatives/nc
can() { inside "$1" /usr/bin/nc.openbsd -z -w 3 "$2" "$3" </dev/null; }

outside_up
forward_before=$(cat /proc/sys/net/ipv4/ip_forward)
forward6_before=$(cat /proc/sys/net/ipv6/conf/all/forwarding)
echo "ip_forward before: $forward_before, IPv6 $forward6_before"
# A listener of the host itself, on every address (the machine must not reach it: not allowed).
socat TCP-LISTEN:8081,fork,reuseaddr SYSTEM:'echo host' &
host_pids+=($!)
wait_until 20 nc -z -w 1 127.0.0.1 8081

long=nsnet-longname
for n in nsnet2 "$long"; do
        write_session "$n" <<'S'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Egress]
Allow=198.51.100.2/32
S
done

step "start two nspawn sessions with Allow=198.51.100.2/32"
t0=$SECONDS
sessionctl start nsnet2
sessionctl start "$long"
echo "both started in $((SECONDS - t0)) s"
wait_state nsnet2 running 60
wait_state "$long" running 60
machine_listed nsnet2 || fail "machined does not list nsnet2"

step "from outside: addresses, masquerade, forwarding"
# "NAME@PEER STATE ADDRESS...": the name without its peer
ip -4 -br addr show | sed 's/^\([^@ ]*\)@[^ ]*/\1/' | tee "$tmp/addr.txt"
h1=$(awk '$1 == "vs-nsnet2" {print $3}' "$tmp/addr.txt")
[[ $h1 =~ ^10\.222\.[0-9]+\.[0-9]+/30$ ]] || fail "host side vs-nsnet2 has no 10.222.x.y/30: '$h1'"
lv=$(awk '$1 ~ /^vs_nsne/ {print $1}' "$tmp/addr.txt")
h2=$(awk '$1 ~ /^vs_nsne/ {print $3}' "$tmp/addr.txt")
[[ ${#lv} == 15 ]] || fail "the long name's veth is '$lv', not vs_ + 4 characters + hash"
[[ $h2 =~ ^10\.222\.[0-9]+\.[0-9]+/30$ ]] || fail "host side $lv has no 10.222.x.y/30: '$h2'"
[[ $h1 != "$h2" ]] || fail "both sessions got $h1"
host1=${h1%/30}
machine1=${host1%.*}.$(( ${host1##*.} + 1 ))
echo "nsnet2: host $host1, machine $machine1; $long: host ${h2%/30} on $lv"
ip -6 addr show dev vs-nsnet2 | grep -q 'inet6 fd5e:55d0:e6:[0-9a-f]*::1/64' || fail "no IPv6 address on the host side (see backend-nspawn-net6)"
assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" 1 "ip_forward while sessions run"
nft list chain inet sessiond machines_nat | tee "$tmp/nat.txt"
grep -q "ip saddr $machine1 oifname != \"vs-nsnet2\" masquerade" "$tmp/nat.txt" || fail "no masquerade for $machine1"
nft list chain inet sessiond machines | tee "$tmp/machines.txt"
grep -q 'iifname "vs-nsnet2" jump s_nsnet2' "$tmp/machines.txt" || fail "no jump for vs-nsnet2"
grep -q 'oifname "vs-nsnet2" drop' "$tmp/machines.txt" || fail "no inbound drop for vs-nsnet2"
ls /run/sessiond/egress-net

step "from inside: address, route"
out=$(inside nsnet2 /bin/sh -c 'ip -4 -br addr show dev host0; ip -4 route show default; ls /proc/sys/net/ipv6/conf/host0 >/dev/null 2>&1 && cat /proc/sys/net/ipv6/conf/host0/disable_ipv6 || echo 1')
echo "$out"
[[ $(sed -n 1p <<<"$out") == *"$machine1/30"* ]] || fail "host0 inside has not $machine1/30"
[[ $(sed -n 2p <<<"$out") == "default via $host1 dev host0"* ]] || fail "no default route via $host1 inside"
assert_eq "$(sed -n 3p <<<"$out")" 0 "IPv6 on on host0 (backend-nspawn-net6 checks it)"

step "from inside: the allowed address answers, the others do not, drops are counted"
d0=$(dropped nsnet2)
echo "dropped before: $d0"
[[ -n $d0 ]] || fail "sessionctl status shows no drop counter"
can nsnet2 198.51.100.2 80 || fail "nsnet2 cannot reach the allowed 198.51.100.2:80"
echo "ok: 198.51.100.2:80 answers"
out=$(inside nsnet2 /bin/sh -c 'echo | /usr/bin/nc.openbsd -w 3 198.51.100.2 80' </dev/null)
assert_eq "$out" hello "what the outside said"
assert_eq "$(dropped nsnet2)" "$d0" "drops after allowed traffic only"
! can nsnet2 203.0.113.2 80 || fail "nsnet2 reaches 203.0.113.2:80, which is not allowed"
echo "ok: 203.0.113.2:80 does not answer"
! can nsnet2 198.51.100.3 80 || fail "nsnet2 reaches 198.51.100.3:80, which is not allowed"
echo "ok: 198.51.100.3:80 does not answer"
d1=$(dropped nsnet2)
echo "dropped after: $d1"
((d1 > d0)) || fail "the drop counter did not rise ($d0 -> $d1)"
# The host itself (input, not forward) is under the same policy: its own listener on the veth's
# host side and on an outside address.
! can nsnet2 "$host1" 8081 || fail "nsnet2 reaches the host's $host1:8081"
! can nsnet2 198.51.100.1 8081 || fail "nsnet2 reaches the host's 198.51.100.1:8081"
echo "ok: the host's own listener does not answer"
d2=$(dropped nsnet2)
((d2 > d1)) || fail "drops to the host itself were not counted ($d1 -> $d2)"
can "$long" 198.51.100.2 80 || fail "$long cannot reach 198.51.100.2:80"
! can "$long" 203.0.113.2 80 || fail "$long reaches 203.0.113.2:80"
echo "ok: $long: the same policy"
sessionctl status nsnet2 | grep -E 'Egress|Dropped'

step "from outside: nothing opens a connection into the machine"
# ICMP echo needs no listener in the machine: its kernel would answer, were the request let in.
ip -n "$OUTSIDE_NS" route add 10.222.0.0/16 via 198.51.100.1
ip netns exec "$OUTSIDE_NS" busybox ping -c 1 -W 2 198.51.100.1 >/dev/null || fail "the outside cannot ping the host"
! ip netns exec "$OUTSIDE_NS" busybox ping -c 2 -W 2 "$machine1" || fail "the outside reached the machine ($machine1)"
echo "ok: $machine1 is closed to the outside"

step "forwarding is for machines only: the host routes nothing else"
# Another network behind the host, not a session's: with forwarding on for the machines, its
# traffic to the outside must still not be routed (forward_guard), as before any session.
ip netns add sdother
ip link add sdot0 type veth peer name eth0 netns sdother
ip addr add 192.0.2.1/30 dev sdot0
ip link set sdot0 up
ip -n sdother addr add 192.0.2.2/30 dev eth0
ip -n sdother link set eth0 up
ip -n sdother link set lo up
ip -n sdother route add default via 192.0.2.1
ip -n "$OUTSIDE_NS" route add 192.0.2.0/30 via 198.51.100.1
if [[ $forward_before == 0 ]]; then
        nft list chain inet sessiond forward_guard || fail "forwarding turned on without forward_guard"
        ! ip netns exec sdother nc -z -w 3 198.51.100.2 80 || fail "the host routed a non-session network"
        echo "ok: a network that is no session's is not routed"
        # The control: without the guard the same connection goes through (so the check above
        # can fail). The last session's stop must cope with the guard gone.
        nft delete chain inet sessiond forward_guard
        ip netns exec sdother nc -z -w 3 198.51.100.2 80 || fail "the control: not routed even without the guard"
        echo "ok: without forward_guard it would be routed"
else
        echo "NOTE: the host forwarded before the sessions: no guard is added, nothing to check"
fi
ip link del sdot0
ip netns del sdother

step "stop: nothing of the network is left"
net_of() {  # what the host still has of a session NAME VETH
        ip link show "$2" 2>/dev/null || true
        ip -4 addr show | grep 'inet 10\.222\.' || true
        ip -4 route show | grep '^10\.222\.' || true
        ip -6 addr show | grep 'inet6 fd5e:55d0:e6:' || true
        ip -6 route show | grep '^fd5e:55d0:e6:' || true
        nft list table inet sessiond 2>/dev/null | grep -E "s_$(sed 's/_/__/g; s/-/_m/g; s/\./_d/g' <<<"$1")(_|\b)|$2" || true
        ls "/run/sessiond/egress-net/$1" 2>/dev/null || true
}
sessionctl stop nsnet2
wait_until 60 machine_gone nsnet2
wait_until 60 unit_gone nsnet2
[[ -z $(ip link show vs-nsnet2 2>/dev/null) ]] || fail "veth vs-nsnet2 left"
assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" 1 "ip_forward while $long still runs"
sessionctl stop "$long"
wait_until 60 machine_gone "$long"
wait_until 60 unit_gone "$long"
left=$(net_of nsnet2 vs-nsnet2; net_of "$long" "$lv")
[[ -z $left ]] || fail "left after stop: $left"
nft list chain inet sessiond machines_nat
[[ -z $(nft list chain inet sessiond machines_nat | grep masquerade) ]] || fail "masquerade rules left"
[[ -z $(nft list chain inet sessiond machines | grep -E 'iifname|oifname') ]] || fail "machine rules left"
[[ ! -e /run/sessiond/egress-net ]] || fail "left in /run/sessiond/egress-net: $(ls -A /run/sessiond/egress-net)"
! nft list chain inet sessiond forward_guard >/dev/null 2>&1 || fail "forward_guard left after the last session"
assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$forward_before" "ip_forward after the last session"
assert_eq "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" "$forward6_before" "IPv6 forwarding after the last session"
echo ok
