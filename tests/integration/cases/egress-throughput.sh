#!/usr/bin/env bash
# Throughput through the egress rules against no rules (a ratio for BENCHMARKS.md), and a check
# that the allowed path keeps working with many sessions loaded: a session's TCP stream to an
# allowed address, (a) with no sessiond table, (b) with 200 other sessions loaded and its slice found
# through the fallback set rules (its rule evaluated last: the worst case), (c) its slice bound in
# the verdict map (one lookup, as sessiond-egress setup binds every session), and host traffic
# outside any session with the same table loaded. TCG makes absolute numbers meaningless; compare within one run.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/egress-lib.sh"

command -v nft >/dev/null || skip "nft missing (used to load the other sessions quickly)"
MB=${EGRESS_THROUGHPUT_MB:-32}   # 64 for BENCHMARKS.md; 32 fits the harness timeout on a loaded host
OTHERS=${EGRESS_THROUGHPUT_SESSIONS:-200}
ROUNDS=${EGRESS_THROUGHPUT_ROUNDS:-1}

outside_up
ip netns exec "$OUTSIDE_NS" socat -u TCP-LISTEN:9000,fork,reuseaddr OPEN:/dev/null &
egress_pids+=($!)
wait_until 20 nc -z -w 1 198.51.100.2 9000

# Seconds for MB megabytes to 198.51.100.2:9000, from the session's slice or (host) from here.
# shellcheck disable=SC2016
TIMED='s=$EPOCHREALTIME; head -c "$0" /dev/zero | socat -u - TCP:198.51.100.2:9000 || exit 1; awk -v a="$s" -v b="$EPOCHREALTIME" "BEGIN { printf \"%.3f\n\", b - a }"'
# The median of ROUNDS transfers (bench-egress asks for more than one: the host is shared).
transfer() {
        local where=$1 t i ts=()
        for ((i = 0; i < ROUNDS; i++)); do
                if [[ $where == host ]]; then
                        t=$(bash -c "$TIMED" "${MB}M" 2>&1 | tail -n1)
                else
                        t=$(in_session "$where" bash -c "$TIMED" "${MB}M" 2>&1 | tail -n1)
                fi
                [[ $t =~ ^[0-9.]+$ ]] || fail "transfer from $where failed: $t"
                ts+=("$t")
        done
        printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

step "baseline: no sessiond table"
"$EGRESS_TOOL" table-remove 2>/dev/null || true
echo "[Slice]" >/run/systemd/system/sessiond-tput.slice
egress_slices+=(sessiond-tput.slice)
systemctl daemon-reload
base_s=$(transfer tput)
base_h=$(transfer host)

step "$OTHERS other sessions loaded first, as lib/egress lays them out, then session tput allowing 198.51.100.2 tcp:9000"
"$EGRESS_TOOL" ensure
# As sessiond-egress ensure does: sessiond.slice (made at the baseline) into the catch-all set.
nft add element inet sessiond sessions_cg '{ "sessiond.slice" }'
# The others' slices are plain cgroups made here (bindings need a cgroup that exists); each one
# bound in the verdict map and, as a fallback, a set rule in "sessions" evaluated before tput's.
fake=/sys/fs/cgroup/sessiond.slice
fakes=()
for ((i = 0; i < OTHERS; i++)); do fakes+=("$fake/sessiond-o$i.slice"); done
mkdir "${fakes[@]}"     # one process: under TCG every exec costs ~0.3 s
{
        for ((i = 0; i < OTHERS; i++)); do
                echo "add set inet sessiond s_o$i""_cg { type cgroupsv2; }"
                echo "add chain inet sessiond s_o$i"
                echo "add rule inet sessiond s_o$i ip daddr 10.$((i / 250)).$((i % 250)).0/24 accept"
                echo "add rule inet sessiond s_o$i drop"
                echo "add rule inet sessiond sessions socket cgroupv2 level 2 @s_o$i""_cg jump s_o$i"
                echo "add element inet sessiond session_chains { \"sessiond.slice/sessiond-o$i.slice\" : jump s_o$i }"
        done
} >/tmp/egress-others.nft
nft -f /tmp/egress-others.nft
rm -f /tmp/egress-others.nft
others_cleanup() {
        "$EGRESS_TOOL" table-remove 2>/dev/null || true
        rmdir "${fakes[@]}" 2>/dev/null || true
        egress_cleanup
}
trap others_cleanup EXIT
systemctl stop sessiond-tput.slice
session_up tput -- "198.51.100.2 tcp:9000"
assert_no_reach tput 198.51.100.2 80

step "fallback path: tput's slice found by its set rule, behind $OTHERS others"
fallback_s=$(transfer tput)

step "verdict map: tput's slice bound (as sessiond-egress setup does), one lookup"
systemctl start sessiond-tput.slice
"$EGRESS_TOOL" bind tput sessiond.slice/sessiond-tput.slice
nft list map inet sessiond session_chains | grep -q 'sessiond-tput.slice" : jump s_tput' || fail "tput not bound"
assert_no_reach tput 198.51.100.2 80
rules_s=$(transfer tput)
rules_h=$(transfer host)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "EGRESS-THROUGHPUT: ${MB} MB, session: no rules ${base_s}s, bound in the verdict map with $OTHERS others ${rules_s}s, throughput ratio $(ratio "$base_s" "$rules_s")"
echo "EGRESS-THROUGHPUT: ${MB} MB, session: no rules ${base_s}s, fallback set rule behind $OTHERS others ${fallback_s}s, throughput ratio $(ratio "$base_s" "$fallback_s")"
echo "EGRESS-THROUGHPUT: ${MB} MB, host (no session): no table ${base_h}s, table loaded ${rules_h}s, throughput ratio $(ratio "$base_h" "$rules_h")"
