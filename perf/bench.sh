#!/usr/bin/env bash
# perf/bench.sh: wanfwd's routed forwarding rate on one worker core, measured against
# dpdk-testpmd --forward-mode=io (the ceiling) on the same virtual devices in the same run,
# plus fwd-micro (the forwarding decision alone, no DPDK). See perf/README.md.
#
# The machine may be shared, so the two programs are measured alternately, several rounds,
# and the report gives medians and the ratio. Nothing here is a pass/fail test: the script
# exits 0 when it could measure, 1 with a message when it could not.
set -euo pipefail

usage() {
    cat <<EOF
Usage: perf/bench.sh [--rounds N] [--seconds S] [--baseline WANFWD] [--l3fwd | --pcc [--flows N] [--passes K] [--max-entries M] [--established]]

  --rounds N    rounds, each running testpmd then wanfwd (default 5)
  --seconds S   how long each program runs per round once it has started (printed its
                first rate sample), at least 4 (default 8); the first 2 one-second
                samples are discarded as warm-up
  --baseline WANFWD
                another wanfwd binary (a build of an earlier commit, say) run in each
                round right after this tree's, on the same configuration and capture:
                an A/B of two builds, alternated, against the same testpmd reference;
                adds its rate, wanfwd/baseline and baseline/testpmd (not its new
                connections/s); it is held to the same checks (drops, connections)
  --l3fwd       each round also runs DPDK's l3fwd example (LPM) on the same devices, a
                second reference: DPDK's own router (built from dpdk-doc's sources,
                installed if missing; see perf/l3fwd.sh); plain routing only
  --pcc         wanfwd runs the guide's PCC set-up (configs/pcc.yaml: mangle, routing
                tables to_wan1/to_wan2, masquerade on ether1 and ether2, both net_null
                sinks with static-ARP gateways, no check-gateway): the stateful path;
                the rate is ether1's plus ether2's tx
  --flows N     with --pcc, distinct UDP flows in the capture, each a connection, 1 to
                4000000 (default 1000); 200 LAN hosts, source ports from 10000, 4099
                remotes in 198.18.0.0/15; with 100000 or more, each round also measures
                the rate of new connections (a third run, the table filling up)
  --passes K    with --pcc, the capture holds K passes over the flows (1 to 8, default 1):
                1 replays the flows in the order their connections were created (the
                most cache-friendly order); K >= 2 shuffles each pass differently, so
                that K-1 packets in K come in an order unrelated to creation (K times
                the mbufs and hugepages)
  --established with --pcc, a third interface (ether3, net_pcap) plays each flow's reply
                once as the flows' first packets come in, so that the connections
                measured are established (seen both ways) rather than unreplied; the
                run fails unless every reply reached its LAN host. ether3 stays polled
                after its capture ends, and net_pcap then costs a libpcap call per poll
  --max-entries M
                with --pcc, the connection table's capacity (/ip/firewall/connection/
                tracking max-entries; default the router's 1000000, or --flows if more):
                a smaller table packs the same connections in less memory

Needs root, hugepages (scripts/setup.sh) and the release binaries (cargo build --release).
EOF
}

ROUNDS=5
DURATION=8 # seconds per program per round (not $SECONDS, which bash owns)
WARMUP=2   # one-second samples discarded at the start of each run
MICRO_RUNS=3
MIN_HUGEPAGES=64        # 2 MB pages free before starting: each program needs ~40 MB
MAX_DROP_PER_MILLE=1    # wanfwd drops tolerated, per 1000 received packets
PCC=0
ESTABLISHED=0
L3FWD=0
FLOWS=1000
PASSES=1
MAX_FLOWS=4000000
NEWCONN_MIN_FLOWS=100000 # from here on, creating the connections lasts long enough to sample
NEWCONN_INTERVAL=0.05    # seconds between rate samples in the new-connection run
PREFIX_WANFWD="wf-bench" # EAL --file-prefix of each program; they never run at once
PREFIX_TESTPMD="wf-bench-tp"
DPDK_RUNDIR=/var/run/dpdk
# shellcheck source=perf/l3fwd.sh
source "$(dirname "${BASH_SOURCE[0]}")/l3fwd.sh" # PREFIX_L3FWD, l3fwd_build, measure_l3fwd

while (($#)); do
    case $1 in
    --rounds) ROUNDS=${2-} && { shift 2 || shift; } ;;
    --seconds) DURATION=${2-} && { shift 2 || shift; } ;;
    --pcc) PCC=1 && shift ;;
    --l3fwd) L3FWD=1 && shift ;;
    --flows) FLOWS=${2-} && { shift 2 || shift; } ;;
    --passes) PASSES=${2-} && { shift 2 || shift; } ;;
    --max-entries) MAX_ENTRIES=${2-} && { shift 2 || shift; } ;;
    --established) ESTABLISHED=1 && shift ;;
    --baseline) BASELINE=${2-} && { shift 2 || shift; } ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && exit 2 ;;
    esac
done
if ! [[ $FLOWS =~ ^[1-9][0-9]*$ ]] || ((FLOWS > MAX_FLOWS)); then
    echo "bench.sh: --flows wants an integer from 1 to $MAX_FLOWS" >&2
    exit 2
fi
if ((L3FWD && PCC)); then
    echo "bench.sh: --l3fwd compares plain routing; it does not go with --pcc" >&2
    exit 2
fi
if ! [[ $PASSES =~ ^[1-8]$ ]]; then
    echo "bench.sh: --passes wants an integer from 1 to 8" >&2
    exit 2
fi
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --rounds wants a positive integer" >&2; exit 2; }
if ! [[ $DURATION =~ ^[0-9]+$ ]] || ((DURATION < WARMUP + 2)); then
    echo "bench.sh: --seconds wants an integer of at least $((WARMUP + 2))" >&2
    exit 2
fi

if [[ -n ${BASELINE+set} && -z $BASELINE ]]; then
    echo "bench.sh: --baseline wants the path of a wanfwd binary" >&2
    exit 2
fi
if ((!PCC)) && [[ $FLOWS != 1000 || $PASSES != 1 || -n ${MAX_ENTRIES-} || $ESTABLISHED == 1 ]]; then
    echo "bench.sh: --flows, --passes, --max-entries and --established go with --pcc" >&2
    exit 2
fi

die() {
    echo "bench.sh: $*" >&2
    exit 1
}

# --- Sizes ------------------------------------------------------------------------------

# net_pcap's infinite_rx copies every frame of the capture into an mbuf of its own at start
# and keeps them all: the pool must hold the capture plus what is in flight (descriptors,
# bursts, rings: 8192 is ample for one worker on these devices). Both programs get the same
# pool.
if ((PCC)); then
    # Whole passes over the flows, at least 1024 frames (fewer make a short ring).
    PASSES_IN_PCAP=$((PASSES > (1023 + FLOWS) / FLOWS ? PASSES : (1023 + FLOWS) / FLOWS))
    FRAMES=$((FLOWS * PASSES_IN_PCAP))
    # 64-byte frames need little room: 256-byte mbufs (128 of them DPDK's headroom) make a
    # million-frame capture fit in ~0.5 GB of hugepages instead of ~2.4 GB. The interfaces'
    # mtu must fit too (wanfwd refuses otherwise): 256 - 128 - 14 = 114.
    MBUF_SIZE=256
    MTU=114
else
    FRAMES=1024
    MBUF_SIZE=2176 # DPDK's default (RTE_MBUF_DEFAULT_BUF_SIZE)
fi
MBUFS=16383
while ((MBUFS < FRAMES + 8192)); do MBUFS=$((MBUFS * 2 + 1)); done # 2^n - 1, as mempools like
# Connection table: the router's default of 1,000,000 per worker, or the flow count.
if [[ -z ${MAX_ENTRIES-} ]]; then
    MAX_ENTRIES=$((FLOWS > 1000000 ? FLOWS : 1000000))
elif ! [[ $MAX_ENTRIES =~ ^[1-9][0-9]*$ ]] || ((MAX_ENTRIES < FLOWS)); then
    echo "bench.sh: --max-entries wants an integer of at least --flows ($FLOWS)" >&2
    exit 2
fi
# 2 MB hugepages one program needs: the pool (each mbuf is 128 bytes of header, the data
# room and a 64-byte mempool header, in whole cache lines), net_pcap's ring of the capture
# (a power of two of pointers) and 96 MB for EAL, queues and the rest.
ELT=$(((128 + MBUF_SIZE + 64 + 63) / 64 * 64))
RING=1
while ((RING < FRAMES + 1)); do RING=$((RING * 2)); done
NEED_HUGEPAGES=$(((MBUFS * ELT + RING * 8 + (96 << 20) + (2 << 20) - 1) / (2 << 20)))
((NEED_HUGEPAGES > MIN_HUGEPAGES)) || NEED_HUGEPAGES=$MIN_HUGEPAGES

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release

# --- Preconditions ----------------------------------------------------------------------

((EUID == 0)) || die "run as root (DPDK needs hugepages)"
for b in wanfwd mkpcap fwd-micro; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is missing: build it first (cargo build --release)"
done
if [[ -n ${BASELINE-} ]]; then
    [[ -f $BASELINE && -x $BASELINE ]] || die "--baseline $BASELINE: not an executable file"
    BASELINE=$(realpath "$BASELINE")
    "$BASELINE" --version >/dev/null 2>&1 || die "--baseline $BASELINE: \`--version\` fails: not a wanfwd"
fi
TESTPMD=$(command -v dpdk-testpmd) || die "dpdk-testpmd not found: run scripts/setup.sh"

# One benchmark at a time: the lock is on this script and is released when it exits.
exec 9<"${BASH_SOURCE[0]}"
flock -n 9 || die "another perf/bench.sh is running"

# Another program using one of our prefixes would share our EAL files: refuse rather than
# disturb it (and never remove its files).
for p in "$PREFIX_WANFWD" "$PREFIX_TESTPMD" "$PREFIX_L3FWD"; do
    if grep -qsF "/dpdk/$p/config" /proc/[0-9]*/maps; then
        die "a running process uses the EAL prefix $p; stop it first"
    fi
done

hugetlbfs_mounts() { awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts; }
free_hugepages() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }
hugepages_ready() { [[ -n $(hugetlbfs_mounts) ]] && (($(free_hugepages) >= MIN_HUGEPAGES)); }
if ! hugepages_ready; then
    echo "bench.sh: hugepages not ready, running scripts/setup.sh" >&2
    "$ROOT/scripts/setup.sh" >&2 || true # it also wants cargo, which the benchmark does not
    hugepages_ready || die "need a hugetlbfs mount and $MIN_HUGEPAGES free 2 MB hugepages" \
        "($(free_hugepages) free); see scripts/setup.sh"
fi

# --- Clean-up ---------------------------------------------------------------------------

WORK=$(mktemp -d -t wanfwd-bench.XXXXXX)
PID= # the program being measured, if any
NR_HUGEPAGES=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
ADDED_HUGEPAGES=0 # reserved by this run, released at exit

cleanup() {
    if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    local p m
    for p in "$PREFIX_WANFWD" "$PREFIX_TESTPMD" "$PREFIX_L3FWD"; do
        rm -rf "${DPDK_RUNDIR:?}/$p"
        while read -r m; do
            rm -f "$m/${p}map_"* # hugepage files the EAL may leave behind
        done < <(hugetlbfs_mounts)
    done
    if ((ADDED_HUGEPAGES > 0)); then
        echo $(($(cat "$NR_HUGEPAGES") - ADDED_HUGEPAGES)) >"$NR_HUGEPAGES" 2>/dev/null ||
            echo "bench.sh: could not release the $ADDED_HUGEPAGES hugepages it reserved" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A large capture needs more hugepages than scripts/setup.sh reserves: reserve the
# difference for this run (given back at exit), or say how many are missing.
if (($(free_hugepages) < NEED_HUGEPAGES)); then
    before=$(cat "$NR_HUGEPAGES")
    echo $((before + NEED_HUGEPAGES - $(free_hugepages))) >"$NR_HUGEPAGES" 2>/dev/null || true
    ADDED_HUGEPAGES=$(($(cat "$NR_HUGEPAGES") - before))
    ((ADDED_HUGEPAGES <= 0)) ||
        echo "bench.sh: reserved $ADDED_HUGEPAGES more 2 MB hugepages for this run (released at exit)" >&2
    (($(free_hugepages) >= NEED_HUGEPAGES)) ||
        die "needs $NEED_HUGEPAGES free 2 MB hugepages ($((NEED_HUGEPAGES * 2)) MB) for $MBUFS" \
            "mbufs of $MBUF_SIZE bytes; $(free_hugepages) are free and the kernel would not" \
            "reserve more: free some memory, or lower --flows or --passes"
fi

# --- Set-up -----------------------------------------------------------------------------

PCAP=$WORK/udp64.pcap
CONFIG=$WORK/wanfwd.yaml
SOURCE="net_pcap0,rx_pcap=$PCAP,infinite_rx=1,tx_pcap=/dev/null"
SINK="net_null0,no-rx=1"

if ((PCC)); then
    # FLOWS flows, each a connection: flow f from LAN host 192.168.1.(10 + k % 200), port
    # 10000 + k, to 198.18.0.0 + f % 4099 (RFC 2544's benchmarking range) port 9, with
    # k = f / 4099, as stateful-micro's. PCC splits them between the WANs; masquerade keeps
    # every source port (the ports of one remote's flows all differ).
    MKPCAP_CMD=("$BIN/mkpcap" --out "$PCAP" --count "$FRAMES" --flows "$FLOWS" --vary-sport
        --src 192.168.1.10 --hosts 200 --sport 10000 --dst 198.18.0.0 --remotes 4099
        --dst-mac 02:00:00:00:00:01)
    ((PASSES == 1)) || MKPCAP_CMD+=(--shuffle 1)
    # --established: each flow's reply, from its remote to the WAN address PCC sends it out
    # of (masquerade keeps its port), once, in flow order: played by ether3 as the flows'
    # first packets come in (the worker polls bridge, then ether3, a burst of each a round),
    # it makes every connection established (seen both ways).
    REPLY_PCAP=$WORK/replies.pcap
    REPLY_CMD=("$BIN/mkpcap" --out "$REPLY_PCAP" --count "$FLOWS" --flows "$FLOWS" --vary-sport
        --src 192.168.1.10 --hosts 200 --sport 10000 --dst 198.18.0.0 --remotes 4099
        --dst-mac 02:00:00:00:00:04 --src-mac 02:00:00:00:02:01
        --pcc-replies 203.0.113.2,198.51.100.2)
    if ((ESTABLISHED)); then
        "${REPLY_CMD[@]}" >>"$WORK/mkpcap.log" 2>&1 ||
            { cat "$WORK/mkpcap.log" >&2; die "mkpcap failed"; }
    fi
else
    MKPCAP_CMD=("$BIN/mkpcap" --out "$PCAP" --count 1024 --flows 256 --dst 192.0.2.10
        --dst-mac 02:00:00:00:00:01)
fi
"${MKPCAP_CMD[@]}" >"$WORK/mkpcap.log" 2>&1 || { cat "$WORK/mkpcap.log" >&2; die "mkpcap failed"; }

SINK2="net_null1,no-rx=1"
if ((PCC)); then
    # configs/pcc.yaml with the bench's devices, static ARP for the gateways (nothing answers
    # in the bench) and no check-gateway (nothing answers probes either).
    TRACKING=
    ((MAX_ENTRIES == 1000000)) ||
        TRACKING=$'/ip/firewall/connection/tracking:\n  max-entries: '"$MAX_ENTRIES"
    # With --established, two configurations: the rate's with ether3 playing the replies
    # once, the new connections' without (replies would share the worker with the packets
    # that open connections). Static ARP for the LAN hosts: the replies go to them, and
    # nothing answers ARP in the bench.
    ETHER3="  - { name: ether3, device: \"net_pcap1,rx_pcap=$REPLY_PCAP,tx_pcap=/dev/null\", mac-address: \"02:00:00:00:00:04\", mtu: $MTU }"
    LAN_ARP=$(for ((h = 0; h < 200; h++)); do
        printf '  - { address: 192.168.1.%d, mac-address: "02:00:00:00:01:%02x", interface: bridge }\n' \
            $((10 + h)) $((h % 256))
    done)
    NEWCONN_CONFIG=$WORK/wanfwd-newconn.yaml
    for cfg in "$CONFIG" "$NEWCONN_CONFIG"; do
    WAN_IN= && ARP_IN=
    if ((ESTABLISHED)); then
        ARP_IN=$LAN_ARP
        [[ $cfg != "$CONFIG" ]] || WAN_IN=$ETHER3
    fi
    cat >"$cfg" <<EOF
dpdk:
  eal-args: ["--file-prefix", "$PREFIX_WANFWD", "-l", "0,1"]
  workers: 1
  mbufs: $MBUFS
  mbuf-size: $MBUF_SIZE
/interface/ethernet:
  - { name: bridge, device: "$SOURCE", mac-address: "02:00:00:00:00:01", mtu: $MTU }
  - { name: ether1, device: "$SINK", mtu: $MTU }
  - { name: ether2, device: "$SINK2", mtu: $MTU }
$WAN_IN
/interface/list:
  - { name: WAN }
/interface/list/member:
  - { interface: ether1, list: WAN }
  - { interface: ether2, list: WAN }
/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1 }
  - { address: 198.51.100.2/24, interface: ether2 }
/routing/table:
  - { name: to_wan1, fib }
  - { name: to_wan2, fib }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, routing-table: to_wan1, distance: 1 }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, routing-table: to_wan2, distance: 1 }
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1 }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10 }
/ip/arp:
  - { address: 203.0.113.1, mac-address: "02:00:00:00:02:01", interface: ether1 }
  - { address: 198.51.100.1, mac-address: "02:00:00:00:03:01", interface: ether2 }
$ARP_IN
/ip/firewall/mangle:
  - { chain: prerouting, in-interface: bridge, connection-state: new, dst-address-type: "!local", per-connection-classifier: "both-addresses-and-ports:2/0", action: mark-connection, new-connection-mark: wan1_conn, passthrough: yes }
  - { chain: prerouting, in-interface: bridge, connection-state: new, dst-address-type: "!local", per-connection-classifier: "both-addresses-and-ports:2/1", action: mark-connection, new-connection-mark: wan2_conn, passthrough: yes }
  - { chain: prerouting, in-interface: bridge, connection-mark: wan1_conn, action: mark-routing, new-routing-mark: to_wan1, passthrough: no }
  - { chain: prerouting, in-interface: bridge, connection-mark: wan2_conn, action: mark-routing, new-routing-mark: to_wan2, passthrough: no }
  - { chain: output, connection-mark: wan1_conn, action: mark-routing, new-routing-mark: to_wan1, passthrough: no }
  - { chain: output, connection-mark: wan2_conn, action: mark-routing, new-routing-mark: to_wan2, passthrough: no }
/ip/firewall/nat:
  - { chain: srcnat, out-interface-list: WAN, action: masquerade }
$TRACKING
EOF
    done
else
cat >"$CONFIG" <<EOF
dpdk:
  eal-args: ["--file-prefix", "$PREFIX_WANFWD", "-l", "0,1"]
  workers: 1
  mbufs: $MBUFS
/interface/ethernet:
  - { name: bridge, device: "$SOURCE", mac-address: "02:00:00:00:00:01" }
  - { name: ether1, device: "$SINK" }
/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1 }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1 }
/ip/arp:
  - { address: 203.0.113.1, mac-address: "02:00:00:00:02:01", interface: ether1 }
EOF
fi

WANFWD_CMD=("$BIN/wanfwd" --config "$CONFIG" --stats-interval 1)
[[ -z ${BASELINE-} ]] || BASELINE_CMD=("$BASELINE" --config "$CONFIG" --stats-interval 1)
NEWCONN_CMD=("$BIN/wanfwd" --config "${NEWCONN_CONFIG:-$CONFIG}" --stats-interval "$NEWCONN_INTERVAL")
TESTPMD_CMD=("$TESTPMD" -l "0,1" --no-pci --file-prefix "$PREFIX_TESTPMD" --vdev "$SOURCE"
    --vdev "$SINK" -- --forward-mode=io --stats-period 1 --total-num-mbufs "$MBUFS"
    --mbuf-size "$MBUF_SIZE" --no-flush-rx --nb-cores 1)
NEWCONN=0
((!PCC || FLOWS < NEWCONN_MIN_FLOWS)) || NEWCONN=1

((!L3FWD)) || l3fwd_build

# --- Measuring --------------------------------------------------------------------------

# median: the median of the numbers on stdin (mean of the middle two for an even count).
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit 1
              if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# stop_and_check LOG: stops $PID with SIGINT (SIGKILL after 10 s) and fails unless it
# exited 0.
stop_and_check() {
    local log=$1 rc=0 i
    kill -INT "$PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do # up to 10 s to stop cleanly
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null
    wait "$PID" || rc=$?
    PID=
    if ((rc != 0)); then
        echo "--- last lines of ${log##*/}'s output:" >&2
        tail -n 20 "$log" >&2
        die "${log##*/} exited with status $rc"
    fi
}

# run LOG PATTERN COMMAND...: runs COMMAND with its output in LOG until it has printed its
# first rate sample (a line matching PATTERN: start-up takes seconds with a large capture),
# then $DURATION seconds more; stops it with SIGINT and fails unless it exits 0.
run() {
    local log=$1 pattern=$2 i
    shift 2
    : >"$log" # before the program opens it: the loop below reads it at once
    "$@" >"$log" 2>&1 </dev/null &
    PID=$!
    for ((i = 0; i < 600; i++)); do # start-up: up to a minute
        grep -q "$pattern" "$log" && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    for ((i = 0; i < DURATION; i++)); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 1
    done
    stop_and_check "$log"
}

# steady_rate NAME: sets RATE to the median of the samples on stdin after the warm-up ones,
# in pps.
steady_rate() {
    RATE=$(tail -n +$((WARMUP + 1)) | median) ||
        die "$1: no rate samples after the $WARMUP warm-up ones"
    awk -v r="$RATE" 'BEGIN { exit !(r > 0) }' || die "$1 forwarded nothing (rate $RATE pps)"
}

# testpmd prints each port's statistics every second; the rate is port 1's Tx-pps.
measure_testpmd() {
    local log=$WORK/testpmd.log
    run "$log" "Tx-pps:" "${TESTPMD_CMD[@]}"
    steady_rate testpmd < <(awk '
        /NIC statistics for port/ { for (i = 1; i < NF; i++) if ($i == "port") port = $(i + 1) }
        /Tx-pps:/ && port == 1 { print $2 }' "$log")
}

# check_wanfwd LOG: the counters wanfwd printed on exit: the packets must have been routed,
# not dropped; with --pcc, each flow must have opened exactly one connection (none expired,
# refused or opened twice). Sets TSC_HZ from the worker's start-up line.
check_wanfwd() {
    local log=$1 rx dropped created
    rx=$(awk '/^workers: rx / { print $3 }' "$log")
    [[ -n $rx ]] || die "wanfwd printed no counters on exit"
    dropped=$(awk '/^drop / { n += $3 } END { print n + 0 }' "$log")
    if ((dropped * 1000 > rx * MAX_DROP_PER_MILLE)); then
        grep '^drop ' "$log" >&2
        die "wanfwd dropped $dropped of $rx packets: they were not routed"
    fi
    if ((dropped > 0)); then
        local who=
        [[ $log != *baseline* ]] || who=" (baseline)"
        DROPS+=("round $round$who: $(grep '^drop ' "$log" | tr -s ' ' | paste -sd ';')")
    fi
    if ((PCC)); then
        created=$(awk '/^connections: / { print $6 }' "$log")
        [[ $created == "$FLOWS" ]] ||
            die "wanfwd created ${created:-no} connections for $FLOWS flows" \
                "($(grep '^connections: ' "$log"))"
    fi
    if ((ESTABLISHED)) && [[ $log != *newconn* ]]; then
        # Every reply came in on ether3 and went out to its LAN host: it found its
        # connection (without one it would have been for the router itself, and punted).
        local replies answered
        replies=$(awk '$1 == "ether3" { print $2 }' "$log")
        answered=$(awk '$1 == "bridge" { print $3 }' "$log")
        [[ $replies == "$FLOWS" && $answered == "$FLOWS" ]] ||
            die "of $FLOWS replies, ether3 received ${replies:-none} and the LAN got" \
                "${answered:-none}: not every connection is established"
    fi
    TSC_HZ=$(sed -n 's/.*worker 0 polling .*TSC \([0-9]*\) Hz.*/\1/p' "$log" | head -n 1)
}

# pcc_samples LOG: per rate line, "ether1-tx ether2-tx connections bridge-rx".
pcc_samples() {
    sed -n 's/.*rates: bridge: rx \([0-9]*\) pps tx [0-9]* pps; ether1: rx [0-9]* pps tx \([0-9]*\) pps; ether2: rx [0-9]* pps tx \([0-9]*\) pps;\( ether3: rx [0-9]* pps tx [0-9]* pps;\)\? connections: \([0-9]*\),.*/\2 \3 \5 \1/p' "$1"
}

# wanfwd logs "rates: ... ether1: rx N pps tx N pps;" every second; the rate is ether1's tx.
# On exit it prints its counters: the packets must have been routed, not dropped.
# measure_wanfwd [baseline]: this tree's wanfwd, or the --baseline binary.
measure_wanfwd() {
    local log=$WORK/wanfwd.log cmd=("${WANFWD_CMD[@]}")
    if [[ ${1-} == baseline ]]; then
        log=$WORK/baseline.log
        cmd=("${BASELINE_CMD[@]}")
    fi
    run "$log" "rates:" "${cmd[@]}"
    check_wanfwd "$log"
    if ((PCC)); then
        # The flows are split between the two WANs: the rate is their sum. The first pass
        # over the capture creates the connections: only samples that start with all of
        # them in the table count (the line before says FLOWS connections), and never the
        # first WARMUP.
        RATE=$(pcc_samples "$log" | awk -v flows="$FLOWS" -v warmup="$WARMUP" '
            NR > warmup && full { print $1 + $2 }
            { full = ($3 >= flows) }' | median) ||
            die "wanfwd: no rate sample with all $FLOWS connections established" \
                "(raise --seconds?)"
        awk -v r="$RATE" 'BEGIN { exit !(r > 0) }' || die "wanfwd forwarded nothing"
        # Each round's ether1/ether2 split (PCC's work), from the last full sample.
        [[ ${1-} == baseline ]] || SPLITS+=("round $round: $(pcc_samples "$log" | tail -n 2 | head -n 1 |
            awk '{ printf "ether1 %s pps, ether2 %s pps", $1, $2 }')")
    else
        steady_rate wanfwd < <(sed -n 's/.*rates:.* ether1: rx [0-9]* pps tx \([0-9]*\) pps.*/\1/p' "$log")
    fi
}

# measure_newconn: wanfwd from an empty table, rate samples every $NEWCONN_INTERVAL s,
# stopped once every flow has its connection. While the first pass over the capture lasts,
# every packet opens a connection: the bridge's rx rate is the rate of new connections. A
# sample counts when the table was filling during the whole of it: connections already
# there at the line before, still fewer than FLOWS at the line after (the workers publish
# their counts every ~10 ms, a fifth of a sample). Sets NEWRATE (per second) and NEWN (the
# samples it is the median of).
measure_newconn() {
    local log=$WORK/newconn.log i samples
    : >"$log"
    "${NEWCONN_CMD[@]}" >"$log" 2>&1 </dev/null &
    PID=$!
    for ((i = 0; i < 20 * (DURATION + 60); i++)); do # start-up included; at most S + 60 s
        sleep 0.05
        kill -0 "$PID" 2>/dev/null || break
        grep -q "connections: $FLOWS," "$log" && break
    done
    sleep 0.2
    stop_and_check "$log"
    check_wanfwd "$log"
    samples=$(pcc_samples "$log" | awk -v flows="$FLOWS" '
        { n[NR] = $3; rx[NR] = $4 }
        END { for (i = 2; i < NR; i++) if (n[i - 1] > 0 && n[i + 1] < flows) print rx[i] }')
    NEWN=$(grep -c . <<<"$samples" || true)
    NEWRATE=$(median <<<"$samples") ||
        die "new connections: no rate sample while the table was filling"
}

mpps() { awk -v r="$1" 'BEGIN { printf "%.2f", r / 1e6 }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f %%", 100 * a / b }'; }
cycles() { awk -v hz="$TSC_HZ" -v r="$1" 'BEGIN { printf "%.0f", hz / r }'; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "wanfwd forwarding benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "CPU:      ${cpu:-unknown} ($(nproc) CPUs online; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "software: $("$BIN/wanfwd" --version), DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')"
if ((PCC)); then
    order="in the order of creation"
    ((PASSES == 1)) || order="$PASSES passes, each in its own random order"
    echo "traffic:  64-byte frames (60 without FCS), UDP, $FLOWS flows (connections) from 200" \
        "LAN hosts to 4099 remotes; a $FRAMES-frame pcap ($order) replayed into net_pcap"
    echo "wanfwd:   the guide's PCC + masquerade (stateful path), out to net_null ether1 + ether2;" \
        "testpmd io: net_pcap -> one net_null"
    ((!ESTABLISHED)) || echo "          connections established: each flow's reply played once by" \
        "ether3 (net_pcap, polled all run) at the start; every reply must reach its LAN host"
    echo "mbufs:    $MBUFS of $MBUF_SIZE bytes per program (net_pcap holds the whole capture);" \
        "$NEED_HUGEPAGES 2 MB hugepages needed, $(free_hugepages) free"
else
    echo "traffic:  64-byte frames (60 without FCS), UDP 192.168.1.10 -> 256 destinations," \
        "replayed from a 1024-frame pcap into net_pcap, out to net_null"
fi
then_what="then wanfwd"
[[ -z ${BASELINE-} ]] || then_what="then wanfwd then the baseline ($BASELINE)"
echo "method:   $ROUNDS rounds of testpmd $then_what, ${DURATION} s each after start-up, on one" \
    "forwarding core (lcore 1);"
if ((PCC)); then
    echo "          per run, the median of the one-second rates after the first $WARMUP and" \
        "once all $FLOWS connections exist"
else
    echo "          per run, the median of the one-second rates after the first $WARMUP"
fi
((!NEWCONN)) || echo "          then wanfwd again from an empty table: new connections/s" \
    "(${NEWCONN_INTERVAL} s samples while the first pass fills the table)"
echo
# row LABEL VALUE...: a line of the table, the first value under testpmd's wider heading.
row() {
    printf '%-7s %18s' "$1" "$2"
    shift 2
    (($# == 0)) || printf ' %15s' "$@"
    echo
}
COLUMNS_=("testpmd io (Mpps)" "wanfwd (Mpps)" "wanfwd/testpmd")
((!NEWCONN)) || COLUMNS_+=("new conn (M/s)")
((!L3FWD)) || COLUMNS_+=("l3fwd (Mpps)" "l3fwd/testpmd")
[[ -z ${BASELINE-} ]] || COLUMNS_+=("baseline (Mpps)" "wanfwd/baseline")
row round "${COLUMNS_[@]}"

TESTPMD_RATES=()
WANFWD_RATES=()
NEW_RATES=()
L3_RATES=()
L3_RATIOS=()
BASE_RATES=()
BASE_RATIOS=() # per round, wanfwd/baseline
NEW_SAMPLES=()
RATIOS=() # per round, wanfwd/testpmd: a paired figure, less hit by load that comes and goes
DROPS=()
SPLITS=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print 100 * a / b }'; }
for ((round = 1; round <= ROUNDS; round++)); do
    measure_testpmd
    tp=$RATE
    measure_wanfwd
    wf=$RATE
    TESTPMD_RATES+=("$tp")
    WANFWD_RATES+=("$wf")
    RATIOS+=("$(ratio "$wf" "$tp")")
    cells=("$(mpps "$tp")" "$(mpps "$wf")" "$(percent "$wf" "$tp")")
    if ((NEWCONN)); then
        measure_newconn
        NEW_RATES+=("$NEWRATE")
        NEW_SAMPLES+=("$NEWN")
        cells+=("$(mpps "$NEWRATE")")
    fi
    if ((L3FWD)); then
        measure_l3fwd
        L3_RATES+=("$RATE")
        L3_RATIOS+=("$(ratio "$RATE" "$tp")")
        cells+=("$(mpps "$RATE")" "$(percent "$RATE" "$tp")")
    fi
    if [[ -n ${BASELINE-} ]]; then
        measure_wanfwd baseline
        BASE_RATES+=("$RATE")
        BASE_RATIOS+=("$(ratio "$wf" "$RATE")")
        cells+=("$(mpps "$RATE")" "$(percent "$wf" "$RATE")")
    fi
    row "$round" "${cells[@]}"
done
tp=$(printf '%s\n' "${TESTPMD_RATES[@]}" | median)
wf=$(printf '%s\n' "${WANFWD_RATES[@]}" | median)
cells=("$(mpps "$tp")" "$(mpps "$wf")" "$(percent "$wf" "$tp")")
if ((NEWCONN)); then
    nc=$(printf '%s\n' "${NEW_RATES[@]}" | median)
    cells+=("$(mpps "$nc")")
fi
if ((L3FWD)); then
    l3=$(printf '%s\n' "${L3_RATES[@]}" | median)
    cells+=("$(mpps "$l3")" "$(percent "$l3" "$tp")")
fi
if [[ -n ${BASELINE-} ]]; then
    base=$(printf '%s\n' "${BASE_RATES[@]}" | median)
    cells+=("$(mpps "$base")" "$(percent "$wf" "$base")")
fi
row median "${cells[@]}"
echo
if [[ -n ${TSC_HZ-} ]]; then
    echo "cycles/packet (EAL's TSC, $(awk -v hz="$TSC_HZ" 'BEGIN { printf "%.3f", hz / 1e9 }') GHz," \
        "/ the median rate): wanfwd $(cycles "$wf"), testpmd io $(cycles "$tp")$(
            [[ -z ${BASELINE-} ]] || echo ", baseline $(cycles "$base")")"
    ((!NEWCONN)) || echo "cycles/new connection: $(cycles "$nc") (the median of" \
        "${NEW_SAMPLES[*]} samples in rounds 1..$ROUNDS)"
fi
echo "wanfwd/testpmd: $(percent "$wf" "$tp") (ratio of the medians)," \
    "$(printf '%s\n' "${RATIOS[@]}" | median | xargs printf '%.1f %%') (median of the per-round ratios)"
if ((L3FWD)); then
    echo "l3fwd/testpmd: $(percent "$l3" "$tp") (ratio of the medians)," \
        "$(printf '%s\n' "${L3_RATIOS[@]}" | median | xargs printf '%.1f %%') (median of the per-round ratios);" \
        "wanfwd/l3fwd: $(percent "$wf" "$l3")"
fi
if [[ -n ${BASELINE-} ]]; then
    echo "wanfwd/baseline: $(percent "$wf" "$base") (ratio of the medians)," \
        "$(printf '%s\n' "${BASE_RATIOS[@]}" | median | xargs printf '%.1f %%') (median of the per-round ratios);" \
        "baseline/testpmd: $(percent "$base" "$tp")"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
((${#SPLITS[@]} == 0)) || printf 'wanfwd WAN split (PCC): %s\n' "${SPLITS[@]}"
((${#DROPS[@]} == 0)) || printf 'wanfwd drops (within tolerance): %s\n' "${DROPS[@]}"

# fwd-micro: the forwarding decision alone, on frames in memory.
MICRO=()
for ((i = 0; i < MICRO_RUNS; i++)); do
    out=$("$BIN/fwd-micro") || die "fwd-micro failed"
    ns=$(sed -n 's/.*: \([0-9.]*\) ns\/packet.*/\1/p' <<<"$out")
    [[ -n $ns ]] || die "fwd-micro: cannot read ns/packet from: $out"
    MICRO+=("$ns")
done
micro=$(printf '%s\n' "${MICRO[@]}" | median)
echo "fwd-micro (forwarding decision alone, no DPDK): $micro ns/packet," \
    "$(awk -v ns="$micro" 'BEGIN { printf "%.1f", 1e3 / ns }') Mpps on one core" \
    "(median of $MICRO_RUNS runs: ${MICRO[*]})"

echo
echo "commands (\$TMP = a temporary directory, removed afterwards):"
# show ARGS...: prints a command line, with the temporary directory's name as $TMP.
show() { local s="$*"; echo "${s//"$WORK"/\$TMP}"; }
show "  ${MKPCAP_CMD[*]}"
((!ESTABLISHED)) || show "  ${REPLY_CMD[*]}"
show "  ${TESTPMD_CMD[*]}"
show "  ${WANFWD_CMD[*]}"
[[ -z ${BASELINE-} ]] || show "  ${BASELINE_CMD[*]}   (--baseline: $("$BASELINE" --version))"
((!L3FWD)) || show "  ${L3FWD_CMD[*]}   (rate: port 1 TX packets read twice with dpdk-proc-info --stats)"
((!NEWCONN)) || show "  ${NEWCONN_CMD[*]}   (new connections: stopped once the table is full)"
show "  with $CONFIG:"
while IFS= read -r line; do show "    $line"; done <"$CONFIG"
show "  $BIN/fwd-micro"
