#!/usr/bin/env bash
# UpdateEgress on running nspawn sessions and AllowHost=, without a restart:
#  - a machine started without AllowHost= (nspawn's own /etc/resolv.conf) gets AllowHost= and
#    DNS=: from inside, its /etc/resolv.conf names the host's side of its veth alone, the name
#    resolves through the session's stub (DNAT in chain machines_dns) and its address answers;
#  - a name with an AAAA answer only (six.test) resolves too, and its IPv6 address answers over the
#    machine's IPv6 (not before it was resolved);
#  - AllowHost= taken away again: the redirect goes, the name no longer resolves, its address is
#    dropped again;
#  - a machine started with AllowHost= (NAME.resolv bound read-only) gets another name: it resolves,
#    the old one does not;
#  - an update whose write of the machine's /etc/resolv.conf fails (a directory in its place) fails
#    before it changes anything: chain, redirect, stub and policy file are as they were;
#  - an update that fails later (its stub unit masked) sets the machine's /etc/resolv.conf back;
#  - an update that could not reach the machine (its veth recorded, no such machine: here a fake
#    record for a service session) fails before it changes anything;
#  - the main PID stays the same; after stop nothing of either is left.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed"
command -v dnsmasq >/dev/null || skip "dnsmasq missing"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"

dnslog=$(mktemp /tmp/nspawn-dnsmasq.XXXXXX)
du_cleanup() {
        rm -f "$dnslog"
        egress_sessions=()
        egress_cleanup
        daemon_cleanup
}
trap du_cleanup EXIT

machine_gone() { ! machinectl list --no-legend 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
inside() { local n=$1; shift; sessionctl exec "$n" -- "$@" </dev/null; }
can() { inside "$1" /usr/bin/nc.openbsd -z -w 3 "$2" "$3"; }
update() { varlinkctl call "$ADDR" io.sessiond.Manager.UpdateEgress "{\"name\":\"$1\",$2}" 2>&1; }
host_side() { local h; h=$(ip -4 -br addr show dev "vs-$1" | awk '{print $3}'); echo "${h%/30}"; }
resolves() {  # NAME HOST ADDRESS
        local out
        out=$(inside "$1" getent ahostsv4 "$2") || return 1
        grep -q "^${3//./\\.} " <<<"$out"
}

outside_up

step "upstream resolver in the outside namespace"
ip netns exec "$OUTSIDE_NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
        --listen-address=203.0.113.2 --port=53 --local-ttl=300 --user=root --pid-file= \
        --address=/allowed.test/198.51.100.2 --address=/other.test/198.51.100.3 \
        --address=/six.test/2001:db8:6::2 \
        --log-queries --log-facility="$dnslog" &
egress_pids+=($!)
wait_until 20 "$EGRESS_TOOL" query 203.0.113.2:53 allowed.test
ip addr add 2001:db8:6::1/64 dev eg-host nodad
ip -n "$OUTSIDE_NS" addr add 2001:db8:6::2/64 dev eg-out nodad
ip netns exec "$OUTSIDE_NS" socat TCP6-LISTEN:80,ipv6only=1,fork,reuseaddr SYSTEM:'echo hello6' &
egress_pids+=($!)
wait_until 20 nc -z -w 1 2001:db8:6::2 80

write_session nsdu <<'S'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Egress]
Allow=192.0.2.99/32
S
write_session nsdu2 <<'S'
[Session]
Backend=nspawn
Exec=/bin/sleep infinity
[Egress]
AllowHost=allowed.test:80
DNS=203.0.113.2
S

step "start nsdu (no AllowHost=) and nsdu2 (AllowHost=allowed.test:80)"
sessionctl start nsdu
sessionctl start nsdu2
wait_state nsdu running 60
wait_state nsdu2 running 60
h=$(host_side nsdu)
h2=$(host_side nsdu2)
echo "host sides: nsdu $h, nsdu2 $h2"
[[ $h == 10.222.* && $h2 == 10.222.* ]] || fail "host sides '$h' '$h2'"
pid=$(systemctl show -P MainPID sessiond-nsdu.service)

step "nsdu before: allowed.test does not resolve, its address is dropped"
inside nsdu /bin/sh -c 'ls -ln /etc/resolv.conf && cat /etc/resolv.conf' || echo "(no /etc/resolv.conf in nsdu)"
! resolves nsdu allowed.test 198.51.100.2 || fail "allowed.test resolves in nsdu before the update"
! can nsdu 198.51.100.2 80 || fail "nsdu reaches 198.51.100.2:80 before the update"
! can nsdu 2001:db8:6::2 80 || fail "nsdu reaches [2001:db8:6::2]:80 before the update"
nft list chain inet sessiond machines_dns | grep -q "vs-nsdu\"" && fail "a DNS redirect for vs-nsdu before the update"

step "an update whose write of nsdu's /etc/resolv.conf fails changes nothing"
leader=$(machinectl show -P Leader nsdu)
mres=/proc/$leader/root/etc/resolv.conf
had=0 orig=
if [[ -e $mres ]]; then
        had=1
        orig=$(cat "$mres")
        mv "$mres" "$mres.vmtest" || fail "cannot move nsdu's /etc/resolv.conf aside"
fi
mkdir "$mres"   # a directory where the machine's resolv.conf is written
before=$(nft list chain inet sessiond s_nsdu)
policy=$(cat /run/sessiond/egress/nsdu.policy)
out=$(update nsdu '"allow":["192.0.2.99/32"],"allowHost":["allowed.test:80"],"dns":["203.0.113.2"]') &&
        fail "UpdateEgress succeeded with a directory as nsdu's /etc/resolv.conf: $out"
echo "$out"
rmdir "$mres"
((had)) && mv "$mres.vmtest" "$mres"
assert_eq "$(nft list chain inet sessiond s_nsdu)" "$before" "nsdu's chain after the failed update"
nft list chain inet sessiond machines_dns | grep -q "vs-nsdu\"" && fail "the failed update left a DNS redirect for vs-nsdu"
[[ ! -e /run/sessiond/egress/nsdu.conf ]] || fail "the failed update left a stub config"
! systemctl is-active -q sessiond-dns@nsdu.service || fail "the failed update started a stub"
assert_eq "$(cat /run/sessiond/egress/nsdu.policy)" "$policy" "nsdu's policy file after the failed update"
echo "ok: nothing changed by the update that could not write the machine's resolv.conf"

step "an update that fails after nsdu's /etc/resolv.conf was written sets it back"
systemctl mask --runtime sessiond-dns@nsdu.service    # the stub cannot start: a late failure
out=$(update nsdu '"allow":["192.0.2.99/32"],"allowHost":["allowed.test:80"],"dns":["203.0.113.2"]') &&
        fail "UpdateEgress succeeded with the stub unit masked: $out"
echo "$out"
systemctl unmask --runtime sessiond-dns@nsdu.service
if ((had)); then
        assert_eq "$(cat "$mres")" "$orig" "nsdu's /etc/resolv.conf after the failed update"
else
        [[ ! -e $mres ]] || fail "the failed update left an /etc/resolv.conf in nsdu: $(cat "$mres")"
fi
journalctl --sync
journalctl -q --no-pager -o cat --since=-5min | grep -F "session nsdu: /etc/resolv.conf of its machine" ||
        fail "sessiond-egress did not say it wrote and set back nsdu's /etc/resolv.conf"
journalctl -q --no-pager -o cat --since=-5min | grep -qF "session nsdu: /etc/resolv.conf of its machine set back" ||
        fail "sessiond-egress did not say it set nsdu's /etc/resolv.conf back"
echo "ok: nsdu's /etc/resolv.conf is as it was before the failed update"

step "UpdateEgress nsdu: AllowHost=allowed.test:80 DNS=203.0.113.2"
update nsdu '"allow":["192.0.2.99/32"],"allowHost":["allowed.test:80","six.test:80"],"dns":["203.0.113.2"]' ||
        fail "UpdateEgress adding AllowHost= failed"
out=$(inside nsdu cat /etc/resolv.conf) || fail "cannot read resolv.conf in nsdu"
echo "$out"
[[ $(grep -c '^nameserver' <<<"$out") == 1 ]] && grep -qx "nameserver $h" <<<"$out" ||
        fail "resolv.conf in nsdu after the update: $out"
out=$(nft list chain inet sessiond machines_dns)
echo "$out"
grep -q "iifname \"vs-nsdu\" ip daddr $h udp dport 53 dnat" <<<"$out" || fail "no DNS redirect for vs-nsdu after the update"
assert_eq "$(cat /proc/sys/net/ipv4/conf/vs-nsdu/route_localnet)" 1 "route_localnet on vs-nsdu"
resolves nsdu allowed.test 198.51.100.2 || fail "allowed.test does not resolve in nsdu after the update"
can nsdu allowed.test 80 || fail "nsdu cannot reach allowed.test:80 after the update"
! resolves nsdu other.test 198.51.100.3 || fail "other.test resolves in nsdu"
! can nsdu 2001:db8:6::2 80 || fail "nsdu reaches [2001:db8:6::2]:80 before six.test was resolved"
out=$(inside nsdu getent ahostsv6 six.test) || fail "six.test (AAAA) does not resolve in nsdu"
grep -q '^2001:db8:6::2 ' <<<"$out" || fail "six.test resolved to: $out"
can nsdu 2001:db8:6::2 80 || fail "nsdu cannot reach six.test's [2001:db8:6::2]:80 after resolving it"
echo "ok: six.test's AAAA answer opens [2001:db8:6::2]:80 over the machine's IPv6"
assert_eq "$(systemctl show -P MainPID sessiond-nsdu.service)" "$pid" "nsdu's main PID after the update"
echo "ok: nsdu resolves and reaches allowed.test without a restart"

step "UpdateEgress nsdu: AllowHost= gone again"
update nsdu '"allow":["192.0.2.99/32"]' || fail "UpdateEgress dropping AllowHost= failed"
nft list chain inet sessiond machines_dns | grep -q "vs-nsdu\"" && fail "the DNS redirect for vs-nsdu is left"
! resolves nsdu allowed.test 198.51.100.2 || fail "allowed.test still resolves in nsdu"
! can nsdu 198.51.100.2 80 || fail "nsdu still reaches 198.51.100.2:80"
echo "ok: nsdu resolves nothing, reaches nothing of it"

step "UpdateEgress nsdu2 (started with AllowHost=): other.test instead of allowed.test"
resolves nsdu2 allowed.test 198.51.100.2 || fail "allowed.test does not resolve in nsdu2"
update nsdu2 '"allowHost":["other.test:80"],"dns":["203.0.113.2"]' || fail "UpdateEgress of nsdu2 failed"
out=$(inside nsdu2 cat /etc/resolv.conf)
grep -qx "nameserver $h2" <<<"$out" || fail "resolv.conf in nsdu2 after the update: $out"
resolves nsdu2 other.test 198.51.100.3 || fail "other.test does not resolve in nsdu2 after the update"
can nsdu2 other.test 80 || fail "nsdu2 cannot reach other.test:80"
! resolves nsdu2 allowed.test 198.51.100.2 || fail "allowed.test still resolves in nsdu2"
echo "ok: nsdu2 follows"

step "an update that cannot reach its machine changes nothing"
write_session svcdu <<'S'
[Session]
Exec=/bin/sleep infinity
[Egress]
Allow=192.0.2.99/32
S
sessionctl start svcdu
wait_state svcdu running 60
before=$(nft list chain inet sessiond s_svcdu)
# a veth record as net-up writes one, but machined knows no machine svcdu
echo "vs-svcdu 10.222.255.1 10.222.255.2 - -" >/run/sessiond/egress-net/svcdu
out=$(update svcdu '"allow":["192.0.2.99/32"],"allowHost":["allowed.test:80"],"dns":["203.0.113.2"]') &&
        fail "UpdateEgress succeeded without the machine: $out"
echo "$out"
rm -f /run/sessiond/egress-net/svcdu
assert_eq "$(nft list chain inet sessiond s_svcdu)" "$before" "svcdu's chain after the failed update"
[[ ! -e /run/sessiond/egress/svcdu.conf ]] || fail "the failed update left a stub config"
! systemctl is-active -q sessiond-dns@svcdu.service || fail "the failed update started a stub"
# the control: without the record the same update goes through (a service session's stub)
update svcdu '"allow":["192.0.2.99/32"],"allowHost":["allowed.test:80"],"dns":["203.0.113.2"]' ||
        fail "the same update without the record failed"
systemctl is-active -q sessiond-dns@svcdu.service || fail "no stub for svcdu after the update"
sessionctl stop svcdu
wait_until 60 unit_gone svcdu
echo "ok: nothing changed by the update that could not reach its machine"

step "stop: nothing of either is left"
for n in nsdu nsdu2; do
        sessionctl stop "$n"
        wait_until 60 machine_gone "$n"
        wait_until 60 unit_gone "$n"
        systemctl is-active -q "sessiond-dns@$n.service" && fail "the stub of $n still runs"
        [[ -e /run/sessiond/egress/$n.conf || -e /run/sessiond/egress/$n.resolv ]] && fail "stub files of $n left"
        nft list table inet sessiond 2>/dev/null | grep -E "s_$n(_|\b)|vs-$n\"" && fail "nft rules or objects of $n left"
done
[[ -z $(nft list chain inet sessiond machines_dns 2>/dev/null | grep dnat) ]] || fail "DNS redirects left"
echo ok
