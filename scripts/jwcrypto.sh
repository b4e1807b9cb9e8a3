#!/usr/bin/env bash
# Prints the path of a Python with the pinned jwcrypto (a third-party JOSE library), first
# installing it from PyPI into a virtualenv under .cache/ (gitignored) when it is not there yet.
# test/thirdparty-jwcrypto.test.ts calls this; .ci/run calls it ahead of `npm test`.
# Python: KEE_PYTHON if set, else python3 (>= 3.9, with venv).
set -euo pipefail

version=1.6.1
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$repo/.cache/jwcrypto-$version"

if [[ ! -f "$venv/.installed" ]]; then
  mkdir -p "$repo/.cache"
  exec 9>"$repo/.cache/jwcrypto.lock"
  flock 9
  if [[ ! -f "$venv/.installed" ]]; then
    python="${KEE_PYTHON:-python3}"
    "$python" -c "import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 9) else 1)" >/dev/null 2>&1 \
      || { echo "kee: $python is not a Python >= 3.9 with venv (set KEE_PYTHON)" >&2; exit 1; }
    echo "kee: installing jwcrypto==$version into $venv (with $("$python" --version 2>&1))" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "jwcrypto==$version" >&2
    "$venv/bin/python" -c "import jwcrypto" >&2
    touch "$venv/.installed"
  fi
fi
echo "$venv/bin/python"
