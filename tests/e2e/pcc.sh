#!/usr/bin/env bash
# End to end: the guide's PCC load balancing with masquerade and main-table fallback, on real
# hosts. The ISPs know no route to the LAN: only translated traffic can come back.
# 192.0.2.100 answers behind both ISPs, each answer naming the host and the source it saw.
#   - TCP connections from several LAN addresses and ports spread over both WANs about evenly,
#     each seen with its WAN's address (masquerade), and every answer comes back;
#   - every datagram of a UDP flow leaves by the same WAN with the same address and port;
#   - ICMP: ping works, traceroute's time-exceeded and port-unreachable come back translated;
#   - /ip/firewall/connection print shows the marks;
#   - ISP1's gateway fails (check-gateway): new connections leave by ISP2; a flow pinned to
#     WAN1 is broken until `/ip/firewall/connection remove [find connection-mark=wan1_conn]`,
#     and then re-establishes through ISP2.
# Fragments are tested on net_pcap ports (fwd/tests/pcap_fragments.rs): net_af_packet has
# the kernel reassemble them (its packet fanout asks for defragmentation), so the router
# would see whole datagrams here.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/nat_lib.sh
source "$(dirname "$0")/nat_lib.sh"

WANCTL=${WANCTL:-$(dirname "$WANFWD")/wanctl}
INTERVAL=1
COUNT=3
BOUND=$((INTERVAL * COUNT + INTERVAL + 1))

ctl() { "$WANCTL" --socket "$TB_TMP/api.sock" "$@"; }

testbed_trap
nat_testbed_up

wanfwd_config "$TB_TMP/wanfwd.yaml" "/routing/settings: { check-gateway-ping-interval: ${INTERVAL}s, check-gateway-ping-timeout: ${INTERVAL}s, check-gateway-ping-count: $COUNT }
$(sed -n '/^\/interface\/list:/,/^\/ip\/address:/p' "$(dirname "$0")/../../configs/pcc.yaml" | sed '$d')
$(sed -n '/^\/routing\/table:/,$p' "$(dirname "$0")/../../configs/pcc.yaml")"
if [[ ${PCC_WORKERS:-1} -gt 1 ]]; then
    # Several workers on queues the device fills by its own hash (af_packet's fanout): the
    # software hand-off must bring both directions of each connection to its owner. This
    # machine may have fewer cores than lcores: map the extra workers onto CPU 1.
    lcores="0@0"
    for ((w = 1; w <= PCC_WORKERS; w++)); do lcores+=",$w@1"; done
    sed -i -e "s/iface=\(wfr-[a-z0-9]*\)\"/iface=\1,qpairs=$PCC_WORKERS\"/" \
        -e "s/\"-l\", \"0,1\"/\"--lcores\", \"$lcores\"/" \
        -e "s/^  workers: 1$/  workers: $PCC_WORKERS/" "$TB_TMP/wanfwd.yaml"
fi
check "wanfwd starts with the guide's PCC configuration (${PCC_WORKERS:-1} worker(s))" \
    wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd.log"
if [[ -z $WANFWD_PID ]]; then
    e2e_summary
    exit 1
fi
sleep 2 # first probes and ARP

check "LAN host pings 192.0.2.100 through the NAT" tb_ping wf-lan 192.0.2.100

scrape() { # SERIES...: their values from one scrape of the metrics endpoint, one per line (0 if absent)
    python3 - "$TB_METRICS_PORT" "$@" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
values = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
for series in sys.argv[2:]:
    print(int(float(values.get(series, 0))))
PY
}
# Forwarded packets per routing table and per nexthop (summed over the workers): tables
# to_wan1 to_wan2 main, then ISP1's and ISP2's gateways and the LAN (connected).
traffic() {
    local t n series=()
    for t in to_wan1 to_wan2 main; do
        series+=("wanfwd_routing_table_packets_total{routing_table=\"$t\"}")
    done
    for n in 203.0.113.1,ether1 198.51.100.1,ether2 bridge,bridge; do
        series+=("wanfwd_nexthop_packets_total{address=\"${n%,*}\",interface=\"${n#*,}\"}")
    done
    scrape "${series[@]}"
}
sleep 1.5 # a metrics sample after the ping
mapfile -t traffic_before < <(traffic)

# TCP: 4 LAN addresses x 20 connections.
in_ns wf-lan python3 "$PEER" tcp 192.0.2.100 "$PORT" "${LAN_HOSTS[@]}" --per 20 >"$TB_TMP/tcp.txt"
read -r n h1 h2 bad < <(tcp_split "$TB_TMP/tcp.txt")
check "TCP: all 80 connections answered ($n)" test "$n" -eq 80
check "TCP: both WANs carry about half (ISP1 $h1, ISP2 $h2 of 80)" test "$h1" -ge 24 -a "$h2" -ge 24
check "TCP: each seen from its WAN's address (wrong: $bad)" test "$bad" -eq 0

# UDP: flows of 5 datagrams each; every answer of a flow names the same host and source.
udp_consistent() {
    local f out
    for f in 40001 40002 40003 40004 40005 40006 40007 40008; do
        out=$(in_ns wf-lan python3 "$PEER" udp 192.0.2.100 "$PORT" "192.168.1.10:$f" --count 5)
        echo "flow $f: $(echo "$out" | sort | uniq -c | tr '\n' ';')"
        [[ $(echo "$out" | grep -c -v '^-$') -ge 4 ]] || return 1
        [[ $(echo "$out" | grep -v '^-$' | sort -u | wc -l) -eq 1 ]] || return 1
    done
}
check "UDP: every datagram of a flow leaves by one WAN with one translated address and port" udp_consistent

traceroute_nat() { # hop 1 the router, hop 2 either ISP's gateway, the destination reached
    local out
    out=$(in_ns wf-lan timeout 60 traceroute -n -q 1 -w 2 -m 6 192.0.2.100 2>&1) || true
    printf '%s\n' "$out"
    awk '$1 == "1" && $2 == "192.168.1.1" { a = 1 }
        $1 == "2" && ($2 == "203.0.113.1" || $2 == "198.51.100.1") { b = 1 }
        $1 ~ /^[0-9]+$/ && $2 == "192.0.2.100" { c = 1 }
        END { exit !(a && b && c) }' <<<"$out"
}
check "traceroute through the NAT: ICMP errors come back translated" traceroute_nat

marks() { ctl "/ip/firewall/connection print count-only where connection-mark=$1"; }
m1=$(marks wan1_conn)
m2=$(marks wan2_conn)
check "/ip/firewall/connection shows both marks (wan1_conn $m1, wan2_conn $m2)" \
    test "$m1" -gt 0 -a "$m2" -gt 0
check "/ip/firewall/connection print shows translated connections" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/firewall/connection print' | grep -qE 'tcp +192\.168\.1\.1[0-3]:[0-9]+ +192\.0\.2\.100:$PORT +(203\.0\.113\.2|198\.51\.100\.2):[0-9]+ +[a-z-]+ +[0-9hms]+ +wan[12]_conn'"

conns=0
created=0
for ((w = 0; w < ${PCC_WORKERS:-1}; w++)); do
    conns=$((conns + $(tb_metric "wanfwd_worker_connections{worker=\"$w\"}")))
    created=$((created + $(tb_metric "wanfwd_worker_connections_created_total{worker=\"$w\"}")))
done
check "metrics: connections in the table ($conns) and created ($created)" \
    test "$conns" -gt 0 -a "$created" -ge 80
total=$(ctl '/ip/firewall/connection/tracking print' | awk '$1 == "total-entries:" { print $2 }')
check "/ip/firewall/connection/tracking print shows total-entries (${total:-none}; $conns in the metrics)" \
    test "${total:-0}" -gt 0

# The rules' counters count every packet a rule matched, those that took their connection's
# cached decision too: PCC's mark-connection matches the packets of new connections, each
# table's mark-routing every LAN packet of a marked connection, so at least all that its
# table routed (scraped first: the counters only grow).
packets() { # MENU: the packets column of print stats, one rule a line
    ctl --json "$1 print stats" | python3 -c 'import json, sys; [print(r["packets"]) for r in json.load(sys.stdin)]'
}
mapfile -t routed < <(scrape 'wanfwd_routing_table_packets_total{routing_table="to_wan1"}' \
    'wanfwd_routing_table_packets_total{routing_table="to_wan2"}')
mapfile -t p < <(packets /ip/firewall/mangle)
mapfile -t n < <(packets /ip/firewall/nat)
ctl '/ip/firewall/mangle print stats'
check "mangle print stats: PCC ${p[0]:-?}+${p[1]:-?}, mark-routing ${p[2]:-?}+${p[3]:-?} packets (the tables routed ${routed[0]}+${routed[1]})" \
    test "${p[0]:-0}" -gt 0 -a "${p[1]:-0}" -gt 0 -a "${routed[0]}" -gt 0 -a "${routed[1]}" -gt 0 \
    -a "${p[2]:-0}" -ge "${routed[0]}" -a "${p[3]:-0}" -ge "${routed[1]}" \
    -a "$((${p[2]:-0} + ${p[3]:-0}))" -gt "$((2 * (${p[0]:-0} + ${p[1]:-0})))"
# Every connection is a masqueraded one: at least those in the table now, at most those
# created (scraped again: a metrics sample can be a second old).
sleep 1.5
created_now=0
for ((w = 0; w < ${PCC_WORKERS:-1}; w++)); do
    created_now=$((created_now + $(tb_metric "wanfwd_worker_connections_created_total{worker=\"$w\"}")))
done
check "nat print stats: masquerade counted each connection's first packet (${n[0]:-?}; $total in the table, $created_now created)" \
    test "${n[0]:-0}" -ge 80 -a "${n[0]:-0}" -ge "${total:-0}" -a "${n[0]:-0}" -le "$created_now"
# A rule added does not reset the others' counters (RouterOS keeps them): the rules in
# force are replaced by a new version, and each unchanged item carries its counts over.
# The new rule (forward chain, passthrough) counts from zero; removing it again carries them
# once more.
ctl '/ip/firewall/mangle add chain=forward action=passthrough comment=added-later'
mapfile -t q < <(packets /ip/firewall/mangle)
mapfile -t m < <(packets /ip/firewall/nat)
check "mangle add: the others keep counting (mark-routing ${q[2]:-?}+${q[3]:-?} after ${p[2]:-?}+${p[3]:-?}, NAT ${m[0]:-?} after ${n[0]:-?}), the new rule from ${q[6]:-?}" \
    test "${#q[@]}" -eq 7 -a "${q[2]:-0}" -ge "${p[2]:-1}" -a "${q[3]:-0}" -ge "${p[3]:-1}" \
    -a "${m[0]:-0}" -ge "${n[0]:-1}" -a "${q[6]:-3}" -le 2
ctl '/ip/firewall/mangle remove [find comment=added-later]'
mapfile -t q < <(packets /ip/firewall/mangle)
check "mangle remove: the others keep counting (mark-routing ${q[2]:-?} after ${p[2]:-?})" \
    test "${#q[@]}" -eq 6 -a "${q[2]:-0}" -ge "${p[2]:-1}" -a "${q[0]:-0}" -ge "${p[0]:-1}"
routing_before=${p[2]:-0}
ctl '/ip/firewall/mangle reset-counters-all'
mapfile -t p < <(packets /ip/firewall/mangle)
# (Nothing opens connections meanwhile; 2 allows for a straggler.)
check "mangle reset-counters-all: the counters start again (${p[*]})" \
    test "$((${p[0]:-1} + ${p[1]:-1}))" -le 2

rule_metric() { # RULE: mangle rule RULE's packets in the metrics (0 without the series)
    python3 - "$TB_METRICS_PORT" "$1" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
for l in text.splitlines():
    if l.startswith("wanfwd_firewall_rule_packets_total{") and 'table="mangle"' in l \
            and f'rule="{sys.argv[2]}"' in l:
        print(int(float(l.rsplit(" ", 1)[1])))
        break
else:
    print(0)
PY
}
metric_caught_up() { # the metrics sample the workers' answers a second or two late
    local i
    for ((i = 0; i < 50; i++)); do
        (($(rule_metric 2) >= routing_before)) && return 0
        sleep 0.1
    done
    return 1
}
check "metrics: rule 2's packets ($(rule_metric 2)) do not go back with reset-counters ($routing_before before it)" \
    metric_caught_up

# The flows above still hold their translations (TCP in time-wait, UDP streams).
series=('wanfwd_nat_ports{address="203.0.113.2"}' 'wanfwd_nat_ports{address="198.51.100.2"}')
for ((w = 0; w < ${PCC_WORKERS:-1}; w++)); do
    series+=("wanfwd_worker_nat_ports{worker=\"$w\"}")
done
mapfile -t v < <(scrape "${series[@]}")
nat=0
for ((w = 0; w < ${PCC_WORKERS:-1}; w++)); do nat=$((nat + v[2 + w])); done
check "metrics: NAT ports in use ($nat: WAN1's address ${v[0]}, WAN2's ${v[1]})" \
    test "$nat" -gt 0 -a "${v[0]}" -gt 0 -a "${v[1]}" -gt 0 -a $((v[0] + v[1])) -eq "$nat"

sleep 1.5 # a metrics sample after the last packet
mapfile -t traffic_after < <(traffic)
moved() { echo $((traffic_after[$1] - traffic_before[$1])); }
check "metrics: PCC's tables both carry traffic (to_wan1 +$(moved 0), to_wan2 +$(moved 1), main +$(moved 2) packets)" \
    test "$(moved 0)" -ge 80 -a "$(moved 1)" -ge 80 -a "$(moved 2)" -ge 160
check "metrics: both WANs' gateways carry traffic (ISP1 +$(moved 3), ISP2 +$(moved 4), LAN +$(moved 5) packets)" \
    test "$(moved 3)" -ge 80 -a "$(moved 4)" -ge 80 -a "$(moved 5)" -ge 160
check "metrics: per table and per nexthop the same packets (tables $(($(moved 0) + $(moved 1) + $(moved 2))), nexthops $(($(moved 3) + $(moved 4) + $(moved 5))))" \
    test $(($(moved 0) + $(moved 1) + $(moved 2))) -eq $(($(moved 3) + $(moved 4) + $(moved 5)))

# A UDP flow that PCC gives WAN1.
pinned=
for f in $(seq 41000 41020); do
    if in_ns wf-lan python3 "$PEER" udp 192.0.2.100 "$PORT" "192.168.1.10:$f" --count 1 | grep -q '^host1 '; then
        pinned=$f
        break
    fi
done
check "a UDP flow pinned to WAN1 (source port ${pinned:-none})" test -n "$pinned"

# ISP1's gateway stops answering and forwarding; its link stays up.
in_ns wf-isp1 sysctl -qw net.ipv4.ip_forward=0 net.ipv4.icmp_echo_ignore_all=1
sleep "$BOUND"
mapfile -t traffic_before < <(traffic)
in_ns wf-lan python3 "$PEER" tcp 192.0.2.100 "$PORT" "${LAN_HOSTS[@]}" --per 5 >"$TB_TMP/tcp2.txt"
read -r n h1 h2 bad < <(tcp_split "$TB_TMP/tcp2.txt")
check "ISP1 down: all 20 new connections answered through ISP2 ($n; ISP1 $h1, ISP2 $h2)" \
    test "$n" -eq 20 -a "$h2" -eq 20 -a "$bad" -eq 0
sleep 1.5 # a metrics sample
mapfile -t traffic_after < <(traffic)
check "ISP1 down: to_wan1 (+$(moved 0)) and ISP1 (+$(moved 3)) carry nothing, ISP2 carries it all (+$(moved 4))" \
    test "$(moved 0)" -eq 0 -a "$(moved 4)" -ge 60 -a "$(moved 3)" -eq 0
if [[ -n $pinned ]]; then
    out=$(in_ns wf-lan python3 "$PEER" udp 192.0.2.100 "$PORT" "192.168.1.10:$pinned" --count 2)
    check "ISP1 down: the pinned flow keeps its WAN1 translation and gets no answer ($out)" \
        test "$(echo "$out" | grep -c '^-$')" -eq 2
    check "/ip/firewall/connection remove [find connection-mark=wan1_conn]" \
        ctl "/ip/firewall/connection remove [find connection-mark=wan1_conn]"
    check "no wan1_conn connection is left" test "$(marks wan1_conn)" -eq 0
    out=$(in_ns wf-lan python3 "$PEER" udp 192.0.2.100 "$PORT" "192.168.1.10:$pinned" --count 2)
    check "the flow re-establishes through ISP2 ($out)" \
        bash -c "echo '$out' | grep -c '^host2 198\.51\.100\.2:' | grep -qx 2"
fi
in_ns wf-isp1 sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_echo_ignore_all=0

rc=0
wanfwd_stop >/dev/null || rc=$?
check "wanfwd exits with status 0" test "$rc" -eq 0
e2e_summary
