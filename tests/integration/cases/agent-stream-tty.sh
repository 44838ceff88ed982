#!/usr/bin/env bash
# Streamed terminals through sessiond: what a Backend=vmspawn session gets, whose agent is reached
# over AF_VSOCK and can hand over no terminal socket. Shown here on a service session with
# sessionctl's --stream (the same agent methods, the same relay in sessiond; there is no VM in
# this VM), driven through real PTYs (tmux, python's pty): exec -t runs on a terminal, sees the
# window size and a resize, takes input, returns the exit code; a slow reader of 2 MB loses
# nothing (more than the 1 MiB a terminal socket's viewer may fall behind); 300 KB typed at once
# arrive whole and in order; attach shows the scrollback, takes input and detaches with Ctrl-].
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

command -v tmux >/dev/null || skip "tmux missing"
[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"
trap 'tmux kill-server 2>/dev/null || true; daemon_cleanup' EXIT

write_session st <<'S'
[Session]
Terminal=yes
Exec=/bin/sh -c 'echo ready-marker; while read l; do echo "got:$l"; [ "$l" = size ] && stty size; done'
S
sessionctl start st
wait_until 60 test -S /run/sessiond/agents/st/agent.sock

screen() { tmux capture-pane -p -t t; }
seen() { screen | grep -q -- "$1"; }

step "exec -t --stream: a terminal of the window's size"
tmux new-session -d -s t -x 100 -y 30 \
        "sessionctl exec -t --stream st -- sh -c 'tty; stty size; read x; echo \"x=\$x\"; read y; stty size; exit 7'; echo rc=\$?; sleep 600"
wait_until 60 seen '^30 100'
seen '^/dev/pts/' || fail "tty does not name a pty: $(screen)"

step "input reaches the command"
tmux send-keys -t t 'hello' Enter
wait_until 30 seen 'x=hello'

step "a resize is forwarded; the exit code comes back"
tmux resize-window -t t -x 120 -y 40
sleep 1
tmux send-keys -t t Enter
wait_until 30 seen '^40 120'
wait_until 30 seen '^rc=7'
tmux kill-session -t t

step "a slow reader: 2 MB while nobody reads for 15 s, all of it arrives"
python3 - <<'PY' || fail "streamed exec -t lost output"
import hashlib, os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sessionctl", ["sessionctl", "exec", "-t", "--stream", "st", "--",
                             "sh", "-c", "stty -onlcr; seq 1 300000; exit 3"])
time.sleep(15)
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
_, status = os.waitpid(pid, 0)
want = "".join(f"{i}\n" for i in range(1, 300001)).encode()
print("got", len(out), "bytes, want", len(want), "exit", os.waitstatus_to_exitcode(status))
if os.waitstatus_to_exitcode(status) != 3:
    sys.exit("exit code")
if hashlib.sha256(out).hexdigest() != hashlib.sha256(want).hexdigest():
    i = next((i for i in range(min(len(out), len(want))) if out[i] != want[i]), None)
    sys.exit(f"output differs (first at {i})")
PY

step "300 KB typed (pasted) at once arrive whole and in order (several Input calls in a row)"
python3 - <<'PY' || fail "streamed exec -t mangled input"
import hashlib, os, pty, random, sys, time
data = "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(300000)).encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sessionctl", ["sessionctl", "exec", "-t", "--stream", "st", "--",
                             "sh", "-c", "stty raw -echo; echo go; head -c 300000 | sha256sum; exit 0"])
out = b""
while b"go" not in out:
    out += os.read(fd, 4096)
t = time.monotonic()
sent = 0
while sent < len(data):
    sent += os.write(fd, data[sent:])
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
took = time.monotonic() - t
_, status = os.waitpid(pid, 0)
want = hashlib.sha256(data).hexdigest()
print(f"{len(data)} bytes in {took:.2f}s, exit {os.waitstatus_to_exitcode(status)}")
if want.encode() not in out:
    sys.exit(f"want {want}, got {out[-200:]!r}")
PY

step "attach --stream: the scrollback first, then input and the window size"
tmux new-session -d -s t -x 100 -y 30 "sessionctl attach --stream st; sleep 600"
wait_until 60 seen ready-marker
tmux send-keys -t t 'size' Enter
wait_until 30 seen '^30 100'

step "Ctrl-] detaches; the session lives on; a second attach shows what happened"
tmux send-keys -t t C-]
wait_until 30 seen 'Detached from session'
assert_eq "$(session_state st)" running "state after detach"
tmux kill-session -t t
tmux new-session -d -s t -x 100 -y 30 "sessionctl attach --stream --read-only st; sleep 600"
wait_until 60 seen 'got:size'
sessionctl stop st
echo ok
