#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Load on sessiond from several uids at once: N sessions started concurrently (root plus
unprivileged users made for the run), then one Exec into each (its output checked), then all
stopped. Between the phases every client waits at a barrier while the parent measures sessiond
from /proc (fds, VmRSS), so the figures are per phase. Needs root; prints one JSON object.

    load-run.py N [USERS]      N sessions in all, spread over root and USERS (default 3) users

Used by the integration case load-concurrent.sh (which checks the figures) and by
tests/bench/bench-load (which reports them)."""

import base64
import json
import os
import pwd
import socket
import subprocess
import sys
import time

ADDR = "/run/sessiond/io.sessiond.Manager"
PREFIX = "ld"
# Users may start only DynamicUser= sessions; root's run as root, like tests/bench/bench-start's.
SESSION_TEXT = "[Session]\nDynamicUser=yes\nExec=/bin/sleep infinity\n"
ROOT_SESSION_TEXT = "[Session]\nExec=/bin/sleep infinity\n"


class Conn:
    def __init__(self, timeout=900):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(ADDR)
        self.buf = b""

    def send(self, method, params, more=False):
        m = {"method": method, "parameters": params}
        if more:
            m["more"] = True
        self.s.sendall(json.dumps(m).encode() + b"\0")

    def recv(self):
        while b"\0" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("sessiond hung up")
            self.buf += d
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def close(self):
        self.s.close()


def error_name(reply):
    e = reply.get("error")
    return e.rsplit(".", 1)[-1] if e else None


def count(d, key):
    d[key] = d.get(key, 0) + 1


# --- the client: one process per uid, sessions NAMES ---

def phase_start(names, text):
    errors, states = {}, {}
    conns = []
    for n in names:
        try:
            c = Conn()
            c.send("io.sessiond.Manager.Start", {"name": n, "sessionText": text})
            conns.append((n, c))
        except OSError as e:
            count(errors, f"connect: {e.strerror}")
    ok = []
    for n, c in conns:
        try:
            r = c.recv()
        except (OSError, EOFError) as e:
            count(errors, f"recv: {e}")
            continue
        finally:
            c.close()
        if "error" in r:
            count(errors, error_name(r))
        else:
            count(states, r["parameters"]["session"]["state"])
            ok.append(n)
    return {"errors": errors, "states": states, "started": ok}


def phase_exec(names, uid):
    errors = {}
    conns = []
    ran = 0
    bad_output = []
    for n in names:
        try:
            c = Conn()
            c.send("io.sessiond.Manager.Exec",
                   {"name": n, "argv": ["/bin/sh", "-c", 'echo "ran $0 $(id -u)"', n]}, more=True)
            conns.append((n, c))
        except OSError as e:
            count(errors, f"connect: {e.strerror}")
    for n, c in conns:
        out = b""
        try:
            while True:
                r = c.recv()
                if "error" in r:
                    count(errors, error_name(r))
                    break
                p = r.get("parameters", {})
                if p.get("stdout"):
                    out += base64.b64decode(p["stdout"])
                if not r.get("continues"):
                    words = out.decode(errors="replace").split()
                    # the command ran in the session: its name, and a dynamic uid for users' sessions
                    if p.get("exitStatus") == 0 and len(words) == 3 and words[:2] == ["ran", n] and \
                       (uid == 0 or words[2] != "0"):
                        ran += 1
                    else:
                        bad_output.append(f"{n}: {out!r} {p}")
                    break
        except (OSError, EOFError) as e:
            count(errors, f"recv: {e}")
        finally:
            c.close()
    return {"errors": errors, "ran": ran, "bad_output": bad_output[:5]}


def phase_stop(names):
    errors = {}
    conns = []
    for n in names:
        try:
            c = Conn()
            c.send("io.sessiond.Manager.Stop", {"name": n})
            conns.append((n, c))
        except OSError as e:
            count(errors, f"connect: {e.strerror}")
    stopped = 0
    for n, c in conns:
        try:
            r = c.recv()
            if "error" in r:
                count(errors, error_name(r))
            else:
                stopped += 1
        except (OSError, EOFError) as e:
            count(errors, f"recv: {e}")
        finally:
            c.close()
    return {"errors": errors, "stopped": stopped}


def client(uid, names, rfd, wfd):
    """Runs in the forked child, as uid: each phase after a 'go' line, its result as a JSON line."""
    if uid != 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    rf = os.fdopen(rfd, "r")
    wf = os.fdopen(wfd, "w")
    started = names
    for phase in ("start", "exec", "stop"):
        if rf.readline().strip() != "go":
            os._exit(1)
        if phase == "start":
            res = phase_start(names, ROOT_SESSION_TEXT if uid == 0 else SESSION_TEXT)
            started = res["started"]
        elif phase == "exec":
            res = phase_exec(started, uid)
        else:
            res = phase_stop(names)
        wf.write(json.dumps(res) + "\n")
        wf.flush()
    os._exit(0)


# --- the parent: users, barriers, measurements ---

def sessiond_pid():
    out = subprocess.check_output(["systemctl", "show", "-P", "MainPID", "sessiond.service"]).decode().strip()
    return int(out)


def measure(pid):
    st = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon"):
                st[k] = int(v.split()[0])
    st["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return st


def settled(pid, fds=None, quiet=3.0, limit=30.0):
    """Measures once sessiond is quiet: its VmRSS unchanged for `quiet` seconds (its heap trim
    runs 2 s after the last disconnect, later on a loaded emulator) and, if given, its fd count
    back to `fds`. Gives up after `limit` seconds and returns what it sees then."""
    t0 = time.monotonic()
    last = measure(pid)
    since = t0
    while True:
        time.sleep(0.5)
        now = time.monotonic()
        cur = measure(pid)
        if cur["VmRSS"] != last["VmRSS"] or (fds is not None and cur["fds"] != fds):
            since = now
        last = cur
        if now - since >= quiet or now - t0 >= limit:
            last["settle_seconds"] = round(now - t0, 1)
            return last


def list_running(prefix):
    c = Conn()
    c.send("io.sessiond.Manager.List", {}, more=True)
    states = {}
    while True:
        r = c.recv()
        if "error" in r:
            raise RuntimeError(f"List: {r}")
        s = r.get("parameters", {}).get("session")
        if s and s["name"].startswith(prefix):
            count(states, s["state"])
        if not r.get("continues"):
            break
    c.close()
    return states


def units_left(prefix):
    out = subprocess.run(["systemctl", "list-units", "--all", "--plain", "--no-legend", f"sessiond-{prefix}*"],
                         capture_output=True, text=True).stdout
    return [l.split()[0] for l in out.splitlines() if l.strip()]


def ensure_user(name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True)
        return pwd.getpwnam(name).pw_uid


def main():
    n = int(sys.argv[1])
    n_users = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    uids = [0] + [ensure_user(f"sessload{i}") for i in range(1, n_users + 1)]
    per = [n // len(uids) + (1 if i < n % len(uids) else 0) for i in range(len(uids))]

    # One connection held open for the whole run: sessiond does not exit idle under us, and
    # the same pid is measured throughout. Verify is a call that does not start anything.
    keep = Conn()
    keep.send("io.sessiond.Manager.Verify", {"name": "ldprobe", "sessionText": "[Session]\n"})
    keep.recv()
    pid = sessiond_pid()
    figures = {"n": n, "uids": uids, "per_uid": per, "pid": pid, "before": settled(pid)}

    children = []
    for i, (uid, k) in enumerate(zip(uids, per)):
        names = [f"{PREFIX}{i}x{j}" for j in range(k)]
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(to_w)
            os.close(from_r)
            try:
                client(uid, names, to_r, from_w)
            finally:
                os._exit(1)
        os.close(to_r)
        os.close(from_w)
        children.append((child, uid, os.fdopen(to_w, "w"), os.fdopen(from_r, "r")))

    def run_phase(phase):
        t0 = time.monotonic()
        for _, _, w, _ in children:
            w.write("go\n")
            w.flush()
        res = []
        for _, uid, _, r in children:
            line = r.readline()
            res.append(json.loads(line) if line else {"errors": {"client died": 1}})
        dt = time.monotonic() - t0
        errors = {}
        for x in res:
            for k, v in x["errors"].items():
                errors[k] = errors.get(k, 0) + v
        return dt, errors, res

    dt, errors, res = run_phase("start")
    figures["start"] = {"seconds": round(dt, 2), "errors": errors,
                        "started": sum(len(x.get("started", [])) for x in res),
                        "reply_states": {k: sum(x["states"].get(k, 0) for x in res)
                                         for k in {s for x in res for s in x.get("states", {})}},
                        "measure": settled(pid)}    # the clients are gone: after the heap trim
    figures["start"]["listed"] = list_running(PREFIX)

    dt, errors, res = run_phase("exec")
    figures["exec"] = {"seconds": round(dt, 2), "errors": errors, "ran": sum(x.get("ran", 0) for x in res),
                       "bad_output": [b for x in res for b in x.get("bad_output", [])][:5],
                       "measure": measure(pid)}

    dt, errors, res = run_phase("stop")
    figures["stop"] = {"seconds": round(dt, 2), "errors": errors, "stopped": sum(x.get("stopped", 0) for x in res),
                       "measure": measure(pid)}
    for child, _, w, r in children:
        os.waitpid(child, 0)

    deadline = time.monotonic() + 120
    while units_left(PREFIX) and time.monotonic() < deadline:
        time.sleep(1)
    figures["units_left"] = units_left(PREFIX)
    figures["listed_after"] = list_running(PREFIX)
    figures["after"] = settled(pid, fds=figures["before"]["fds"])
    keep.close()
    for i in range(1, n_users + 1):
        subprocess.run(["userdel", f"sessload{i}"], capture_output=True)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
