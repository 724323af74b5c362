#!/usr/bin/env bash
# Shared by the NAT end-to-end tests (source it after lib.sh): the testbed as masquerade
# needs it, and how to read the answers of tests/e2e/peer.py.
#   nat_testbed_up      testbed up; the ISPs forget the LAN (only translated traffic comes
#                       back); LAN_HOSTS on the LAN; a peer.py server on 192.0.2.100:$PORT
#                       behind each ISP, naming its host and the source it saw
#   tcp_split FILE      prints "answered host1 host2 wrong-source" for peer.py tcp's output
PEER="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/peer.py"
PORT=8080
LAN_HOSTS=(192.168.1.10 192.168.1.11 192.168.1.12 192.168.1.13)

nat_testbed_up() {
    local a h
    testbed_up
    ip -n wf-isp1 route del 192.168.1.0/24
    ip -n wf-isp2 route del 192.168.1.0/24
    for a in "${LAN_HOSTS[@]:1}"; do
        ip -n wf-lan addr add "$a/24" dev lan0
    done
    for h in 1 2; do
        in_ns "wf-host$h" python3 "$PEER" serve "host$h" 192.0.2.100 "$PORT" >/dev/null 2>&1 &
        TB_PIDS+=($!)
    done
}

tcp_split() {
    awk '$2 == "-" { next } { n++ }
        $2 == "host1" { h1++; if ($3 !~ /^203\.0\.113\.2:/) bad++ }
        $2 == "host2" { h2++; if ($3 !~ /^198\.51\.100\.2:/) bad++ }
        END { print n + 0, h1 + 0, h2 + 0, bad + 0 }' "$1"
}
