# /ip/address, live: the guide's router has 192.168.1.1/24 on bridge, 203.0.113.2/24 on
# ether1 and 198.51.100.2/24 on ether2. Connected routes follow the addresses.
#? /ip/address print
#= Flags: X - DISABLED, I - INVALID
#= Columns: ADDRESS, NETWORK, INTERFACE
#= #  ADDRESS          NETWORK       INTERFACE
#= 0  192.168.1.1/24   192.168.1.0   bridge
#= 1  203.0.113.2/24   203.0.113.0   ether1
#= 2  198.51.100.2/24  198.51.100.0  ether2
#? /ip/address print count-only where interface=bridge
#= 1

/ip/address add address=192.168.2.1/24 interface=bridge comment="second LAN"
#? /ip/address print
#= Flags: X - DISABLED, I - INVALID
#= Columns: ADDRESS, NETWORK, INTERFACE
#= #  ADDRESS          NETWORK       INTERFACE
#= 0  192.168.1.1/24   192.168.1.0   bridge
#= 1  203.0.113.2/24   203.0.113.0   ether1
#= 2  198.51.100.2/24  198.51.100.0  ether2
#= ;;; second LAN
#= 3  192.168.2.1/24   192.168.2.0   bridge
#? /ip/address print detail where network=192.168.2.0
#= Flags: X - disabled, I - invalid; D - dynamic
#=  3    ;;; second LAN
#=       address=192.168.2.1/24 network=192.168.2.0 interface=bridge
#? /ip/route print where dst-address=192.168.2.0/24
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #     DST-ADDRESS     GATEWAY  ROUTING-TABLE  DISTANCE
#=   DAc 192.168.2.0/24  bridge   main                  0

# A route through the new subnet resolves in the same script that adds it.
/ip/address add address=100.64.0.1/30 interface=ether1
/ip/route add dst-address=10.20.0.0/16 gateway=100.64.0.2
#? /ip/route print where dst-address=10.20.0.0/16
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS   GATEWAY     ROUTING-TABLE  DISTANCE
#= 0 As 10.20.0.0/16  100.64.0.2  main                  1

# set: a new address derives its network again.
/ip/address set [find address=100.64.0.1/30] address=100.64.0.1/29
#? /ip/address print where interface=ether1
#= Flags: X - DISABLED, I - INVALID
#= Columns: ADDRESS, NETWORK, INTERFACE
#= #  ADDRESS         NETWORK      INTERFACE
#= 1  203.0.113.2/24  203.0.113.0  ether1
#= 4  100.64.0.1/29   100.64.0.0   ether1
#? /ip/route print where dst-address=10.20.0.0/16
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS   GATEWAY     ROUTING-TABLE  DISTANCE
#= 0 As 10.20.0.0/16  100.64.0.2  main                  1
# Moved off the gateway's subnet, the route cannot resolve.
/ip/address set [find address=100.64.0.1/29] address=100.64.1.1/29
#? /ip/route print where dst-address=10.20.0.0/16
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS   GATEWAY     ROUTING-TABLE  DISTANCE
#= 0 Is 10.20.0.0/16  100.64.0.2  main                  1
/ip/address set [find address=100.64.1.1/29] address=100.64.0.1/29

# disable takes the connected route away, and what resolved through it goes inactive.
/ip/address disable [find address=100.64.0.1/29]
#? /ip/address print where disabled
#= Flags: X - DISABLED, I - INVALID
#= Columns: ADDRESS, NETWORK, INTERFACE
#= #   ADDRESS        NETWORK     INTERFACE
#= 4 X 100.64.0.1/29  100.64.0.0  ether1
#? /ip/route print where dst-address=10.20.0.0/16
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS   GATEWAY     ROUTING-TABLE  DISTANCE
#= 0 Is 10.20.0.0/16  100.64.0.2  main                  1
/ip/address enable [find address=100.64.0.1/29]
#? /ip/route print count-only where dst-address=10.20.0.0/16 active
#= 1

# remove by number of the last print and by find.
/ip/address remove [find comment="second LAN"]
#? /ip/route print count-only where dst-address=192.168.2.0/24
#= 0
/ip/address remove 3
#? /ip/address print
#= Flags: X - DISABLED, I - INVALID
#= Columns: ADDRESS, NETWORK, INTERFACE
#= #  ADDRESS          NETWORK       INTERFACE
#= 0  192.168.1.1/24   192.168.1.0   bridge
#= 1  203.0.113.2/24   203.0.113.0   ether1
#= 2  198.51.100.2/24  198.51.100.0  ether2
#? /ip/route print count-only where dst-address=10.20.0.0/16 active
#= 0

# An address on an interface whose link is down is invalid.
#link-down ether2
#? /ip/address print where invalid
#= Flags: X - DISABLED, I - INVALID
#= Columns: ADDRESS, NETWORK, INTERFACE
#= #   ADDRESS          NETWORK       INTERFACE
#= 2 I 198.51.100.2/24  198.51.100.0  ether2
