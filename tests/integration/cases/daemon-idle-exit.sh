#!/usr/bin/env bash
# sessiond exits after a while without work (no clients, no session to watch) and the socket
# brings it back on the next call; a session started before lives on meanwhile.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

write_session dlive <<'S'
[Session]
Exec=/bin/sleep infinity
S
sessionctl start dlive
pid=$(systemctl show -P MainPID sessiond.service)
step "sessiond $pid exits when idle (30 s)"
wait_until 120 bash -c '! systemctl is-active --quiet sessiond.service'
systemctl status --no-pager sessiond.service || true
systemctl is-active --quiet sessiond.socket || fail "socket not listening"
unit_active dlive || fail "the session did not survive the daemon's exit"
step "the next call starts it again and it knows the session"
assert_eq "$(session_state dlive)" running "state after socket activation"
[[ $(systemctl show -P MainPID sessiond.service) != "$pid" ]] || fail "same daemon?"
sessionctl stop dlive
echo ok
