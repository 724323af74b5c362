# The guide's troubleshooting (its lines 232-276), on the anchor set-up of its lines 63-75
# with the PCC rules of its lines 167-200, where every command has something to show.
/ip/route add dst-address=203.0.113.1/32 gateway=203.0.113.1%ether1 \
check-gateway=ping distance=1 scope=10 target-scope=20
/ip/route add dst-address=198.51.100.1/32 gateway=198.51.100.1%ether2 \
check-gateway=ping distance=1 scope=10 target-scope=20
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 scope=20 check-gateway=ping
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 scope=20
/ip/route add dst-address=10.10.0.0/16 gateway=203.0.113.1 distance=1 scope=20
/ip/route add dst-address=10.10.0.0/16 gateway=198.51.100.1 distance=10 scope=20
/ip/firewall/mangle
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/0 \
action=mark-connection new-connection-mark=wan1_conn passthrough=yes
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/1 \
action=mark-connection new-connection-mark=wan2_conn passthrough=yes

# Route is inactive — gateway not resolved
# Check if gateway address has a route
#? /ip/route print where dst-address=203.0.113.1/32
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS     GATEWAY             ROUTING-TABLE  DISTANCE
#= 0 As 203.0.113.1/32  203.0.113.1%ether1  main                  1
# Inspect next-hop cache
#? /routing/nexthop/print
#= Columns: ADDRESS, GW-STATE, IMMEDIATE-GW, INTERFACE, SCOPE, TARGET-SCOPE, CHECK-GATEWAY
#= # ADDRESS       GW-STATE   IMMEDIATE-GW         INTERFACE  SCOPE  TARGET-SCOPE  CHECK-GATEWAY
#= 0 198.51.100.1  reachable  198.51.100.1%ether2  ether2        10            20  ping
#= 1 198.51.100.1  recursive  198.51.100.1%ether2  ether2        10            10  none
#= 2 203.0.113.1   reachable  203.0.113.1%ether1   ether1        10            20  ping
#= 3 203.0.113.1   recursive  203.0.113.1%ether1   ether1        10            10  none
#= 4 203.0.113.1   recursive  203.0.113.1%ether1   ether1        10            10  ping
# Flush cache to force re-resolution
/routing/nexthop/flush
#flushed
# 1. Verify check-gateway is set on the primary route:
#? /ip/route print detail where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=  0 As  dst-address=0.0.0.0/0 gateway=203.0.113.1 immediate-gw=203.0.113.1%ether1
#=        distance=1 scope=20 target-scope=10 routing-table=main check-gateway=ping
#=
#=  1  s  dst-address=0.0.0.0/0 gateway=198.51.100.1
#=        immediate-gw=198.51.100.1%ether2 distance=10 scope=20 target-scope=10
#=        routing-table=main
# 2. Confirm ping to gateway works from the router (the scripting part of wanfwd runs it):
#pending
/ping 203.0.113.1 count=5
# 3. Check that the backup route has a higher distance and is active:
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= 0 As 0.0.0.0/0    203.0.113.1   main                  1
#= 1  s 0.0.0.0/0    198.51.100.1  main                 10

# Recursive route not resolving (scope mismatch)
# Inspect scope/target-scope values
#? /ip/route print detail where gateway=203.0.113.1
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=  0 As  dst-address=0.0.0.0/0 gateway=203.0.113.1 immediate-gw=203.0.113.1%ether1
#=        distance=1 scope=20 target-scope=10 routing-table=main check-gateway=ping
#=
#=  1 As  dst-address=10.10.0.0/16 gateway=203.0.113.1
#=        immediate-gw=203.0.113.1%ether1 distance=1 scope=20 target-scope=10
#=        routing-table=main
/ip/route set [find dst-address=10.10.0.0/16] target-scope=30
#? /ip/route print detail where dst-address=10.10.0.0/16
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=  0 As  dst-address=10.10.0.0/16 gateway=203.0.113.1
#=        immediate-gw=203.0.113.1%ether1 distance=1 scope=20 target-scope=30
#=        routing-table=main
#=
#=  1  s  dst-address=10.10.0.0/16 gateway=198.51.100.1
#=        immediate-gw=198.51.100.1%ether2 distance=10 scope=20 target-scope=30
#=        routing-table=main

# Check that both PCC rules are active and the denominator/remainder values are correct:
#? /ip/firewall/mangle print where action=mark-connection
#= Flags: X - disabled, I - invalid; D - dynamic
#=  0    chain=prerouting action=mark-connection new-connection-mark=wan1_conn passthrough=yes in-interface=bridge connection-state=new dst-address-type=!local per-connection-classifier=both-addresses-and-ports:2/0
#=  1    chain=prerouting action=mark-connection new-connection-mark=wan2_conn passthrough=yes in-interface=bridge connection-state=new dst-address-type=!local per-connection-classifier=both-addresses-and-ports:2/1
# Verify connection marks are being assigned:
#? /ip/firewall/connection print where connection-mark=wan1_conn count-only
#= 2
#? /ip/firewall/connection print where connection-mark=wan2_conn count-only
#= 1

# Add confirmation delay in Netwatch to avoid reacting to transient failures:
/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
down-script={
:delay 10
:if ([/ping 8.8.8.8 count=3] = 0) do={
:log error "Confirmed WAN1 failure"
/ip/route set [find gateway=203.0.113.1] distance=20
}
}
#? /tool/netwatch print detail
#~ host=8.8.8.8
#~ down-script="\n:delay 10\n:if ([/ping 8.8.8.8 count=3] = 0) do={\n:log error \"Confirmed WAN1 failure\"\n/ip/route set [find gateway=203.0.113.1] distance=20\n}\n"

