# Wrong commands: each is refused at its line and column (counted from the case's first
# line), with a message that says what is wrong, and changes nothing. Cases run in turn on
# the guide's router with these routes:
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 comment=wan1-default
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment=wan2-default
/interface/list add name=WAN
/tool/netwatch add host=8.8.8.8

# Unknown path.
/ip/rout print
#! 1:1 no such menu or command '/ip/rout'
/ip/address
add address=10.0.0.1/24 interface=ether1
/routing/nexthopz print
#! 3:1 no such menu
/ip rout add gateway=203.0.113.1
#! 1:1 no such menu

# Unknown command.
/ip/route frobnicate
#! 1:1 no such menu or command '/ip/route/frobnicate'
/ip/settings add ecmp-hash-policy=l4
#! 1:1 no such command 'add' in /ip/settings
/routing/nexthop remove 0
#! 1:1 no such command 'remove'
/ip/address set [find] address=10.9.9.9/24
/ip/address flush
#! 2:1 no such command 'flush' in /ip/address

# Unknown property.
/ip/route add dst-address=10.0.0.0/8 gateway=203.0.113.1 colour=red
#! 1:58 unknown property 'colour'
/ip/address add address=10.0.0.1/24 interface=ether1 broadcast=10.0.0.255
#! 1:54 unknown property 'broadcast'
/ip/settings set rp-filter=strict
#! 1:18 unknown property 'rp-filter' for /ip/settings
/routing/settings set check-gateway-ping-interval=5s keepalive=yes
#! 1:54 unknown property 'keepalive' for /routing/settings
/ip/firewall/mangle add chain=prerouting action=accept tos=4
#! 1:56 unknown property 'tos'

# Bad value.
/ip/address add address=10.0.0.1/33 interface=ether1
#! 1:17 invalid prefix length
/ip/address add address=10.0.0.300/24 interface=ether1
#! 1:17 invalid IPv4 address
/ip/address add address=224.0.0.1/24 interface=ether1
#! 1:17 cannot be an interface's address
/ip/address add address=10.0.0.1/24 interface=ether9
#! 1:1 no interface 'ether9'
/ip/address add address=203.0.113.2/24 interface=ether1
#! 1:1 already have such address
/ip/address add interface=ether1
#! 1:1 needs address=
/ip/address add address=10.0.0.1/24
#! 1:1 needs interface=
/ip/address set 0 interface=ether7
#! 1:1 no interface 'ether7'
/ip/address set 0 disabled=perhaps
#! 1:19 expected yes or no
/ip/settings set ecmp-hash-policy=l7
#! 1:18 invalid ecmp-hash-policy 'l7'
/routing/settings set check-gateway-ping-timeout=5s
#! 1:23 check-gateway-ping-timeout must be from
/routing/settings set check-gateway-ping-count=0
#! 1:23 check-gateway-ping-count must be from 1 to 100
/ip/route add dst-address=10.0.0.0/8 gateway=203.0.113.1 distance=0
#! 1:58 distance
/ip/route add dst-address=10.0.0.0/8 gateway=203.0.113.1 routing-table=to_nowhere
#! 1:1 no routing table 'to_nowhere'
/ip/firewall/mangle add chain=prerouting action=mark-routing new-routing-mark=to_nowhere
#! 1:1 to_nowhere
/ip/firewall/nat add chain=srcnat out-interface-list=LAN action=masquerade
#! 1:1 LAN
/ip/firewall/connection/tracking set max-entries=10
#! 1:1 max-entries sizes the tables when wanfwd starts

# No such item.
/ip/route set 7 distance=3
#! 1:15 no such item
/ip/address remove 9
#! 1:20 no such item
/ip/address disable *1F
#! 1:21 no such item
/tool/netwatch set 4 host=1.1.1.1
#! 1:20 no such item
/interface/list remove 2
#! 1:24 no such item
/ip/route set [find comment=wan1-default] distance=2
/ip/route remove 5
#! 2:18 no such item

# Bad syntax.
/ip/route add dst-address=10.0.0.0/8 gateway="203.0.113.1
#! 1:46 unterminated string
/ip/route set [find comment=wan1-default distance=2
#! 1:15 `[` is not closed
/ip/address add address=10.0.0.1/24 interface=ether1 }
#! 1:54 without a matching `{`
/routing/nexthop flush now
#! 1:24 flush takes no property 'now'
/routing/nexthop flush 0
#! 1:24 flush takes no arguments
