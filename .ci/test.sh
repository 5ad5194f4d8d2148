#!/usr/bin/env bash
# The test command of README.md (and so of CI): installs what the tests need, then runs
# `cargo test --workspace` with any extra arguments passed through
# (e.g. `.ci/test.sh --test onnx_backend -- --nocapture`):
#   - the EVM tools (solc-js, anvil, cast, ethers) via .ci/install-evm-tools.sh into .tools/
#   - the TypeScript client's and the dApp page's npm dependencies, and Debian's chromium for
#     the browser test, via .ci/install-js.sh
#   - the PyPI `onnx` wheel (pinned; without its dependencies: only its data files are used)
#     into the git-ignored virtual environment .venv-onnx/, for ONNX's backend conformance
#     models (onnx/backend/test/data), which tests/onnx_backend.rs runs
# Idempotent (a second run reinstalls nothing), installs nothing globally (but chromium), and needs only
# node >= 18 with npm and python3 (with its venv module) besides the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

ONNX_VERSION=1.17.0

.ci/install-evm-tools.sh
.ci/install-js.sh
.ci/install-ray.sh
export ZKINFER_RAY_PYTHON="$PWD/.venv-ray/bin/python"

venv="$PWD/.venv-onnx"
stamp="$venv/onnx.stamp"
want="onnx=$ONNX_VERSION"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  echo "test.sh: onnx $ONNX_VERSION up to date in $venv"
else
  if ! command -v python3 >/dev/null; then
    echo "test.sh: python3 is required (with its venv module) to install the onnx test data" >&2
    exit 1
  fi
  python3 -m venv "$venv"
  # --no-deps: the tests read the wheel's model files only, never import the Python package.
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --no-deps \
    "onnx==$ONNX_VERSION"
  echo "$want" >"$stamp"
  echo "test.sh: installed onnx $ONNX_VERSION into $venv"
fi

site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
data="$site/onnx/backend/test/data"
if [ ! -d "$data" ]; then
  echo "test.sh: $data is missing after installing onnx $ONNX_VERSION" >&2
  exit 1
fi
export ZKINFER_ONNX_BACKEND_DATA="$data"

cargo test --workspace "$@"
