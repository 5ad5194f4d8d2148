#!/usr/bin/env bash
# Benchmark zkinfer against EZKL on the same models, same machine, same run.
#
#   benches/compare/compare_ezkl.sh MODEL_DIR... [--reps N] [other compare.py options]
#
# MODEL_DIR: a fixture folder (network.onnx, input.json, expected.json), e.g. tests/fixtures/lenet5.
#
# 1. makes a venv with ezkl==23.0.5, onnx, onnxruntime, numpy (default .cache/ezkl-venv; override
#    with EZKL_VENV=/path), only when it is missing or incomplete;
# 2. builds zkinfer in release (cargo build --release; skip with --no-build or --skip-zkinfer);
# 3. runs benches/compare/compare.py, which prints a markdown table to stdout and writes
#    .cache/compare-results.json.
#
# Everything else on the command line goes to compare.py (see `compare.py --help`:
# --reps, --skip-ezkl, --skip-zkinfer, --calibration-target, --zk-calibration, --timeout, ...).
# Equal error is the default: EZKL is compiled first and zkinfer gets --target-rel-l2
# min(0.001, 0.9 x EZKL's output rel-L2) (--no-match-error turns it off; --match-cap/--match-factor).
# --evm also measures verifyProof gas and verifier runtime bytes of both systems on a local anvil
# (127.0.0.1, free port, started and killed by compare.py); with --evm this script first installs
# .tools/ (.ci/install-evm-tools.sh) if missing and npm solc@0.8.20 into .cache/solc-0.8.20 (EZKL
# compiles with 0.8.20 only; compare.py hands it over through HOME=.cache/ezkl-home/.svm).
# Nothing is downloaded at run time except the pip/npm packages: EZKL's SRS is made locally with
# gen_srs (never get_srs) and cached in .cache/ezkl-srs/. Not run in CI: it takes minutes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${EZKL_VENV:-$ROOT/.cache/ezkl-venv}"
EZKL_VERSION="23.0.5"
PYTHON="${PYTHON:-python3}"

build=1
skip_zk=0
evm=0
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --skip-zkinfer) skip_zk=1; args+=("$a") ;;
    --evm) evm=1; args+=("$a") ;;
    -h|--help)
      sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) args+=("$a") ;;
  esac
done
if [ "${#args[@]}" -eq 0 ]; then
  echo "usage: $0 MODEL_DIR... [--reps N] [--no-build] [compare.py options]" >&2
  exit 2
fi

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$EZKL_VERSION" <<'EOF' 2>/dev/null
import importlib.metadata as md, sys
import ezkl, numpy, onnx, onnxruntime  # noqa: F401
sys.exit(0 if md.version("ezkl") == sys.argv[1] else 1)
EOF
}

if ! venv_ok; then
  echo "[compare_ezkl] creating venv $VENV (ezkl==$EZKL_VERSION onnx onnxruntime numpy)" >&2
  mkdir -p "$(dirname "$VENV")"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet "ezkl==$EZKL_VERSION" onnx onnxruntime numpy >&2
  venv_ok || { echo "[compare_ezkl] venv $VENV is still incomplete" >&2; exit 1; }
fi

if [ "$evm" -eq 1 ]; then
  # anvil, cast and solc-js 0.8.19 (zkinfer's verifier) in .tools/; idempotent.
  if [ ! -x "$ROOT/.tools/bin/anvil" ] || [ ! -x "$ROOT/.tools/bin/solc" ]; then
    echo "[compare_ezkl] --evm: installing the EVM tools (.ci/install-evm-tools.sh)" >&2
    "$ROOT/.ci/install-evm-tools.sh" >&2
  fi
  # EZKL compiles with solc 0.8.20 only and would download it: solc-js 0.8.20 from npm instead.
  SOLC_JS="$ROOT/.cache/solc-0.8.20"
  if [ ! -f "$SOLC_JS/node_modules/solc/soljson.js" ] \
    || [ "$(node -p "require('$SOLC_JS/node_modules/solc/package.json').version" 2>/dev/null)" != "0.8.20" ]; then
    echo "[compare_ezkl] --evm: npm install solc@0.8.20 into $SOLC_JS" >&2
    mkdir -p "$SOLC_JS"
    npm install --prefix "$SOLC_JS" --no-audit --no-fund --ignore-scripts --loglevel=error solc@0.8.20 >&2
  fi
fi

if [ "$build" -eq 1 ] && [ "$skip_zk" -eq 0 ]; then
  echo "[compare_ezkl] cargo build --release" >&2
  if ! (cd "$ROOT" && cargo build --release >&2); then
    echo "[compare_ezkl] cargo build --release FAILED: running the EZKL side only (--skip-zkinfer)" >&2
    args+=("--skip-zkinfer")
  fi
fi

cd "$ROOT"
exec "$VENV/bin/python" "$ROOT/benches/compare/compare.py" "${args[@]}"
