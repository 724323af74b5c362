#!/usr/bin/env bash
# End to end: an operator drives a running wanfwd with wanctl, as with RouterOS: print the
# routes, change a distance while traffic flows (no packet lost), disable and enable a route
# by comment (the guide's Netwatch scripts do exactly this), and bad commands are refused
# with their line and column, changing nothing; /ip/address, /ip/settings, /routing/settings
# and /routing/nexthop flush live; /interface print stats, reset-counters and
# monitor-traffic show the devices' counters and rates. The running configuration, changes
# included, is exported as commands and as YAML, and wanfwd starts again from that YAML.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

WANCTL=${WANCTL:-$(dirname "$WANFWD")/wanctl}

testbed_trap
testbed_up
wanfwd_config "$TB_TMP/wanfwd.yaml" "/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, comment: wan1-default }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, comment: wan2-default }"
check "wanfwd starts" wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd.log"
if [[ -z $WANFWD_PID ]]; then
    e2e_summary
    exit 1
fi

ctl() { "$WANCTL" --socket "$TB_TMP/api.sock" "$@"; }

# Which far host received the LAN host's last pings to 192.0.2.100 (both answer it).
reaches() {
    local a1 a2
    a1=$(tb_rx_packets wf-host1 up0)
    a2=$(tb_rx_packets wf-host2 up0)
    in_ns wf-lan ping -c 3 -i 0.2 -W 1 -q 192.0.2.100 >/dev/null 2>&1 || true
    if (($(tb_rx_packets wf-host1 up0) - a1 >= 3)); then
        echo isp1
    elif (($(tb_rx_packets wf-host2 up0) - a2 >= 3)); then
        echo isp2
    else
        echo none
    fi
}

out=$(ctl '/ip/route print' 2>&1 || true)
echo "$out"
check "/ip/route print lists the primary as active (As)" grep -qE '^ *0 +As +0\.0\.0\.0/0 +203\.0\.113\.1' <<<"$out"
check "/ip/route print lists the backup as neither active nor inactive" \
    grep -qE '^ *1 +s +0\.0\.0\.0/0 +198\.51\.100\.1' <<<"$out"
check "print where active=yes count-only counts 4 (3 connected + the primary)" \
    test "$(ctl '/ip/route print count-only where active=yes')" = 4
check "--json prints REST-style items" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' --json '/ip/route print' |
        python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(i[\"gateway\"]==\"203.0.113.1\" and i[\"active\"]==\"true\" for i in d), d'"
check "traffic leaves by ISP1" test "$(reaches)" = isp1
check "/ip/arp print shows ISP1's gateway, dynamic and complete" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/arp print' | grep -qE 'DC +203\.0\.113\.1 +02:00:00:00:02:01 +ether1'"
check "/interface/ethernet print shows ether1 running" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/interface/ethernet print' | grep -qE 'R +ether1 +1500'"
check "/interface print lists ether1 as a running ether interface" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/interface print' | grep -qE 'R +ether1 +ether +1500'"
out=$(ctl '/interface print stats' 2>&1 || true)
echo "$out"
check "/interface print stats has RouterOS's counter columns" \
    grep -qE 'NAME +RX-BYTE +TX-BYTE +RX-PACKET +TX-PACKET +RX-DROP +TX-QUEUE-DROP +RX-ERROR +TX-ERROR' <<<"$out"
# An interface's TX packets, as its device counts them.
port_tx() {
    ctl --json "/interface print stats where name=$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["tx-packet"])'
}
tx_before=$(port_tx ether1 || echo 0)
reaches >/dev/null
tx_after=$(port_tx ether1 || echo 0)
bridge_tx=$(port_tx bridge || echo 0)
check "print stats counts the pings sent by ISP1 ($tx_before -> $tx_after)" \
    test $((tx_after - tx_before)) -ge 3
check "/interface reset-counters [find name=ether1] is accepted" \
    ctl '/interface reset-counters [find name=ether1]'
tx_reset=$(port_tx ether1 || echo -1)
check "ether1's print stats counts again from zero ($tx_reset after $tx_after)" \
    test "$tx_reset" -ge 0 -a "$tx_reset" -lt "$tx_after"
check "the bridge's were left alone (the ping replies it sent: $bridge_tx)" \
    test "$bridge_tx" -ge 3 -a "$(port_tx bridge || echo 0)" -ge "$bridge_tx"
# monitor-traffic: the last second's rates, while the LAN host pings at 100 a second.
in_ns wf-lan ping -c 300 -i 0.01 -W 1 -q 192.0.2.100 >/dev/null 2>&1 &
flood=$!
sleep 2.5
out=$(ctl '/interface monitor-traffic ether1,bridge once' 2>&1 || true)
wait "$flood" || true
echo "$out"
tx_pps=$(awk '$1 == "tx-packets-per-second:" { print $2 }' <<<"$out")
check "/interface monitor-traffic shows ether1 sending the pings (${tx_pps:-none}/s)" \
    test "${tx_pps:-0}" -ge 20 -a "${tx_pps:-0}" -le 150
check "and a column for the bridge" grep -qE '^ +name: ether1 +bridge$' <<<"$out"
# The workers' load: the share of their time spent on packets (their cores always poll).
res=$(ctl '/system/resource print' 2>&1 || true)
echo "$res"
load=$(awk '$1 == "cpu-load:" { sub("%", "", $2); print $2 }' <<<"$res")
check "/system/resource print: the workers' cpu-load (${load:-none}%) is far from their polling's 100%" \
    test -n "$load" -a "${load:-100}" -lt 50
check "and the uptime" grep -qE '^ +uptime: [0-9]+' <<<"$res"
check "and the machine's memory" grep -qE '^ +free-memory: [0-9]+\.[0-9]MiB$' <<<"$res"
cpus=$(ctl '/system/resource/cpu print' 2>&1 || true)
echo "$cpus"
check "/system/resource/cpu print has a line for the control core and one per worker" \
    test "$(ctl '/system/resource/cpu print count-only')" = 2 -a \
    "$(awk '$4 == "control" { n++ } $4 == "worker" && $5 == "0" { w++ } END { print n + 0, w + 0 }' <<<"$cpus")" = "1 1"
# *IDs stay with their items across requests (the daemon keeps them), and select them.
list_id() { # NAME: the *ID of /interface/list NAME
    ctl --json '/interface/list print' |
        python3 -c 'import json, sys; print(" ".join(r[".id"] for r in json.load(sys.stdin) if r["name"] == sys.argv[1]))' "$1"
}
ctl '/interface/list add name=ids-a' >/dev/null
ctl '/interface/list add name=ids-b' >/dev/null
id_before=$(list_id ids-b)
ctl '/interface/list remove [find name=ids-a]' >/dev/null
id_after=$(list_id ids-b)
check "*ID stable: ids-b keeps ${id_before:-none} when the list before it goes (${id_after:-none})" \
    test -n "$id_before" -a "$id_before" = "$id_after"
ctl "/interface/list remove $id_after" >/dev/null || true
check "remove by *ID ($id_after)" test -z "$(list_id ids-b)"
# [find] as a value and :foreach, through the daemon: two lists made, both removed by a loop.
ctl '/interface/list add name=loop-a; /interface/list add name=loop-b' >/dev/null
looped=$(ctl ':foreach i in=[/interface/list find where name=loop-a or name=loop-b] do={ :put "removing $i"; /interface/list remove $i }' 2>&1 || true)
echo "$looped"
check ":foreach over [find] removes each list it names ($(wc -l <<<"$looped") passes)" \
    test "$(grep -c '^removing \*' <<<"$looped")" = 2 -a -z "$(list_id loop-a)$(list_id loop-b)"
# :for with a pause in each pass, through the daemon: the script waits on the control core
# between passes and wanctl gets the whole output at its end.
counted=$(ctl ':for i from=3 to=1 do={ :put "pass $i"; :delay 200ms }' 2>&1 || true)
echo "$counted"
check ":for counts down with a :delay in each pass" \
    test "$(tr '\n' ' ' <<<"$counted")" = "pass 3 pass 2 pass 1 "
# :while with a [/ping] in its test: the router's own ping to a far host, answered at once.
waited=$(ctl ':local n 0; :while ([/ping 192.0.2.100 count=1] = 0 && $n < 5) do={ :set n ($n + 1); :delay 1s }; :put "answered after $n waits"' 2>&1 || true)
echo "$waited"
check ":while ([/ping ...] = 0) ends at the first answer" test "$waited" = "answered after 0 waits"
# :do ... while= with a pause in each pass: the test comes after the pass.
got=$(ctl ':local n 0; :do { :set n ($n + 1); :delay 100ms } while=($n < 3 && [/ping 192.0.2.100 count=1] = 1); :put "passes $n"' 2>&1 || true)
check ":do { ... :delay } while=(... [/ping]) runs until its test fails ($got)" test "$got" = "passes 3"
got=$(ctl ':put ([/ip/route get [find comment=wan1-default] gateway] . " " . [/ip/route get [find comment=wan1-default] active])' 2>&1 || true)
check "[get ITEM PROPERTY] reads the route's gateway and state through the daemon ($got)" \
    test "$got" = "203.0.113.1 true"
# The value functions on what the daemon holds: the gateway's first octet as a number.
got=$(ctl ':local g [/ip/route get [find comment=wan1-default] gateway]; :put (([:tonum [:pick $g 0 3]] + 1) . " " . [:typeof $g])' 2>&1 || true)
check "[:pick]/[:tonum]/[:typeof] on a route's gateway through the daemon ($got)" \
    test "$got" = "204 str"
# :do ... on-error through the daemon: the refused set is caught and changes nothing.
routes_before=$(ctl '/ip/route print')
handled=$(ctl ':do { /ip/route set [find dst-address=0.0.0.0/0] distance=300 } on-error={ :put handled }' 2>&1 || true)
check ":do { refused set } on-error= runs the handler and changes nothing ($handled)" \
    test "$handled" = handled -a "$(ctl '/ip/route print')" = "$routes_before"
busy=$(tb_metric 'wanfwd_worker_busy_cycles_total{worker="0"}')
check "metrics: worker 0 counted busy cycles for the packets ($busy)" test "${busy:-0}" -gt 0
check "/ip/arp print stats is refused: ARP has no counters" bash -c "! '$WANCTL' --socket '$TB_TMP/api.sock' '/ip/arp print stats'"
check "/ip/address print where interface=ether2 shows only 198.51.100.2/24" \
    test "$(ctl '/ip/address print count-only where interface=ether2')" = 1

# A change of distance while a ping runs: the backup takes over, and no packet is lost.
in_ns wf-lan ping -i 0.05 -c 120 -q 192.0.2.100 >"$TB_TMP/ping.txt" 2>&1 &
ping_pid=$!
sleep 2
check "set [find comment=wan1-default] distance=20 is accepted" \
    ctl '/ip/route set [find comment="wan1-default"] distance=20'
wait "$ping_pid" || true
cat "$TB_TMP/ping.txt"
check "the ping running across the change lost no packet" grep -q ' 0% packet loss' "$TB_TMP/ping.txt"
check "traffic now leaves by ISP2" test "$(reaches)" = isp2

check "disable [find comment=wan2-default] is accepted" ctl '/ip/route disable [find comment=wan2-default]'
check "traffic is back on ISP1 (the only enabled default)" test "$(reaches)" = isp1
check "the disabled route prints with X" bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/route print' | grep -qE '^ *[0-9]+ +X +s +0\.0\.0\.0/0 +198\.51\.100\.1'"
check "enable it again" ctl '/ip/route enable [find comment=wan2-default]'
check "traffic by ISP2 again (distance 10 < 20)" test "$(reaches)" = isp2

# Errors: named with line and column, and nothing changes (a script is applied whole).
err=$(ctl '/ip/route set [find comment=wan1-default] distance=1
/ip/route set [find comment=wan2-default] distance=banana' 2>&1) && rc=0 || rc=$?
echo "$err"
check "a bad value fails with a non-zero exit status" test "$rc" -ne 0
check "and names its line and column" grep -q 'line 2, column' <<<"$err"
check "and changes nothing (ISP2 still carries the traffic)" test "$(reaches)" = isp2
err=$(ctl '/ip/route frobnicate' 2>&1) && rc=0 || rc=$?
check "an unknown command is refused ($err)" test "$rc" -ne 0
check "wanfwd is still running" kill -0 "$WANFWD_PID"
# /ip/address live: an address added on bridge answers the LAN host's ping (through its
# default gateway 192.168.1.1); removed, it stops.
no_reply() { ! in_ns wf-lan ping -c 2 -i 0.2 -W 1 -q "$1"; }
check "the LAN host gets no reply from 192.168.77.1 before it is added" no_reply 192.168.77.1
check "/ip/address add address=192.168.77.1/24 interface=bridge is accepted" \
    ctl '/ip/address add address=192.168.77.1/24 interface=bridge comment=e2e'
check "the LAN host pings the new address" in_ns wf-lan ping -c 3 -i 0.2 -W 1 -q 192.168.77.1
check "/ip/address print shows it with its network" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/address print' | grep -qE '192\.168\.77\.1/24 +192\.168\.77\.0 +bridge'"
check "its connected route is active" \
    test "$(ctl '/ip/route print count-only where dst-address=192.168.77.0/24 active')" = 1
check "the same address again is refused" \
    bash -c "! '$WANCTL' --socket '$TB_TMP/api.sock' '/ip/address add address=192.168.77.1/24 interface=bridge'"
check "an address on an unknown interface is refused" \
    bash -c "! '$WANCTL' --socket '$TB_TMP/api.sock' '/ip/address add address=192.168.78.1/24 interface=ether9'"
check "/ip/address remove [find comment=e2e] is accepted" ctl '/ip/address remove [find comment=e2e]'
check "the removed address answers no more" no_reply 192.168.77.1
check "the router's own LAN address still answers" in_ns wf-lan ping -c 2 -i 0.2 -W 1 -q 192.168.1.1

# Issue 4: when an interface's address changes, the connections masqueraded through it are
# removed (RouterOS), and new ones take the new address. Traffic leaves by ISP2 here.
conns() { ctl "/ip/firewall/connection print count-only where $1"; }
check "masquerade on ether2 is accepted" \
    ctl '/ip/firewall/nat add chain=srcnat out-interface=ether2 action=masquerade comment=e2e'
check "the LAN host's pings go through the masquerade" in_ns wf-lan ping -c 3 -i 0.2 -W 1 -q 192.0.2.100
check "their connection is masqueraded to 198.51.100.2" \
    test "$(conns 'srcnat=yes and reply-dst-address=198.51.100.2')" -ge 1
check "ether2's address changes to 198.51.100.3/24" \
    ctl '/ip/address set [find address=198.51.100.2/24] address=198.51.100.3/24'
check "the connections masqueraded through ether2 are gone" test "$(conns 'srcnat=yes')" = 0
check "new pings get through, masqueraded to the new address" \
    in_ns wf-lan ping -c 3 -i 0.2 -W 1 -q 192.0.2.100
check "their connection has 198.51.100.3 as its reply destination" \
    test "$(conns 'srcnat=yes and reply-dst-address=198.51.100.3')" -ge 1
check "the address and the masquerade are put back" \
    ctl '/ip/address set [find address=198.51.100.3/24] address=198.51.100.2/24
/ip/firewall/nat remove [find comment=e2e]'
check "traffic leaves by ISP2 as before" test "$(reaches)" = isp2

# /ip/settings and /routing/settings, /routing/nexthop flush.
check "/ip/settings set ecmp-hash-policy=l4 is accepted" ctl '/ip/settings set ecmp-hash-policy=l4'
check "/ip/settings print shows it back" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/settings print' | grep -qE '^ *ecmp-hash-policy: l4$'"
check "an unknown /ip/settings property is refused" \
    bash -c "! '$WANCTL' --socket '$TB_TMP/api.sock' '/ip/settings set rp-filter=strict'"
check "/routing/settings set check-gateway-ping-interval=5s is accepted" \
    ctl '/routing/settings set check-gateway-ping-interval=5s'
check "/routing/settings print shows it back" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/routing/settings print' | grep -qE 'check-gateway-ping-interval: 5s'"
check "/routing/nexthop flush is accepted" ctl '/routing/nexthop flush'
check "traffic still leaves by ISP2 after the flush (gateways resolved again)" test "$(reaches)" = isp2

check ":log warning from a script is accepted" ctl ':log warning "wanctl-e2e-marker"'
check "/log print shows it as a warning" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/log print where topics=warning' | grep -qE '[0-9:]+ +warning +script: wanctl-e2e-marker'"
check "/log print count-only counts the kept messages" \
    bash -c "test \$('$WANCTL' --socket '$TB_TMP/api.sock' '/log print count-only') -gt 1"

# The running configuration, with the changes made above (wan1-default at distance 20).
ctl export >"$TB_TMP/export.yaml" 2>&1 || true
cat "$TB_TMP/export.yaml"
check "wanctl export prints YAML: wanfwd's sections and the menus" \
    grep -qE '^(dpdk|api|metrics|/interface/ethernet|/ip/address|/ip/route):$' "$TB_TMP/export.yaml"
check "the YAML has the distance set by wanctl" \
    python3 -c "import sys; t=open(sys.argv[1]).read(); assert 'comment: wan1-default' in t.split('distance: 20')[1].split('- dst-address')[0], t" \
    "$TB_TMP/export.yaml"
check "wanfwd --check accepts the exported YAML" "$WANFWD" --config "$TB_TMP/export.yaml" --check
rsc=$(ctl export --rsc 2>&1 || true)
echo "$rsc"
check "wanctl export --rsc starts with RouterOS's header" grep -qE '^# [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} by wanfwd ' <<<"$rsc"
check "and writes the routes as commands, defaults left out" grep -qxF '/ip route' <<<"$rsc"
check "with the changed distance" \
    grep -qxF 'add comment=wan1-default distance=20 dst-address=0.0.0.0/0 gateway=203.0.113.1' <<<"$rsc"
check "/ip/route export terse prints that menu only, one command a line" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/route export terse' | grep -v '^#' |
        awk '!/^\/ip route add /{bad=1} END{exit bad || NR < 2}'"
check "an export to a file is refused" bash -c "! '$WANCTL' --socket '$TB_TMP/api.sock' '/export file=x'"

rc=0
wanfwd_stop >/dev/null || rc=$?
check "wanfwd exits with status 0" test "$rc" -eq 0

check "wanfwd starts from the exported YAML" wanfwd_start "$TB_TMP/export.yaml" "$TB_TMP/wanfwd-export.log"
check "with wan1-default at distance 20, as exported" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/route print' | grep -qE '203\.0\.113\.1 +main +20'"
check "traffic leaves by ISP2 (distance 10 < 20)" test "$(reaches)" = isp2
wanfwd_stop >/dev/null || true

# A script at start (wanfwd --script), after the YAML; a bad one stops the start.
printf '%s\n' '# raise the primary, as the guide'"'"'s Netwatch down-script does' \
    '/ip/route set [find comment="wan1-default"] distance=30' >"$TB_TMP/start.rsc"
check "wanfwd starts with --script start.rsc" \
    wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd2.log" --script "$TB_TMP/start.rsc"
check "the script was applied (the primary has distance 30)" \
    bash -c "'$WANCTL' --socket '$TB_TMP/api.sock' '/ip/route print' | grep -qE '203\.0\.113\.1 +main +30'"
wanfwd_stop >/dev/null || true
printf '/ip/route set [find comment="wan1-default"] distance=0\n' >"$TB_TMP/bad.rsc"
"$WANFWD" --config "$TB_TMP/wanfwd.yaml" --script "$TB_TMP/bad.rsc" >"$TB_TMP/bad.log" 2>&1 && rc=0 || rc=$?
check "a bad start script stops wanfwd with an error (status $rc)" test "$rc" -ne 0
check "naming the script, line and column" grep -q 'bad.rsc: line 1, column' "$TB_TMP/bad.log"
# Connection tables larger than the machine's memory: refused before anything starts (not
# killed by the kernel half way), naming the setting. 64 workers of the largest tables need
# 800 GiB; the check comes before EAL, so the workers need no cores here.
sed -e 's/^\(  *\)workers: .*/\1workers: 64/' "$TB_TMP/wanfwd.yaml" >"$TB_TMP/huge.yaml"
printf '/ip/firewall/connection/tracking:\n  max-entries: 134217728\n' >>"$TB_TMP/huge.yaml"
rc=none # never start it with a configuration whose tables might fit: it would fill them
! grep -q '^  workers: 64$' "$TB_TMP/huge.yaml" ||
    { "$WANFWD" --config "$TB_TMP/huge.yaml" >"$TB_TMP/huge.log" 2>&1 && rc=0 || rc=$?; }
check "max-entries beyond the memory stops wanfwd with an error (status $rc)" test "$rc" -eq 1
check "saying what the tables need and what to lower" \
    grep -q 'connection tables need 800.0 GiB.*lower /ip/firewall/connection/tracking max-entries' "$TB_TMP/huge.log"
e2e_summary
