#!/usr/bin/env bash
# End to end: the guide's Netwatch failover, where ISP1's gateway still answers but the
# network behind it is broken, which check-gateway alone cannot see. Netwatch pings
# 192.0.2.10 (a host behind ISP1 only) every second, pinned to ISP1's gateway (gateway=, our
# own property), and its scripts raise the primary default route's distance to 20 when the
# host stops answering and put it back to 1 when it answers again. 192.0.2.100 answers
# behind both ISPs: which far host receives the LAN host's pings tells which WAN carries
# the traffic. Since the probe is pinned, it keeps testing ISP1 while traffic has failed
# over to ISP2, so the return to ISP1 is seen too.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/netwatch_lib.sh
source "$(dirname "$0")/netwatch_lib.sh"

# The metrics endpoint shows wanfwd_netwatch_up{host="$1"} = $2 within 3 s (sampled each second).
netwatch_metric() { # HOST VALUE
    local i
    for ((i = 0; i < 30; i++)); do
        curl -sf "http://127.0.0.1:$TB_METRICS_PORT/metrics" |
            grep -qx "wanfwd_netwatch_up{host=\"$1\"} $2" && return 0
        sleep 0.1
    done
    return 1
}

testbed_trap
testbed_up
wanfwd_config "$TB_TMP/wanfwd.yaml" '/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, comment: wan1-default }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, comment: wan2-default }
/tool/netwatch:
  - host: 192.0.2.10
    interval: 1s
    timeout: 1s
    gateway: 203.0.113.1
    comment: wan1-upstream
    up-script: |
      :log info "WAN1 upstream UP"
      /ip/route set [find comment="wan1-default"] distance=1
    down-script: |
      :log warning "WAN1 upstream DOWN - failing over"
      /ip/route set [find comment="wan1-default"] distance=20'
check "wanfwd starts" wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd.log"
if [[ -z $WANFWD_PID ]]; then
    e2e_summary
    exit 1
fi

check "netwatch: 192.0.2.10 is up" wait_count status=up 1
out=$(ctl '/tool/netwatch print' 2>&1 || true)
echo "$out"
check "/tool/netwatch print: HOST TYPE INTERVAL STATUS SINCE columns" \
    grep -qE '^ *# +HOST +TYPE +INTERVAL +STATUS +SINCE' <<<"$out"
check "/tool/netwatch print: 192.0.2.10 icmp 1s up" \
    grep -qE '^ *0 +192\.0\.2\.10 +icmp +1s +up +[0-9]{4}-' <<<"$out"
check "the log records the up-script's :log" grep -q 'script: WAN1 upstream UP' "$WANFWD_LOG"
check "traffic to 192.0.2.100 leaves by ISP1" test "$(path_now)" = isp1
check "print detail counts done tests" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/tool/netwatch print detail' | grep -qE 'done-tests=[1-9]'"

# Break the network behind ISP1; its gateway still answers pings.
upstream1 down
check "ISP1's gateway still answers the LAN host" in_ns wf-lan ping -c 2 -i 0.2 -W 1 -q 203.0.113.1
check "netwatch: 192.0.2.10 goes down within ${BOUND}s" wait_count status=down 1
check "the down-script ran (:log warning)" grep -q 'script: WAN1 upstream DOWN - failing over' "$WANFWD_LOG"
check "the primary route now has distance 20" test "$(route_distance wan1-default)" = 20
check "traffic to 192.0.2.100 moves to ISP2" test "$(path_now)" = isp2
check "metrics: wanfwd_netwatch_up{host=\"192.0.2.10\"} 0" netwatch_metric 192.0.2.10 0
check "failed-tests counted" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/tool/netwatch print detail' | grep -qE 'failed-tests=[1-9]'"

# A second watch added live, pinned to ISP2: it goes up although the routes prefer ISP1.
check "wanctl adds a netwatch pinned to ISP2" \
    ctl '/tool/netwatch add host=192.0.2.20 interval=1s timeout=1s gateway=198.51.100.1'
check "netwatch: 192.0.2.20 (via ISP2) is up" wait_count "host=192.0.2.20 and status=up" 1
check "a bad netwatch is refused" bash -c "! '$WANCTL' --socket '$TB_TMP/api.sock' '/tool/netwatch add host=192.0.2.30 type=http-get'"

# Repair: the pinned probe still goes by ISP1 and sees the host again.
upstream1 up
check "netwatch: 192.0.2.10 comes back up within ${BOUND}s" wait_count "host=192.0.2.10 and status=up" 1
check "traffic to 192.0.2.100 returns to ISP1" test "$(path_now)" = isp1
check "metrics: wanfwd_netwatch_up{host=\"192.0.2.10\"} 1" netwatch_metric 192.0.2.10 1
check "the log records the state changes" grep -q 'netwatch: 192.0.2.10 is now down' "$WANFWD_LOG"

rc=0
wanfwd_stop >/dev/null || rc=$?
check "wanfwd exits with status 0" test "$rc" -eq 0
e2e_summary
