# The guide's recursive anchor routing (its lines 63-75).
# Step 1: Anchor routes — /32 host routes with check-gateway
# scope=10 allows dependent routes (target-scope=20) to resolve through them
/ip/route add dst-address=203.0.113.1/32 gateway=203.0.113.1%ether1 \
check-gateway=ping distance=1 scope=10 target-scope=20
/ip/route add dst-address=198.51.100.1/32 gateway=198.51.100.1%ether2 \
check-gateway=ping distance=1 scope=10 target-scope=20
# Step 2: Default routes resolve through the anchors (scope=20, target-scope default=10)
# Note: set scope=20 so anchor can resolve them (anchor.scope=10 ≤ route.target-scope=20)
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 scope=20
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 scope=20
# Step 3: VPN routes also resolve through the same anchors
/ip/route add dst-address=10.10.0.0/16 gateway=203.0.113.1 distance=1 scope=20
/ip/route add dst-address=10.10.0.0/16 gateway=198.51.100.1 distance=10 scope=20
#? /ip/route print
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #     DST-ADDRESS      GATEWAY              ROUTING-TABLE  DISTANCE
#= 0  As 0.0.0.0/0        203.0.113.1          main                  1
#= 1   s 0.0.0.0/0        198.51.100.1         main                 10
#= 2  As 10.10.0.0/16     203.0.113.1          main                  1
#= 3   s 10.10.0.0/16     198.51.100.1         main                 10
#=   DAc 192.168.1.0/24   bridge               main                  0
#=   DAc 198.51.100.0/24  ether2               main                  0
#= 4  As 198.51.100.1/32  198.51.100.1%ether2  main                  1
#=   DAc 203.0.113.0/24   ether1               main                  0
#= 5  As 203.0.113.1/32   203.0.113.1%ether1   main                  1
#? /ip/route print detail where dst-address=10.10.0.0/16
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=  0 As  dst-address=10.10.0.0/16 gateway=203.0.113.1
#=        immediate-gw=203.0.113.1%ether1 distance=1 scope=20 target-scope=10
#=        routing-table=main
#=
#=  1  s  dst-address=10.10.0.0/16 gateway=198.51.100.1
#=        immediate-gw=198.51.100.1%ether2 distance=10 scope=20 target-scope=10
#=        routing-table=main
#? /routing/nexthop/print
#= Columns: ADDRESS, GW-STATE, IMMEDIATE-GW, INTERFACE, SCOPE, TARGET-SCOPE, CHECK-GATEWAY
#= # ADDRESS       GW-STATE   IMMEDIATE-GW         INTERFACE  SCOPE  TARGET-SCOPE  CHECK-GATEWAY
#= 0 198.51.100.1  reachable  198.51.100.1%ether2  ether2        10            20  ping
#= 1 198.51.100.1  recursive  198.51.100.1%ether2  ether2        10            10  none
#= 2 203.0.113.1   reachable  203.0.113.1%ether1   ether1        10            20  ping
#= 3 203.0.113.1   recursive  203.0.113.1%ether1   ether1        10            10  none
