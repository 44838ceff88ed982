#!/usr/bin/env bash
# Load: sessions started concurrently from root and from unprivileged users made for the run,
# one Exec into each (its output must name the session, and a non-root uid in users' sessions),
# then all stopped.
# No error is allowed: the only documented limit on this path is 128 connections per uid
# (sessiond(8)) and no uid comes near it. Checked from outside: every session ran, no unit is
# left, sessiond holds as many fds after as before, and its RSS comes back after the stop.
#
# 200 sessions (the issue's figure) take longer than the default 300 s per case under TCG:
# with SESSIOND_TEST_TIMEOUT >= 1200 the case runs 200, otherwise 32 (say so in its log).
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
command -v python3 >/dev/null || skip "python3 missing"

n=${LOAD_SESSIONS:-}
if [[ -z $n ]]; then
        if ((${SESSIOND_TEST_TIMEOUT:-300} >= 1200)); then n=200; else n=32; fi
fi
echo "NOTE: $n sessions (case timeout ${SESSIOND_TEST_TIMEOUT:-300}s)"

load_cleanup() {
        local u
        for u in $(systemctl list-units --all --plain --no-legend 'sessiond-ld*' | awk '{ print $1 }'); do
                systemctl stop "$u" 2>/dev/null || true
        done
        for u in 1 2 3; do userdel "sessload$u" 2>/dev/null || true; done
        rm -rf /run/systemd/system/sessiond-.service.d/load-timeout.conf
        systemctl daemon-reload
        daemon_cleanup
}
trap load_cleanup EXIT

# Under TCG, PID 1 needs more than its default 90 s (TimeoutStartSec=) to set up the sandboxes of
# dozens of units at once: the slowest sessions would fail with UnitFailed "timeout". That is
# the emulator, not sessiond: give the units time (a prefix drop-in; removed at the end).
mkdir -p /run/systemd/system/sessiond-.service.d
printf '[Service]\nTimeoutStartSec=15min\n' >/run/systemd/system/sessiond-.service.d/load-timeout.conf
systemctl daemon-reload
echo "session units' start timeout: $(systemctl show -P TimeoutStartUSec sessiond-egress.service)"

step "$n sessions: start, exec, stop from root and 3 users"
python3 "$SESSIOND_TEST_DIR/bench/load-run.py" "$n" 3 >/run/load.json
cat /run/load.json
j() { jq -r "$1" /run/load.json; }

step "errors"
assert_eq "$(j '.start.errors | length')" 0 "start errors"
assert_eq "$(j '.exec.errors | length')" 0 "exec errors"
assert_eq "$(j '.stop.errors | length')" 0 "stop errors"

step "every session ran"
assert_eq "$(j .start.started)" "$n" "sessions started"
assert_eq "$(j '.start.reply_states.running // 0')" "$n" "Start replies saying running"
assert_eq "$(j '.start.listed.running // 0')" "$n" "sessions List shows running"
assert_eq "$(j .exec.ran)" "$n" "execs whose output named their session"
assert_eq "$(j .stop.stopped)" "$n" "sessions stopped"

step "nothing left"
assert_eq "$(j '.units_left | length')" 0 "units left after stop"
assert_eq "$(j '.listed_after | length')" 0 "sessions listed after stop"
assert_eq "$(j .after.fds)" "$(j .before.fds)" "sessiond's fds after vs before"

step "the documented limit: 128 connections per uid, the 129th and 130th closed"
served=$(setpriv --reuid=65534 --regid=65534 --clear-groups -- python3 - <<'PY'
import json, socket
conns = []
for i in range(130):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect("/run/sessiond/io.sessiond.Manager")
    conns.append(s)
served = 0
for s in conns:
    try:
        s.sendall(json.dumps({"method": "org.varlink.service.GetInfo", "parameters": {}}).encode() + b"\0")
        buf = b""
        while b"\0" not in buf:
            d = s.recv(65536)
            if not d:
                break
            buf += d
        served += b"\0" in buf
    except OSError:
        pass
print(served)
PY
)
assert_eq "$served" 128 "connections served for one uid"

step "RSS"
if [[ -e /etc/sessiond-vmtest/sanitize ]]; then
        echo "NOTE: sanitizer build: its allocator's RSS is not sessiond's, not checked"
        exit 0
fi
before=$(j .before.VmRSS) running=$(j .start.measure.VmRSS) after=$(j .after.VmRSS)
per=$(( (running - before) / n ))
echo "sessiond VmRSS: $before KiB before, $running KiB with $n sessions ($per KiB each), $after KiB after stop"
# bounded: what the sessions cost comes back (within 1 MiB) once they are gone. sessiond trims its
# heap 2 s after a client disconnects; memory freed after that trim stays mapped until the next
# one (seen once in 7 runs: +2172 KiB). The connection check above disconnected 130 clients since,
# so a trim has run after it: measure again then. Freed memory goes back; a leak would not.
if ((after - before > 1024)); then
        sleep 5
        # the same process (not one started anew after an idle exit)
        again=$(awk '/^VmRSS:/ { print $2 }' "/proc/$(j .pid)/status" 2>/dev/null || true)
        echo "NOTE: $after KiB after stop; after the next heap trim ${again:-(sessiond $(j .pid) is gone)} KiB"
        after=${again:-$after}
fi
if ((after - before > 1024)); then
        # where it is: sessiond's mappings with 64 KiB or more resident
        pid=$(j .pid)
        awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $0 } /^Rss:/ && $2 >= 64 { print $2 " KiB " m }' "/proc/$pid/smaps"
        grep -E '^(Rss|Anonymous|Private_Dirty)' "/proc/$pid/smaps_rollup"
        fail "RSS not returned: $before KiB before, $after KiB after"
fi
((per <= 128)) || fail "RSS per running session: $per KiB"
echo ok
