#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sessiond-agent --sandbox=PROFILE (Backend=nspawn): the agent stays root, the commands it starts
# (main command and Exec) run as uid/gid 61184 with no capabilities, no_new_privs and the seccomp
# rules of the profile: no setuid/setgid files anywhere, no namespaces, ptrace or keyring under
# restrictive. Needs root (the agent must be able to change uid) and /proc.
set -euo pipefail
AGENT=$1 CTL=$2 CHECK=$3
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 77; }
# Under ASan, LeakSanitizer stops the world with ptrace(), which the restrictive sandbox denies
# to the very programs this test runs inside it (sessiond-check): leak checks for those happen
# where they run unsandboxed (test-check, the VM cases).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

d=$(mktemp -d)
chmod 0755 "$d"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

start() {  # socket, agent args...
        local sock=$1; shift
        "$AGENT" --socket="$sock" "$@" 2>>"$d/agent.log" &
        pids+=($!)
        for _ in $(seq 100); do "$CTL" exec --agent-socket="$sock" x -- true 2>/dev/null && return 0; sleep 0.05; done
        cat "$d/agent.log" >&2
        fail "agent did not listen on $sock"
}
in_session() { "$CTL" exec --agent-socket="$1" x -- "${@:2}"; }
mkdir -m 1777 "$d/w"

# an unknown profile is refused
if "$AGENT" --name=t --socket="$d/bad" --sandbox=lax -- true 2>/dev/null; then fail "--sandbox=lax accepted"; fi

# without --sandbox the commands are the agent's own uid (root here): the tests below can fail
start "$d/plain" --name=t -- sleep infinity
[[ $(in_session "$d/plain" id -u) == 0 ]] || fail "without --sandbox, commands should run as the agent's uid"
in_session "$d/plain" sh -c "touch $d/w/p0 && chmod 4755 $d/w/p0" || fail "without --sandbox, root could not chmod 4755"
# the battery's probes, as the restrictive profile expects them
probes=non-root,cap-effective,cap-bounding,no-new-privs,seccomp,setuid-file,userns-create,ptrace-traceme,keyctl,perf-event
if in_session "$d/plain" "$CHECK" --profile=restrictive --only=$probes --workspace="$d/w" >"$d/plain.txt"; then
        cat "$d/plain.txt"; fail "the battery passed without --sandbox"
fi

for profile in restrictive moderate permissive; do
        s=$d/$profile
        start "$s" --name=t --sandbox=$profile -- sh -c "id -u >$d/w/main-$profile; exec sleep infinity"
        # the agent serves exec before its main command has necessarily run: wait for its output
        for _ in $(seq 100); do [[ -s $d/w/main-$profile ]] && break; sleep 0.05; done
        [[ $(cat "$d/w/main-$profile" 2>/dev/null) == 61184 ]] || fail "$profile: main command not uid 61184"
        [[ $(in_session "$s" id -u):$(in_session "$s" id -g):$(in_session "$s" id -G) == 61184:61184:61184 ]] ||
                fail "$profile: exec not uid/gid 61184 without groups: $(in_session "$s" id)"
        st=$(in_session "$s" cat /proc/self/status)
        grep -Eq '^CapBnd:\s+0+$' <<<"$st" || fail "$profile: bounding set not empty"
        grep -Eq '^CapEff:\s+0+$' <<<"$st" || fail "$profile: effective capabilities"
        grep -Eq '^NoNewPrivs:\s+1$' <<<"$st" || fail "$profile: no_new_privs not set"
        grep -Eq '^Seccomp:\s+2$' <<<"$st" || fail "$profile: no seccomp filter"
        # RestrictSUIDSGID= in every profile; ordinary modes still work
        in_session "$s" sh -c "touch $d/w/f-$profile && chmod 0755 $d/w/f-$profile && mkdir -m 0700 $d/w/d-$profile" ||
                fail "$profile: ordinary chmod/mkdir failed"
        if in_session "$s" chmod 4755 "$d/w/f-$profile" 2>/dev/null; then fail "$profile: chmod 4755 allowed"; fi
        if in_session "$s" chmod 2755 "$d/w/f-$profile" 2>/dev/null; then fail "$profile: chmod 2755 allowed"; fi
        if in_session "$s" mkdir -m 2775 "$d/w/sg-$profile" 2>/dev/null; then fail "$profile: mkdir 2775 allowed"; fi
        [[ $(stat -c %a "$d/w/f-$profile") == 755 ]] || fail "$profile: mode changed"
        if [[ $profile != permissive ]]; then
                if in_session "$s" unshare -U true 2>/dev/null; then fail "$profile: unshare -U allowed"; fi
                if in_session "$s" unshare -n true 2>/dev/null; then fail "$profile: unshare -n allowed"; fi
        fi
        if [[ $profile == restrictive ]]; then
                in_session "$s" "$CHECK" --profile=restrictive --only=$probes --workspace="$d/w" >"$d/r.txt" ||
                        { cat "$d/r.txt"; fail "restrictive: the battery's probes failed"; }
        fi
done
echo ok
