# shellcheck shell=bash
# Sourced by scripts/check-cuda.sh and scripts/gpu-bundle.sh: installs a CUDA 13 compiler
# from PyPI into the git-ignored .tools/cuda/ (idempotent; nothing global) and exports what
# `cargo build --features cuda` needs:
#   - nvcc, its headers (nvidia-cuda-cccl) and the runtime (nvidia-cuda-runtime), pinned;
#   - CUDA_PATH, CUDA_ARCH (default 90: Hopper, e.g. H100/H200; set CUDA_ARCH before sourcing
#     for another GPU, e.g. 80 for A100, 89 for L4/RTX 40xx, 120 for RTX 50xx);
#   - CUDA_LIB_DIR/CUDA_LIBRARY_PATH: a folder with libcudart and a *link-time stub* of the
#     driver library libcuda.so (PyPI has no driver; the real libcuda.so.1 comes with the
#     NVIDIA driver on the machine that runs the binary). The stub's functions all return
#     CUDA_ERROR_NO_DEVICE (the runtime, which finds its entry points through the driver,
#     then reports "CUDA driver version is insufficient", as with a missing or old driver), so with ZKINFER_CUDA_STUB_RUNTIME on LD_LIBRARY_PATH a cuda build
#     runs on a machine without a GPU and sees "no device" (check-cuda.sh's tests).
# Needs python3 (venv module), a C compiler (cc) and network access to PyPI the first time.

ZK_ROOT="${ZK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
CUDA_TOOLS="$ZK_ROOT/.tools/cuda"
CUDA_PINS="nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-cccl==13.0.85 nvidia-cuda-runtime==13.0.96"

cuda_env_install() {
  local venv="$CUDA_TOOLS/venv" stamp="$CUDA_TOOLS/venv/pins.stamp"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$CUDA_PINS" ] && [ -x "$venv/bin/python" ]; then
    echo "cuda-env: CUDA 13 compiler up to date in $venv"
  else
    command -v python3 >/dev/null || { echo "cuda-env: python3 is required" >&2; return 1; }
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet $CUDA_PINS
    echo "$CUDA_PINS" >"$stamp"
    echo "cuda-env: installed $CUDA_PINS into $venv"
  fi
  local site
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  CUDA_HOME_PYPI="$site/nvidia/cu13"
  [ -x "$CUDA_HOME_PYPI/bin/nvcc" ] || { echo "cuda-env: no nvcc in $CUDA_HOME_PYPI/bin" >&2; return 1; }

  # Link folder: libcudart (+ static libs) from the wheel, and the libcuda.so stub.
  local link="$CUDA_TOOLS/link"
  mkdir -p "$link"
  for f in libcudart_static.a libcudadevrt.a; do ln -sf "$CUDA_HOME_PYPI/lib/$f" "$link/$f"; done
  ln -sf "$CUDA_HOME_PYPI/lib/libcudart.so.13" "$link/libcudart.so"
  ln -sf "$CUDA_HOME_PYPI/lib/libcudart.so.13" "$link/libcudart.so.13"
  if [ ! -f "$link/libcuda.so" ] || [ "$CUDA_HOME_PYPI/include/cuda.h" -nt "$link/libcuda.so" ] \
    || [ "${BASH_SOURCE[0]}" -nt "$link/libcuda.so" ]; then
    command -v cc >/dev/null || { echo "cuda-env: a C compiler (cc) is required for the libcuda stub" >&2; return 1; }
    # Every driver entry point cuda.h declares (after macro expansion: the versioned symbol
    # names the real libcuda.so.1 exports), each returning CUDA_ERROR_NO_DEVICE (100).
    echo '#include <cuda.h>' | cc -E -P -I"$CUDA_HOME_PYPI/include" -x c - | tr '\n' ' ' \
      | grep -oE 'CUresult +cu[A-Za-z0-9_]+ *\(' | sed -E 's/CUresult +//; s/ *\(//' | sort -u \
      | awk 'BEGIN{print "/* libcuda.so stub (scripts/cuda-env.sh): link time, and no-GPU tests */"}
             {print "int " $1 "(void){return 100;}"}' >"$link/libcuda-stub.c"
    local n
    n=$(grep -c '^int ' "$link/libcuda-stub.c")
    [ "$n" -gt 100 ] || { echo "cuda-env: found only $n driver functions in cuda.h" >&2; return 1; }
    cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$link/libcuda.so" "$link/libcuda-stub.c"
    ln -sf libcuda.so "$link/libcuda.so.1"
    echo "cuda-env: built the libcuda.so link stub ($n driver functions)"
  fi

  export PATH="$CUDA_HOME_PYPI/bin:$PATH"
  export CUDA_PATH="$CUDA_HOME_PYPI"
  export CUDA_HOME="$CUDA_HOME_PYPI"
  export CUDA_ARCH="${CUDA_ARCH:-90}"
  export CUDA_LIB_DIR="$link"
  export CUDA_LIBRARY_PATH="$link"
  export NVCC_THREADS="${NVCC_THREADS:-$(nproc)}"
  # For running a cuda build here without a GPU: the stub driver plus the wheel's runtime.
  export ZKINFER_CUDA_STUB_RUNTIME="$link"
}
