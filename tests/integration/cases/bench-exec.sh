#!/usr/bin/env bash
# Runs tests/bench/bench-exec, only when asked for by name (tests/vm/run vm 'bench-*'): too slow for
# every run. The Markdown it prints is what BENCHMARKS.md quotes.
. "$SESSIOND_TEST_DIR/lib.sh"
grep -qs '^bench' /etc/sessiond-vmtest/patterns || skip "benchmarks run only when selected: tests/vm/run vm 'bench-*'"
command -v hyperfine >/dev/null || skip "hyperfine missing"
CTL=$HELPERS/agentctl "$HELPERS/bench/bench-exec"
