#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given -fuzztime each
# (default 10s; "2000x" means 2000 inputs, which CI uses: a count, unlike
# a short duration, cannot end a worker mid-input).
set -euo pipefail
t=${1:-10s}
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -l '^func Fuzz' "$dir"/*_test.go 2>/dev/null); do
    for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
      echo "fuzz $pkg $name ($t)"
      go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg" >/tmp/floe-fuzz.log 2>&1 || { cat /tmp/floe-fuzz.log; exit 1; }
    done
  done
done
