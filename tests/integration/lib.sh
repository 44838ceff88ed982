# shellcheck shell=bash
# Helpers for integration cases. A case is a bash script: exit 0 passes, 77 skips, else fails.
set -euo pipefail

HELPERS=${SESSIOND_TEST_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
step() { echo "--- $*"; }

assert_eq() { [[ $1 == "$2" ]] || fail "${3:-value}: got '$1', expected '$2'"; }
assert_match() { [[ $1 =~ $2 ]] || fail "${3:-value}: '$1' does not match /$2/"; }

# Poll a command until it succeeds, at most $1 seconds of wall time (TCG is slow: be generous;
# the deadline counts the command's own run time too).
wait_until() {
        local timeout=$1 deadline
        shift
        deadline=$((SECONDS + timeout))
        while ((SECONDS < deadline)); do
                if "$@" >/dev/null 2>&1; then return 0; fi
                sleep 0.2
        done
        "$@" >/dev/null 2>&1 && return 0
        fail "timed out after ${timeout}s waiting for: $*"
}

# Units a case made are removed even when it fails.
cleanup_units=()
cleanup() {
        local u
        for u in "${cleanup_units[@]}"; do
                systemctl stop "$u" 2>/dev/null || true
                systemctl reset-failed "$u" 2>/dev/null || true
        done
}
trap cleanup EXIT
