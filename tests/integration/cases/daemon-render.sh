#!/usr/bin/env bash
# One model, two renderings, and PID 1 reads both the same: the unit files sessiond-generator
# writes for a session and the D-Bus properties sessiond passes to StartTransientUnit for the
# same session text end up as the same settings in `systemctl show`.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

mkdir -p /etc/sessiond /srv/drender
echo secret >/etc/sessiond/drender-token
cat >/etc/sessiond/drender.session <<'S'
[Session]
Description=Render check: 100% the same, $HOME literal
Exec=/bin/sh -c 'echo "$HOME" 50%; exec sleep infinity'
MaxRuntime=1h 30min
Environment="GREETING=hello world" PERCENT=100% DOLLAR=$x
WorkingDirectory=/tmp
[Resources]
MemoryMax=96M
MemoryHigh=80M
MemorySwapMax=0
CPUQuota=150%
CPUWeight=50
IOWeight=40
TasksMax=48
[Egress]
Allow=192.0.2.0/24 [2001:db8::1]:443
[Secrets]
Credential=token:/etc/sessiond/drender-token
[Workspace]
Path=/srv/drender
Mode=bind
[Service]
Nice=5
S
daemon_sessions+=(drender drender2)
systemctl daemon-reload
systemctl cat sessiond-drender.service

sessionctl start --text="$(cat /etc/sessiond/drender.session)" drender2

service_props=ExecStart,ExecStartPreEx,ExecStopPostEx,Environment,WorkingDirectory,DynamicUser,User,Type,KillMode,RuntimeMaxUSec,RuntimeDirectory,RuntimeDirectoryMode,LogExtraFields,NoNewPrivileges,CapabilityBoundingSet,AmbientCapabilities,ProtectSystem,ProtectHome,PrivateTmp,PrivateDevices,DevicePolicy,PrivateIPC,PrivateUsers,ProtectKernelTunables,ProtectKernelModules,ProtectKernelLogs,ProtectControlGroups,ProtectClock,ProtectHostname,ProtectProc,ProcSubset,RestrictNamespaces,RestrictRealtime,RestrictSUIDSGID,LockPersonality,MemoryDenyWriteExecute,RemoveIPC,KeyringMode,UMask,RestrictAddressFamilies,SystemCallArchitectures,SystemCallFilter,SystemCallErrorNumber,PrivateNetwork,LoadCredential,BindPaths,Nice,Description
slice_props=MemoryMax,MemoryHigh,MemorySwapMax,CPUQuotaPerSecUSec,CPUWeight,IOWeight,TasksMax,IPAddressDeny,IPAddressAllow,NFTSet

sort_words() { local line; while IFS= read -r line; do
        if [[ $line == IPAddress*=* ]]; then
                echo "${line%%=*}=$(tr ' ' '\n' <<<"${line#*=}" | sort | paste -sd' ')"
        else
                echo "$line"
        fi
done; }
show() {  # unit props; IPAddress*= are sets in PID 1, shown in hash order: sort their words
        systemctl show -p "$2" "$1" | sed -e 's/drender2/drender/g' -e 's/ ; start_time=.*//' | sort_words | sort
}
show sessiond-drender.service "$service_props" >/run/gen-service.txt
show sessiond-drender2.service "$service_props" >/run/tr-service.txt
show sessiond-drender.slice "$slice_props" >/run/gen-slice.txt
show sessiond-drender2.slice "$slice_props" >/run/tr-slice.txt
cat /run/tr-service.txt /run/tr-slice.txt
[[ $(wc -l </run/gen-service.txt) -ge 40 ]] || fail "too few properties shown"
diff -u /run/gen-service.txt /run/tr-service.txt || fail "service settings differ (generator vs transient)"
diff -u /run/gen-slice.txt /run/tr-slice.txt || fail "slice settings differ (generator vs transient)"
# Requires= in PID 1's own order, which differs between the two: compare as sets.
req() { systemctl show -P Requires "$1" | tr ' ' '\n' | sed 's/drender2/drender/g' | sort; }
assert_eq "$(req sessiond-drender2.service)" "$(req sessiond-drender.service)" "Requires= (generator vs transient)"
req sessiond-drender.service | grep -qx sessiond-egress.service || fail "no Requires=sessiond-egress.service"

step "and they are what the session asked for"
grep -qx 'MemoryMax=100663296' /run/tr-slice.txt || fail "MemoryMax"
grep -qx 'CPUQuotaPerSecUSec=1.500000s' /run/tr-slice.txt || fail "CPUQuota"
grep -q 'GREETING=hello' /run/tr-service.txt || fail "Environment"
grep -q '100%' /run/tr-service.txt || fail "percent sign"
sessionctl stop drender2
rm -f /etc/sessiond/drender.session /etc/sessiond/drender-token
systemctl daemon-reload
echo ok
