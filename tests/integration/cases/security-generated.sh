#!/usr/bin/env bash
# The isolation battery inside units made by sessiond-generator from .session files, one per
# profile, started with systemctl: each profile keeps every promise its expectation table makes
# (tools/check-table.c). A weaker profile table, renderer or systemd fails this case.
. "$SESSIOND_TEST_DIR/lib.sh"
. "$SESSIOND_TEST_DIR/security-lib.sh"

out=/run/sessiond-test-security
profiles=(restrictive moderate permissive restrictive-egress)
trap 'security_cleanup_host; rm -rf /etc/sessiond/sec-*.session /run/systemd/system/sessiond-sec-*.service.d "$out";
      systemctl daemon-reload; cleanup' EXIT
security_setup_host
mkdir -p "$out" /etc/sessiond

for p in "${profiles[@]}"; do
        cat >/etc/sessiond/sec-$p.session <<EOT
[Session]
Description=isolation battery, profile $p
Exec=$CHECK
Profile=${p%-egress}
MaxRuntime=10min

[Resources]
MemoryMax=64M
TasksMax=16
EOT
        # With egress the session shares the host's network: the denied address must still be
        # unreachable, through the slice's IPAddressDeny=any (the allow list names another net).
        [[ $p == *-egress ]] && printf '\n[Egress]\nAllow=192.0.2.0/24\n' >>/etc/sessiond/sec-$p.session
        # Run the battery as the session's command, without the agent in between (the agent is
        # not what is tested here), and keep its report in a file PID 1 opens for it. The memory
        # probe needs OOMPolicy=continue: under the default (stop) its OOM kill ends the session.
        mkdir -p /run/systemd/system/sessiond-sec-$p.service.d
        args=("${CHECK_ARGS[@]}")
        args=("${args[@]/--tasks-max=32/--tasks-max=16}")
        cat >/run/systemd/system/sessiond-sec-$p.service.d/50-battery.conf <<EOT
[Service]
ExecStart=
ExecStart=$CHECK --profile=${p%-egress} ${args[*]}
StandardOutput=append:$out/$p.txt
StandardError=inherit
OOMPolicy=continue
EOT
done
systemctl daemon-reload

failed=()
for p in "${profiles[@]}"; do
        unit=sessiond-sec-$p.service
        step "battery in $unit"
        systemctl cat "$unit" | grep -E '^(DynamicUser|ProtectSystem|SystemCallFilter|PrivateNetwork|Slice)=' || fail "$unit was not generated"
        if [[ $p == *-egress ]]; then
                systemctl cat "$unit" | grep -q '^PrivateNetwork=yes' && fail "$unit has no host network, egress untested"
                slice=$(systemctl show -P Slice "$unit")
                echo "$slice: IPAddressDeny=$(systemctl show -P IPAddressDeny "$slice") IPAddressAllow=$(systemctl show -P IPAddressAllow "$slice")"
        fi
        cleanup_units+=("$unit")
        # append: (not truncate:) because every command of the unit opens it, also the
        # ExecStopPost= that removes the session's egress rules after the battery wrote its report.
        rm -f "$out/$p.txt"
        systemctl start "$unit"
        wait_until 300 bash -c "! systemctl is-active -q $unit"
        cat "$out/$p.txt"
        status=$(systemctl show -P ExecMainStatus "$unit")
        grep -q '^score: ' "$out/$p.txt" || fail "$unit: no score line"
        echo "SECURITY-SCORE: $p $(grep '^score: ' "$out/$p.txt")"
        [[ $p != *-egress ]] || grep -Eq '^PASS  egress-deny .*(Operation not permitted|timed out)' "$out/$p.txt" ||
                failed+=("$p: the denied address was not dropped or refused by the IP filter")
        grep -q '^PASS  memory-limit .*killed (OOM)' "$out/$p.txt" || failed+=("$p: the memory probe saw no OOM kill")
        if [[ $status != 0 ]]; then
                failed+=("$p: $(grep '^FAIL' "$out/$p.txt" | awk '{print $2}' | tr '\n' ' ')")
        fi
done
((${#failed[@]} == 0)) || fail "battery failed in generated units: ${failed[*]}"
