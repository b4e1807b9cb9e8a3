#!/usr/bin/env bash
# Rebuilds the WASM package into a temporary directory and compares it byte for byte with the
# committed wasm/ (BUILD_INFO included, so a stale crates/ hash fails too). Exits 1 and names
# every differing, missing or extra file when they differ.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
committed="$repo/wasm"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT

bash "$repo/scripts/build-wasm.sh" "$fresh"

differ=()
while IFS= read -r -d '' f; do
  name="${f#"$fresh"/}"
  if [[ ! -f "$committed/$name" ]]; then
    differ+=("wasm/$name (missing from wasm/)")
  elif ! cmp -s "$f" "$committed/$name"; then
    differ+=("wasm/$name")
  fi
done < <(find "$fresh" -type f -print0 | LC_ALL=C sort -z)
if [[ -d "$committed" ]]; then
  while IFS= read -r -d '' f; do
    name="${f#"$committed"/}"
    [[ -f "$fresh/$name" ]] || differ+=("wasm/$name (not produced by the build)")
  done < <(find "$committed" -type f -print0 | LC_ALL=C sort -z)
fi

if ((${#differ[@]} > 0)); then
  echo "check-wasm: wasm/ is stale or not reproducible; these files differ from a fresh build:" >&2
  printf '  %s\n' "${differ[@]}" >&2
  if [[ -f "$committed/BUILD_INFO" ]]; then
    diff "$committed/BUILD_INFO" "$fresh/BUILD_INFO" >&2 || true
  fi
  echo "check-wasm: run scripts/build-wasm.sh and commit wasm/" >&2
  exit 1
fi
echo "check-wasm: wasm/ matches a fresh build"
