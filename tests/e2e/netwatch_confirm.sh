#!/usr/bin/env bash
# End to end: the guide's Netwatch confirmation delay, as written (with our testbed's far
# host for 8.8.8.8): on down, the script waits 10 s, pings the host 3 times and raises the
# ISP1 route's distance only if none answered. A short break that heals within the delay
# changes nothing; a lasting one fails over. While a script waits, the router keeps
# forwarding and wanctl keeps answering. Also /ping from wanctl, and [/ping] as a value.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/netwatch_lib.sh
source "$(dirname "$0")/netwatch_lib.sh"

# Waits up to $1 seconds for the route commented wan1-default to have distance $2.
wait_distance() { # SECONDS DISTANCE
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        [[ $(route_distance wan1-default 2>/dev/null) == "$2" ]] && return 0
        sleep 0.1
    done
    ctl '/ip/route print'
    return 1
}

testbed_trap
testbed_up
wanfwd_config "$TB_TMP/wanfwd.yaml" '/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, comment: wan1-default }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, comment: wan2-default }'
check "wanfwd starts" wanfwd_start "$TB_TMP/wanfwd.yaml" "$TB_TMP/wanfwd.log"
if [[ -z $WANFWD_PID ]]; then
    e2e_summary
    exit 1
fi

# The guide's command, pasted, with 192.0.2.10 (behind ISP1 only) for 8.8.8.8, and
# gateway= so that the probe keeps testing ISP1.
check "wanctl adds the guide's netwatch with the confirmation down-script" ctl '
/tool/netwatch add host=192.0.2.10 interval=1s timeout=1s gateway=203.0.113.1 \
down-script={
:delay 10
:if ([/ping 192.0.2.10 count=3] = 0) do={
:log error "Confirmed WAN1 failure"
/ip/route set [find gateway=203.0.113.1] distance=20
}
}'
check "netwatch: 192.0.2.10 is up" wait_count status=up 1

out=$(ctl '/ping 192.0.2.100 count=3' 2>&1 || true)
echo "$out"
check "/ping prints RouterOS's columns" grep -qE '^ +SEQ +HOST +SIZE +TTL +TIME +STATUS' <<<"$out"
check "/ping: 3 replies from 192.0.2.100" grep -q 'sent=3 received=3 packet-loss=0%' <<<"$out"
check "[/ping] is the number of replies" test "$(ctl ':put [/ping 192.0.2.10 count=2 interval=200ms]')" = 2
check "a ping through routing-table main to an unreachable address gets none" \
    test "$(ctl ':put [/ping 192.0.2.250 count=1]')" = 0
check "/ping with a bad option is refused" bash -c "! '$WANCTL' --socket '$TB_TMP/api.sock' '/ping 192.0.2.10 count=zero'"
t0=$(date +%s%N)
check ":delay in a wanctl script returns after the delay" \
    test "$(ctl ':local a 1; :delay 1s; :put ($a + 1)')" = 2
t1=$(date +%s%N)
check ":delay 1s took at least 1 s" test $(((t1 - t0) / 1000000)) -ge 1000

# A short break: down, then healed within the 10 s delay; the confirmation ping succeeds.
upstream1 down
check "netwatch: 192.0.2.10 goes down" wait_count status=down 1
upstream1 up
check "netwatch: 192.0.2.10 comes back up" wait_count status=up 1
check "while the script waits, wanctl answers" ctl '/ip/route print count-only'
check "while the script waits, traffic flows by ISP1" test "$(path_now)" = isp1
sleep 12 # the delay, and the 3 pings
check "the down-script ended without confirming" bash -c "grep -q 'netwatch: 192.0.2.10 down-script ran' '$WANFWD_LOG' && ! grep -q 'Confirmed WAN1 failure' '$WANFWD_LOG'"
check "the ISP1 route keeps distance 1" test "$(route_distance wan1-default)" = 1

# A lasting break: confirmed after the delay, the route is pushed back.
upstream1 down
check "netwatch: 192.0.2.10 goes down again" wait_count status=down 1
check "no failover before the delay is over" test "$(route_distance wan1-default)" = 1
check "the ISP1 route gets distance 20 after the delay and the pings" wait_distance 20 20
check "the script logged the confirmation" grep -q 'script: Confirmed WAN1 failure' "$WANFWD_LOG"
check "traffic moves to ISP2" test "$(path_now)" = isp2

# A waiting script is listed by /system/script/job and stopped by remove.
ctl ':delay 60s; /ip/route set [find comment=wan1-default] distance=30' >"$TB_TMP/job.out" 2>&1 &
job_pid=$!
wait_job() {
    local i
    for ((i = 0; i < 30; i++)); do
        [[ $(ctl '/system/script/job print count-only where type=wanctl') == 1 ]] && return 0
        sleep 0.1
    done
    return 1
}
check "/system/script/job lists the waiting wanctl script" wait_job
out=$(ctl '/system/script/job print' 2>&1 || true)
echo "$out"
check "/system/script/job print: TYPE STARTED WAITING SCRIPT, delay" \
    bash -c "grep -qE '^ *# +TYPE +STARTED +WAITING +SCRIPT' <<<'$out' && grep -qE 'wanctl +[0-9:]+ +delay ' <<<'$out'"
check "remove stops it" ctl '/system/script/job remove [find type=wanctl]'
job_rc=0
wait "$job_pid" || job_rc=$?
check "its wanctl ends in error: the script was removed" \
    bash -c "[[ $job_rc -ne 0 ]] && grep -q 'the script was removed' '$TB_TMP/job.out'"
check "what it would have done after the delay is not done" test "$(route_distance wan1-default)" = 20

rc=0
wanfwd_stop >/dev/null || rc=$?
check "wanfwd exits with status 0" test "$rc" -eq 0
e2e_summary
