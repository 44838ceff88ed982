#!/usr/bin/env bash
# The README's demo, run inside the VM: a real session from a .session file, driven with
# sessionctl and watched with systemd's own tools.
set -uo pipefail

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "an 'outside' network for the demo: 198.51.100.2 and 203.0.113.2 serve TCP port 80"
ip netns add demo-out
ip link add demo-host type veth peer name demo-peer
ip link set demo-peer netns demo-out
ip addr add 198.51.100.1/24 dev demo-host && ip addr add 203.0.113.1/24 dev demo-host
ip link set demo-host up
ip -n demo-out addr add 198.51.100.2/24 dev demo-peer && ip -n demo-out addr add 203.0.113.2/24 dev demo-peer
ip -n demo-out link set demo-peer up
ip netns exec demo-out socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello from outside' &
outside=$!
trap 'kill $outside 2>/dev/null; ip netns del demo-out 2>/dev/null; ip link del demo-host 2>/dev/null' EXIT
sleep 1

say "the session file"
mkdir -p /etc/sessiond
cat >/etc/sessiond/demo-agent.session <<'S'
[Session]
Description=Demo agent session
Exec=/bin/sleep infinity
MaxRuntime=10min

[Resources]
MemoryMax=64M
TasksMax=32

[Egress]
Allow=198.51.100.2/32 tcp:80
S
cat /etc/sessiond/demo-agent.session
run sessionctl verify /etc/sessiond/demo-agent.session && echo "verify: no errors"

say "start it (sessiond is socket-activated) and look at it"
systemctl start sessiond.socket
run sessionctl start demo-agent
run sessionctl list
run systemctl status --no-pager --lines=0 sessiond-demo-agent.service

say "exec into it: a fork in the session's sandbox, output straight to this terminal"
run sessionctl exec demo-agent -- sh -c 'id; cat /proc/self/cgroup'
run sessionctl exec demo-agent -- sh -c 'cat /etc/shadow' || echo "-> exit status $? (denied)"
run sessionctl exec demo-agent -- sh -c 'touch /usr/evil' || echo "-> exit status $? (read-only host)"

say "egress: the allowed address answers, everything else is dropped"
run sessionctl exec demo-agent -- timeout 5 bash -c 'exec 3<>/dev/tcp/198.51.100.2/80 && head -n1 <&3' || echo "-> exit status $?"
run sessionctl exec demo-agent -- timeout 5 bash -c 'exec 3<>/dev/tcp/203.0.113.2/80 && head -n1 <&3' || echo "-> exit status $? (denied)"

say "a policy change while it runs (Varlink UpdateEgress): no restart, both filters follow"
run sessionctl egress demo-agent --allow="198.51.100.2/32 tcp:80" --allow="203.0.113.2/32 tcp:80"
run sessionctl exec demo-agent -- timeout 5 bash -c 'exec 3<>/dev/tcp/203.0.113.2/80 && head -n1 <&3' || echo "-> exit status $?"

say "limits: TasksMax=32 caps a fork bomb"
run sessionctl exec demo-agent -- sh -c 'for i in $(seq 100); do sleep 5 & done 2>&1 | tail -n1; wait' || true

say "live figures and the journal"
run sessionctl status demo-agent
run sessionctl --no-pager logs demo-agent -n 8
run journalctl --no-pager -o cat SESSIOND_SESSION=demo-agent -n 5

say "MemoryMax=64M: a 300M memory hog is OOM-killed by the kernel, and with systemd's default"
say "OOMPolicy=stop the session ends with result oom (other sessions are untouched)"
run sessionctl exec demo-agent -- sh -c 'head -c 300M /dev/zero | tail >/dev/null' || echo "-> exit status $?"
run cat /sys/fs/cgroup/sessiond.slice/sessiond-demo\\x2dagent.slice/memory.events 2>/dev/null || true
sleep 2
# OnEnd=discard: the ended session is forgotten at once; sessiond's journal keeps its result.
run journalctl --no-pager -o cat -u sessiond.service --grep 'demo-agent ended'

say "stop: nothing left behind"
run sessionctl stop demo-agent
run sessionctl list
systemctl list-units --all --no-legend 'sessiond-demo-agent.service' 'sessiond-demo\x2dagent.slice' | grep . ||
        echo "no sessiond-demo-agent units left"
