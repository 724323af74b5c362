# The guide's Netwatch enabling and disabling routes by comment, and masquerade on both
# WANs (its lines 112-129).
/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
up-script={
:log info "WAN1 upstream UP"
/ip/route enable [find comment="wan1-default"]
} \
down-script={
:log warning "WAN1 upstream DOWN - failing over"
/ip/route disable [find comment="wan1-default"]
}
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 comment="wan1-default"
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment="wan2-default"
#? /tool/netwatch print detail
#~ host=8.8.8.8
#~ up-script="\n:log info \"WAN1 upstream UP\"\n/ip/route enable [find comment=\"wan1-default\"]\n"
#~ down-script="\n:log warning \"WAN1 upstream DOWN - failing over\"\n/ip/route disable [find comment=\"wan1-default\"]\n"
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= ;;; wan1-default
#= 0 As 0.0.0.0/0    203.0.113.1   main                  1
#= ;;; wan2-default
#= 1  s 0.0.0.0/0    198.51.100.1  main                 10
#netwatch 0 down-script
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #     DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= ;;; wan1-default
#= 0 X s 0.0.0.0/0    203.0.113.1   main                  1
#= ;;; wan2-default
#= 1  As 0.0.0.0/0    198.51.100.1  main                 10
#netwatch 0 up-script
#? /ip/route print where dst-address=0.0.0.0/0
#= Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP
#= Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE
#= #    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE
#= ;;; wan1-default
#= 0 As 0.0.0.0/0    203.0.113.1   main                  1
#= ;;; wan2-default
#= 1  s 0.0.0.0/0    198.51.100.1  main                 10

/interface/list add name=WAN
/interface/list/member add interface=ether1 list=WAN
/interface/list/member add interface=ether2 list=WAN
/ip/firewall/nat add chain=srcnat out-interface-list=WAN action=masquerade
#? /interface/list print
#= Flags: D - DYNAMIC
#= Columns: NAME
#= #  NAME
#= 0  WAN
#? /interface/list/member print
#= Flags: X - DISABLED; D - DYNAMIC
#= Columns: LIST, INTERFACE
#= #  LIST  INTERFACE
#= 0  WAN   ether1
#= 1  WAN   ether2
#? /ip/firewall/nat print
#= Flags: X - disabled, I - invalid; D - dynamic
#=  0    chain=srcnat action=masquerade out-interface-list=WAN

