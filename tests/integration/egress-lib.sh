# shellcheck shell=bash
# Helpers for the egress-*.sh cases: an "outside" network in a namespace, session slices that join
# the sessiond nft sets through NFTSet=, and commands run inside a session. Sourced after lib.sh.

EGRESS_TOOL=$HELPERS/egress-tool
OUTSIDE_NS=egout

egress_sessions=()
egress_slices=()
egress_pids=()

egress_cleanup() {
        local s p
        for p in "${egress_pids[@]}"; do kill "$p" 2>/dev/null || true; done
        for s in "${egress_slices[@]}"; do
                systemctl stop "$s" 2>/dev/null || true
                rm -f "/run/systemd/system/$s"
        done
        for s in "${egress_sessions[@]}"; do "$EGRESS_TOOL" remove "$s" 2>/dev/null || true; done
        # The catch-all would drop later cases' sessions: leave no table behind (ensure recreates it).
        "$EGRESS_TOOL" table-remove 2>/dev/null || true
        rm -f /run/systemd/system/sessiond.slice.d/50-egress-test.conf
        ip netns del "$OUTSIDE_NS" 2>/dev/null || true
        ip link del eg-host 2>/dev/null || true
        systemctl daemon-reload || true
        cleanup
}
trap egress_cleanup EXIT

# The outside: a namespace behind a veth pair. Host side 198.51.100.1 and 203.0.113.1; the
# namespace has .2 in both, plus 198.51.100.3, and serves TCP port 80 on all of them.
outside_up() {
        command -v socat >/dev/null || skip "socat missing"
        command -v nc >/dev/null || skip "nc missing"
        ip netns add "$OUTSIDE_NS"
        ip link add eg-host type veth peer name eg-out
        ip link set eg-out netns "$OUTSIDE_NS"
        ip addr add 198.51.100.1/24 dev eg-host
        ip addr add 203.0.113.1/24 dev eg-host
        ip link set eg-host up
        ip -n "$OUTSIDE_NS" addr add 198.51.100.2/24 dev eg-out
        ip -n "$OUTSIDE_NS" addr add 198.51.100.3/24 dev eg-out
        ip -n "$OUTSIDE_NS" addr add 203.0.113.2/24 dev eg-out
        ip -n "$OUTSIDE_NS" link set eg-out up
        ip -n "$OUTSIDE_NS" link set lo up
        ip netns exec "$OUTSIDE_NS" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello' &
        egress_pids+=($!)
        wait_until 20 ip netns exec "$OUTSIDE_NS" nc -z -w 1 198.51.100.2 80
        # The path works from the host, outside any session: whatever fails later is policy.
        nc -z -w 3 198.51.100.2 80 || fail "outside not reachable from the host"
        nc -z -w 3 203.0.113.2 80 || fail "outside not reachable from the host"
}

# session_up NAME [SLICE-PROPERTY...] [-- ALLOW...]: the nft part through the library (as the
# daemon does), the slice as the generator writes it, with NFTSet= naming the session's set.
session_up() {
        local name=$1 set props=() allows=()
        shift
        while (($#)) && [[ $1 != -- ]]; do props+=("$1"); shift; done
        (($#)) && shift
        allows=("$@")
        set=$("$EGRESS_TOOL" cgroup-set "$name")
        "$EGRESS_TOOL" add "$name" "${allows[@]}"
        egress_sessions+=("$name")
        {
                echo "[Slice]"
                echo "NFTSet=cgroup:inet:sessiond:$set"
                printf '%s\n' "${props[@]}"
        } >"/run/systemd/system/sessiond-$name.slice"
        egress_slices+=("sessiond-$name.slice")
        systemctl daemon-reload
}

# in_session NAME COMMAND...: runs in a transient service in the session's slice, output piped back.
in_session() {
        local name=$1
        shift
        systemd-run --wait --pipe --quiet --collect -p Slice="sessiond-$name.slice" -- "$@" </dev/null
}

can_connect() {  # session, address [port]
        in_session "$1" nc -z -w 3 "$2" "${3:-80}"
}

assert_reach() { can_connect "$@" || fail "session $1 cannot reach $2:${3:-80}"; echo "ok: $1 reaches $2:${3:-80}"; }
assert_no_reach() { ! can_connect "$@" || fail "session $1 reaches $2:${3:-80}"; echo "ok: $1 does not reach $2:${3:-80}"; }
