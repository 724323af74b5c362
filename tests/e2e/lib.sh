#!/usr/bin/env bash
# Shared helpers of the end-to-end tests; source it. It brings in scripts/testbed.sh.
#   check "description" CMD...   run CMD, print PASS/FAIL; on failure its output and the state
#   e2e_summary                  print 'N passed, N failed'; returns non-zero if any failed
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
