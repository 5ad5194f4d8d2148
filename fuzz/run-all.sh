#!/usr/bin/env bash
# Runs every zkinfer fuzz target (or those named as arguments) one after another, each for
# SECONDS seconds (default 600), and prints per target the executions, coverage and any
# crash / oom / timeout found. Exits 1 if any target left such an artifact (or failed).
#
#   fuzz/run-all.sh                      # build, then 10 minutes per target
#   SECONDS_PER_TARGET=60 fuzz/run-all.sh verify_proof verifier_key
#   KEEP_GOING=1 fuzz/run-all.sh         # fork mode: keep fuzzing past crashes, collect all
#   NO_BUILD=1 fuzz/run-all.sh           # reuse the last build
#
# New corpus entries go to fuzz/corpus/<target>/ (kept between runs, not committed); the
# committed seeds in fuzz/seeds/<target>/ are read, never written. Artifacts go to
# fuzz/artifacts/<target>/, logs to fuzz/artifacts/<target>/last-run.log.
set -u -o pipefail

cd "$(dirname "$0")"
FUZZ_DIR=$(pwd)
SECS=${SECONDS_PER_TARGET:-600}
ALL_TARGETS=(onnx_import input_json artifacts_json verifier_key verify_proof)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

# Same flags for build and run; `cargo fuzz run` with other flags would rebuild.
# -s none: the crates are safe Rust (unsafe_code = forbid), so ASan adds cost, not findings.
# Overflow checks and debug assertions are on (cargo fuzz's default): an arithmetic
# overflow on untrusted input is a finding even where release builds would wrap.
BUILD_FLAGS=(--sanitizer none --codegen-units 16)
BIN_DIR="$FUZZ_DIR/target/x86_64-unknown-linux-gnu/release"

max_len() {
    case "$1" in
        onnx_import) echo 16384 ;;
        input_json) echo 8192 ;;
        artifacts_json) echo 16384 ;;
        verifier_key) echo 4096 ;;
        verify_proof) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

dict() {
    case "$1" in
        onnx_import) echo "$FUZZ_DIR/dicts/onnx.dict" ;;
        *) echo "$FUZZ_DIR/dicts/json.dict" ;;
    esac
}

if [ "${NO_BUILD:-0}" != 1 ]; then
    cargo +nightly fuzz build "${BUILD_FLAGS[@]}" || { echo "build failed" >&2; exit 1; }
fi

status=0
summary=()
for t in "${TARGETS[@]}"; do
    bin="$BIN_DIR/$t"
    if [ ! -x "$bin" ]; then
        echo "no binary $bin (unknown target or not built)" >&2
        status=1
        continue
    fi
    corpus="$FUZZ_DIR/corpus/$t"
    artifacts="$FUZZ_DIR/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    log="$artifacts/last-run.log"
    marker=$(mktemp)
    extra=()
    if [ "${KEEP_GOING:-0}" = 1 ]; then
        extra=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
    fi
    echo "=== $t: ${SECS}s (log: $log)"
    RUST_BACKTRACE=1 "$bin" "$corpus" "$FUZZ_DIR/seeds/$t" \
        -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
        -max_len="$(max_len "$t")" -dict="$(dict "$t")" \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "${extra[@]}" \
        >"$log" 2>&1
    rc=$?
    found=$(find "$artifacts" -maxdepth 1 -newer "$marker" -type f \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | sort)
    rm -f "$marker"
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    rss=$(grep -oE 'stat::peak_rss_mb: +[0-9]+' "$log" | tail -1 | awk '{print $2}')
    line="$t: executions ${execs:-?}, ${cov:-cov: ?}, peak rss ${rss:-?} MB, exit $rc"
    if [ -n "$found" ]; then
        count=$(printf '%s\n' "$found" | wc -l)
        line="$line, FINDINGS: $count artifact(s) in $artifacts/"
        status=1
        # One line per distinct cause, with an example input.
        mapfile -t new_files <<<"$found"
        "$FUZZ_DIR/triage.sh" "$t" "${new_files[@]}" | sed 's/^/    /'
    elif [ "$rc" -ne 0 ]; then
        line="$line (failed without an artifact; see $log)"
        status=1
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "=== summary (${SECS}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
