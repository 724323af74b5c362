#!/usr/bin/env bash
# Shared helpers of the end-to-end tests; source it. It brings in scripts/testbed.sh.
#   check "description" CMD...   run CMD, print PASS/FAIL; on failure its output and the state
#   e2e_summary                  print 'N passed, N failed'; returns non-zero if any failed
#   path_now                     which far host the LAN host's pings to 192.0.2.100 reach:
#                                isp1, isp2, both or none
set -euo pipefail

# shellcheck source=SCRIPTDIR/../../scripts/testbed.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/testbed.sh"

E2E_PASSED=0
E2E_FAILED=0

e2e_dump() { # the state worth seeing when a check fails; never fails itself
    local dev pair
    if [[ -n $WANFWD_PID ]]; then
        echo "      --- wanfwd running as PID $WANFWD_PID"
    else
        echo "      --- wanfwd not running"
    fi
    if [[ -n $WANFWD_LOG && -f $WANFWD_LOG ]]; then
        echo "      --- wanfwd log (last 20 lines)"
        tail -n 20 "$WANFWD_LOG" | sed 's/^/      /' || true
    fi
    echo "      --- ip -s link: router ends (root namespace), then the hosts' ends"
    for dev in "${TB_ROOT_DEVS[@]}"; do
        ip -s link show "$dev" 2>/dev/null | sed 's/^/      /' || true
    done
    for pair in wf-lan:lan0 wf-isp1:wan0 wf-isp2:wan0; do
        echo "      [${pair%:*}]"
        ip -n "${pair%:*}" -s link show "${pair#*:}" 2>/dev/null | sed 's/^/      /' || true
        ip -n "${pair%:*}" neigh show 2>/dev/null | sed 's/^/      neigh /' || true
    done
}

check() { # "description" CMD...
    local desc=$1 out
    shift
    out=$(mktemp)
    if "$@" >"$out" 2>&1; then
        echo "PASS  $desc"
        E2E_PASSED=$((E2E_PASSED + 1))
    else
        echo "FAIL  $desc"
        tail -n 30 "$out" | sed 's/^/      /' || true
        e2e_dump
        E2E_FAILED=$((E2E_FAILED + 1))
    fi
    rm -f "$out"
}

e2e_summary() {
    echo "$E2E_PASSED passed, $E2E_FAILED failed"
    ((E2E_FAILED == 0))
}

# Which far host the next pings reach: prints isp1, isp2, both or none.
path_now() {
    local a1 a2 b1 b2
    a1=$(tb_rx_packets wf-host1 up0)
    a2=$(tb_rx_packets wf-host2 up0)
    in_ns wf-lan ping -c 3 -i 0.2 -W 1 -q 192.0.2.100 >/dev/null 2>&1 || true
    b1=$(tb_rx_packets wf-host1 up0)
    b2=$(tb_rx_packets wf-host2 up0)
    local d1=$((b1 - a1)) d2=$((b2 - a2))
    if ((d1 >= 3 && d2 >= 3)); then
        echo both
    elif ((d1 >= 3)); then
        echo isp1
    elif ((d2 >= 3)); then
        echo isp2
    else
        echo none
    fi
}
