#!/usr/bin/env bash
# Runs every benchmark and prints its figures beside the reference. Never asserts on time.
# VIGIL_BUILD is the build directory (default build/release); the lab benchmarks need root
# and skip themselves otherwise.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export VIGIL_BUILD=${VIGIL_BUILD:-$here/../build/release}
failed=()
for b in "$here"/*.py; do
  echo "== $(basename "$b")"
  if ! /usr/bin/python3 "$b"; then
    failed+=("$(basename "$b")")
  fi
  echo
done
if ((${#failed[@]})); then
  echo "benchmarks that failed to run: ${failed[*]}"
  exit 1
fi
