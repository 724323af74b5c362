# /ip/settings and /routing/settings: the properties wanfwd has, print and set.
#? /ip/settings print
#= ecmp-hash-policy: l3
/ip/settings set ecmp-hash-policy=l3-inner
#? /ip/settings print
#= ecmp-hash-policy: l3-inner
/ip settings set ecmp-hash-policy=l4
#? /ip/settings print
#= ecmp-hash-policy: l4
#? /ip/settings print
#= ecmp-hash-policy: l4

#? /routing/settings print
#= check-gateway-ping-interval: 10s
#=  check-gateway-ping-timeout: 1s
#=    check-gateway-ping-count: 3
#= check-gateway-restore-count: 1
/routing/settings set check-gateway-ping-interval=5s check-gateway-ping-count=5
#? /routing/settings print
#= check-gateway-ping-interval: 5s
#=  check-gateway-ping-timeout: 1s
#=    check-gateway-ping-count: 5
#= check-gateway-restore-count: 1

# /ip/firewall/connection/tracking, the third settings menu of the guide's set-up.
/ip/firewall/connection/tracking set udp-timeout=1m tcp-established-timeout=2h
#? /ip/firewall/connection/tracking print
#~ udp-timeout: 1m
#~ tcp-established-timeout: 2h
