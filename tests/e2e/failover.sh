#!/usr/bin/env bash
# End to end: the guide's failover set-ups on real hosts. 192.0.2.100 answers behind both
# ISPs; which far host receives the LAN host's traffic tells which WAN wanfwd chose.
#   1. distance failover with check-gateway=ping on the primary default route
#   2. recursive anchor routes (the guide's "master switch")
#   3. ECMP at equal distance: flows spread over both WANs, and shrink to one on failure
#   4. no check-gateway: failover when the interface's link goes down
# ISP1's gateway is taken down by making it stop answering and forwarding (its link stays
# up), or for the last scenario by setting its link down. With a probe
# interval of 1 s and a count of 3, RouterOS semantics give failover within
# interval x count + interval = 4 s; the check allows one more second for the test's own
# polling and prints the time measured.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

INTERVAL=1
COUNT=3
BOUND=$((INTERVAL * COUNT + INTERVAL + 1))
SETTINGS="/routing/settings: { check-gateway-ping-interval: ${INTERVAL}s, check-gateway-ping-timeout: ${INTERVAL}s, check-gateway-ping-count: $COUNT }"

# Waits up to BOUND seconds for traffic to take WAN $1 (isp1|isp2) while the LAN host pings
# every 0.1 s; prints the seconds it took, to the tenth. Fails past the bound.
wait_path() {
    local host=wf-host${1#isp} start base now ping_pid rc=1
    start=$(date +%s%N)
    base=$(tb_rx_packets "$host" up0)
    in_ns wf-lan ping -i 0.1 -W 1 192.0.2.100 >/dev/null 2>&1 &
    ping_pid=$!
    while :; do
        now=$(date +%s%N)
        if (($(tb_rx_packets "$host" up0) - base >= 3)); then
            echo "$(((now - start) / 100000000))" | sed 's/.$/.&/; s/^\./0./'
            rc=0
            break
        fi
        if (((now - start) / 1000000000 >= BOUND)); then
            echo "traffic did not move to $1 within ${BOUND}s"
            break
        fi
        sleep 0.1
    done
    kill "$ping_pid" 2>/dev/null || true
    wait "$ping_pid" 2>/dev/null || true
    return $rc
}

# ISP1's gateway fails (WAY=dead: it stops answering and forwarding, its link stays up, the
# case check-gateway is for; WAY=link: its link goes down) or comes back.
isp1() { # WAY up|down
    if [[ $1 == link ]]; then
        ip -n wf-isp1 link set wan0 "$2"
    elif [[ $2 == down ]]; then
        in_ns wf-isp1 sysctl -qw net.ipv4.ip_forward=0 net.ipv4.icmp_echo_ignore_all=1
    else
        in_ns wf-isp1 sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_echo_ignore_all=0
    fi
}

failover_check() { # NAME WAY: take ISP1 down, expect ISP2; bring it back, expect ISP1
    local name=$1 way=$2 t
    check "$name: traffic to 192.0.2.100 leaves by ISP1" test "$(path_now)" = isp1
    isp1 "$way" down
    if t=$(wait_path isp2); then
        check "$name: ISP1's gateway down -> traffic moves to ISP2 in ${t}s (bound ${BOUND}s)" true
    else
        check "$name: ISP1's gateway down -> traffic moves to ISP2 within ${BOUND}s" false
    fi
    isp1 "$way" up
    if t=$(wait_path isp1); then
        check "$name: ISP1's gateway back -> traffic returns to ISP1 in ${t}s" true
    else
        check "$name: ISP1's gateway back -> traffic returns to ISP1 within ${BOUND}s" false
    fi
}

run_scenario() { # NAME ROUTING-YAML
    local name=$1
    wanfwd_config "$TB_TMP/$name.yaml" "$2"
    check "$name: wanfwd starts" wanfwd_start "$TB_TMP/$name.yaml" "$TB_TMP/$name.log"
    [[ -n $WANFWD_PID ]]
}

testbed_trap
testbed_up

if run_scenario distance "$SETTINGS
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, check-gateway: ping, comment: wan1-default }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, comment: wan2-default }"; then
    failover_check distance dead
    check "distance: the log records the gateway's state changes" \
        grep -q "check-gateway: gateway 203.0.113.1 .* is now Unreachable" "$WANFWD_LOG"
    wanfwd_stop >/dev/null
fi

if run_scenario link "/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, comment: wan1-default }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, comment: wan2-default }"; then
    # No check-gateway: the route still goes when its interface's link does (the veth's
    # carrier drops when ISP1 sets its end down).
    failover_check link link
    check "link: the log records the link going down" grep -q "interface ether1: link down" "$WANFWD_LOG"
    wanfwd_stop >/dev/null
fi

if run_scenario anchor "$SETTINGS
/ip/route:
  - { dst-address: 203.0.113.1/32, gateway: 203.0.113.1%ether1, check-gateway: ping, distance: 1, scope: 10, target-scope: 20 }
  - { dst-address: 198.51.100.1/32, gateway: 198.51.100.1%ether2, check-gateway: ping, distance: 1, scope: 10, target-scope: 20 }
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, scope: 20 }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, scope: 20 }"; then
    failover_check anchor dead
    wanfwd_stop >/dev/null
fi

if run_scenario ecmp "$SETTINGS
/ip/settings: { ecmp-hash-policy: l4 }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, check-gateway: ping }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 1, check-gateway: ping }"; then
    # 64 UDP flows (one source port each): with l4 hashing both WANs carry some.
    send_flows() {
        in_ns wf-lan python3 -c '
import socket
for p in range(40000, 40064):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.168.1.10", p))
    for _ in range(3):
        s.sendto(b"wanfwd-ecmp", ("192.0.2.100", 9))
    s.close()'
    }
    spread() { # prints "host1 host2" packets received while the flows were sent
        local a1 a2
        a1=$(tb_rx_packets wf-host1 up0)
        a2=$(tb_rx_packets wf-host2 up0)
        send_flows
        sleep 0.5
        echo "$(($(tb_rx_packets wf-host1 up0) - a1)) $(($(tb_rx_packets wf-host2 up0) - a2))"
    }
    read -r h1 h2 < <(spread)
    check "ecmp: 64 flows spread over both WANs (ISP1 $h1, ISP2 $h2 packets of 192)" \
        test "$h1" -ge 30 -a "$h2" -ge 30
    isp1 dead down
    sleep "$BOUND"
    read -r h1 h2 < <(spread)
    check "ecmp: ISP1 down -> every flow by ISP2 (ISP1 $h1, ISP2 $h2)" test "$h2" -ge 192 -a "$h1" -le 1
    isp1 dead up
    sleep "$BOUND"
    read -r h1 h2 < <(spread)
    check "ecmp: ISP1 back -> it takes a share again (ISP1 $h1, ISP2 $h2)" test "$h1" -ge 30 -a "$h2" -ge 30
    rc=0
    wanfwd_stop >/dev/null || rc=$?
    check "ecmp: wanfwd exits with status 0" test "$rc" -eq 0
fi

e2e_summary
