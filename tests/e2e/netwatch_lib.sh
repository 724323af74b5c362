#!/usr/bin/env bash
# Shared by the Netwatch end-to-end scripts (sourced after lib.sh): wanctl, waiting on
# /tool/netwatch, and breaking the network behind ISP1 while its gateway keeps answering.

WANCTL=${WANCTL:-$(dirname "$WANFWD")/wanctl}
# interval 1s, timeout 1s: down within interval + timeout of the break; allow a margin for
# the test's own polling.
BOUND=5

ctl() { "$WANCTL" --socket "$TB_TMP/api.sock" "$@"; }

# Waits up to BOUND seconds for `/tool/netwatch print` to count $2 items where $1.
wait_count() { # WHERE COUNT
    local i
    for ((i = 0; i < BOUND * 10; i++)); do
        [[ $(ctl "/tool/netwatch print count-only where $1" 2>/dev/null) == "$2" ]] && return 0
        sleep 0.1
    done
    ctl '/tool/netwatch print'
    return 1
}

# ISP1's network behind its gateway fails (its downlink goes down; the gateway itself
# keeps answering), or is repaired (the link and its routes come back).
upstream1() { # down|up
    if [[ $1 == down ]]; then
        ip -n wf-isp1 link set down0 down
    else
        ip -n wf-isp1 link set down0 up
        ip -n wf-isp1 route replace 192.0.2.10/32 via 192.0.2.2
        ip -n wf-isp1 route replace 192.0.2.100/32 via 192.0.2.2
    fi
}

# The distance of the route commented $1, from `/ip/route print` as JSON.
route_distance() { # COMMENT
    ctl --json '/ip/route print' | python3 -c '
import json, sys
print(next(i["distance"] for i in json.load(sys.stdin) if i.get("comment") == sys.argv[1]))' "$1"
}
