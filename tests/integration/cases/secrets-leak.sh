#!/usr/bin/env bash
# [Secrets]: a plain (LoadCredential=) and an encrypted (LoadCredentialEncrypted=, systemd-creds)
# credential with random values reach the session in $CREDENTIALS_DIRECTORY, and the values are
# nowhere else: not in the environment of the session's processes (the main one and an exec), not
# in any unit file PID 1 has (generated or transient), not in `systemctl show`, not in the
# journal (every field of every entry since boot), not in `sessionctl status --json`, not in
# sessiond's state. The detector is shown to work first on a planted canary (Environment=).
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
command -v systemd-creds >/dev/null || skip "systemd-creds is not installed"

name=secleak
sdir=/etc/sessiond/secrets
rand() { head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }
secret=S$(rand)
secret2=E$(rand)
canary=C$(rand)
mkdir -p "$sdir"
chmod 0700 "$sdir"
(umask 077 && printf %s "$secret" >"$sdir/$name-token")
printf %s "$secret2" | systemd-creds encrypt --name=deploy - "$sdir/$name-deploy.cred"
trap 'rm -f "$sdir/$name-token" "$sdir/$name-deploy.cred"; daemon_cleanup' EXIT

session_pids() {  # every process in the session's slice
        cat /sys/fs/cgroup/sessiond.slice/"sessiond-$1.slice"/*/cgroup.procs \
                /sys/fs/cgroup/sessiond.slice/"sessiond-$1.slice"/cgroup.procs 2>/dev/null || true
}

# Prints where VALUE appears, for session NAME; returns 0 if nowhere.
find_leaks() {  # NAME VALUE
        local n=$1 v=$2 found=0 pid files
        for pid in $(session_pids "$n"); do
                if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qF -- "$v"; then
                        echo "LEAK: environment of pid $pid ($(cat /proc/$pid/comm 2>/dev/null))"
                        found=1
                fi
                if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$v"; then
                        echo "LEAK: command line of pid $pid"
                        found=1
                fi
        done
        # (grep exits 2 for a missing directory even when it found something: look at its output)
        files=$(grep -rlaF -D skip -- "$v" /run/systemd/generator /run/systemd/generator.early \
                /run/systemd/generator.late /run/systemd/transient /run/systemd/system /etc/systemd/system \
                2>/dev/null || true)
        if [[ -n $files ]]; then
                echo "LEAK: a unit file: $files"
                found=1
        fi
        if systemctl show "sessiond-$n.service" "sessiond-$n.slice" 2>&1 | grep -qF -- "$v"; then
                echo "LEAK: systemctl show"
                found=1
        fi
        if systemctl cat "sessiond-$n.service" 2>&1 | grep -qF -- "$v"; then
                echo "LEAK: systemctl cat"
                found=1
        fi
        journalctl --sync 2>/dev/null || true
        if journalctl -b -o export --no-pager 2>/dev/null | grep -qaF -- "$v"; then
                echo "LEAK: the journal"
                journalctl -b -o export --no-pager | grep -aF -- "$v" | head -n 3 | cut -c1-200 || true
                found=1
        fi
        if sessionctl --json=short status "$n" 2>&1 | grep -qF -- "$v"; then
                echo "LEAK: sessionctl status --json"
                found=1
        fi
        if sessionctl status "$n" 2>&1 | grep -qF -- "$v"; then
                echo "LEAK: sessionctl status"
                found=1
        fi
        files=$(grep -rlaF -D skip -- "$v" /var/lib/sessiond /run/sessiond 2>/dev/null || true)
        if [[ -n $files ]]; then
                echo "LEAK: sessiond's state: $files"
                found=1
        fi
        return $found
}

step "the detector finds a value planted in Environment= (control)"
write_session seccanary <<S
[Session]
Exec=/bin/sleep infinity
Environment=CANARY=$canary
S
sessionctl start seccanary
wait_until 60 test -S /run/sessiond/agents/seccanary/agent.sock
out=$(find_leaks seccanary "$canary") && fail "the detector missed the planted canary"
echo "$out"
assert_match "$out" "environment of pid" "canary in the environment"
assert_match "$out" "systemctl show" "canary in systemctl show"
assert_match "$out" "a unit file: /run/systemd/transient/sessiond-seccanary.service" "canary in the unit file"
sessionctl stop seccanary

step "a session with two credentials"
write_session $name <<S
[Session]
Exec=/bin/sleep infinity

[Secrets]
Credential=token:$sdir/$name-token
EncryptedCredential=deploy:$sdir/$name-deploy.cred
S
sessionctl start $name
wait_until 60 test -S /run/sessiond/agents/$name/agent.sock
systemctl show -p LoadCredential -p LoadCredentialEncrypted sessiond-$name.service

step "readable inside, in \$CREDENTIALS_DIRECTORY"
got=$(sessionctl exec $name -- /bin/sh -c 'sha256sum < "$CREDENTIALS_DIRECTORY/token"')
assert_eq "$got" "$(printf %s "$secret" | sha256sum)" "digest of the plain credential inside"
got=$(sessionctl exec $name -- /bin/sh -c 'sha256sum < "$CREDENTIALS_DIRECTORY/deploy"')
assert_eq "$got" "$(printf %s "$secret2" | sha256sum)" "digest of the encrypted credential inside"
sessionctl exec $name -- /bin/sh -c 'ls -l "$CREDENTIALS_DIRECTORY"; id'

step "an exec running while we look"
sessionctl exec $name -- /bin/sleep 120 &
execpid=$!
wait_until 60 bash -c "[[ \$(cat /sys/fs/cgroup/sessiond.slice/sessiond-$name.slice/*/cgroup.procs | wc -l) -ge 2 ]]"
echo "processes of the session: $(session_pids $name | tr '\n' ' ')"

step "the values are nowhere else"
rc=0
find_leaks $name "$secret" || rc=1
find_leaks $name "$secret2" || rc=1
kill $execpid 2>/dev/null || true
sessionctl stop $name
step "... nor after the end"
find_leaks $name "$secret" || rc=1
find_leaks $name "$secret2" || rc=1
((rc == 0)) || fail "a secret leaked"
echo ok
