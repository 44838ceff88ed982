#!/usr/bin/env bash
# Exec into Backend=vmspawn sessions: sessiond dials the agent where the session's backend puts it
# (lib/agent-address.h), vsock:CID:1024 for vmspawn, and AF_VSOCK passes no fds, so Exec there
# runs in the agent's streaming mode, relayed through sessiond.
#
# What this VM can show, honestly: (1) the streamed mode through sessiond end to end, on a service
# session (the same relay a vmspawn session uses, with the caller reading slowly: sessiond must
# hold the agent back rather than drop output); (2) for a generator session with Backend=vmspawn,
# sessiond's own routing: the backend recorded, fds refused with NoFdPassing naming the VM's
# address (the CID the generator gave systemd-vmspawn), sessionctl retrying streamed, sessiond then
# dialing that CID, for exec and for terminals (streamed: stream=true; agent-stream-tty.sh shows
# those end to end on a service session). There is no VM here (no KVM, no nested VM under TCG),
# so the unit's systemd-vmspawn is replaced by the agent itself on vsock_loopback: it answers on
# this machine's local CID, never on the VM's CID, and sessiond cannot reach it — a vmspawn exec
# that succeeds end to end is NOT shown here.
. "$SESSIOND_TEST_DIR/daemon-lib.sh"

[[ $(head -c2 /usr/libexec/sessiond-agent) != '#!' ]] || skip "the real sessiond-agent is not installed"

cat >/run/vl-exec-fds.py <<'PY'
import array, json, os, socket, sys
name, argv = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(120)
s.connect("/run/sessiond/io.sessiond.Manager")
fd = os.open("/dev/null", os.O_RDWR)
msg = json.dumps({"method": "io.sessiond.Manager.Exec", "parameters": {"name": name, "argv": argv}}).encode() + b"\0"
s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd, fd, fd]))])
buf = b""
while b"\0" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.split(b"\0")[0].decode())
PY

# Streamed Exec through sessiond (no fds): stdin sent up front, output decoded from the 'more'
# replies to files; waits DELAY seconds before reading any reply. Prints the final reply.
cat >/run/vl-exec-stream.py <<'PY'
import base64, json, socket, sys, time
name, delay, stdin, out, err, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(600)
s.connect("/run/sessiond/io.sessiond.Manager")
p = {"name": name, "argv": argv, "stdin": base64.b64encode(stdin.encode()).decode()}
s.sendall(json.dumps({"method": "io.sessiond.Manager.Exec", "parameters": p, "more": True}).encode() + b"\0")
time.sleep(delay)
fo, fe = open(out, "wb"), open(err, "wb")
buf = b""
while True:
    while b"\0" not in buf:
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed early")
        buf += d
    m, buf = buf.split(b"\0", 1)
    r = json.loads(m)
    q = r.get("parameters", {})
    if "stdout" in q: fo.write(base64.b64decode(q["stdout"]))
    if "stderr" in q: fe.write(base64.b64decode(q["stderr"]))
    if r.get("error") or not r.get("continues"):
        print(json.dumps(r)[:400])
        break
PY

# One call with 'more' through sessiond; prints the first error or final reply.
cat >/run/vl-call.py <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(120)
s.connect("/run/sessiond/io.sessiond.Manager")
s.sendall(json.dumps({"method": sys.argv[1], "parameters": json.loads(sys.argv[2]), "more": True}).encode() + b"\0")
buf = b""
while True:
    while b"\0" not in buf:
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed early")
        buf += d
    m, buf = buf.split(b"\0", 1)
    r = json.loads(m)
    if r.get("error") or not r.get("continues"):
        print(json.dumps(r))
        break
PY

step "service session: the record and status name the backend"
write_session sx <<'S'
[Session]
Exec=/bin/sleep infinity
S
sessionctl start sx
wait_until 60 test -S /run/sessiond/agents/sx/agent.sock
assert_eq "$(jq -r .backend "$STATE_DIR/sx.json")" service "backend in the record"
assert_eq "$(session_field sx .session.backend)" service "backend in Describe"
sessionctl status sx | grep -q 'Backend: service' || fail "status does not show the backend"

step "streamed Exec through sessiond: stdin, stdout, stderr, exit status"
reply=$(python3 /run/vl-exec-stream.py sx 0 abc /run/sx.out /run/sx.err sh -c 'cat; echo err >&2; exit 4')
echo "$reply"
jq -e '.parameters.exitStatus == 4' <<<"$reply" >/dev/null || fail "exit status of a streamed exec"
assert_eq "$(cat /run/sx.out)" abc "streamed stdout (stdin echoed)"
assert_eq "$(cat /run/sx.err)" err "streamed stderr"

step "21 MB streamed to a caller that reads only after 20 s: nothing lost (sessiond's send buffer is 16 MiB)"
want=$(seq 1 3000000 | sha256sum)
reply=$(python3 /run/vl-exec-stream.py sx 20 '' /run/sx.big /run/sx.err seq 1 3000000)
echo "$reply"
jq -e '.parameters.exitStatus == 0' <<<"$reply" >/dev/null || fail "big streamed exec failed: $reply"
assert_eq "$(sha256sum </run/sx.big)" "$want" "sha256 of the streamed output"
rm -f /run/sx.big /run/sx.out /run/sx.err
sessionctl stop sx

modprobe vsock_loopback 2>/dev/null || skip "no vsock_loopback module (the vmspawn part needs an agent on AF_VSOCK)"

step "generator session with Backend=vmspawn; systemd-vmspawn replaced by the agent on vsock:1024"
write_session vmx <<'S'
[Session]
Backend=vmspawn
Image=vmx
Exec=/bin/sleep infinity
S
unit=sessiond-vmx.service
cleanup_units+=("$unit")
mkdir -p /run/systemd/system/$unit.d
cat >/run/systemd/system/$unit.d/50-no-vm.conf <<'C'
[Service]
ExecStart=
ExecStart=/usr/libexec/sessiond-agent --name=vmx --socket=vsock:1024 -- /bin/sleep infinity
C
trap 'rm -rf /run/systemd/system/sessiond-vmx.service.d; systemctl daemon-reload; daemon_cleanup' EXIT
systemctl daemon-reload
cid=$(grep -o -- '--vsock-cid=[0-9]*' /run/systemd/generator/$unit | cut -d= -f2)
[[ -n $cid ]] || fail "the generator's unit has no --vsock-cid="
echo "the VM's CID would be $cid"
systemctl start "$unit"
assert_eq "$("$HELPERS/agentctl" exec --agent-socket=vsock:1:1024 vmx -- echo here)" here "the agent answers on the local CID"

step "sessiond adopts it as vmspawn"
assert_eq "$(session_field vmx .session.backend)" vmspawn "backend in Describe"
assert_eq "$(session_state vmx)" running "state"

step "Exec with fds: NoFdPassing, naming the VM's vsock address"
reply=$(python3 /run/vl-exec-fds.py vmx /bin/true)
echo "$reply"
jq -e '.error == "io.sessiond.Manager.NoFdPassing"' <<<"$reply" >/dev/null || fail "fds to a vmspawn session: $reply"
assert_eq "$(jq -r .parameters.address <<<"$reply")" "vsock:$cid:1024" "the agent address sessiond would dial"

step "streamed Exec: sessiond dials vsock:$cid:1024, which only a VM with that CID would answer"
reply=$(python3 /run/vl-exec-stream.py vmx 0 '' /run/vmx.out /run/vmx.err /bin/true)
echo "$reply"
jq -e '.error == "io.sessiond.Manager.AgentFailed"' <<<"$reply" >/dev/null || fail "streamed exec: $reply"
# 97 EAFNOSUPPORT would mean sessiond.service may not open AF_VSOCK sockets at all
# (RestrictAddressFamilies=); past that, only the missing VM keeps the connection from being made.
errno=$(jq -r .parameters.errorNumber <<<"$reply")
[[ $errno != 97 ]] || fail "sessiond cannot create AF_VSOCK sockets: $reply"

step "sessionctl exec retries streamed and reports sessiond's vsock failure, not NoFdPassing"
rc=0
out=$(sessionctl exec vmx -- /bin/true 2>&1) || rc=$?
echo "$out"
assert_eq "$rc" 125 "sessionctl exit code"
[[ $out != *Backend=vmspawn* ]] || fail "sessionctl did not retry in streaming mode: $out"
assert_match "$out" "Connection refused" "sessionctl's error"

step "terminals: sessiond refuses one without stream=true, dials the VM for a streamed one"
reply=$(python3 /run/vl-call.py io.sessiond.Manager.ExecTerminal '{"name":"vmx","argv":["/bin/sh"]}')
echo "$reply"
jq -e '.error == "io.sessiond.Manager.NoFdPassing"' <<<"$reply" >/dev/null || fail "ExecTerminal without stream: $reply"
assert_match "$(jq -r .parameters.reason <<<"$reply")" "stream=true" "the reason names the way out"
reply=$(python3 /run/vl-call.py io.sessiond.Manager.ExecTerminal '{"name":"vmx","argv":["/bin/sh"],"stream":true}')
echo "$reply"
jq -e '.error == "io.sessiond.Manager.AgentFailed"' <<<"$reply" >/dev/null || fail "streamed ExecTerminal: $reply"
reply=$(python3 /run/vl-call.py io.sessiond.Manager.Attach '{"name":"vmx","stream":true}')
echo "$reply"
jq -e '.error == "io.sessiond.Manager.AgentFailed"' <<<"$reply" >/dev/null || fail "streamed Attach: $reply"

step "sessionctl exec -t and attach retry streamed and report sessiond's vsock failure"
# (The streamed terminal itself, end to end through sessiond, is agent-stream-tty.sh's; only a VM
# with that CID would answer here.)
rc=0
out=$(sessionctl exec -t vmx -- /bin/sh 2>&1 </dev/null) || rc=$?
echo "$out"
assert_eq "$rc" 125 "exec -t exit code"
[[ $out != *"cannot hand over"* && $out != *Backend=vmspawn* ]] || fail "exec -t did not retry streamed: $out"
assert_match "$out" "Connection refused" "exec -t error"
rc=0
out=$(sessionctl attach vmx 2>&1 </dev/null) || rc=$?
echo "$out"
[[ $rc != 0 ]] || fail "attach to an unreachable VM succeeded"
[[ $out != *"cannot hand over"* && $out != *Backend=vmspawn* ]] || fail "attach did not retry streamed: $out"
assert_match "$out" "Connection refused" "attach error"

systemctl stop "$unit"
echo ok
