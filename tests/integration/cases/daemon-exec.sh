#!/usr/bin/env bash
# Manager.Exec: the caller's fds go to the session's agent; the command runs inside the session
# and its exit status comes back; output never passes through sessiond. A running exec keeps an
# IdleTimeout= session alive; once it is done the session ends as idle. Other users are refused.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"

cat >/run/vl-exec.py <<'PY'
import array, json, os, socket, sys
name, out, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/sessiond/io.sessiond.Manager")
fin = os.open("/dev/null", os.O_RDONLY)
fout = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
msg = json.dumps({"method": "io.sessiond.Manager.Exec", "parameters": {"name": name, "argv": argv}}).encode() + b"\0"
s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fin, fout, fout]))])
buf = b""
while b"\0" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.split(b"\0")[0].decode())
PY

write_session dexec <<'S'
[Session]
Exec=/bin/sleep infinity
IdleTimeout=8s
OnEnd=persist
S
sessionctl start dexec
wait_until 30 test -S /run/sessiond/agents/dexec/agent.sock

step "exec with fds: output straight to our file, exit status back"
reply=$(python3 /run/vl-exec.py dexec /run/exec-out.txt /bin/sh -c 'echo hello from $(id -u); echo oops >&2; exit 3')
echo "$reply"
jq -e '.parameters.exitStatus == 3' <<<"$reply"
cat /run/exec-out.txt
grep -q '^hello from [0-9]' /run/exec-out.txt || fail "no output from the command"
grep -q '^oops' /run/exec-out.txt || fail "no stderr from the command"
uid=$(sed -n 's/^hello from //p' /run/exec-out.txt)
[[ $uid != 0 ]] || fail "the command ran as root, not as the session's user"

step "sessionctl exec goes through sessiond too"
out=$(sessionctl exec dexec -- /bin/sh -c 'echo via-sessionctl; exit 7') && rc=0 || rc=$?
echo "$out"
assert_eq "$rc" 7 "sessionctl exec exit status"
assert_eq "$out" via-sessionctl "sessionctl exec output"

step "a 20 s exec keeps the session (IdleTimeout=8s) alive"
python3 /run/vl-exec.py dexec /run/exec-out2.txt /bin/sleep 20 >/run/exec-reply2.txt &
sleep 16
assert_eq "$(session_state dexec)" running "state during a long exec"
wait
jq -e '.parameters.exitStatus == 0' /run/exec-reply2.txt
wait_state dexec ended 90
assert_eq "$(session_result dexec)" idle "result after the exec finished"

step "errors: an ended session, another user"
reply=$(python3 /run/vl-exec.py dexec /run/exec-out3.txt /bin/true)
echo "$reply"
[[ $reply == *io.sessiond.Manager.NotRunning* ]] || fail "exec in an ended session: $reply"
sessionctl stop dexec
sessionctl start dexec
reply=$(setpriv --reuid=65534 --regid=65534 --clear-groups -- python3 /run/vl-exec.py dexec /dev/null /bin/true)
echo "$reply"
[[ $reply == *PermissionDenied* ]] || fail "exec by nobody: $reply"
sessionctl stop dexec
echo ok
