#!/usr/bin/env bash
# Builds the kee-wasm crate into <outdir> (default: wasm/ at the repo root):
#   kee_wasm.js, kee_wasm_bg.wasm, kee_wasm.d.ts, kee_wasm_bg.wasm.d.ts and BUILD_INFO, and
#   kee_wasm_worker_bg.wasm: the same crate built for size (the `worker` profile of
#   crates/Cargo.toml, opt-level "z") for the default Cloudflare Worker (docs/edge.md). Its
#   wasm-bindgen glue must be byte-identical to kee_wasm.js, so that one glue serves both; the
#   build fails if it is not.
#
# The build is reproducible: the same sources and toolchain give the same bytes in any
# directory (CI builds in a fresh clone at a random path and compares with scripts/check-wasm.sh).
# Machine-specific paths are remapped with --remap-path-prefix, and wasm-opt is never run: on
# this module binaryen 108's `wasm-opt -Oz` makes the file 8% smaller but its gzip 1.6% larger
# (Cloudflare limits the compressed size), and takes minutes.
#
# Toolchain: Debian's rustc-web/cargo-web (1.96) with rust-web-src, building std for
# wasm32-unknown-unknown through -Zbuild-std; linked by wasm-ld-19 (lld-19); wasm-bindgen-cli at
# exactly the wasm-bindgen version in crates/Cargo.lock. scripts/setup-rust.sh installs them.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
crates="$repo/crates"
outdir="${1:-$repo/wasm}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd -P)"

rustc=/usr/bin/rustc
cargo=/usr/bin/cargo
linker=wasm-ld-19
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$PATH:$cargo_home/bin"
for tool in "$rustc" "$cargo" "$linker" wasm-bindgen; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build-wasm: \`$tool\` not found: run scripts/setup-rust.sh" >&2
    exit 1
  fi
done

# wasm-bindgen-cli must match the wasm-bindgen crate exactly, or its output is not compatible.
locked_bindgen="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$crates/Cargo.lock")"
cli_bindgen="$(wasm-bindgen --version | awk '{ print $2 }')"
if [[ "$cli_bindgen" != "$locked_bindgen" ]]; then
  echo "build-wasm: wasm-bindgen-cli is $cli_bindgen, Cargo.lock has wasm-bindgen $locked_bindgen: run scripts/setup-rust.sh" >&2
  exit 1
fi

rust_src="$("$rustc" --print sysroot)/lib/rustlib/src/rust"

export RUSTC="$rustc"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker"
export CARGO_TARGET_DIR="$crates/target"
export CARGO_INCREMENTAL=0
export SOURCE_DATE_EPOCH=0
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER
# Later remaps win when several match, so the narrowest paths come last.
# simd128: every target runtime (Node 20, Bun, Deno, workerd) runs WASM SIMD.
export RUSTFLAGS="-C target-feature=+simd128 --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$rust_src=/rust-src --remap-path-prefix=$repo=/kee"

(
  cd "$crates"
  "$cargo" build --locked --release --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort -p kee-wasm
)

wasm-bindgen --target web --out-dir "$outdir" --out-name kee_wasm \
  "$crates/target/wasm32-unknown-unknown/release/kee_wasm.wasm"
rm -f "$outdir/package.json" "$outdir/.gitignore"

(
  cd "$crates"
  "$cargo" build --locked --profile worker --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort -p kee-wasm
)
worker_tmp="$(mktemp -d)"
trap 'rm -rf "$worker_tmp"' EXIT
wasm-bindgen --target web --out-dir "$worker_tmp" --out-name kee_wasm \
  "$crates/target/wasm32-unknown-unknown/worker/kee_wasm.wasm"
if ! cmp -s "$worker_tmp/kee_wasm.js" "$outdir/kee_wasm.js"; then
  echo "build-wasm: the worker build's wasm-bindgen glue differs from the release build's: one kee_wasm.js cannot serve both" >&2
  exit 1
fi
cp "$worker_tmp/kee_wasm_bg.wasm" "$outdir/kee_wasm_worker_bg.wasm"

# A hash of the crates/ sources: every tracked or untracked-but-not-ignored file (or, outside
# git, every file) under crates/ except target/, hashed in byte order of their paths.
source_files() {
  if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$repo" ls-files -z --cached --others --exclude-standard -- crates
  else
    (cd "$repo" && find crates -path crates/target -prune -o -type f -print0)
  fi
}
crates_sha256="$(
  cd "$repo"
  source_files | LC_ALL=C sort -z -u | while IFS= read -r -d '' f; do
    case "$f" in crates/target/*) continue ;; esac
    [[ -f "$f" ]] && sha256sum -- "$f"
  done | sha256sum | awk '{ print $1 }'
)"
wasm_sha256="$(sha256sum "$outdir/kee_wasm_bg.wasm" | awk '{ print $1 }')"
worker_sha256="$(sha256sum "$outdir/kee_wasm_worker_bg.wasm" | awk '{ print $1 }')"

cat >"$outdir/BUILD_INFO" <<INFO
# Written by scripts/build-wasm.sh; scripts/check-wasm.sh rebuilds and compares.
rustc: $("$rustc" --version)
cargo: $("$cargo" --version)
wasm-bindgen: $cli_bindgen
target: wasm32-unknown-unknown (-Zbuild-std=std,panic_abort, release profile of crates/Cargo.toml)
crates-sha256: $crates_sha256
kee_wasm_bg.wasm-sha256: $wasm_sha256
kee_wasm_worker_bg.wasm-sha256: $worker_sha256 (profile worker)
INFO

echo "build-wasm: wrote $outdir (kee_wasm_bg.wasm $(wc -c <"$outdir/kee_wasm_bg.wasm") bytes, sha256 $wasm_sha256; kee_wasm_worker_bg.wasm $(wc -c <"$outdir/kee_wasm_worker_bg.wasm") bytes, sha256 $worker_sha256)"
