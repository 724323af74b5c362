#!/usr/bin/env bash
# End to end: plain IPv4 forwarding through wanfwd between the LAN host and the hosts behind
# ISP1 (default route) and ISP2 (a /32 route), with ping, traceroute and TCP. No NAT yet.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

testbed_trap
testbed_up
wanfwd_config "$TB_TMP/wanfwd.yaml"
check "wanfwd starts and reports ready" wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd.log"
if [[ -z $WANFWD_PID ]]; then
    e2e_summary
    exit 1
fi

check "LAN host pings the router 192.168.1.1" tb_ping wf-lan 192.168.1.1
check "LAN host pings 192.0.2.10 (behind ISP1, default route)" tb_ping wf-lan 192.0.2.10
check "LAN host pings 192.0.2.20 (behind ISP2, /32 route)" tb_ping wf-lan 192.0.2.20
check "traceroute 192.0.2.10: hop 1 192.168.1.1, hop 2 203.0.113.1, arrives" \
    tb_traceroute wf-lan 192.0.2.10 192.168.1.1 203.0.113.1

tb_random_file "$TB_TMP/8M.bin" 8M
check "TCP 8 MB LAN host -> 192.0.2.10, sha256 matches" \
    tb_tcp_transfer wf-lan wf-host1 192.0.2.10 "$TB_TMP/8M.bin"
check "TCP 8 MB 192.0.2.10 -> LAN host, sha256 matches" \
    tb_tcp_transfer wf-host1 wf-lan 192.168.1.10 "$TB_TMP/8M.bin"

before=$(tb_metric 'wanfwd_worker_rx_packets_total{worker="0"}')
in_ns wf-lan ping -c 5 -i 0.2 -q 192.0.2.10 >/dev/null 2>&1 || true
sleep 1.5 # the control core samples once a second
after=$(tb_metric 'wanfwd_worker_rx_packets_total{worker="0"}')
check "metrics endpoint: worker 0's rx packets move ($before -> $after)" test "$after" -ge $((before + 5))
check "metrics endpoint: ISP1's gateway is up" \
    test "$(tb_metric 'wanfwd_nexthop_up{address="203.0.113.1",interface="ether1"}')" = 1

check "ping 203.0.113.99 (nobody there) fails cleanly" tb_no_reply wf-lan 203.0.113.99
check "wanfwd still running afterwards" kill -0 "$WANFWD_PID"
check "and still forwarding" tb_ping wf-lan 192.0.2.10 3

echo "=== stopping wanfwd (SIGINT)"
rc=0
wanfwd_stop || rc=$?
check "wanfwd exits with status 0 on SIGINT (got $rc)" test "$rc" -eq 0

e2e_summary
