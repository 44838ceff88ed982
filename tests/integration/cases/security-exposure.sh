#!/usr/bin/env bash
# `systemd-analyze security --offline=yes` on the units sessiond-generator makes, for each profile,
# with and without egress: the restrictive profile (also the default) must score below 1.0
# (SAFE), every unit must stay ordered restrictive <= moderate <= permissive, and the default at
# or below 2.0. Figures are printed as "EXPOSURE: unit score" for SECURITY.md.
. "$SESSIOND_TEST_DIR/lib.sh"

gen=/usr/lib/systemd/system-generators/sessiond-generator
[[ -x $gen ]] || fail "$gen is not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup' EXIT
mkdir -p "$tmp/in" "$tmp/out"

printf '[Session]\nExec=/usr/bin/sleep infinity\n' >"$tmp/in/default.session"
for p in restrictive moderate permissive; do
        printf '[Session]\nExec=/usr/bin/sleep infinity\nProfile=%s\n' "$p" >"$tmp/in/$p.session"
        printf '[Session]\nExec=/usr/bin/sleep infinity\nProfile=%s\n[Egress]\nAllow=192.0.2.0/24\n' "$p" \
                >"$tmp/in/$p-egress.session"
done
SESSIOND_UNIT_PATH=$tmp/in "$gen" --strict "$tmp/out" "$tmp/out" "$tmp/out"

declare -A score
for f in "$tmp"/out/sessiond-*.service; do
        unit=$(basename "$f")
        name=${unit#sessiond-}
        name=${name%.service}
        text=$(cd "$tmp/out" && systemd-analyze security --offline=yes --no-pager "./$unit" 2>&1) || true
        s=$(grep -oE 'Overall exposure level for [^:]*: [0-9.]+' <<<"$text" | grep -oE '[0-9.]+$') ||
                { echo "$text"; fail "no exposure level for $unit"; }
        score[$name]=$s
        echo "EXPOSURE: $name $s"
        # What keeps it from going lower: every setting with a non-zero exposure, from the JSON.
        (cd "$tmp/out" && systemd-analyze security --offline=yes --json=short "./$unit") |
                jq -r '.[] | select(.exposure != null and .exposure > 0) | "  \(.exposure)  \(.name)  \(.description)"'
done

below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

below "${score[restrictive]}" 1.0 || fail "restrictive exposure ${score[restrictive]} is not below 1.0 (SAFE)"
below "${score[default]}" 1.0 || fail "default exposure ${score[default]} is not below 1.0"
at_most "${score[default]}" 2.0 || fail "default exposure ${score[default]} is above 2.0"
at_most "${score[restrictive-egress]}" 2.0 || fail "restrictive with egress ${score[restrictive-egress]} is above 2.0"
for v in "" -egress; do
        at_most "${score[restrictive$v]}" "${score[moderate$v]}" && at_most "${score[moderate$v]}" "${score[permissive$v]}" ||
                fail "profiles$v are not ordered: ${score[restrictive$v]} ${score[moderate$v]} ${score[permissive$v]}"
done
