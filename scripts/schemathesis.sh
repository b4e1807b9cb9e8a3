#!/usr/bin/env bash
# Prints the path of the pinned Schemathesis CLI (`st`), first installing it from PyPI into a
# virtualenv under .cache/ (gitignored) when it is not there yet. test/api-fuzz.test.ts calls
# this; .ci/run calls it ahead of `npm test` so the install is paid once.
#
# Python: KEE_PYTHON if set, else the newest CPython >= 3.12 found (3.11 can crash Hypothesis
# with "SystemError: AST constructor recursion depth mismatch"), else python3 (>= 3.10).
set -euo pipefail

version=4.32.5
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$repo/.cache/schemathesis-$version"

usable() { # usable PYTHON MINOR: runs, is 3.MINOR or newer, and has venv
  "$1" -c "import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, $2) else 1)" >/dev/null 2>&1
}

pick_python() {
  if [[ -n "${KEE_PYTHON:-}" ]]; then
    usable "$KEE_PYTHON" 10 || { echo "kee: KEE_PYTHON=$KEE_PYTHON is not a Python >= 3.10 with venv" >&2; exit 1; }
    echo "$KEE_PYTHON"
    return
  fi
  local c
  for c in python3.14 python3.13 python3.12 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 /usr/bin/python3.1[2-9] python3; do
    if [[ "$c" == python3 ]]; then usable "$c" 10 && { echo "$c"; return; }
    else usable "$c" 12 && { echo "$c"; return; }; fi
  done
  echo "kee: no Python >= 3.10 with venv found for Schemathesis (set KEE_PYTHON)" >&2
  exit 1
}

if [[ ! -f "$venv/.installed" ]]; then
  mkdir -p "$repo/.cache"
  exec 9>"$repo/.cache/schemathesis.lock"
  flock 9
  if [[ ! -f "$venv/.installed" ]]; then
    python="$(pick_python)"
    echo "kee: installing schemathesis==$version into $venv (with $("$python" --version 2>&1))" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version" >&2
    "$venv/bin/st" --version >&2
    touch "$venv/.installed"
  fi
fi
echo "$venv/bin/st"
