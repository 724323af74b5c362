# The guide's PCC load balancing (its lines 167-200), and its Netwatch clearing the
# connections of the failed WAN (lines 215-219).
# 1) Create routing tables for policy routing
/routing/table
add name=to_wan1 fib
add name=to_wan2 fib
# 2) Per-table default routes (for marked traffic)
/ip/route
add dst-address=0.0.0.0/0 gateway=203.0.113.1 routing-table=to_wan1 distance=1 check-gateway=ping
add dst-address=0.0.0.0/0 gateway=198.51.100.1 routing-table=to_wan2 distance=1 check-gateway=ping
# 3) Main table routes (for unmarked traffic and fallback)
/ip/route
add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 check-gateway=ping
add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 check-gateway=ping
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
#? /routing/table print
#= Flags: X - disabled, I - invalid; D - dynamic
#=  0    name=to_wan1 fib=yes
#=  1    name=to_wan2 fib=yes
#? /ip/route print
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #     DST-ADDRESS      GATEWAY       ROUTING-TABLE  DISTANCE
#= 0  As 0.0.0.0/0        203.0.113.1   to_wan1               1
#= 1  As 0.0.0.0/0        198.51.100.1  to_wan2               1
#= 2  As 0.0.0.0/0        203.0.113.1   main                  1
#= 3   s 0.0.0.0/0        198.51.100.1  main                 10
#=   DAc 192.168.1.0/24   bridge        main                  0
#=   DAc 198.51.100.0/24  ether2        main                  0
#=   DAc 203.0.113.0/24   ether1        main                  0
#? /ip/firewall/mangle print
#= Flags: X - disabled, I - invalid; D - dynamic
#=  0    chain=prerouting action=mark-connection new-connection-mark=wan1_conn passthrough=yes in-interface=bridge connection-state=new dst-address-type=!local per-connection-classifier=both-addresses-and-ports:2/0
#=  1    chain=prerouting action=mark-connection new-connection-mark=wan2_conn passthrough=yes in-interface=bridge connection-state=new dst-address-type=!local per-connection-classifier=both-addresses-and-ports:2/1
#=  2    chain=prerouting action=mark-routing new-routing-mark=to_wan1 passthrough=no in-interface=bridge connection-mark=wan1_conn
#=  3    chain=prerouting action=mark-routing new-routing-mark=to_wan2 passthrough=no in-interface=bridge connection-mark=wan2_conn
#=  4    chain=output action=mark-routing new-routing-mark=to_wan1 passthrough=no connection-mark=wan1_conn
#=  5    chain=output action=mark-routing new-routing-mark=to_wan2 passthrough=no connection-mark=wan2_conn

/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
down-script={
:log warning "WAN1 down - clearing wan1 connections"
/ip/firewall/connection remove [find connection-mark=wan1_conn]
}
#? /tool/netwatch print detail
#~ host=8.8.8.8
#~ down-script="\n:log warning \"WAN1 down - clearing wan1 connections\"\n/ip/firewall/connection remove [find connection-mark=wan1_conn]\n"
#netwatch 0 down-script
#removed 2

