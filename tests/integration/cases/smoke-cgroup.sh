#!/usr/bin/env bash
# The unified cgroup hierarchy is mounted, offers the controllers sessions are limited with, and
# systemd writes unit limits into it.
. "$SESSIOND_TEST_DIR/lib.sh"

fstype=$(stat -f -c %T /sys/fs/cgroup)
assert_eq "$fstype" cgroup2fs "/sys/fs/cgroup filesystem"

controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
echo "controllers: $controllers"
for c in memory cpu pids io; do
        [[ " $controllers " == *" $c "* ]] || fail "controller $c missing"
done

# systemd enables controllers lazily: a unit that asks for limits gets them in its own cgroup.
cleanup_units+=(smoke-cgroup.service)
systemd-run -q --unit=smoke-cgroup -p MemoryMax=48M -p CPUQuota=50% -p TasksMax=17 sleep 300
cg=/sys/fs/cgroup/system.slice/smoke-cgroup.service
wait_until 30 test -e "$cg/pids.max"
assert_eq "$(cat $cg/memory.max)" $((48 * 1024 * 1024)) memory.max
assert_eq "$(cat $cg/cpu.max)" "50000 100000" cpu.max
assert_eq "$(cat $cg/pids.max)" 17 pids.max
