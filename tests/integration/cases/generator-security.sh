#!/usr/bin/env bash
# `systemd-analyze security --offline=yes` exposure of generated units, per profile: restrictive
# must stay below 2.0 (goal: below 1.0). Prints the figures for BENCHMARKS/the report.
. "$SESSIOND_TEST_DIR/lib.sh"

gen=/usr/lib/systemd/system-generators/sessiond-generator
agent=/usr/libexec/sessiond-agent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup' EXIT
mkdir -p "$tmp/in" "$tmp/out"

for p in restrictive moderate permissive; do
        printf '[Session]\nExec=/usr/bin/sleep infinity\nProfile=%s\n' "$p" >"$tmp/in/sec-$p.session"
        printf '[Session]\nExec=/usr/bin/sleep infinity\nProfile=%s\n[Egress]\nAllowHost=example.org:443\n' "$p" \
                >"$tmp/in/sec-$p-net.session"
done
SESSIOND_UNIT_PATH=$tmp/in "$gen" --strict "$tmp/out" "$tmp/out" "$tmp/out"
[[ -x $agent ]] || sed -i "s|^ExecStart=$agent |ExecStart=/usr/bin/true |" "$tmp/out"/*.service

declare -A score
for f in "$tmp"/out/sessiond-sec-*.service; do
        name=$(basename "$f" .service)
        out=$(cd "$tmp/out" && systemd-analyze security --offline=yes --no-pager "./$name.service" 2>&1) || true
        s=$(grep -oE 'Overall exposure level for [^:]*: [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$') ||
                { echo "$out"; fail "no exposure level for $name"; }
        score[$name]=$s
        echo "exposure $name: $s"
        [[ $name == sessiond-sec-restrictive ]] && echo "$out" | grep -vE '^ *✓' | head -n 60
done
awk -v s="${score[sessiond-sec-restrictive]}" 'BEGIN { exit !(s < 2.0) }' ||
        fail "restrictive exposure ${score[sessiond-sec-restrictive]} is not below 2.0"
awk -v r="${score[sessiond-sec-restrictive]}" -v m="${score[sessiond-sec-moderate]}" -v p="${score[sessiond-sec-permissive]}" \
        'BEGIN { exit !(r <= m && m <= p) }' || fail "profiles are not ordered restrictive <= moderate <= permissive"
