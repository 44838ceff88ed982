#!/usr/bin/env bash
# Runs tests/bench/bench-exec, only when asked for by name (tests/vm/run vm 'bench-*'): too slow for
# every run. The Markdown it prints is what BENCHMARKS.md quotes.
. "$SESSIOND_TEST_DIR/lib.sh"
grep -qs '^bench' /etc/sessiond-vmtest/patterns || skip "benchmarks run only when selected: tests/vm/run vm 'bench-*'"
command -v hyperfine >/dev/null || skip "hyperfine missing"
# TCG on a shared host moves ~10-50 MB/s: 256 MiB keeps the case inside its timeout (1G: SIZE=1G).
CTL=$HELPERS/agentctl RUNS=10 SIZE=256M "$HELPERS/bench/bench-exec"
