#!/usr/bin/env bash
# wanfwd's network-namespace testbed: the topology of the RouterOS multi-WAN guide, built from
# namespaces and veth pairs. Source it as a library, or run it:
#
#   scripts/testbed.sh up|down|status   build, remove or show the testbed
#   scripts/testbed.sh config           print the wanfwd configuration for it
#   scripts/testbed.sh selftest         prove the testbed with a kernel router instead of wanfwd
#
#   wf-lan   lan0 192.168.1.10/24 ── wfr-lan  ─┐
#   wf-isp1  wan0 203.0.113.1/24  ── wfr-isp1 ─┼─ root namespace, no address: wanfwd opens
#   wf-isp2  wan0 198.51.100.1/24 ── wfr-isp2 ─┘  these with net_af_packet (bridge, ether1, ether2)
#   wf-isp1  down0 192.0.2.1/30 ── up0 192.0.2.2/30 wf-host1 (192.0.2.10/32 on lo)
#   wf-isp2  down0 192.0.2.5/30 ── up0 192.0.2.6/30 wf-host2 (192.0.2.20/32 on lo)
#
# Library functions: testbed_up, testbed_down, testbed_status, testbed_trap, in_ns,
# wanfwd_config, wanfwd_start, wanfwd_stop, and the probes tb_ping, tb_no_reply,
# tb_traceroute, tb_random_file, tb_tcp_transfer.
# The documentation addresses exist only inside the namespaces; the root namespace gets none.
set -euo pipefail

TB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WANFWD=${WANFWD:-${CARGO_TARGET_DIR:-$TB_REPO/target}/release/wanfwd}
TB_FILE_PREFIX=wanfwd-test                    # DPDK --file-prefix in the configuration
TB_METRICS_PORT=${TB_METRICS_PORT:-19417}     # wanfwd's Prometheus endpoint, on loopback
TB_NAMESPACES=(wf-lan wf-isp1 wf-isp2 wf-host1 wf-host2 wf-rtr)
TB_ROOT_DEVS=(wfr-lan wfr-isp1 wfr-isp2)      # router-side ends, in the root namespace
WANFWD_PID=${WANFWD_PID:-}
WANFWD_LOG=${WANFWD_LOG:-}
TB_SERVER_PID=                                # a tb_tcp_transfer server still running

# Fixed MACs (02:00:00:00:<namespace>:<host>), for tests that want static ARP entries.
TB_MAC_RTR_LAN=02:00:00:00:00:01  TB_MAC_RTR_ISP1=02:00:00:00:00:02  TB_MAC_RTR_ISP2=02:00:00:00:00:03
TB_MAC_LAN=02:00:00:00:01:10
TB_MAC_ISP1_WAN=02:00:00:00:02:01 TB_MAC_ISP1_DOWN=02:00:00:00:02:05 TB_MAC_HOST1=02:00:00:00:04:06
TB_MAC_ISP2_WAN=02:00:00:00:03:01 TB_MAC_ISP2_DOWN=02:00:00:00:03:05 TB_MAC_HOST2=02:00:00:00:05:06

in_ns() { # NS CMD...: run CMD inside namespace NS
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

_tb_log() { printf 'testbed: %s\n' "$*" >&2; }

_tb_offloads() { # [NS] DEV: checksum/segmentation offloads off (TCP over af_packet stalls otherwise), up
    local dev=${*: -1}
    local run=()
    [[ $# -eq 2 ]] && run=(ip netns exec "$1")
    "${run[@]}" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null
    "${run[@]}" ip link set "$dev" up
}

_tb_ns() { # NS FORWARD(0|1): a namespace with lo up, no IPv6, no ICMP rate limit
    local ns=$1
    ip netns add "$ns"
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
        net.ipv4.icmp_ratelimit=0 net.ipv4.ip_forward="$2"
    ip -n "$ns" link set lo up
}

_tb_root_end() { # DEV MAC NS PEER PEER_MAC: veth whose DEV end stays in root, silent and address-less
    local dev=$1
    ip link add "$dev" address "$2" type veth peer name "$4" address "$5" netns "$3"
    # Before the link goes up: no IPv6 (no RS/MLD/DAD), no forwarding, no ARP replies, strict
    # reverse-path filter, so the root kernel neither answers nor routes what it sees here.
    sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" "net.ipv4.conf.$dev.forwarding=0" \
        "net.ipv4.conf.$dev.arp_ignore=8" "net.ipv4.conf.$dev.rp_filter=1"
    _tb_offloads "$dev"
    _tb_offloads "$3" "$4"
}

_tb_ns_pair() { # NS_A DEV_A MAC_A NS_B DEV_B MAC_B: veth between two namespaces
    ip -n "$1" link add "$2" address "$3" type veth peer name "$5" address "$6" netns "$4"
    _tb_offloads "$1" "$2"
    _tb_offloads "$4" "$5"
}

_tb_remove_net() { # every namespace and root veth end of the testbed, whatever state it is in
    local dev ns pid
    for dev in "${TB_ROOT_DEVS[@]}"; do
        ip link del "$dev" 2>/dev/null || true
    done
    for ns in "${TB_NAMESPACES[@]}"; do
        [[ -e /run/netns/$ns ]] || continue
        # Processes left in our namespaces (started by a test of ours) would keep them alive.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
}

testbed_up() {
    [[ $EUID -eq 0 ]] || { _tb_log "must run as root"; return 1; }
    _tb_remove_net # leftovers of an earlier run
    _tb_ns wf-lan 0
    _tb_ns wf-isp1 1
    _tb_ns wf-isp2 1
    _tb_ns wf-host1 0
    _tb_ns wf-host2 0
    _tb_root_end wfr-lan "$TB_MAC_RTR_LAN" wf-lan lan0 "$TB_MAC_LAN"
    _tb_root_end wfr-isp1 "$TB_MAC_RTR_ISP1" wf-isp1 wan0 "$TB_MAC_ISP1_WAN"
    _tb_root_end wfr-isp2 "$TB_MAC_RTR_ISP2" wf-isp2 wan0 "$TB_MAC_ISP2_WAN"
    _tb_ns_pair wf-isp1 down0 "$TB_MAC_ISP1_DOWN" wf-host1 up0 "$TB_MAC_HOST1"
    _tb_ns_pair wf-isp2 down0 "$TB_MAC_ISP2_DOWN" wf-host2 up0 "$TB_MAC_HOST2"

    ip -n wf-lan addr add 192.168.1.10/24 dev lan0
    ip -n wf-lan route add default via 192.168.1.1

    ip -n wf-isp1 addr add 203.0.113.1/24 dev wan0
    ip -n wf-isp1 addr add 192.0.2.1/30 dev down0
    ip -n wf-isp1 route add 192.168.1.0/24 via 203.0.113.2 # no NAT on the router yet
    ip -n wf-isp1 route add 192.0.2.10/32 via 192.0.2.2
    ip -n wf-host1 addr add 192.0.2.2/30 dev up0
    ip -n wf-host1 addr add 192.0.2.10/32 dev lo
    ip -n wf-host1 route add default via 192.0.2.1 src 192.0.2.10

    ip -n wf-isp2 addr add 198.51.100.1/24 dev wan0
    ip -n wf-isp2 addr add 192.0.2.5/30 dev down0
    ip -n wf-isp2 route add 192.168.1.0/24 via 198.51.100.2
    ip -n wf-isp2 route add 192.0.2.20/32 via 192.0.2.6
    ip -n wf-host2 addr add 192.0.2.6/30 dev up0
    ip -n wf-host2 addr add 192.0.2.20/32 dev lo
    ip -n wf-host2 route add default via 192.0.2.5 src 192.0.2.20

    # 192.0.2.100, "a host on the internet", answers behind both ISPs (the same address on
    # both far hosts), so that failover tests reach it whichever WAN the router picks, and
    # tell which one by the far host that received the traffic.
    ip -n wf-host1 addr add 192.0.2.100/32 dev lo
    ip -n wf-host2 addr add 192.0.2.100/32 dev lo
    ip -n wf-isp1 route add 192.0.2.100/32 via 192.0.2.2
    ip -n wf-isp2 route add 192.0.2.100/32 via 192.0.2.6
}

TB_PIDS=()

testbed_down() { # stop what we started, remove the testbed; tolerant of partial state
    wanfwd_stop >/dev/null 2>&1 || true
    _tb_dpdk_cleanup
    if [[ -n $TB_SERVER_PID ]]; then
        kill "$TB_SERVER_PID" 2>/dev/null || true
        wait "$TB_SERVER_PID" 2>/dev/null || true
        TB_SERVER_PID=
    fi
    local pid
    for pid in "${TB_PIDS[@]}"; do # helpers a test started in the namespaces
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    TB_PIDS=()
    _tb_remove_net
}

testbed_status() {
    local ns
    echo "namespaces:"
    ip netns list | grep '^wf-' | sort || echo "  (none)"
    echo "root-namespace ends:"
    ip -br link show | grep '^wfr-' || echo "  (none)"
    for ns in "${TB_NAMESPACES[@]}"; do
        [[ -e /run/netns/$ns ]] || continue
        echo "$ns:"
        ip -n "$ns" -br addr show | grep -v '^lo .*127.0.0.1/8 *$' | sed 's/^/  /'
        ip -n "$ns" route show | sed 's/^/  route /'
    done
}

_tb_on_exit() {
    local rc=$?
    testbed_down
    [[ -n ${TB_TMP:-} ]] && rm -rf "$TB_TMP"
    exit "$rc"
}

testbed_trap() { # tear everything down on EXIT, INT and TERM; creates TB_TMP, a scratch dir
    TB_TMP=$(mktemp -d /tmp/wanfwd-tb.XXXXXX)
    trap _tb_on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

wanfwd_config() { # FILE [ROUTING]: wanfwd's configuration for this topology; ROUTING (YAML)
    # replaces the default /ip/route section (and may add /routing/... sections)
    local routing=${2:-'/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1 }
  - { dst-address: 192.0.2.20/32, gateway: 198.51.100.1 }'}
    cat >"$1" <<EOF
dpdk:
  eal-args: ["--file-prefix", "$TB_FILE_PREFIX", "--no-pci", "-l", "0,1"]
  workers: 1
api:
  socket: $TB_TMP/api.sock
metrics:
  listen: 127.0.0.1:$TB_METRICS_PORT
/interface/ethernet:
  - { name: bridge, device: "net_af_packet0,iface=wfr-lan" }
  - { name: ether1, device: "net_af_packet1,iface=wfr-isp1" }
  - { name: ether2, device: "net_af_packet2,iface=wfr-isp2" }
/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1 }
  - { address: 198.51.100.2/24, interface: ether2 }
$routing
EOF
}

tb_metric() { # NAME{LABELS}: the value of one metric line of wanfwd's endpoint (0 if absent)
    python3 - "$1" "$TB_METRICS_PORT" <<'PY'
import sys, urllib.request
name, port = sys.argv[1], sys.argv[2]
text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
for line in text.splitlines():
    if line.startswith(name + " "):
        print(int(float(line.split()[-1])))
        break
else:
    print(0)
PY
}

tb_rx_packets() { # NS DEV: packets received on DEV in NS
    ip -n "$1" -s -j link show "$2" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

wanfwd_start() { # CONFIG LOG [ARGS...]: start wanfwd in the background (with extra ARGS),
    # wait up to 30 s for 'wanfwd ready'
    local config=$1 i rc=0
    WANFWD_LOG=$2
    shift 2
    if [[ ! -x $WANFWD ]]; then
        _tb_log "no wanfwd binary at $WANFWD (cargo build --release, or set WANFWD)"
        return 1
    fi
    # A background job of a script ignores SIGINT; give wanfwd the default, as in a terminal.
    env --default-signal=INT "$WANFWD" --config "$config" "$@" >"$WANFWD_LOG" 2>&1 </dev/null &
    WANFWD_PID=$!
    for ((i = 0; i < 300; i++)); do
        grep -q 'wanfwd ready' "$WANFWD_LOG" && return 0
        if ! kill -0 "$WANFWD_PID" 2>/dev/null; then
            wait "$WANFWD_PID" || rc=$?
            WANFWD_PID=
            _tb_log "wanfwd exited with status $rc before it was ready; log tail:"
            tail -n 40 "$WANFWD_LOG" >&2
            return 1
        fi
        sleep 0.1
    done
    _tb_log "wanfwd not ready after 30 s; log tail:"
    tail -n 40 "$WANFWD_LOG" >&2
    wanfwd_stop >/dev/null || true
    return 1
}

wanfwd_stop() { # SIGINT, up to 10 s, then SIGKILL; prints the log tail; returns wanfwd's status
    local pid=$WANFWD_PID rc=0 i mnt
    [[ -n $pid ]] || return 0
    WANFWD_PID=
    kill -INT "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        _tb_log "wanfwd still running 10 s after SIGINT: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || rc=$?
    echo "--- wanfwd log (last 40 lines) ---"
    tail -n 40 "$WANFWD_LOG" || true
    echo "--- wanfwd exit status: $rc ---"
    _tb_dpdk_cleanup
    return "$rc"
}

_tb_dpdk_cleanup() { # what EAL leaves for our prefix (runtime dir, hugepage files)
    rm -rf "/var/run/dpdk/$TB_FILE_PREFIX"
    awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | while read -r mnt; do
        rm -f "$mnt/$TB_FILE_PREFIX"map_*
    done
}

# ---- probes; each prints what it ran into and returns 0 on success ----

tb_ping() { # NS ADDR [COUNT]: COUNT pings 0.2 s apart, at most one lost
    local count=${3:-5} out received
    out=$(in_ns "$1" timeout 30 ping -n -c "$count" -i 0.2 -W 2 "$2" 2>&1) || true
    printf '%s\n' "$out"
    received=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' <<<"$out")
    [[ -n $received ]] && ((received >= count - 1))
}

tb_no_reply() { # NS ADDR: pings get no reply, and ping ends on its own (not by timeout)
    local out rc=0
    out=$(in_ns "$1" timeout 30 ping -n -c 3 -i 0.2 -W 1 "$2" 2>&1) || rc=$?
    printf '%s\n(ping exit status %d)\n' "$out" "$rc"
    [[ $rc -eq 1 ]] && grep -q ' 0 received' <<<"$out"
}

tb_traceroute() { # NS DST HOP1 HOP2: hop 1 is HOP1, hop 2 is HOP2, and DST is reached
    local out
    out=$(in_ns "$1" timeout 60 traceroute -n -q 1 -w 2 -m 10 "$2" 2>&1) || true
    printf '%s\n' "$out"
    awk -v dst="$2" -v h1="$3" -v h2="$4" '
        $1 == "1" && $2 == h1 { a = 1 }
        $1 == "2" && $2 == h2 { b = 1 }
        $1 ~ /^[0-9]+$/ && $2 == dst { c = 1 }
        END { exit !(a && b && c) }' <<<"$out"
}

tb_random_file() { # PATH SIZE (as for head -c, e.g. 8M)
    head -c "$2" /dev/urandom >"$1"
}

TB_PY_SERVER='
import hashlib, socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(1)
srv.settimeout(30)
conn, _ = srv.accept()
conn.settimeout(30)
digest = hashlib.sha256()
while data := conn.recv(65536):
    digest.update(data)
print(digest.hexdigest(), flush=True)
conn.close()
'
TB_PY_CLIENT='
import socket, sys, time
deadline = time.monotonic() + 20
while True:  # the server may not be listening yet
    try:
        conn = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
conn.settimeout(30)
with open(sys.argv[3], "rb") as f:
    while chunk := f.read(65536):
        conn.sendall(chunk)
conn.shutdown(socket.SHUT_WR)
while conn.recv(65536):
    pass
'

tb_tcp_transfer() { # CLIENT_NS SERVER_NS SERVER_ADDR FILE [PORT]: send FILE, compare sha256
    local file=$4 port=${5:-5001} out want got rc=0 start=$SECONDS
    out=$(mktemp)
    in_ns "$2" timeout 60 python3 -c "$TB_PY_SERVER" "$3" "$port" >"$out" 2>&1 &
    TB_SERVER_PID=$!
    in_ns "$1" timeout 60 python3 -c "$TB_PY_CLIENT" "$3" "$port" "$file" || rc=$?
    [[ $rc -eq 0 ]] || kill "$TB_SERVER_PID" 2>/dev/null || true
    wait "$TB_SERVER_PID" || rc=$?
    TB_SERVER_PID=
    want=$(sha256sum <"$file" | cut -d' ' -f1)
    got=$(cat "$out")
    rm -f "$out"
    printf 'file of %s bytes, to %s:%s, %ss\nsent sha256 %s\nrecv sha256 %s\n' \
        "$(stat -c %s "$file")" "$3" "$port" "$((SECONDS - start))" "$want" "$got"
    [[ $rc -eq 0 && $got == "$want" ]]
}

# ---- selftest: the same topology routed by the kernel in namespace wf-rtr ----

testbed_selftest() {
    local passed=0 failed=0 dev out
    testbed_trap
    testbed_up
    _tb_ns wf-rtr 1
    for dev in "${TB_ROOT_DEVS[@]}"; do
        ip link set "$dev" netns wf-rtr
        _tb_offloads wf-rtr "$dev"
    done
    ip -n wf-rtr addr add 192.168.1.1/24 dev wfr-lan
    ip -n wf-rtr addr add 203.0.113.2/24 dev wfr-isp1
    ip -n wf-rtr addr add 198.51.100.2/24 dev wfr-isp2
    ip -n wf-rtr route add default via 203.0.113.1
    ip -n wf-rtr route add 192.0.2.20/32 via 198.51.100.1
    tb_random_file "$TB_TMP/8M.bin" 8M

    _check() {
        out=$("${@:2}" 2>&1) && { echo "PASS  $1"; passed=$((passed + 1)); return; }
        echo "FAIL  $1"
        printf '%s\n' "$out" | sed 's/^/      /'
        failed=$((failed + 1))
    }
    _check "LAN host pings the router 192.168.1.1" tb_ping wf-lan 192.168.1.1
    _check "LAN host pings 192.0.2.10 (behind ISP1)" tb_ping wf-lan 192.0.2.10
    _check "LAN host pings 192.0.2.20 (behind ISP2)" tb_ping wf-lan 192.0.2.20
    _check "traceroute 192.0.2.10: 192.168.1.1, 203.0.113.1, arrives" \
        tb_traceroute wf-lan 192.0.2.10 192.168.1.1 203.0.113.1
    _check "TCP 8 MB LAN -> host1" tb_tcp_transfer wf-lan wf-host1 192.0.2.10 "$TB_TMP/8M.bin"
    _check "TCP 8 MB host1 -> LAN" tb_tcp_transfer wf-host1 wf-lan 192.168.1.10 "$TB_TMP/8M.bin"
    _check "TCP 8 MB LAN -> host2" tb_tcp_transfer wf-lan wf-host2 192.0.2.20 "$TB_TMP/8M.bin"
    _check "no reply from 203.0.113.99 (nobody)" tb_no_reply wf-lan 203.0.113.99
    echo "$passed passed, $failed failed"
    ((failed == 0))
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    case ${1:-} in
    up) testbed_up && testbed_status ;;
    down) testbed_down ;;
    status) testbed_status ;;
    config) wanfwd_config /dev/stdout ;;
    selftest) testbed_selftest ;;
    *)
        echo "usage: $0 up|down|status|config|selftest" >&2
        exit 2
        ;;
    esac
fi
