//! The global allocator of the WASM build: Talc instead of Rust's wasm32 default (dlmalloc).
//!
//! Cedar evaluation allocates a lot per decision (Cedar values, the candidate policy set, the
//! answer), and dlmalloc is markedly slower than Talc on wasm32 (bench/policy/RESULTS.md).
//! `new_wasm_dynamic_allocator` grows WASM memory as needed, as dlmalloc does; it is only sound
//! on single-threaded WASM, which the cfg below requires (the build has no `atomics` feature).
//! Native builds keep the system allocator.

#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
