#!/usr/bin/env bash
# Installs the EVM tools the tests and examples use into the git-ignored .tools/ folder:
#   - solc-js 0.8.19 (npm `solc`), run by the wrapper .tools/bin/solc (speaks --standard-json)
#   - anvil and cast 1.7.x (npm `@foundry-rs/anvil`, `@foundry-rs/cast`; the linux/macOS
#     binaries ship inside the per-platform npm packages), linked as .tools/bin/{anvil,cast}
#   - ethers 6 for examples/dapp (into examples/dapp/node_modules, git-ignored)
# Idempotent (a second run with everything in place does nothing), installs nothing
# globally, and needs only node >= 18 and npm. Tests never download anything themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

SOLC_VERSION=0.8.19
FOUNDRY_VERSION=1.7.1
ETHERS_VERSION=$(node -p "require('./examples/dapp/package.json').dependencies.ethers")

tools="$PWD/.tools"
npm_dir="$tools/npm"
bin="$tools/bin"
stamp="$tools/evm-tools.stamp"
want="solc=$SOLC_VERSION foundry=$FOUNDRY_VERSION ethers=$ETHERS_VERSION"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install-evm-tools: node and npm are required (node >= 18)" >&2
  exit 1
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && [ -x "$bin/solc" ] && [ -x "$bin/anvil" ] && [ -x "$bin/cast" ] \
  && [ -d examples/dapp/node_modules/ethers ]; then
  echo "install-evm-tools: up to date ($want) in $tools"
  exit 0
fi

mkdir -p "$npm_dir" "$bin"
# --ignore-scripts: the foundry packages' postinstall only prints hints; the binaries come
# with the platform packages (optional dependencies) regardless.
npm install --prefix "$npm_dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
  "solc@$SOLC_VERSION" "@foundry-rs/anvil@$FOUNDRY_VERSION" "@foundry-rs/cast@$FOUNDRY_VERSION"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-amd64 ;;
  Linux-aarch64 | Linux-arm64) platform=linux-arm64 ;;
  Darwin-x86_64) platform=darwin-amd64 ;;
  Darwin-arm64) platform=darwin-arm64 ;;
  *) echo "install-evm-tools: no foundry npm binaries for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
for tool in anvil cast; do
  exe="$npm_dir/node_modules/@foundry-rs/$tool-$platform/bin/$tool"
  if [ ! -x "$exe" ]; then
    echo "install-evm-tools: $exe is missing after npm install" >&2
    exit 1
  fi
  ln -sf "$exe" "$bin/$tool"
done

# solc-js as an executable that speaks --standard-json like native solc.
cat >"$bin/solc" <<'SH'
#!/bin/sh
# solc-js 0.8.19 (installed by .ci/install-evm-tools.sh); same CLI as `solcjs`.
exec node "$(dirname "$0")/../npm/node_modules/solc/solc.js" "$@"
SH
chmod +x "$bin/solc"

# The dapp example's own dependencies (ethers, pinned in examples/dapp/package.json).
npm install --prefix examples/dapp --no-package-lock --no-audit --no-fund --ignore-scripts \
  --loglevel=error

"$bin/solc" --version | tail -1
"$bin/anvil" --version | head -1
"$bin/cast" --version | head -1
echo "$want" >"$stamp"
echo "install-evm-tools: installed into $tools"
