#!/usr/bin/env bash
# wanfwd in five minutes: set up the machine, build, put wanfwd between a LAN host and two ISPs
# (network namespaces), ping and traceroute through it, then stop it so that it prints its
# counters. Everything it creates is removed when it ends. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

heading() { printf '\n==== %s ====\n' "$*"; }

heading "1. Set-up: packages, hugepages, cargo"
bash scripts/setup.sh
cargo_env=${CARGO_HOME:-${HOME:-/root}/.cargo}/env
# shellcheck source=/dev/null
[[ -f $cargo_env ]] && source "$cargo_env"

heading "2. Build (cargo build --release)"
cargo build --release --workspace

heading "3. Testbed: a LAN host, two ISPs and a host behind each, in network namespaces"
# shellcheck source=SCRIPTDIR/testbed.sh
source scripts/testbed.sh
testbed_trap
testbed_up
testbed_status

heading "4. Start wanfwd with this configuration"
wanfwd_config "$TB_TMP/wanfwd.yaml"
cat "$TB_TMP/wanfwd.yaml"
wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd.log"
echo "wanfwd is running (PID $WANFWD_PID) and forwarding"

ok=1
heading "5. The routes, as an operator sees them: wanctl '/ip/route print'"
"$(dirname "$WANFWD")/wanctl" --socket "$TB_TMP/api.sock" '/ip/route print' || ok=0

heading "6. The LAN host (192.168.1.10) pings 192.0.2.10, behind ISP1"
in_ns wf-lan ping -c 5 192.0.2.10 || ok=0

heading "7. traceroute from the LAN host: wanfwd (192.168.1.1), ISP1 (203.0.113.1), the host"
in_ns wf-lan traceroute -n -q 1 -w 2 -m 10 192.0.2.10 || ok=0

heading "8. Stop wanfwd (SIGINT): its counters"
wanfwd_stop || ok=0

heading "9. Tear down the testbed"
testbed_down
echo "done"
((ok)) || { echo "demo: something above failed" >&2; exit 1; }
