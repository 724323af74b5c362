#!/usr/bin/env bash
# End to end: the guide's PCC load balancing typed as RouterOS commands. wanfwd starts with
# interfaces, addresses and main-table routes only; `wanctl import` of the guide's commands
# (routing tables, per-table routes, PCC mangle, the WAN interface list, masquerade) turns it
# into the router of pcc.sh, live:
#   - TCP connections from the LAN spread over both WANs, each masqueraded with its WAN's address;
#   - `/ip/firewall/mangle print where action=mark-connection` shows the two PCC rules;
#   - a script with a bad line is refused with its line and column and changes nothing;
#   - `/ip/firewall/connection/tracking set` takes new timeouts;
#   - disabling the masquerade rule by comment stops the answers; enabling it restores them.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/nat_lib.sh
source "$(dirname "$0")/nat_lib.sh"

WANCTL=${WANCTL:-$(dirname "$WANFWD")/wanctl}
INTERVAL=1
COUNT=3

ctl() { "$WANCTL" --socket "$TB_TMP/api.sock" "$@"; }

testbed_trap
nat_testbed_up

wanfwd_config "$TB_TMP/wanfwd.yaml" "/routing/settings: { check-gateway-ping-interval: ${INTERVAL}s, check-gateway-ping-timeout: ${INTERVAL}s, check-gateway-ping-count: $COUNT }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, check-gateway: ping }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, check-gateway: ping }"
check "wanfwd starts with interfaces, addresses and main routes only" \
    wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd.log"
if [[ -z $WANFWD_PID ]]; then
    e2e_summary
    exit 1
fi
sleep 2 # first probes and ARP

check "no mangle rule before the import" test "$(ctl '/ip/firewall/mangle print count-only')" -eq 0

# The guide's commands, as it writes them.
cat >"$TB_TMP/pcc.rsc" <<'RSC'
# 1) Create routing tables for policy routing
/routing/table
add name=to_wan1 fib
add name=to_wan2 fib
# 2) Per-table default routes (for marked traffic)
/ip/route
add dst-address=0.0.0.0/0 gateway=203.0.113.1 routing-table=to_wan1 distance=1 check-gateway=ping
add dst-address=0.0.0.0/0 gateway=198.51.100.1 routing-table=to_wan2 distance=1 check-gateway=ping
# 4) Mangle: mark incoming connections from LAN using PCC (2-way split)
/ip/firewall/mangle
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/0 \
action=mark-connection new-connection-mark=wan1_conn passthrough=yes
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/1 \
action=mark-connection new-connection-mark=wan2_conn passthrough=yes
# 5) Apply routing marks for established connections
add chain=prerouting in-interface=bridge \
connection-mark=wan1_conn \
action=mark-routing new-routing-mark=to_wan1 passthrough=no
add chain=prerouting in-interface=bridge \
connection-mark=wan2_conn \
action=mark-routing new-routing-mark=to_wan2 passthrough=no
# 6) Router-originated traffic (e.g., DNS, updates)
add chain=output connection-mark=wan1_conn \
action=mark-routing new-routing-mark=to_wan1 passthrough=no
add chain=output connection-mark=wan2_conn \
action=mark-routing new-routing-mark=to_wan2 passthrough=no
/interface/list add name=WAN
/interface/list/member add interface=ether1 list=WAN
/interface/list/member add interface=ether2 list=WAN
/ip/firewall/nat add chain=srcnat out-interface-list=WAN action=masquerade comment=masq
RSC

# A script whose last line names a table that does not exist: refused whole.
{
    sed -n '1,4p' "$TB_TMP/pcc.rsc"
    echo '/ip/firewall/mangle add chain=prerouting action=mark-routing new-routing-mark=to_wan3'
} >"$TB_TMP/bad.rsc"
bad_refused() {
    local out
    if out=$(ctl import "$TB_TMP/bad.rsc" 2>&1); then
        echo "accepted: $out"
        return 1
    fi
    echo "$out"
    grep -q 'line 5, column 1' <<<"$out" && grep -q 'to_wan3' <<<"$out"
}
check "import of a script with a dangling routing table is refused with line and column" bad_refused
check "... and changes nothing (no routing table, no mangle rule)" \
    test "$(ctl '/routing/table print count-only')" -eq 0 -a "$(ctl '/ip/firewall/mangle print count-only')" -eq 0

check "wanctl import of the guide's PCC commands" ctl import "$TB_TMP/pcc.rsc"
sleep $((INTERVAL * 2)) # the per-table routes' first probes

mangle_print() {
    local out
    out=$(ctl '/ip/firewall/mangle print where action=mark-connection')
    printf '%s\n' "$out"
    [[ $(grep -c 'action=mark-connection' <<<"$out") -eq 2 ]] &&
        grep -qE '^ *0 +chain=prerouting action=mark-connection new-connection-mark=wan1_conn passthrough=yes .*per-connection-classifier=both-addresses-and-ports:2/0' <<<"$out" &&
        grep -qE '^ *1 +chain=prerouting action=mark-connection new-connection-mark=wan2_conn passthrough=yes .*per-connection-classifier=both-addresses-and-ports:2/1' <<<"$out"
}
check "/ip/firewall/mangle print where action=mark-connection shows the two PCC rules" mangle_print
check "/ip/route print count-only: 4 static routes in force" \
    test "$(ctl '/ip/route print count-only where static')" -eq 4

check "LAN host pings 192.0.2.100 through the NAT" tb_ping wf-lan 192.0.2.100

in_ns wf-lan python3 "$PEER" tcp 192.0.2.100 "$PORT" "${LAN_HOSTS[@]}" --per 20 >"$TB_TMP/tcp.txt"
read -r n h1 h2 bad < <(tcp_split "$TB_TMP/tcp.txt")
check "TCP: all 80 connections answered ($n)" test "$n" -eq 80
check "TCP: both WANs carry about half (ISP1 $h1, ISP2 $h2 of 80)" test "$h1" -ge 24 -a "$h2" -ge 24
check "TCP: each seen from its WAN's address (wrong: $bad)" test "$bad" -eq 0

marks() { ctl "/ip/firewall/connection print count-only where connection-mark=$1"; }
m1=$(marks wan1_conn)
m2=$(marks wan2_conn)
check "/ip/firewall/connection shows both marks (wan1_conn $m1, wan2_conn $m2)" \
    test "$m1" -gt 0 -a "$m2" -gt 0

tracking() {
    ctl '/ip/firewall/connection/tracking set udp-timeout=20s' &&
        ctl '/ip/firewall/connection/tracking print' | grep -qE '^ *udp-timeout: 20s$'
}
check "/ip/firewall/connection/tracking set udp-timeout=20s" tracking

# The masquerade rule off: new connections get no answer (the ISPs know no route back).
check "/ip/firewall/nat disable [find comment=masq]" ctl '/ip/firewall/nat disable [find comment=masq]'
in_ns wf-lan python3 "$PEER" tcp 192.0.2.100 "$PORT" 192.168.1.10 --per 4 >"$TB_TMP/tcp2.txt" || true
read -r n h1 h2 bad < <(tcp_split "$TB_TMP/tcp2.txt")
check "masquerade disabled: no new connection answered ($n of 4)" test "$n" -eq 0
check "/ip/firewall/nat enable [find comment=masq]" ctl '/ip/firewall/nat enable [find comment=masq]'
in_ns wf-lan python3 "$PEER" tcp 192.0.2.100 "$PORT" 192.168.1.11 --per 8 >"$TB_TMP/tcp3.txt"
read -r n h1 h2 bad < <(tcp_split "$TB_TMP/tcp3.txt")
check "masquerade enabled again: all 8 answered ($n; ISP1 $h1, ISP2 $h2, wrong $bad)" \
    test "$n" -eq 8 -a "$bad" -eq 0

rc=0
wanfwd_stop >/dev/null || rc=$?
check "wanfwd exits with status 0" test "$rc" -eq 0
e2e_summary
