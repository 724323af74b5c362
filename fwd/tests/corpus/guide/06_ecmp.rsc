# The guide's ECMP (its lines 133-153).
# Both gateways at distance=1 — RouterOS creates an ECMP group
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 check-gateway=ping
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=1 check-gateway=ping
# Options: l3 (src+dst IP), l4 (src+dst IP + ports), l3-inner (inner headers for tunnels)
#? /ip/settings print
#= ecmp-hash-policy: l3
/ip/settings set ecmp-hash-policy=l4
#? /ip/settings print
#= ecmp-hash-policy: l4
# Verify ECMP group — both routes should show as active
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #     DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= 0 As+ 0.0.0.0/0    203.0.113.1   main                  1
#= 1 As+ 0.0.0.0/0    198.51.100.1  main                  1
