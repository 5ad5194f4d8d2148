#!/usr/bin/env bash
# GPU equivalence and speed check (issue 15): on a machine with an NVIDIA GPU, proves the same
# models with the CPU and the CUDA backends of one zkinfer binary, verifies every proof with the
# same key, compares what the proofs state, and prints the prove times.
#
#   scripts/gpu-check.sh [--bin PATH] [--models "DIR ..."] [--reps N] [--work DIR]
#                        [--srs-cache DIR] [--seed HEX] [--step-timeout S] [--stub-driver]
#
#   --bin PATH        zkinfer to test. Default: target/gpu-bundle/bin/zkinfer (scripts/gpu-bundle.sh),
#                     else target/cuda/release/zkinfer (a `--features cuda` build), else
#                     target/release/zkinfer (CPU only: the GPU steps then fail, by design).
#   --models "..."    fixture folders (network.onnx + input.json [+ meta.json]); a bare name is
#                     looked up in tests/fixtures/. Default: the four e2e fixtures
#                     (digits_mlp16 digits_conv mlp_chain cnn_chain) and lenet5.
#   --reps N          GPU proofs per model (default 2; the first includes CUDA context
#                     creation and kernel loading, so "best" is the best of the others).
#   --work DIR        working folder (default: a new mktemp -d folder); the log is DIR/gpu-check.log.
#   --srs-cache DIR   local (insecure) SRS cache (default: WORK/srs-cache).
#   --seed HEX        pass `--seed HEX` (64 hex digits) to every prove: NOT zero-knowledge proofs
#                     whose advice blinding is the seed's, so the proofs' leading bytes (the advice
#                     commitments) can be compared across backends; halo2 draws later randomness
#                     itself, so whole proofs still differ (tests/zero_knowledge.rs). Default: none.
#   --step-timeout S  limit for any one zkinfer command (default 300 s).
#   --stub-driver     LOCAL TESTS ONLY: put .tools/cuda/link (scripts/cuda-env.sh's libcuda stub,
#                     every call of which answers "no device") on LD_LIBRARY_PATH, to check that a
#                     cuda build fails cleanly without a GPU. Never on a GPU machine.
#
# Per model: compile (calibrated like tests/e2e_proofs.rs: input.json, plus meta.json when it
# has test_samples), setup (insecure local SRS), prove --device cpu, N x prove --device cuda
# (each must print "device: cuda"), verify of every proof with the same key folder; the
# instances and outputs of every GPU proof must equal the CPU proof's. Proof bytes differ
# between backends (random blinding), which is reported, not failed. Once, after the first
# model whose GPU proofs pass, one `prove --device auto` must choose the GPU too.
# Prints a table (also WORK/gpu-check-table.txt); exits non-zero if any step failed. When $OUT
# is set (the device tool's output folder) the log and the table are copied there as they grow.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN=""
MODELS="tests/fixtures/digits_mlp16 tests/fixtures/digits_conv tests/fixtures/mlp_chain tests/fixtures/cnn_chain tests/fixtures/lenet5"
REPS=2
WORK=""
SRS_CACHE=""
SEED=""
STEP_TIMEOUT=300
STUB=0

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die() {
  echo "gpu-check: ERROR: $*" >&2
  if [ -n "${LOG:-}" ]; then echo "gpu-check: ERROR: $*" >>"$LOG"; fi
  exit 2
}
need_arg() { [ "$2" -ge 2 ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) need_arg "$1" $#; BIN="$2"; shift ;;
    --models) need_arg "$1" $#; MODELS="$2"; shift ;;
    --reps) need_arg "$1" $#; REPS="$2"; shift ;;
    --work) need_arg "$1" $#; WORK="$2"; shift ;;
    --srs-cache) need_arg "$1" $#; SRS_CACHE="$2"; shift ;;
    --seed) need_arg "$1" $#; SEED="$2"; shift ;;
    --step-timeout) need_arg "$1" $#; STEP_TIMEOUT="$2"; shift ;;
    --stub-driver) STUB=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer (got $REPS)"
[[ "$STEP_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--step-timeout must be a positive integer (got $STEP_TIMEOUT)"

# --- work folder, log ---------------------------------------------------------------------
if [ -z "$WORK" ]; then WORK="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"; fi
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
[ -n "$SRS_CACHE" ] || SRS_CACHE="$WORK/srs-cache"
mkdir -p "$SRS_CACHE"
LOG="$WORK/gpu-check.log"
TABLE="$WORK/gpu-check-table.txt"
: >"$LOG"

say() { printf '%s\n' "$*" | tee -a "$LOG"; }
show() { sed 's/^/    /' "$@" | tee -a "$LOG"; } # a command's output, indented
publish() {                                          # copy log and table to $OUT, if set
  if [ -n "${OUT:-}" ] && mkdir -p "$OUT" 2>/dev/null; then
    cp -f "$LOG" "$OUT/gpu-check.log" 2>/dev/null || true
    if [ -f "$TABLE" ]; then cp -f "$TABLE" "$OUT/gpu-check-table.txt" 2>/dev/null || true; fi
  fi
  return 0
}
trap publish EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
T_START=$(now)

# --- binary and libraries ------------------------------------------------------------------
if [ -z "$BIN" ]; then
  for b in target/gpu-bundle/bin/zkinfer target/cuda/release/zkinfer target/release/zkinfer; do
    if [ -f "$b" ]; then BIN="$b"; break; fi
  done
  [ -n "$BIN" ] || die "no zkinfer found (target/gpu-bundle/bin, target/cuda/release, target/release): pass --bin"
fi
[ -f "$BIN" ] || die "--bin $BIN: no such file"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
BIN_GIVEN="$BIN"
if [ ! -x "$BIN" ]; then # a carried copy may lose its mode bits
  mkdir -p "$WORK/bin"
  cp "$BIN" "$WORK/bin/zkinfer"
  chmod +x "$WORK/bin/zkinfer"
  BIN="$WORK/bin/zkinfer"
fi

BUNDLE_LIB="$ROOT/target/gpu-bundle/lib"
STUB_DIR="$ROOT/.tools/cuda/link"
if [ -d "$BUNDLE_LIB" ]; then
  export LD_LIBRARY_PATH="$BUNDLE_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ "$STUB" = 1 ]; then
  [ -f "$STUB_DIR/libcuda.so.1" ] || die "--stub-driver: no $STUB_DIR/libcuda.so.1 (source scripts/cuda-env.sh; cuda_env_install)"
  export LD_LIBRARY_PATH="$STUB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# Runs zkinfer under the step timeout; stdout to $1.out, stderr to $1.err. Sets STEP_RC, STEP_S.
STEP_RC=0
STEP_S=""
zk() {
  local base=$1 t0 t1
  shift
  say "  \$ zkinfer $*"
  STEP_RC=0
  t0=$(now)
  timeout --kill-after=10 "$STEP_TIMEOUT" "$BIN" "$@" >"$base.out" 2>"$base.err" </dev/null || STEP_RC=$?
  t1=$(now)
  STEP_S=$(elapsed "$t0" "$t1")
  show "$base.out" "$base.err"
  if [ "$STEP_RC" = 124 ] || [ "$STEP_RC" = 137 ]; then
    say "    (killed after the ${STEP_TIMEOUT} s step timeout)"
  fi
  say "    -> rc=$STEP_RC, $STEP_S s"
  return 0
}
# The last error-looking line of a failed step (for the summary).
why() {
  local w
  w=$(cat "$1.err" "$1.out" 2>/dev/null | grep -iE 'error|panic|fail' | tail -1 || true)
  [ -n "$w" ] || w=$(tail -1 "$1.err" 2>/dev/null || true)
  printf '%s' "${w:0:400}"
}
# The "done" line of a spinner stage on stderr, e.g. "  proving (12.34 s)": prints 12.34.
stage_s() { sed -nE "s/^ *$2 \(([0-9.]+) s\)\$/\1/p" "$1.err" | tail -1; }

# Compares two proof artifacts: prints "proof=yes|no vk_digest=yes|no instances=yes|no outputs=yes|no".
compare() {
  if command -v python3 >/dev/null; then
    python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
same = lambda k: "yes" if k in a and a.get(k) == b.get(k) else "no"
pa, pb = bytes.fromhex(a.get("proof", "")), bytes.fromhex(b.get("proof", ""))
n = next((i for i, (x, y) in enumerate(zip(pa, pb)) if x != y), min(len(pa), len(pb)))
print(" ".join(f"{k}={same(k)}" for k in ("proof", "vk_digest", "instances", "outputs")),
      f"(first {n} of {len(pa)}/{len(pb)} proof bytes equal)")
PY
  elif command -v jq >/dev/null; then
    local r="" k
    for k in proof vk_digest instances outputs; do
      if [ "$(jq -cS ".$k" "$1")" = "$(jq -cS ".$k" "$2")" ] && [ "$(jq -c ".$k" "$1")" != null ]; then r+="$k=yes "; else r+="$k=no "; fi
    done
    echo "${r% }"
  else
    echo "proof=? vk_digest=? instances=? outputs=?"
  fi
}
json_k() {
  if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["circuit"]["k"])' "$1" 2>/dev/null || echo "?"
  elif command -v jq >/dev/null; then
    jq -r '.circuit.k // "?"' "$1" 2>/dev/null || echo "?"
  else
    echo "?"
  fi
}

# --- environment ---------------------------------------------------------------------------
say "== gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname 2>/dev/null || echo '?'): $(uname -srm), $(nproc) cores"
say "work: $WORK (log: $LOG)"
say "binary: $BIN${BIN_GIVEN:+$([ "$BIN" = "$BIN_GIVEN" ] || echo " (an executable copy of $BIN_GIVEN)")}"
say "  sha256 $(sha256sum "$BIN" | cut -d' ' -f1), $(stat -c %s "$BIN") bytes"
ver_rc=0
ver=$("$BIN" --version 2>&1) || ver_rc=$?
say "  version: $ver"
if [ -f "$ROOT/target/gpu-bundle/MANIFEST.txt" ] && [ "$BIN_GIVEN" -ef "$ROOT/target/gpu-bundle/bin/zkinfer" ]; then
  say "  bundle MANIFEST.txt:"
  show "$ROOT/target/gpu-bundle/MANIFEST.txt"
  want=$(sed -n 's/^sha256 bin\/zkinfer: \([0-9a-f]*\).*/\1/p' "$ROOT/target/gpu-bundle/MANIFEST.txt")
  [ "$want" = "$(sha256sum "$BIN" | cut -d' ' -f1)" ] || say "  WARNING: the binary's sha256 differs from MANIFEST.txt"
fi
say "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
if [ "$STUB" = 1 ]; then
  say "WARNING: --stub-driver: the libcuda stub (no device) is on LD_LIBRARY_PATH: a local test, no GPU can be used"
elif [[ ":${LD_LIBRARY_PATH:-}:" == *"/.tools/cuda/link:"* ]]; then
  say "WARNING: LD_LIBRARY_PATH holds .tools/cuda/link: its libcuda stub hides any real GPU"
fi
say "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-<unset>}"
if command -v ldd >/dev/null; then
  say "CUDA libraries the binary resolves (ldd):"
  ldd "$BIN" 2>&1 | grep -iE 'cuda|not found' | sed 's/^[[:space:]]*/    /' | tee -a "$LOG" || say "    (none: not a cuda build?)"
fi
if command -v nvidia-smi >/dev/null; then
  say "nvidia-smi:"
  timeout 30 nvidia-smi 2>&1 | sed 's/^/    /' | tee -a "$LOG" || say "    (nvidia-smi failed)"
  timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>&1 \
    | sed 's/^/    /' | tee -a "$LOG" || true
else
  say "nvidia-smi: not found (no NVIDIA driver on this machine?)"
fi
if [ "$ver_rc" != 0 ]; then
  die "$BIN does not start (exit $ver_rc): $ver. A --features cuda build loads libcuda.so.1 (the NVIDIA driver's) and libcudart.so.13 (target/gpu-bundle/lib, or the CUDA 13 toolkit) at start-up: install the driver, or put the libraries' folder on LD_LIBRARY_PATH"
fi
if ! "$BIN" prove --help 2>/dev/null | grep -q -- '--device'; then
  die "$BIN has no \`prove --device\` option: it predates the CUDA backend; rebuild it"
fi

# --- per model -------------------------------------------------------------------------------
declare -A K CPU CPU_ST G1 G1_ST GBEST GBEST_ST VCPU VGPU SAME NOTE
NAMES=()
FAILS=()
AUTO_DONE=0
fail() { FAILS+=("$1: $2"); say "  FAIL: $2"; }

fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 <= 0) print ""; else printf "%.1fx", a / b }'; }
# "wall (stage)" seconds, or "" when there is no wall time.
fmt_t() { if [ -z "$1" ]; then echo ""; elif [ -z "$2" ]; then echo "$1"; else echo "$1 ($2)"; fi; }
write_table() {
  local n f='%-13s %3s %-14s %-14s %-14s %8s %8s %-10s %-8s\n'
  {
    # shellcheck disable=SC2059
    printf "$f" model k "cpu s" "gpu 1st s" "gpu best s" speed-up "(stage)" "verify c/g" "inst/out"
    for n in "${NAMES[@]}"; do
      # shellcheck disable=SC2059
      printf "$f" "$n" "${K[$n]:-}" "$(fmt_t "${CPU[$n]:-}" "${CPU_ST[$n]:-}")" \
        "$(fmt_t "${G1[$n]:-}" "${G1_ST[$n]:-}")" "$(fmt_t "${GBEST[$n]:-}" "${GBEST_ST[$n]:-}")" \
        "$(fmt_ratio "${CPU[$n]:-}" "${GBEST[$n]:-}")" "$(fmt_ratio "${CPU_ST[$n]:-}" "${GBEST_ST[$n]:-}")" \
        "${VCPU[$n]:--}/${VGPU[$n]:--}" "${SAME[$n]:--}"
    done
    echo "s: wall seconds of one \`zkinfer prove\` (keys read, witness, proof, self-check), in brackets its"
    echo "\"proving\" stage alone; gpu best: the best of GPU reps 2..$REPS (rep 1 includes CUDA start-up;"
    echo "with --reps 1, rep 1); speed-up: cpu / gpu best, (stage): the same for the proving stage;"
    echo "inst/out: the GPU proofs state the CPU proof's vk digest, instances and outputs."
    for n in "${NAMES[@]}"; do
      [ -z "${NOTE[$n]:-}" ] || echo "$n: ${NOTE[$n]}"
    done
  } >"$TABLE"
  publish
}

for m in $MODELS; do
  fx="$m"
  [ -d "$fx" ] || [ ! -d "tests/fixtures/$m" ] || fx="tests/fixtures/$m"
  name="$(basename "$fx")"
  NAMES+=("$name")
  say ""
  say "== $name ($fx)"
  if [ ! -f "$fx/network.onnx" ] || [ ! -f "$fx/input.json" ]; then
    fail "$name" "no $fx/network.onnx or $fx/input.json"
    write_table
    continue
  fi
  d="$WORK/$name"
  rm -rf "$d"
  mkdir -p "$d.logs"
  L="$d.logs"
  cal=(--calibration "$fx/input.json")
  if [ -f "$fx/meta.json" ] && grep -q '"test_samples"' "$fx/meta.json"; then
    cal+=(--calibration "$fx/meta.json")
  fi

  zk "$L/compile" compile "$fx/network.onnx" "${cal[@]}" -o "$d"
  if [ "$STEP_RC" != 0 ]; then fail "$name" "compile failed: $(why "$L/compile")"; write_table; continue; fi
  K[$name]=$(json_k "$d/settings.json")
  zk "$L/setup" setup "$d" --srs-cache "$SRS_CACHE"
  if [ "$STEP_RC" != 0 ]; then fail "$name" "setup failed: $(why "$L/setup")"; write_table; continue; fi

  seed=()
  [ -z "$SEED" ] || seed=(--seed "$SEED")
  zk "$L/prove-cpu" prove "$d" --input "$fx/input.json" -o "$d/cpu.json" --device cpu "${seed[@]}"
  cpu_ok=0
  if [ "$STEP_RC" != 0 ]; then
    fail "$name" "CPU prove failed: $(why "$L/prove-cpu")"
  elif ! grep -q '^device: cpu' "$L/prove-cpu.out"; then
    fail "$name" "CPU prove did not print \"device: cpu\" ($(grep '^device:' "$L/prove-cpu.out" || echo 'no device line'))"
  else
    cpu_ok=1
    CPU[$name]=$STEP_S
    CPU_ST[$name]=$(stage_s "$L/prove-cpu" "proving")
    zk "$L/verify-cpu" verify "$d" --proof "$d/cpu.json" --allow-insecure-srs
    if [ "$STEP_RC" = 0 ]; then VCPU[$name]=ok; else VCPU[$name]=FAIL; fail "$name" "CPU proof rejected: $(why "$L/verify-cpu")"; fi
  fi

  gpu_ok=0 best="" best_st="" verified=0 same_all=yes bytes_note="" proofs=()
  for r in $(seq 1 "$REPS"); do
    p="$d/cuda-$r.json"
    zk "$L/prove-cuda-$r" prove "$d" --input "$fx/input.json" -o "$p" --device cuda "${seed[@]}"
    if [ "$STEP_RC" != 0 ]; then
      fail "$name" "GPU prove (rep $r) failed: $(why "$L/prove-cuda-$r")"
      break
    fi
    if ! grep -q '^device: cuda' "$L/prove-cuda-$r.out"; then
      fail "$name" "--device cuda proved, but not on the GPU: $(grep '^device:' "$L/prove-cuda-$r.out" || echo 'no device line')"
      break
    fi
    gpu_ok=$((gpu_ok + 1))
    proofs+=("$p")
    st=$(stage_s "$L/prove-cuda-$r" "proving on the GPU \\(CUDA\\)")
    if [ "$r" = 1 ]; then G1[$name]=$STEP_S; G1_ST[$name]=$st; fi
    if [ "$r" -gt 1 ] || [ "$REPS" = 1 ]; then
      if [ -z "$best" ] || awk -v a="$STEP_S" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$STEP_S; best_st=$st; fi
    fi
    zk "$L/verify-cuda-$r" verify "$d" --proof "$p" --allow-insecure-srs
    if [ "$STEP_RC" = 0 ]; then
      verified=$((verified + 1))
    else
      fail "$name" "GPU proof (rep $r) rejected by the verifier: $(why "$L/verify-cuda-$r")"
    fi
    if [ "$cpu_ok" = 1 ]; then
      c=$(compare "$d/cpu.json" "$p")
      say "  cpu vs gpu rep $r: $c"
      case "$c" in
        *"vk_digest=yes instances=yes outputs=yes"*) ;;
        *"=?"*) same_all="?"; fail "$name" "cannot compare the proofs' JSON: neither python3 nor jq is installed" ;;
        *) same_all=NO; fail "$name" "GPU proof (rep $r) differs from the CPU proof in key, instances or outputs ($c)" ;;
      esac
      case "$c" in
        proof=yes*) say "  byte-identical (cpu vs gpu rep $r): yes" ;;
        *) say "  byte-identical (cpu vs gpu rep $r): no (randomized blinding, expected)" ;;
      esac
    fi
  done
  if [ "${#proofs[@]}" -ge 2 ]; then
    c=$(compare "${proofs[0]}" "${proofs[1]}")
    case "$c" in
      proof=yes*) bytes_note="GPU proofs byte-identical across reps" ;;
      *) bytes_note="GPU proofs differ across reps" ;;
    esac
    say "  gpu rep 1 vs rep 2: $c ($bytes_note)"
  fi
  if [ "$gpu_ok" -gt 0 ]; then
    GBEST[$name]=$best
    GBEST_ST[$name]=$best_st
    if [ "$verified" = "$gpu_ok" ]; then VGPU[$name]="ok"; else VGPU[$name]="FAIL"; fi
    [ "$gpu_ok" = "$REPS" ] || VGPU[$name]+="($gpu_ok/$REPS)"
    if [ "$cpu_ok" = 1 ]; then SAME[$name]=$same_all; fi
    [ -z "$bytes_note" ] || NOTE[$name]="$bytes_note"
  fi

  # Once: --device auto must pick the GPU where --device cuda works.
  if [ "$AUTO_DONE" = 0 ] && [ "$gpu_ok" = "$REPS" ]; then
    AUTO_DONE=1
    zk "$L/prove-auto" prove "$d" --input "$fx/input.json" -o "$d/auto.json" --device auto "${seed[@]}"
    line=$(grep '^device:' "$L/prove-auto.out" || echo "no device line")
    if [ "$STEP_RC" != 0 ]; then
      fail "$name" "--device auto failed: $(why "$L/prove-auto")"
    elif [[ "$line" != "device: cuda"* ]]; then
      fail "$name" "--device auto did not use the GPU: $line"
    else
      NOTE[$name]="${NOTE[$name]:+${NOTE[$name]}; }--device auto: $line"
    fi
  fi
  write_table
done

# --- summary -----------------------------------------------------------------------------------
write_table
say ""
say "== summary ($(elapsed "$T_START" "$(now)") s in all; binary sha256 $(sha256sum "$BIN" | cut -c1-16)…)"
tee -a "$LOG" <"$TABLE"
if [ "${#FAILS[@]}" -gt 0 ]; then
  say ""
  say "FAILED (${#FAILS[@]}):"
  for f in "${FAILS[@]}"; do say "  - $f"; done
  say "log: $LOG"
  exit 1
fi
say ""
say "OK: every proof verified with the same key; GPU and CPU proofs state the same instances and outputs."
say "log: $LOG"
