# The guide's Netwatch raising the distance (its lines 101-108).
# Monitor an external IP for WAN1 reachability
/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
up-script="/ip/route set [find gateway=203.0.113.1] distance=1" \
down-script="/ip/route set [find gateway=203.0.113.1] distance=20"
# Primary route (distance=1 when WAN1 healthy; Netwatch raises to 20 on failure)
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1
# Backup route (distance=10 — always wins when WAN1 distance=20)
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10
#? /tool/netwatch print detail
#~ host=8.8.8.8
#~ up-script="/ip/route set [find gateway=203.0.113.1] distance=1"
#~ down-script="/ip/route set [find gateway=203.0.113.1] distance=20"
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= 0 As 0.0.0.0/0    203.0.113.1   main                  1
#= 1  s 0.0.0.0/0    198.51.100.1  main                 10
#netwatch 0 down-script
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= 0  s 0.0.0.0/0    203.0.113.1   main                 20
#= 1 As 0.0.0.0/0    198.51.100.1  main                 10
#netwatch 0 up-script
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= 0 As 0.0.0.0/0    203.0.113.1   main                  1
#= 1  s 0.0.0.0/0    198.51.100.1  main                 10

