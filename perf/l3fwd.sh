# perf/l3fwd.sh: DPDK's own l3fwd example as a second reference for perf/bench.sh --l3fwd.
# Sourced by bench.sh (it uses its WORK, SOURCE, SINK, DURATION, WARMUP, PID, run helpers).
#
# testpmd io says what the devices allow with no work at all; l3fwd says what DPDK's own
# router example (LPM, four packets at a time with SSE, RFC 1812 checks without the header
# checksum, which it leaves to the NIC) makes of the same devices. The gap between wanfwd
# and l3fwd is what wanfwd's routing costs more than DPDK's reference implementation.
#
# The example comes from the dpdk-doc package (/usr/share/dpdk/examples), built here
# against the system DPDK with pkg-config. One change: l3fwd asks every port for RX
# checksum offload, which the virtual devices do not have; the request is removed (so
# l3fwd checks no checksum at all here, while wanfwd verifies each header in software).

L3FWD_EXAMPLES=/usr/share/dpdk/examples
PREFIX_L3FWD="wf-bench-l3"

# l3fwd_build: builds l3fwd into $WORK/examples and sets L3FWD_CMD.
l3fwd_build() {
    if [[ ! -f $L3FWD_EXAMPLES/l3fwd/main.c ]]; then
        echo "bench.sh: installing dpdk-doc for DPDK's example sources" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dpdk-doc \
            >"$WORK/apt.log" 2>&1 || { tail -n 5 "$WORK/apt.log" >&2; die "cannot install dpdk-doc"; }
    fi
    mkdir -p "$WORK/examples"
    cp -r "$L3FWD_EXAMPLES/l3fwd" "$L3FWD_EXAMPLES/common" "$WORK/examples/"
    grep -q '\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,' "$WORK/examples/l3fwd/main.c" ||
        die "l3fwd: main.c no longer asks for RX checksum offload where expected"
    sed -i 's/\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,/.offloads = 0,/' \
        "$WORK/examples/l3fwd/main.c"
    make -C "$WORK/examples/l3fwd" >"$WORK/l3fwd-build.log" 2>&1 ||
        { tail -n 20 "$WORK/l3fwd-build.log" >&2; die "l3fwd did not build"; }
    # The capture's destinations (192.0.2.10 and up) and a default route split in two /1s
    # (rte_lpm takes no /0), all to port 1, the sink; l3fwd wants an IPv6 table too.
    printf 'R192.0.2.0/24 1\nR0.0.0.0/1 1\nR128.0.0.0/1 1\n' >"$WORK/l3fwd-v4.rules"
    printf 'R2001:db8::/32 1\n' >"$WORK/l3fwd-v6.rules"
    # One lcore (1): l3fwd gives every lcore a TX queue, and net_pcap has one.
    L3FWD_CMD=("$WORK/examples/l3fwd/build/l3fwd" -l 1 --no-pci --file-prefix "$PREFIX_L3FWD"
        --vdev "$SOURCE" --vdev "$SINK" -- -p 0x3 --config "(0,0,1),(1,0,1)" --parse-ptype
        --rule_ipv4="$WORK/l3fwd-v4.rules" --rule_ipv6="$WORK/l3fwd-v6.rules"
        --eth-dest=1,02:00:00:00:02:01)
}

# l3fwd_tx: port 1's TX packets, read by dpdk-proc-info attached to the running l3fwd.
l3fwd_tx() {
    { dpdk-proc-info --no-pci --file-prefix "$PREFIX_L3FWD" -- --stats 2>/dev/null || true; } |
        awk '/NIC statistics for port/ { port = $(NF - 1) }
            /TX-packets:/ && port == 1 { print $2; exit }'
}

# measure_l3fwd: sets RATE to l3fwd's TX rate (pps) after the warm-up. l3fwd prints no rates,
# so port 1's counter is read twice, by dpdk-proc-info attaching to it: after the warm-up
# seconds and at the end; the rate is the change over the time between the reads. (Reading
# it every second costs l3fwd a sixth of its rate: each read is a whole EAL start.)
measure_l3fwd() {
    local log=$WORK/l3fwd.log tx0 t0 tx1 t1
    : >"$log"
    "${L3FWD_CMD[@]}" >"$log" 2>&1 </dev/null &
    PID=$!
    sleep $((1 + WARMUP))
    tx0=$(l3fwd_tx)
    t0=$(date +%s.%N)
    sleep $((DURATION - WARMUP))
    tx1=$(l3fwd_tx)
    t1=$(date +%s.%N)
    kill -INT "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
    if [[ -z $tx0 || -z $tx1 ]]; then
        tail -n 20 "$log" >&2
        die "l3fwd: could not read its counters with dpdk-proc-info (did it start?)"
    fi
    RATE=$(awk -v a="$tx1" -v b="$tx0" -v s="$t1" -v r="$t0" 'BEGIN { printf "%.0f", (a - b) / (s - r) }')
    awk -v r="$RATE" 'BEGIN { exit !(r > 0) }' || die "l3fwd forwarded nothing"
}
