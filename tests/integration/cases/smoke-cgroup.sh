#!/usr/bin/env bash
# The unified cgroup hierarchy is mounted and offers the controllers sessions are limited with.
. "$SESSIOND_TEST_DIR/lib.sh"

fstype=$(stat -f -c %T /sys/fs/cgroup)
assert_eq "$fstype" cgroup2fs "/sys/fs/cgroup filesystem"

controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
echo "controllers: $controllers"
for c in memory cpu pids io; do
        [[ " $controllers " == *" $c "* ]] || fail "controller $c missing"
done

# And they are delegated down to system.slice, where services live.
sub=$(cat /sys/fs/cgroup/system.slice/cgroup.controllers)
for c in memory cpu pids; do
        [[ " $sub " == *" $c "* ]] || fail "controller $c not enabled for system.slice"
done
