#!/usr/bin/env bash
# make demo: two vigil load balancers (VRRP + nftables virtual server, and HAProxy tracked by
# keepalived's classic `killall -0 haproxy` script) in front of two web servers, and a
# client, all in network namespaces that are removed at the end. VIGIL_DEMO_KEEP=1 keeps the
# directory of configurations and logs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "make demo needs root (it builds network namespaces)" >&2
  exit 1
fi
export VIGIL_BUILD=${VIGIL_BUILD:-$here/../build/release}
exec /usr/bin/python3 "$here/demo.py" "$@"
