# shellcheck shell=bash
# Helpers for the daemon-*.sh cases: sessions written to /etc/sessiond, started and inspected
# through sessiond (sessionctl and varlinkctl), and checked against what PID 1 says.
. "$SESSIOND_TEST_DIR/lib.sh"

ADDR=/run/sessiond/io.sessiond.Manager
STATE_DIR=/var/lib/sessiond/sessions

command -v sessionctl >/dev/null || fail "sessionctl is not installed"
[[ -x /usr/libexec/sessiond/sessiond ]] || fail "sessiond is not installed"

# Every session's main process is sessiond-agent. Until the agent is installed, a stand-in that
# runs the session's Exec= (the words after "--") lets the daemon's own behaviour be tested; it
# is installed only where the real agent is missing.
if [[ ! -x /usr/libexec/sessiond-agent ]]; then
        echo "NOTE: /usr/libexec/sessiond-agent missing, using an exec stand-in"
        cat >/usr/libexec/sessiond-agent <<'AGENT'
#!/bin/sh
while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- /bin/sleep infinity
exec "$@"
AGENT
        chmod 0755 /usr/libexec/sessiond-agent
fi

systemctl start sessiond.socket
# Start the daemon up front (Type=notify: returns once it serves): on a loaded TCG VM its start
# can take longer than varlinkctl's default call timeout.
timeout 300 systemctl start sessiond.service

daemon_sessions=()
daemon_cleanup() {
        local n
        for n in "${daemon_sessions[@]}"; do
                timeout 60 sessionctl stop "$n" >/dev/null 2>&1 || true
                systemctl stop "sessiond-$n.service" 2>/dev/null || true
                systemctl reset-failed "sessiond-$n.service" 2>/dev/null || true
                rm -f "/etc/sessiond/$n.session"
        done
        cleanup
}
trap daemon_cleanup EXIT

# write_session NAME <<EOF ... EOF
write_session() {
        mkdir -p /etc/sessiond
        cat >"/etc/sessiond/$1.session"
        daemon_sessions+=("$1")
}

# Field of `sessionctl status --json=short NAME` (.session.FIELD or .figures.FIELD).
session_field() {
        sessionctl --json=short status "$1" 2>/dev/null | jq -r "$2"
}
session_state() { session_field "$1" '.session.state'; }
session_result() { session_field "$1" '.session.result // "none"'; }

unit_active() { systemctl is-active --quiet "sessiond-$1.service"; }
unit_gone() { ! systemctl list-units --all --plain --no-legend "sessiond-$1.service" | grep -q .; }
slice_gone() { ! systemctl list-units --all --plain --no-legend "sessiond-$1.slice" | grep -q .; }

wait_state() {  # NAME STATE TIMEOUT
        wait_until "$3" bash -c "[[ \$(sessionctl --json=short status '$1' 2>/dev/null | jq -r .session.state) == '$2' ]]"
}
