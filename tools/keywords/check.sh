#!/bin/sh
# Checks that every keyword of keepalived 2.2.7 (Debian's) and v2.4.3 (the newest release) is
# in vigil's schema, and that every keyword the corpus uses and keepalived 2.2.7 accepts is.
here=$(dirname "$0")
corpus=${1:-/work/shared/corpus}
repo=${KEEPALIVED_MIRROR:-/work/.mirror/acassen+keepalived/repo}
exec python3 "$here/check.py" --src "$here/../.." --repo "$repo" \
  --inventory v2.2.7 --inventory v2.4.3 "$corpus"/*.verdicts.tsv
