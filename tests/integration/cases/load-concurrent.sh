#!/usr/bin/env bash
# Load: sessions started concurrently from root and from unprivileged users made for the run,
# one Exec into each (its output must name the session, and a non-root uid in users' sessions),
# then all stopped.
# No error is allowed: the only documented limit on this path is 128 connections per uid
# (sessiond(8)) and no uid comes near it. Checked from outside: every session ran, no unit is
# left, sessiond holds as many fds after as before, and its RSS comes back after the stop.
#
# 200 sessions (the figure) take longer than the default 300 s per case under TCG:
# with SESSIOND_TEST_TIMEOUT >= 1200 the case runs 200, otherwise 48 (say so in its log).
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
command -v python3 >/dev/null || skip "python3 missing"

n=${LOAD_SESSIONS:-}
if [[ -z $n ]]; then
        if ((${SESSIOND_TEST_TIMEOUT:-300} >= 1200)); then n=200; else n=48; fi
fi
echo "NOTE: $n sessions (case timeout ${SESSIOND_TEST_TIMEOUT:-300}s)"

load_cleanup() {
        local u
        for u in $(systemctl list-units --all --plain --no-legend 'sessiond-ld*' | awk '{ print $1 }'); do
                systemctl stop "$u" 2>/dev/null || true
        done
        for u in 1 2 3; do userdel "sessload$u" 2>/dev/null || true; done
        daemon_cleanup
}
trap load_cleanup EXIT

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

step "RSS"
if [[ -e /etc/sessiond-vmtest/sanitize ]]; then
        echo "NOTE: sanitizer build: its allocator's RSS is not sessiond's, not checked"
        exit 0
fi
before=$(j .before.VmRSS) running=$(j .start.measure.VmRSS) after=$(j .after.VmRSS)
per=$(( (running - before) / n ))
echo "sessiond VmRSS: $before KiB before, $running KiB with $n sessions ($per KiB each), $after KiB after stop"
# bounded: what the sessions cost comes back (within 1 MiB) once they are gone
((after - before <= 1024)) || fail "RSS not returned: $before KiB before, $after KiB after"
((per <= 128)) || fail "RSS per running session: $per KiB"
echo ok
