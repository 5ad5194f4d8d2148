#!/usr/bin/env bash
# Keeps the `cuda` feature compiling and correct on machines without a GPU (CI included):
#   1. installs a CUDA 13 compiler from PyPI into .tools/cuda/ (scripts/cuda-env.sh);
#   2. clippy -D warnings on the prover built with `--features cuda`;
#   3. the prover's backend unit tests and tests/device_cli.rs with `--features cuda`, run
#      against a stub driver library whose every call answers "no CUDA device": `auto` must
#      prove on the CPU (and the proof verify), `cuda` must fail with a clear message.
# Builds into target/cuda/ (its own target dir: the feature changes halo2-axiom's feature
# set, which would otherwise rebuild the default build's dependencies twice per run).
# On a GPU machine use scripts/gpu-check.sh instead: it runs the GPU.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/cuda-env.sh
source scripts/cuda-env.sh
cuda_env_install
export CARGO_TARGET_DIR="${ZKINFER_CUDA_TARGET_DIR:-$PWD/target/cuda}"

step() {
  local name=$1
  shift
  local t0=$SECONDS
  echo "== check-cuda: $name"
  "$@"
  echo "== check-cuda: $name: ok ($((SECONDS - t0)) s)"
}

# The feature's code is all in the prover (the root crate only forwards the feature, and
# its tests branch with `cfg!`, which the default clippy run already compiles).
step "clippy (prover, --features cuda)" \
  cargo clippy -p zkinfer-prover --features cuda --all-targets -- -D warnings

# The test binaries link libcudart.so.13 and libcuda.so.1: the wheel's runtime and the stub
# driver (so the tests see "no device" even on a machine with a GPU).
export LD_LIBRARY_PATH="$ZKINFER_CUDA_STUB_RUNTIME${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
step "prover backend tests (--features cuda, no device)" \
  cargo test -p zkinfer-prover --features cuda --lib backend
step "CLI --device tests (--features cuda, no device)" \
  cargo test --features cuda --test device_cli
echo "check-cuda: the cuda feature builds, and without a GPU auto falls back and cuda refuses"
