#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or explain what to install and exit 1.
# Order: $MSCABM_PYTHON, python3.13, python3.12, pyenv-installed 3.13/3.12, python3.
set -u
ok() {  # ok CMD... -> prints the interpreter path if it runs and is >= 3.12
  "$@" -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null
}
try() { local p; p=$(ok "$@") && [ -n "$p" ] && { echo "$p"; exit 0; }; }

[ -n "${MSCABM_PYTHON:-}" ] && try "$MSCABM_PYTHON"
for cand in python3.13 python3.12; do
  command -v "$cand" >/dev/null 2>&1 && try "$cand"
done
if command -v pyenv >/dev/null 2>&1; then
  # pyenv shims refuse python3.12 unless told the version: ask pyenv for each installed one, oldest first (3.12 is the tested one).
  for ver in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -V); do
    p=$(PYENV_VERSION="$ver" pyenv which python3 2>/dev/null) && try "$p"
  done
fi
command -v python3 >/dev/null 2>&1 && try python3
cat >&2 <<'MSG'
mscabm needs Python >= 3.12 (Mesa >= 3.4 requires it) and none was found.
Install one of:
  - Debian/Ubuntu: sudo apt-get install python3.12 python3.12-venv   (or python3.13)
  - pyenv:         pyenv install 3.12
  - macOS:         brew install python@3.12
or point MSCABM_PYTHON at an interpreter: MSCABM_PYTHON=/path/to/python3.12 make test
MSG
exit 1
