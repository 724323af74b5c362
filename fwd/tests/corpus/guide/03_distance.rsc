# The guide's distance-based failover with check-gateway (its lines 82-85).
# Primary route — actively probed every 10s
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 check-gateway=ping
# Backup route — activates automatically if primary fails
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= 0 As 0.0.0.0/0    203.0.113.1   main                  1
#= 1  s 0.0.0.0/0    198.51.100.1  main                 10
#? /ip/route print detail where check-gateway=ping
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#=  0 As  dst-address=0.0.0.0/0 gateway=203.0.113.1 immediate-gw=203.0.113.1%ether1
#=        distance=1 scope=30 target-scope=10 routing-table=main check-gateway=ping
#link-down ether1
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= 0 Is 0.0.0.0/0    203.0.113.1   main                  1
#= 1 As 0.0.0.0/0    198.51.100.1  main                 10
