#!/usr/bin/env bash
# Builds the kee-wasm crate into <outdir> (default: wasm/ at the repo root):
#   kee_wasm.js, kee_wasm_bg.wasm, kee_wasm.d.ts, kee_wasm_bg.wasm.d.ts: the release build, for
#     Node, Bun and Deno (and the web console's verifier);
#   kee_wasm_worker.js, kee_wasm_worker_bg.wasm, kee_wasm_worker.d.ts, kee_wasm_worker_bg.wasm.d.ts:
#     the module of both Cloudflare Worker builds (docs/edge.md): the same crate built for size
#     (the `worker` profile of crates/Cargo.toml, opt-level "z") and without its `frost` feature
#     (the Worker signs with Ed25519 in JS, never with FROST), with its own wasm-bindgen glue;
#   BUILD_INFO.
# The two builds are independent (each has its own target directory under crates/target), so
# they run at the same time: their single-threaded link-time optimization steps overlap.
#
# Both builds use the `immediate-abort` panic strategy: a panic traps at once, as `panic = "abort"`
# did, without linking the panic message formatting and every panic site's location (no panic
# hook is installed on wasm32-unknown-unknown, so those messages were never shown anyway).
#
# The build is reproducible: the same sources and toolchain give the same bytes in any
# directory (CI builds in a fresh clone at a random path and compares with scripts/check-wasm.sh).
# Machine-specific paths are remapped with --remap-path-prefix, and wasm-opt is never run: on
# the Worker module binaryen 108's `wasm-opt -Oz` makes the file 12% smaller but its gzip 8.8%
# larger (-Os and -O2 likewise; Cloudflare limits the compressed size), and takes minutes
# (bench/footprint/RESULTS.md).
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
export CARGO_INCREMENTAL=0
export SOURCE_DATE_EPOCH=0
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER
# Later remaps win when several match, so the narrowest paths come last.
# simd128: every target runtime (Node 20, Bun, Deno, workerd) runs WASM SIMD.
export RUSTFLAGS="-C target-feature=+simd128 -Zunstable-options -C panic=immediate-abort --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$rust_src=/rust-src --remap-path-prefix=$repo=/kee"

release_target="$crates/target"
worker_target="$crates/target/profile-worker"
(
  cd "$crates"
  CARGO_TARGET_DIR="$release_target" "$cargo" build --locked --release --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort -p kee-wasm
) &
release_pid=$!
(
  cd "$crates"
  CARGO_TARGET_DIR="$worker_target" "$cargo" build --locked --profile worker --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort -p kee-wasm --no-default-features
) &
worker_pid=$!
release_status=0
worker_status=0
wait "$release_pid" || release_status=$?
wait "$worker_pid" || worker_status=$?
if ((release_status != 0 || worker_status != 0)); then
  echo "build-wasm: cargo failed (release build: exit $release_status, worker build: exit $worker_status)" >&2
  exit 1
fi

wasm-bindgen --target web --out-dir "$outdir" --out-name kee_wasm \
  "$release_target/wasm32-unknown-unknown/release/kee_wasm.wasm"
wasm-bindgen --target web --out-dir "$outdir" --out-name kee_wasm_worker \
  "$worker_target/wasm32-unknown-unknown/worker/kee_wasm.wasm"
rm -f "$outdir/package.json" "$outdir/.gitignore"

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
target: wasm32-unknown-unknown (-Zbuild-std=std,panic_abort, panic=immediate-abort; release profile of crates/Cargo.toml; kee_wasm_worker_bg.wasm: worker profile, --no-default-features)
crates-sha256: $crates_sha256
kee_wasm_bg.wasm-sha256: $wasm_sha256
kee_wasm_worker_bg.wasm-sha256: $worker_sha256 (profile worker, without frost)
INFO

echo "build-wasm: wrote $outdir (kee_wasm_bg.wasm $(wc -c <"$outdir/kee_wasm_bg.wasm") bytes, sha256 $wasm_sha256; kee_wasm_worker_bg.wasm $(wc -c <"$outdir/kee_wasm_worker_bg.wasm") bytes, sha256 $worker_sha256)"
