#!/usr/bin/env bash
# Installs what the Ray driver's tests (distributed/tests) need: the PyPI `ray` (pinned, core
# only: no dashboard, no extras) and `pytest` (pinned) into the git-ignored virtual environment
# .venv-ray/. Idempotent: a stamp file records the pins, and a second run with the same pins
# installs nothing. Needs python3 (CPython 3.9-3.13, with its venv module). Prints the time taken.
# Afterwards: .venv-ray/bin/python -m pytest distributed/tests -q
set -euo pipefail
cd "$(dirname "$0")/.."

RAY_VERSION=2.60.0
PYTEST_VERSION=9.2.0

start=$(date +%s)
venv="$PWD/.venv-ray"
stamp="$venv/ray.stamp"
want="ray=$RAY_VERSION pytest=$PYTEST_VERSION"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  echo "install-ray: ray $RAY_VERSION and pytest $PYTEST_VERSION up to date in $venv"
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "install-ray: python3 is required (with its venv module) for the Ray driver's tests" >&2
  exit 1
fi
rm -f "$stamp"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
  "ray==$RAY_VERSION" "pytest==$PYTEST_VERSION"
"$venv/bin/python" -c 'import ray, pytest' # fails loudly on a broken install
echo "$want" >"$stamp"
echo "install-ray: installed ray $RAY_VERSION and pytest $PYTEST_VERSION into $venv in $(($(date +%s) - start)) s"
