#!/usr/bin/env bash
# io.sessiond.Manager.UpdateEgress: the policy of a running session started by sessiond changes
# without a restart, in both layers (the session's nftables chain, and the slice's address filter
# in cgroup BPF, which a CIDR-only policy has: a new CIDR must pass both); bad input and callers
# other than the owner and root change nothing; a session without network has no policy to
# change; the owner may change its own session's policy; nothing is left after stop.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v nft >/dev/null || skip "nft missing (used to inspect only)"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

update_cleanup() {
        local n
        for n in eu eunet eown; do
                timeout 60 sessionctl stop "$n" >/dev/null 2>&1 || true
                rm -f "/etc/sessiond/$n.session"
        done
        egress_cleanup
}
trap update_cleanup EXIT

# reach NAME ADDRESS: from inside the session, through its agent
reach() { timeout 60 sessionctl exec "$1" -- nc -z -w 3 "$2" 80 </dev/null; }
assert_reach() { reach "$1" "$2" || fail "$1 cannot reach $2:80"; echo "ok: $1 reaches $2:80"; }
assert_no_reach() { ! reach "$1" "$2" || fail "$1 reaches $2:80"; echo "ok: $1 does not reach $2:80"; }
# update NAME JSON-FIELDS: UpdateEgress as root; prints the error name on failure
update() {
        varlinkctl call "$ADDR" io.sessiond.Manager.UpdateEgress "{\"name\":\"$1\"${2:+,$2}}" 2>&1
}
slice_filter() { systemctl show -P IPAddressAllow "sessiond-$1.slice"; }

outside_up

step "session eu (started by sessiond) allows 198.51.100.2 tcp:80: nftables and the slice's BPF filter"
write_session eu <<'S'
[Session]
Exec=/bin/sleep infinity
[Egress]
Allow=198.51.100.2/32 tcp:80
S
sessionctl start eu
# PID 1 shows the set in hash order
assert_eq "$(systemctl show -P IPAddressDeny sessiond-eu.slice | tr ' ' '\n' | LC_ALL=C sort | xargs)" "0.0.0.0/0 ::/0" \
        "IPAddressDeny of the slice (any)"
assert_match "$(slice_filter eu)" '198\.51\.100\.2' "IPAddressAllow of the slice"
assert_reach eu 198.51.100.2
assert_no_reach eu 203.0.113.2
pid=$(systemctl show -P MainPID sessiond-eu.service)

step "UpdateEgress: 203.0.113.2 tcp:80 instead; both layers follow, no restart"
update eu '"allow":["203.0.113.2/32 tcp:80"]' || fail "UpdateEgress failed"
assert_reach eu 203.0.113.2
assert_no_reach eu 198.51.100.2
filter=$(slice_filter eu)
echo "slice IPAddressAllow: $filter"
[[ $filter == *203.0.113.2* && $filter != *198.51.100.2* ]] || fail "the slice's filter did not follow: $filter"
assert_eq "$(systemctl show -P MainPID sessiond-eu.service)" "$pid" "main PID after the update"
sessionctl egress eu --show | grep -q 'allow 203.0.113.2/32 tcp:80' || fail "--show does not show the new policy"

step "bad input names the field and changes nothing"
out=$(update eu '"allow":["203.0.113.0/33"]') && fail "a bad CIDR was accepted"
echo "$out"
grep -q 'InvalidParameter' <<<"$out" && grep -q '"allow"' <<<"$out" || fail "bad allow: $out"
out=$(update eu '"allowHost":["no such name!"]') && fail "a bad host was accepted"
grep -q 'InvalidParameter' <<<"$out" && grep -q '"allowHost"' <<<"$out" || fail "bad allowHost: $out"
out=$(update eu '"dns":["999.1.1.1"]') && fail "a bad DNS server was accepted"
grep -q '"dns"' <<<"$out" || fail "bad dns: $out"
rc=0; sessionctl egress eu --allow="not-a-cidr" || rc=$?
assert_eq "$rc" 2 "sessionctl egress with a bad --allow="
assert_reach eu 203.0.113.2
assert_no_reach eu 198.51.100.2

step "another user may not change root's session"
out=$(as_nobody varlinkctl call "$ADDR" io.sessiond.Manager.UpdateEgress '{"name":"eu","allow":["0.0.0.0/0"]}' 2>&1) &&
        fail "nobody changed eu's policy"
grep -q PermissionDenied <<<"$out" || fail "nobody: $out"
rc=0; as_nobody sessionctl egress eu --allow=0.0.0.0/0 || rc=$?
assert_eq "$rc" 7 "sessionctl egress by nobody"
assert_no_reach eu 198.51.100.2

step "sessionctl egress (through sessiond): narrowing to nothing"
update eu || fail "an empty policy was refused"
assert_no_reach eu 203.0.113.2
sessionctl egress eu --allow="198.51.100.2/32 tcp:80" || fail "sessionctl egress failed"
assert_reach eu 198.51.100.2
assert_no_reach eu 203.0.113.2
assert_eq "$(systemctl show -P MainPID sessiond-eu.service)" "$pid" "main PID after three updates"

step "a session without network has no policy to change; an unknown one neither"
write_session eunet <<'S'
[Session]
Exec=/bin/sleep infinity
S
sessionctl start eunet
out=$(update eunet '"allow":["198.51.100.2/32"]') && fail "UpdateEgress of a session without network succeeded"
grep -q NotRunning <<<"$out" || fail "eunet: $out"
out=$(update nosuchsession '"allow":["198.51.100.2/32"]') && fail "UpdateEgress of an unknown session succeeded"
grep -Eq 'NotRunning|NoSuchSession' <<<"$out" || fail "unknown session: $out"
systemctl list-units --all --plain --no-legend 'sessiond-egress-update-*' | grep failed &&
        fail "failed helper units left loaded"

step "the owner changes its own session's policy"
as_nobody sessionctl start --text=$'[Session]\nDynamicUser=yes\nExec=/bin/sleep infinity\n[Egress]\nAllow=198.51.100.2/32 tcp:80\n' eown
daemon_sessions+=(eown)
assert_no_reach eown 203.0.113.2
as_nobody sessionctl egress eown --allow="203.0.113.2/32 tcp:80" || fail "the owner could not change its policy"
assert_reach eown 203.0.113.2

step "stop: no chain, no stub, no run-time drop-in of the slice left"
for n in eu eown; do
        sessionctl stop "$n"
        wait_until 60 slice_gone "$n"
        nft list table inet sessiond | grep -E "s_$n(_|\b)" && fail "nft objects of $n left"
        [[ -e /run/systemd/system.control/sessiond-$n.slice.d ]] && {
                ls -la "/run/systemd/system.control/sessiond-$n.slice.d"
                fail "run-time drop-ins of sessiond-$n.slice left"
        }
done
echo "ok: nothing left"

step "a new session of the same name has the filter of its own file, not the update's"
sessionctl start eu
assert_match "$(slice_filter eu)" '198\.51\.100\.2' "IPAddressAllow of the new slice"
[[ $(slice_filter eu) != *203.0.113.2* ]] || fail "the new eu slice inherited the old update"
assert_no_reach eu 203.0.113.2
