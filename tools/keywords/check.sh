#!/bin/sh
# Checks that every keyword the corpus uses and keepalived 2.2.7 accepts is in vigil's schema.
here=$(dirname "$0")
corpus=${1:-/work/shared/corpus}
exec python3 "$here/check.py" --src "$here/../.." "$corpus"/*.verdicts.tsv
