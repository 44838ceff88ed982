#!/usr/bin/env bash
# kill -9 sessiond at any moment: the restarted daemon finds every session again from PID 1 and
# its state files: no orphan, no duplicate, no corrupt state.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

for n in drec1 drec2 drec3; do
        write_session $n <<'S'
[Session]
Exec=/bin/sleep infinity
S
done
write_session drec4 <<'S'
[Session]
Exec=/bin/sleep infinity
OnEnd=persist
S

kill9() {
        local pid
        pid=$(systemctl show -P MainPID sessiond.service)
        if [[ $pid -gt 0 ]]; then
                kill -9 "$pid"
                echo "killed sessiond $pid"
        fi
}

step "sessions survive a kill -9 of the daemon"
sessionctl start drec1
sessionctl start drec2
sessionctl start drec4
kill9
sleep 1
# the next call starts (or restarts) sessiond, which recovers before answering
sessionctl list
sessionctl --json=short list | jq -e '[.[] | select(.name | startswith("drec"))] | length == 3'
for n in drec1 drec2 drec4; do
        assert_eq "$(session_state $n)" running "state of $n after restart"
done
assert_eq "$(session_field drec2 .session.owner)" 0 "owner kept"

step "a session that ended while the daemon was dead"
kill9
systemctl stop sessiond-drec2.service       # behind sessiond's back
systemctl stop sessiond-drec4.service
sleep 1
sessionctl list
rc=0; sessionctl status drec2 || rc=$?
assert_eq "$rc" 4 "drec2 (discard) is gone"
[[ ! -e $STATE_DIR/drec2.json ]] || fail "record of a discarded session left"
assert_eq "$(session_state drec4)" ended "drec4 (persist) recorded as ended"

step "kill -9 in the middle of Start: one session or none, never two, never an orphan"
for i in 1 2 3; do
        sessionctl start drec3 >/dev/null 2>&1 &
        sleep 0.$((RANDOM % 9 + 1))
        kill9
        wait || true
        sessionctl list >/dev/null
        units=$(systemctl list-units --all --plain --no-legend 'sessiond-drec3.service' | grep -c . || true)
        if [[ -e $STATE_DIR/drec3.json ]]; then
                jq -e . "$STATE_DIR/drec3.json" >/dev/null || fail "corrupt record"
        elif ((units > 0)); then
                fail "unit sessiond-drec3.service without a record"
        fi
        ((units <= 1)) || fail "two drec3 units"
        # a second start is exactly-once: running or SessionExists
        rc=0; sessionctl start drec3 || rc=$?
        [[ $rc == 0 || $rc == 5 ]] || fail "start after recovery: exit $rc"
        assert_eq "$(session_state drec3)" running "drec3 after round $i"
        sessionctl stop drec3
done

step "state files are valid JSON and match the units"
for f in "$STATE_DIR"/*.json; do
        [[ -e $f ]] || continue
        jq -e . "$f" >/dev/null || fail "corrupt $f"
done
ls -la "$STATE_DIR"
! ls "$STATE_DIR" | grep -q '^\.#' || fail "temporary files left"
sessionctl stop drec1 drec4
echo ok
