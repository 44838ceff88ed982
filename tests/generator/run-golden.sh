#!/usr/bin/env bash
# Golden tests for sessiond-generator and `sessionctl verify`.
#
#   run-golden.sh GENERATOR SESSIONCTL [--update]
#
# good/ and good-usr/ form a two-directory search path; the generator's output tree (files and
# .wants/.requires links) must equal expected/, with the fixture directory written as @GOOD@ /
# @GOOD_USR@. Every bad/NAME.session must make `sessionctl verify` exit 1 and print exactly
# bad/NAME.err; the generator must skip it, write nothing for it and exit 0 (1 with --strict).
set -euo pipefail

gen=$(realpath "$1")
ctl=$(realpath "$2")
update=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# --- good: generate, normalize, compare ---
mkdir "$tmp/out"
if ! SESSIOND_UNIT_PATH="$here/good:$here/good-usr" "$gen" "$tmp/out" "$tmp/out" "$tmp/out" 2>"$tmp/gen.err"; then
        fail "generator failed on good fixtures"
fi
[[ -s $tmp/gen.err ]] && { cat "$tmp/gen.err" >&2; fail "generator logged errors on good fixtures"; }
find "$tmp/out" -type f -exec sed -i -e "s|$here/good-usr|@GOOD_USR@|g" -e "s|$here/good|@GOOD@|g" {} +
# No temporary files may be left behind.
if find "$tmp/out" -name '.#*' | grep -q .; then fail "temporary files left in the output"; fi

if [[ $update == --update ]]; then
        rm -rf "$here/expected"
        cp -a "$tmp/out" "$here/expected"
        echo "updated $here/expected"
fi
if ! diff -r --no-dereference -u "$here/expected" "$tmp/out"; then
        fail "generator output differs from expected/"
fi

# Running again over existing output (daemon-reload) gives the same tree.
SESSIOND_UNIT_PATH="$here/good:$here/good-usr" "$gen" "$tmp/out" "$tmp/out" "$tmp/out" 2>/dev/null ||
        fail "second generator run failed"
find "$tmp/out" -type f -exec sed -i -e "s|$here/good-usr|@GOOD_USR@|g" -e "s|$here/good|@GOOD@|g" {} +
diff -r --no-dereference -q "$here/expected" "$tmp/out" >/dev/null || fail "second run differs"

# --dry-run writes nothing and prints every unit.
mkdir "$tmp/dry"
SESSIOND_UNIT_PATH="$here/good:$here/good-usr" "$gen" --dry-run "$tmp/dry" >"$tmp/dry.txt" ||
        fail "--dry-run failed"
[[ -z $(ls -A "$tmp/dry") ]] || fail "--dry-run wrote files"
n_units=$(find "$here/expected" -maxdepth 1 -type f | wc -l)
n_printed=$(grep -c "^# $tmp/dry/sessiond-" "$tmp/dry.txt" || true)
[[ $n_units == "$n_printed" ]] || fail "--dry-run printed $n_printed units, expected $n_units"

# The good fixtures also pass verify (references are not checked for files under /srv etc.:
# only syntax; full.session refers to missing files on purpose, so it is left out).
for f in "$here"/good/*.session "$here"/good-usr/*.session; do
        case $(basename "$f") in full.session | masked.session | my-agent.session) continue ;; esac
        [[ -e $f ]] || continue
        if ! "$ctl" verify "$f" 2>"$tmp/verify.err"; then
                cat "$tmp/verify.err" >&2
                fail "verify rejected good fixture $f"
        fi
done

# --- bad: exact messages from verify, skipped by the generator ---
n_bad=0
for f in "$here"/bad/*.session; do
        name=$(basename "$f" .session)
        n_bad=$((n_bad + 1))
        rc=0
        (cd "$here/bad" && "$ctl" verify "$name.session") 2>"$tmp/$name.actual" || rc=$?
        if [[ $update == --update ]]; then
                cp "$tmp/$name.actual" "$here/bad/$name.err"
        fi
        [[ $rc == 1 ]] || fail "bad/$name: verify exited $rc, expected 1"
        if ! diff -u "$here/bad/$name.err" "$tmp/$name.actual"; then
                fail "bad/$name: messages differ"
        fi
done
((n_bad >= 25)) || fail "only $n_bad bad fixtures"

mkdir "$tmp/bad-out"
rc=0
SESSIOND_UNIT_PATH="$here/bad:$here/good" "$gen" "$tmp/bad-out" "$tmp/bad-out" "$tmp/bad-out" 2>"$tmp/bad-gen.err" || rc=$?
[[ $rc == 0 ]] || fail "generator exited $rc with bad files present, expected 0"
grep -q 'skipping' "$tmp/bad-gen.err" || fail "generator did not log skipped files"
[[ -e $tmp/bad-out/sessiond-minimal.service ]] || fail "good session next to bad ones was not generated"
for f in "$here"/bad/*.session; do
        name=$(basename "$f" .session)
        [[ $name == verify-* ]] && continue  # only verify checks references
        [[ ! -e $tmp/bad-out/sessiond-$name.service ]] || fail "bad/$name was generated"
done
rc=0
SESSIOND_UNIT_PATH="$here/bad" "$gen" --strict "$tmp/bad-out" "$tmp/bad-out" "$tmp/bad-out" 2>/dev/null || rc=$?
[[ $rc == 1 ]] || fail "--strict exited $rc with bad files, expected 1"

# Usage errors exit 2.
rc=0
"$gen" 2>/dev/null || rc=$?
[[ $rc == 2 ]] || fail "no arguments: exit $rc, expected 2"

if ((failures > 0)); then
        echo "$failures failure(s)" >&2
        exit 1
fi
echo "ok: $(find "$here/expected" -type f | wc -l) units, $n_bad bad fixtures"
