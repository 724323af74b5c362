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
Usage: perf/bench.sh [--rounds N] [--seconds S] [--pcc [--flows N]]

  --rounds N    rounds, each running testpmd then wanfwd (default 5)
  --seconds S   how long each program runs per round, at least 4 (default 8);
                the first 2 one-second samples are discarded as warm-up
  --pcc         wanfwd runs the guide's PCC set-up (configs/pcc.yaml: mangle, routing
                tables to_wan1/to_wan2, masquerade on ether1 and ether2, both net_null
                sinks with static-ARP gateways, no check-gateway): the stateful path;
                the rate is ether1's plus ether2's tx
  --flows N     with --pcc, distinct UDP flows (source ports) in the capture, 1 to 1024
                (default 1000)

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
FLOWS=1000
PREFIX_WANFWD="wf-bench" # EAL --file-prefix of each program; they never run at once
PREFIX_TESTPMD="wf-bench-tp"
DPDK_RUNDIR=/var/run/dpdk

while (($#)); do
    case $1 in
    --rounds) ROUNDS=${2-} && { shift 2 || shift; } ;;
    --seconds) DURATION=${2-} && { shift 2 || shift; } ;;
    --pcc) PCC=1 && shift ;;
    --flows) FLOWS=${2-} && { shift 2 || shift; } ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && exit 2 ;;
    esac
done
if ! [[ $FLOWS =~ ^[1-9][0-9]*$ ]] || ((FLOWS > 1024)); then
    echo "bench.sh: --flows wants an integer from 1 to 1024 (the capture holds 1024 frames)" >&2
    exit 2
fi
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --rounds wants a positive integer" >&2; exit 2; }
if ! [[ $DURATION =~ ^[0-9]+$ ]] || ((DURATION < WARMUP + 2)); then
    echo "bench.sh: --seconds wants an integer of at least $((WARMUP + 2))" >&2
    exit 2
fi

die() {
    echo "bench.sh: $*" >&2
    exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release

# --- Preconditions ----------------------------------------------------------------------

((EUID == 0)) || die "run as root (DPDK needs hugepages)"
for b in wanfwd mkpcap fwd-micro; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is missing: build it first (cargo build --release)"
done
TESTPMD=$(command -v dpdk-testpmd) || die "dpdk-testpmd not found: run scripts/setup.sh"

# One benchmark at a time: the lock is on this script and is released when it exits.
exec 9<"${BASH_SOURCE[0]}"
flock -n 9 || die "another perf/bench.sh is running"

# Another program using one of our prefixes would share our EAL files: refuse rather than
# disturb it (and never remove its files).
for p in "$PREFIX_WANFWD" "$PREFIX_TESTPMD"; do
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

cleanup() {
    if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    local p m
    for p in "$PREFIX_WANFWD" "$PREFIX_TESTPMD"; do
        rm -rf "${DPDK_RUNDIR:?}/$p"
        while read -r m; do
            rm -f "$m/${p}map_"* # hugepage files the EAL may leave behind
        done < <(hugetlbfs_mounts)
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Set-up -----------------------------------------------------------------------------

PCAP=$WORK/udp64.pcap
CONFIG=$WORK/wanfwd.yaml
SOURCE="net_pcap0,rx_pcap=$PCAP,infinite_rx=1,tx_pcap=/dev/null"
SINK="net_null0,no-rx=1"

if ((PCC)); then
    # FLOWS flows that differ by source port, from one LAN host to one remote: each is a
    # connection, PCC splits them between the WANs, masquerade translates them.
    MKPCAP_CMD=("$BIN/mkpcap" --out "$PCAP" --count 1024 --flows "$FLOWS" --vary-sport
        --sport 10000 --dst 192.0.2.10 --dst-mac 02:00:00:00:00:01)
else
    MKPCAP_CMD=("$BIN/mkpcap" --out "$PCAP" --count 1024 --flows 256 --dst 192.0.2.10
        --dst-mac 02:00:00:00:00:01)
fi
"${MKPCAP_CMD[@]}" >"$WORK/mkpcap.log" 2>&1 || { cat "$WORK/mkpcap.log" >&2; die "mkpcap failed"; }

SINK2="net_null1,no-rx=1"
if ((PCC)); then
    # configs/pcc.yaml with the bench's devices, static ARP for the gateways (nothing answers
    # in the bench) and no check-gateway (nothing answers probes either).
    cat >"$CONFIG" <<EOF
dpdk:
  eal-args: ["--file-prefix", "$PREFIX_WANFWD", "-l", "0,1"]
  workers: 1
  mbufs: 16383
/interface/ethernet:
  - { name: bridge, device: "$SOURCE", mac-address: "02:00:00:00:00:01" }
  - { name: ether1, device: "$SINK" }
  - { name: ether2, device: "$SINK2" }
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
/ip/firewall/mangle:
  - { chain: prerouting, in-interface: bridge, connection-state: new, dst-address-type: "!local", per-connection-classifier: "both-addresses-and-ports:2/0", action: mark-connection, new-connection-mark: wan1_conn, passthrough: yes }
  - { chain: prerouting, in-interface: bridge, connection-state: new, dst-address-type: "!local", per-connection-classifier: "both-addresses-and-ports:2/1", action: mark-connection, new-connection-mark: wan2_conn, passthrough: yes }
  - { chain: prerouting, in-interface: bridge, connection-mark: wan1_conn, action: mark-routing, new-routing-mark: to_wan1, passthrough: no }
  - { chain: prerouting, in-interface: bridge, connection-mark: wan2_conn, action: mark-routing, new-routing-mark: to_wan2, passthrough: no }
  - { chain: output, connection-mark: wan1_conn, action: mark-routing, new-routing-mark: to_wan1, passthrough: no }
  - { chain: output, connection-mark: wan2_conn, action: mark-routing, new-routing-mark: to_wan2, passthrough: no }
/ip/firewall/nat:
  - { chain: srcnat, out-interface-list: WAN, action: masquerade }
EOF
else
cat >"$CONFIG" <<EOF
dpdk:
  eal-args: ["--file-prefix", "$PREFIX_WANFWD", "-l", "0,1"]
  workers: 1
  mbufs: 16383
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
TESTPMD_CMD=("$TESTPMD" -l "0,1" --no-pci --file-prefix "$PREFIX_TESTPMD" --vdev "$SOURCE"
    --vdev "$SINK" -- --forward-mode=io --stats-period 1 --total-num-mbufs 16384
    --no-flush-rx --nb-cores 1)

# --- Measuring --------------------------------------------------------------------------

# median: the median of the numbers on stdin (mean of the middle two for an even count).
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) exit 1
              if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run LOG COMMAND...: runs COMMAND for $DURATION seconds with its output in LOG, stops it
# with SIGINT and fails unless it exits 0.
run() {
    local log=$1 rc=0 i
    shift
    "$@" >"$log" 2>&1 </dev/null &
    PID=$!
    for ((i = 0; i < DURATION; i++)); do
        sleep 1
        kill -0 "$PID" 2>/dev/null || break
    done
    kill -INT "$PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do # up to 10 s to stop cleanly
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null
    wait "$PID" || rc=$?
    PID=
    if ((rc != 0)); then
        echo "--- last lines of ${1##*/}'s output:" >&2
        tail -n 20 "$log" >&2
        die "${1##*/} exited with status $rc"
    fi
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
    run "$log" "${TESTPMD_CMD[@]}"
    steady_rate testpmd < <(awk '
        /NIC statistics for port/ { for (i = 1; i < NF; i++) if ($i == "port") port = $(i + 1) }
        /Tx-pps:/ && port == 1 { print $2 }' "$log")
}

# wanfwd logs "rates: ... ether1: rx N pps tx N pps;" every second; the rate is ether1's tx.
# On exit it prints its counters: the packets must have been routed, not dropped.
measure_wanfwd() {
    local log=$WORK/wanfwd.log rx dropped
    run "$log" "${WANFWD_CMD[@]}"
    rx=$(awk '/^workers: rx / { print $3 }' "$log")
    [[ -n $rx ]] || die "wanfwd printed no counters on exit"
    dropped=$(awk '/^drop / { n += $3 } END { print n + 0 }' "$log")
    if ((dropped * 1000 > rx * MAX_DROP_PER_MILLE)); then
        grep '^drop ' "$log" >&2
        die "wanfwd dropped $dropped of $rx packets: they were not routed"
    fi
    if ((dropped > 0)); then
        DROPS+=("round $round: $(grep '^drop ' "$log" | tr -s ' ' | paste -sd ';')")
    fi
    if ((PCC)); then # the flows are split between the two WANs: their sum
        steady_rate wanfwd < <(sed -n 's/.*rates:.* ether1: rx [0-9]* pps tx \([0-9]*\) pps;.* ether2: rx [0-9]* pps tx \([0-9]*\) pps.*/\1 \2/p' "$log" |
            awk '{ print $1 + $2 }')
        # Each round's ether1/ether2 split (PCC's work), from the last rate sample.
        SPLITS+=("round $round: $(sed -n 's/.*rates:.* ether1: rx [0-9]* pps tx \([0-9]*\) pps;.* ether2: rx [0-9]* pps tx \([0-9]*\) pps.*/ether1 \1 pps, ether2 \2 pps/p' "$log" | tail -n 2 | head -n 1)")
    else
        steady_rate wanfwd < <(sed -n 's/.*rates:.* ether1: rx [0-9]* pps tx \([0-9]*\) pps.*/\1/p' "$log")
    fi
}

mpps() { awk -v r="$1" 'BEGIN { printf "%.2f", r / 1e6 }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f %%", 100 * a / b }'; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "wanfwd forwarding benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "CPU:      ${cpu:-unknown} ($(nproc) CPUs online; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "software: $("$BIN/wanfwd" --version), DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?')"
if ((PCC)); then
    echo "traffic:  64-byte frames (60 without FCS), UDP 192.168.1.10 -> 192.0.2.10, $FLOWS flows" \
        "(source ports), replayed from a 1024-frame pcap into net_pcap"
    echo "wanfwd:   the guide's PCC + masquerade (stateful path), out to net_null ether1 + ether2;" \
        "testpmd io: net_pcap -> one net_null"
else
    echo "traffic:  64-byte frames (60 without FCS), UDP 192.168.1.10 -> 256 destinations," \
        "replayed from a 1024-frame pcap into net_pcap, out to net_null"
fi
echo "method:   $ROUNDS rounds of testpmd then wanfwd, ${DURATION} s each on one forwarding" \
    "core (lcore 1);"
echo "          per run, the median of the one-second rates after the first $WARMUP"
echo
printf '%-7s %18s %15s %15s\n' round "testpmd io (Mpps)" "wanfwd (Mpps)" "wanfwd/testpmd"

TESTPMD_RATES=()
WANFWD_RATES=()
RATIOS=() # per round, wanfwd/testpmd: a paired figure, less hit by load that comes and goes
DROPS=()
SPLITS=()
for ((round = 1; round <= ROUNDS; round++)); do
    measure_testpmd
    tp=$RATE
    measure_wanfwd
    wf=$RATE
    TESTPMD_RATES+=("$tp")
    WANFWD_RATES+=("$wf")
    RATIOS+=("$(awk -v a="$wf" -v b="$tp" 'BEGIN { print 100 * a / b }')")
    printf '%-7s %18s %15s %15s\n' "$round" "$(mpps "$tp")" "$(mpps "$wf")" "$(percent "$wf" "$tp")"
done
tp=$(printf '%s\n' "${TESTPMD_RATES[@]}" | median)
wf=$(printf '%s\n' "${WANFWD_RATES[@]}" | median)
printf '%-7s %18s %15s %15s\n' median "$(mpps "$tp")" "$(mpps "$wf")" "$(percent "$wf" "$tp")"
echo
if ((PCC)); then
    hz=$(awk -F': ' '/^cpu MHz/ { print $2 * 1e6; exit }' /proc/cpuinfo)
    [[ -n $hz ]] && echo "wanfwd: $(awk -v hz="$hz" -v r="$wf" 'BEGIN { printf "%.0f", hz / r }')" \
        "cycles/packet at the nominal $(awk -v hz="$hz" 'BEGIN { printf "%.3f", hz / 1e9 }') GHz" \
        "(/proc/cpuinfo) / the median rate"
fi
echo "wanfwd/testpmd: $(percent "$wf" "$tp") (ratio of the medians)," \
    "$(printf '%s\n' "${RATIOS[@]}" | median | xargs printf '%.1f %%') (median of the per-round ratios)"
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
show "  ${TESTPMD_CMD[*]}"
show "  ${WANFWD_CMD[*]}"
show "  with $CONFIG:"
while IFS= read -r line; do show "    $line"; done <"$CONFIG"
show "  $BIN/fwd-micro"
