#!/usr/bin/env bash
# Runs every benchmark and prints its figures beside the reference. Never asserts on time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export VIGIL_BUILD=${VIGIL_BUILD:-$here/../build/release}
for b in "$here"/*.py; do
  echo "== $(basename "$b")"
  /usr/bin/python3 "$b"
  echo
done
