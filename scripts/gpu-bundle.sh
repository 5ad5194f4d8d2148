#!/usr/bin/env bash
# Prepares, on a machine WITHOUT a GPU (and with the Rust toolchain), what a GPU machine needs
# to run scripts/gpu-check.sh: a CUDA build of zkinfer and the CUDA runtime it loads.
#
#   scripts/gpu-bundle.sh [--no-build] [--bin PATH] [--out DIR]
#
#   --no-build  reuse target/cuda/release/zkinfer as it is (fails if it is missing)
#   --bin PATH  bundle this cuda build instead (implies --no-build; e.g. a debug build, for tests)
#   --out DIR   where to write the bundle (default target/gpu-bundle: what gpu-check.sh looks for)
#
# 1. installs nvcc from PyPI into .tools/cuda (scripts/cuda-env.sh, idempotent) and builds
#    `CARGO_TARGET_DIR=target/cuda cargo build --release --features cuda --bin zkinfer`
#    (incremental: a no-op when nothing changed; --no-build reuses target/cuda/release/zkinfer);
# 2. writes DIR (default target/gpu-bundle, git-ignored) afresh:
#      bin/zkinfer          the binary, stripped
#      lib/libcudart.so.13  the CUDA runtime from the nvidia-cuda-runtime wheel
#      MANIFEST.txt         commit, build date, sha256s, CUDA_ARCH, pins, linked libraries
#    The libcuda.so stub of .tools/cuda/link is never shipped: the GPU machine's own driver
#    provides libcuda.so.1.
# 3. checks the bundle is under 60 MiB (the device tool carries 64 MiB with the working tree).
#
# On the GPU machine (carry target/gpu-bundle): bash scripts/gpu-check.sh
# (it finds target/gpu-bundle/bin/zkinfer and puts target/gpu-bundle/lib on LD_LIBRARY_PATH).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT_DIR="target/gpu-bundle"
BUILD=1
BIN_SRC="target/cuda/release/zkinfer"
LIMIT_MIB=60
CARRY_LIMIT_MIB=64

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die() { echo "gpu-bundle: ERROR: $*" >&2; exit 1; }
say() { echo "gpu-bundle: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --bin) [ $# -ge 2 ] || die "--bin needs a path"; BIN_SRC="$2"; BUILD=0; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT_DIR="$2"; shift ;;
    --out=*) OUT_DIR="${1#--out=}" ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

if [ "$BUILD" = 0 ] && [ ! -x "$BIN_SRC" ]; then
  die "$BIN_SRC not found; build it (without --no-build / --bin)"
fi

# --- 1. toolchain and build -------------------------------------------------------------
# shellcheck source=scripts/cuda-env.sh
source "$ROOT/scripts/cuda-env.sh"
cuda_env_install || die "cuda_env_install failed (see above)"
RUNTIME="$CUDA_HOME_PYPI/lib/libcudart.so.13"
[ -f "$RUNTIME" ] || die "no CUDA runtime at $RUNTIME (nvidia-cuda-runtime wheel)"

if [ "$BUILD" = 1 ]; then
  command -v cargo >/dev/null || die "cargo not found: this script builds zkinfer (or pass --no-build)"
  say "building: CARGO_TARGET_DIR=target/cuda cargo build --release --features cuda --bin zkinfer (CUDA_ARCH=$CUDA_ARCH)"
  t0=$(date +%s)
  CARGO_TARGET_DIR=target/cuda cargo build --release --features cuda --bin zkinfer \
    || die "the cuda build failed (see above)"
  say "build done in $(($(date +%s) - t0)) s"
else
  say "not building: bundling $BIN_SRC as it is"
fi
[ -x "$BIN_SRC" ] || die "$BIN_SRC not found: build it (drop --no-build)"

# Runs the binary here: with the stub driver (no GPU here) and the wheel's runtime, which a
# cuda build needs to start at all.
run_here() { LD_LIBRARY_PATH="$ZKINFER_CUDA_STUB_RUNTIME${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

# A cuda build links the CUDA driver/runtime; a CPU-only binary here would make gpu-check
# fail only on the GPU machine, so refuse it now.
NEEDED=$(readelf -d "$BIN_SRC" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$NEEDED" in
  *libcuda*) ;;
  *) die "$BIN_SRC links no CUDA library (NEEDED: $NEEDED): is it a --features cuda build?" ;;
esac
run_here "$BIN_SRC" prove --help | grep -q -- '--device' || die "$BIN_SRC has no prove --device option"

# --- 2. the bundle, written to a fresh folder then moved into place ---------------------
mkdir -p "$(dirname "$OUT_DIR")"
TMP="$(mktemp -d "${OUT_DIR%/}.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin" "$TMP/lib"
if command -v strip >/dev/null; then
  strip --strip-all -o "$TMP/bin/zkinfer" "$BIN_SRC"
elif command -v objcopy >/dev/null; then
  objcopy --strip-all "$BIN_SRC" "$TMP/bin/zkinfer"
else
  die "neither strip nor objcopy found (binutils)"
fi
chmod 755 "$TMP/bin/zkinfer"
cp -L "$RUNTIME" "$TMP/lib/libcudart.so.13"
chmod 644 "$TMP/lib/libcudart.so.13"
# Never ship a driver library: the stub returns "no device" for everything.
if find "$TMP" -name 'libcuda.so*' | grep -q .; then
  die "a libcuda.so found its way into the bundle; refusing"
fi

size_of() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
raw_size=$(size_of "$BIN_SRC")
bin_size=$(size_of "$TMP/bin/zkinfer")
rt_size=$(size_of "$TMP/lib/libcudart.so.13")
bin_sha=$(sha256sum "$TMP/bin/zkinfer" | cut -d' ' -f1)
raw_sha=$(sha256sum "$BIN_SRC" | cut -d' ' -f1)
rt_sha=$(sha256sum "$TMP/lib/libcudart.so.13" | cut -d' ' -f1)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
dirty=""
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  dirty=" (working tree has uncommitted changes)"
fi
{
  echo "zkinfer GPU bundle (scripts/gpu-bundle.sh)"
  echo "commit: $commit$dirty"
  echo "built: $(date -u -r "$BIN_SRC" +%Y-%m-%dT%H:%M:%SZ) (binary mtime); bundled $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
  echo "version: $(run_here "$BIN_SRC" --version 2>/dev/null || echo unknown)"
  echo "rustc: $(rustc --version 2>/dev/null || echo unknown)"
  if [ "$BIN_SRC" = target/cuda/release/zkinfer ]; then
    echo "binary: $BIN_SRC (CARGO_TARGET_DIR=target/cuda cargo build --release --features cuda --bin zkinfer)"
  else
    echo "binary: $BIN_SRC (given with --bin)"
  fi
  echo "CUDA_ARCH: $CUDA_ARCH (kernels compiled for sm_$CUDA_ARCH plus compute_$CUDA_ARCH PTX; 90 = H100/H200)"
  echo "CUDA pins (PyPI): $CUDA_PINS"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -1 || echo unknown)"
  echo "sha256 bin/zkinfer: $bin_sha ($bin_size bytes, stripped)"
  echo "sha256 unstripped $BIN_SRC: $raw_sha ($raw_size bytes)"
  echo "sha256 lib/libcudart.so.13: $rt_sha ($rt_size bytes)"
  echo "linked libraries (NEEDED): $NEEDED"
  echo "needs on the GPU machine: an NVIDIA driver with CUDA 13 support (580 or newer) providing libcuda.so.1"
  echo "run there: bash scripts/gpu-check.sh   (finds bin/zkinfer, puts lib/ on LD_LIBRARY_PATH)"
} >"$TMP/MANIFEST.txt"

total=$(du -sb "$TMP" | cut -f1)
rm -rf "$OUT_DIR"
mv "$TMP" "$OUT_DIR"
trap - EXIT

say "wrote $OUT_DIR:"
say "  bin/zkinfer          $(mib "$bin_size") stripped (unstripped $(mib "$raw_size")), sha256 $bin_sha"
say "  lib/libcudart.so.13  $(mib "$rt_size")"
say "  MANIFEST.txt"
say "  total                $(mib "$total")"

# --- 3. size checks ----------------------------------------------------------------------
limit=$((LIMIT_MIB * 1048576))
if [ "$total" -ge "$limit" ]; then
  die "the bundle is $(mib "$total"), over the ${LIMIT_MIB} MiB limit (the device tool carries ${CARRY_LIMIT_MIB} MiB with the working tree)"
fi
# What travels besides the bundle: tracked files plus untracked, not ignored ones.
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null \
  | awk '{ s += $1 } END { print s + 0 }')
say "working tree that travels with it: $(mib "$tree"); with the bundle $(mib $((tree + total))) of ${CARRY_LIMIT_MIB} MiB"
if [ $((tree + total)) -ge $((CARRY_LIMIT_MIB * 1048576)) ]; then
  die "working tree + bundle exceed ${CARRY_LIMIT_MIB} MiB: the device tool would refuse to carry them"
fi
say "OK. On the GPU machine: carry $OUT_DIR and run: bash scripts/gpu-check.sh"
