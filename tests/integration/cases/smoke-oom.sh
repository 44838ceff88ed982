#!/usr/bin/env bash
# A transient unit with MemoryMax= is OOM-killed when a process in it goes over the limit,
# and a unit under the limit is not.
. "$SESSIOND_TEST_DIR/lib.sh"

step "a 200M hog under MemoryMax=32M"
out=$(systemd-run --wait --collect --unit=smoke-oom-hog -p MemoryMax=32M -p MemorySwapMax=0 \
        sh -c 'head -c 200M /dev/zero | tail >/dev/null' 2>&1 || true)
echo "$out"
assert_match "$out" "Finished with result: oom-kill" "hog result"

step "a 8M process under the same limit"
out=$(systemd-run --wait --collect --unit=smoke-oom-ok -p MemoryMax=32M -p MemorySwapMax=0 \
        sh -c 'head -c 8M /dev/zero | tail >/dev/null' 2>&1)
echo "$out"
assert_match "$out" "Finished with result: success" "small process result"
