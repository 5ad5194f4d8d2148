#!/usr/bin/env bash
# Installs what the TypeScript client's and the dApp page's tests need:
#   - sdk/ts: its npm dependencies (`npm ci`, exact versions from its package-lock.json) into
#     sdk/ts/node_modules, then builds it (`npm run build` -> sdk/ts/dist), since the dApp
#     imports the built package
#   - examples/provenance-dapp: its npm dependencies (vite, playwright-core, the client)
#   - Debian's chromium at /usr/bin/chromium for the headless browser test, when missing
#     (apt-get, so only as root; playwright-core never downloads a browser)
# Everything but chromium lands in git-ignored folders. Idempotent: a second run with the
# same lock files does nothing. Needs node >= 18 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "install-js: installing Debian's chromium (for the dApp's browser test)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "install-js: /usr/bin/chromium is missing: install Debian's chromium package" \
      "(sudo apt-get install chromium); the dApp's browser test drives it" >&2
    exit 1
  fi
fi

# npm ci in $1 unless its node_modules were installed from the same package-lock.json.
npm_ci() {
  local dir=$1 stamp="$1/node_modules/.zkinfer-lock.sha256" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "install-js: $dir/node_modules up to date"
    return 0
  fi
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
  echo "install-js: installed $dir/node_modules"
}

npm_ci sdk/ts
npm run --prefix sdk/ts --silent build
npm_ci examples/provenance-dapp
echo "install-js: ready (chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
