#!/usr/bin/env bash
# The whole test suite, as README and CI run it: set-up, release build, unit and DPDK
# integration tests (cargo test), then every end-to-end script in tests/e2e/.
# Ends with 'N passed, N failed': the e2e checks, plus one failure for each failed step.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_env=${CARGO_HOME:-${HOME:-/root}/.cargo}/env
# shellcheck source=/dev/null
[[ -f $cargo_env ]] && source "$cargo_env"

E2E_TIMEOUT=${E2E_TIMEOUT:-900} # seconds for one e2e script
trap 'exit 130' INT
passed=0
failed=0
results=()

step() { # NAME CMD...: a step that counts as one failure if it fails
    local name=$1
    shift
    echo "=== $name"
    if "$@"; then
        results+=("ok    $name")
    else
        results+=("FAIL  $name")
        failed=$((failed + 1))
        return 1
    fi
}

step "setup (scripts/setup.sh)" bash scripts/setup.sh || true
built=1
step "cargo build --release --workspace" cargo build --release --workspace || built=0
step "cargo test --release --workspace" cargo test --release --workspace || true

for script in tests/e2e/*.sh; do
    [[ $script == tests/e2e/*lib.sh ]] && continue # shared helpers, not tests
    if ((!built)); then
        results+=("skip  $script (the build failed)")
        continue
    fi
    echo "=== $script"
    out=$(mktemp)
    rc=0
    # --foreground: a Ctrl-C reaches the script, whose trap cleans up; tee -i outlives it.
    timeout --foreground -k 30 "$E2E_TIMEOUT" bash "$script" 2>&1 | tee -i "$out" || rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
    rm -f "$out"
    p=0 f=0
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
    fi
    ((rc == 0 || f > 0)) || f=1 # it failed without saying so (crash, timeout)
    passed=$((passed + p))
    failed=$((failed + f))
    if ((rc == 0 && f == 0)); then
        results+=("ok    $script ($p passed)")
    else
        results+=("FAIL  $script ($p passed, $f failed, exit status $rc)")
    fi
done

echo "=== summary"
printf '  %s\n' "${results[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
