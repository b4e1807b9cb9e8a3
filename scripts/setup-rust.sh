#!/usr/bin/env bash
# Installs the Rust toolchain that crates/ and scripts/build-wasm.sh use, on Debian 12:
#   rustc-web, cargo-web (/usr/bin/rustc and /usr/bin/cargo, 1.96), rust-web-src (std sources
#   for -Zbuild-std), lld-19 (wasm-ld-19), and wasm-bindgen-cli at exactly the wasm-bindgen
#   version in crates/Cargo.lock (into $CARGO_HOME/bin).
# Idempotent: installs only what is missing or at the wrong version. Runs as root (CI) or
# through sudo.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$PATH:$cargo_home/bin"

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  sudo=(sudo)
fi

missing=()
for pkg in rustc-web cargo-web rust-web-src lld-19 ca-certificates; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "setup-rust: installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$repo/crates/Cargo.lock")"
if [[ -z "$want" ]]; then
  echo "setup-rust: no wasm-bindgen in crates/Cargo.lock" >&2
  exit 1
fi
have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
if [[ "$have" != "$want" ]]; then
  echo "setup-rust: installing wasm-bindgen-cli $want (found ${have:-none})"
  export RUSTC=/usr/bin/rustc
  # --locked first; if a dependency version in the CLI's own lock file cannot be had from the
  # registry (seen: webpki-roots), fall back to resolving it. The CLI's output depends only on
  # its wasm-bindgen crates, which it pins with `=`.
  if ! /usr/bin/cargo install --locked wasm-bindgen-cli --version "=$want"; then
    echo "setup-rust: --locked install failed, retrying without --locked" >&2
    /usr/bin/cargo install wasm-bindgen-cli --version "=$want"
  fi
fi

echo "setup-rust: $(/usr/bin/rustc --version); $(/usr/bin/cargo --version); wasm-bindgen $(wasm-bindgen --version | awk '{ print $2 }'); $(wasm-ld-19 --version)"
