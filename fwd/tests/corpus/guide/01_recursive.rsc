# The guide's recursive resolution (its lines 33-57), on the guide's router.
# Show routes with resolution state
#? /ip/route print detail
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=    DAc  dst-address=192.168.1.0/24 gateway=bridge immediate-gw=bridge distance=0
#=         scope=10 target-scope=0 routing-table=main
#=
#=    DAc  dst-address=198.51.100.0/24 gateway=ether2 immediate-gw=ether2
#=         distance=0 scope=10 target-scope=0 routing-table=main
#=
#=    DAc  dst-address=203.0.113.0/24 gateway=ether1 immediate-gw=ether1 distance=0
#=         scope=10 target-scope=0 routing-table=main
# Show only active (resolved) routes
#? /ip/route print where active=yes
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #     DST-ADDRESS      GATEWAY  ROUTING-TABLE  DISTANCE
#=   DAc 192.168.1.0/24   bridge   main                  0
#=   DAc 198.51.100.0/24  ether2   main                  0
#=   DAc 203.0.113.0/24   ether1   main                  0
# Show the next-hop cache
#? /routing/nexthop/print
#= Columns: ADDRESS, GW-STATE, IMMEDIATE-GW, INTERFACE, SCOPE, TARGET-SCOPE, CHECK-GATEWAY
#= # ADDRESS  GW-STATE  IMMEDIATE-GW  INTERFACE  SCOPE  TARGET-SCOPE  CHECK-GATEWAY

# Route A: resolved via a static route (raise target-scope to allow it)
/ip/route add dst-address=10.1.0.0/16 gateway=172.16.0.1 target-scope=30
# Route B: intermediate static route (scope=30 satisfies A's target-scope=30)
/ip/route add dst-address=172.16.0.0/24 gateway=192.168.1.1
#? /ip/route print detail where dst-address=10.1.0.0/16
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=  0 As  dst-address=10.1.0.0/16 gateway=172.16.0.1
#=        immediate-gw=192.168.1.1%bridge distance=1 scope=30 target-scope=30
#=        routing-table=main
#? /ip/route print detail where dst-address=172.16.0.0/24
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=  0 As  dst-address=172.16.0.0/24 gateway=192.168.1.1
#=        immediate-gw=192.168.1.1%bridge distance=1 scope=30 target-scope=10
#=        routing-table=main
