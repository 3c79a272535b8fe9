#!/usr/bin/env bash
# make demo: two vigil load balancers (VRRP + nftables virtual server) in front of two web
# servers, and a client, all in network namespaces that are removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "make demo needs root (it builds network namespaces)" >&2
  exit 1
fi
export VIGIL_BUILD=${VIGIL_BUILD:-$here/../build/release}
exec /usr/bin/python3 "$here/demo.py" "$@"
