#!/usr/bin/env bash
# Create the project's virtual environment (default .venv) and install mscabm with its test extras.
# Idempotent: reinstalls only when pyproject.toml is newer than the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
EXTRAS=${EXTRAS:-test}
stamp="$VENV/.installed-$EXTRAS"
assets_stamp="$VENV/.dashboard-assets"
dashboard_assets() {
  # the dashboard's browser assets (Solara loads them from a CDN): fetched once from the npm
  # registry into the venv so the dashboard works offline; a failure only warns
  if [ ! -f "$assets_stamp" ] || [ "$assets_stamp" -ot "$stamp" ]; then
    if "$VENV/bin/python" -m mscabm.dashboard.assets; then touch "$assets_stamp"; fi
  fi
}
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ -x "$VENV/bin/python" ] && [ -f "$assets_stamp" ]; then
  exit 0
fi
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ -x "$VENV/bin/python" ]; then
  dashboard_assets
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  PY=$(bash scripts/find-python.sh)
  echo "mscabm: creating $VENV with $PY ($("$PY" --version 2>&1))"
  "$PY" -m venv "$VENV"
fi
echo "mscabm: installing mscabm[$EXTRAS] into $VENV"
# uv installs the stack in seconds; fall back to plain pip if uv cannot be had. --compile-bytecode:
# uv (unlike pip) writes no .pyc at install, and where PYTHONDONTWRITEBYTECODE is set none is ever
# written, so every process compiled the whole stack from source (~4 s of each start-up).
if "$VENV/bin/python" -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 \
   && "$VENV/bin/python" -m uv pip install -q --compile-bytecode --python "$VENV/bin/python" -e ".[$EXTRAS]"; then
  :
else
  echo "mscabm: uv unavailable, using pip (slower)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]"
fi
touch "$stamp"
dashboard_assets
