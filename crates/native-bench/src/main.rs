//! `kee-native-bench`: the native side of the native-vs-WASM Merkle benchmark (and, with the
//! `policy` subcommand, of bench/policy: see `policy.rs`; with `frost --iters K`, of
//! bench/signing: see `frost.rs`).
//!
//! ```text
//! kee-native-bench merkle --leaves N --iters K
//! ```
//!
//! prints one JSON line per operation,
//! `{"op":"root","leaves":N,"iters":K,"ms_per_op":x}`, for these operations:
//!
//! * `root`: leaf-hash the N leaves (`SHA-256(0x00 || leaf)`) and compute the RFC 9162 root,
//!   from one buffer of concatenated leaves (what WASM `merkleRootFromLeaves` does).
//! * `proofs`: from the N leaf hashes, build the tree once, then generate the inclusion proofs of
//!   1,000 evenly spaced leaves (indexes `floor(j * N / 1000)` for `j` in `0..1000`; all leaves
//!   when N < 1000) and verify each against the root (WASM: `inclusionProofs` with those indexes,
//!   then `verifyInclusion` for each).
//! * `all_proofs`: the inclusion proofs of all N leaves (WASM `allInclusionProofs`).
//!
//! Each operation runs once untimed, then K timed times; `ms_per_op` is the mean.
//!
//! # Leaf generator (reproduce it exactly in the TypeScript benchmark)
//!
//! Leaf `i` (from 0) is 100 bytes; byte `j` (from 0) is `(i * 31 + j) & 0xff`:
//!
//! ```text
//! const leaf = (i) => Uint8Array.from({ length: 100 }, (_, j) => (i * 31 + j) & 0xff);
//! ```

use kee_merkle::{leaf_hash, root_from_leaves, verify_inclusion, Hash, Tree};
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

mod frost;

mod policy;

/// Bytes per benchmark leaf.
const LEAF_SIZE: usize = 100;

/// How many leaves the `proofs` operation proves.
const PROOF_SAMPLE: u64 = 1000;

/// The benchmark leaves, concatenated, with `n + 1` offsets (the WASM calling convention).
fn leaves(n: u64) -> (Vec<u8>, Vec<usize>) {
    let mut data = Vec::with_capacity(usize::try_from(n).unwrap_or(0).saturating_mul(LEAF_SIZE));
    let mut offsets = vec![0];
    for i in 0..n {
        data.extend((0..LEAF_SIZE as u64).map(|j| ((i * 31 + j) & 0xff) as u8));
        offsets.push(data.len());
    }
    (data, offsets)
}

/// The leaves as slices of `data`.
fn split<'a>(data: &'a [u8], offsets: &[usize]) -> Vec<&'a [u8]> {
    offsets
        .windows(2)
        .filter_map(|w| match w {
            [a, b] => data.get(*a..*b),
            _ => None,
        })
        .collect()
}

/// Runs `f` once untimed and `iters` times timed; returns milliseconds per run.
fn time<T>(iters: u32, mut f: impl FnMut() -> T) -> f64 {
    black_box(f());
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    start.elapsed().as_secs_f64() * 1000.0 / f64::from(iters.max(1))
}

/// The indexes the `proofs` operation proves.
fn sample_indexes(n: u64) -> Vec<u64> {
    if n < PROOF_SAMPLE {
        (0..n).collect()
    } else {
        (0..PROOF_SAMPLE).map(|j| j * n / PROOF_SAMPLE).collect()
    }
}

/// Builds the tree, then proves and verifies the sampled leaves; returns how many verified.
fn prove_sample(hashes: &[Hash], indexes: &[u64]) -> Result<usize, String> {
    let tree = Tree::new(hashes.to_vec());
    let root = tree.root();
    let size = tree.size();
    let mut verified = 0;
    for &index in indexes {
        let proof = tree.inclusion_proof(index).map_err(|e| e.to_string())?;
        let leaf = hashes
            .get(usize::try_from(index).map_err(|e| e.to_string())?)
            .ok_or_else(|| format!("no leaf {index}"))?;
        verify_inclusion(leaf, index, size, &proof, &root).map_err(|e| e.to_string())?;
        verified += 1;
    }
    Ok(verified)
}

fn report(op: &str, n: u64, iters: u32, ms: f64) {
    println!(r#"{{"op":"{op}","leaves":{n},"iters":{iters},"ms_per_op":{ms:.4}}}"#);
}

fn merkle(n: u64, iters: u32) -> Result<(), String> {
    let (data, offsets) = leaves(n);
    let slices = split(&data, &offsets);
    let ms = time(iters, || root_from_leaves(slices.iter().copied()));
    report("root", n, iters, ms);

    let hashes: Vec<Hash> = slices.iter().map(|l| leaf_hash(l)).collect();
    let indexes = sample_indexes(n);
    prove_sample(&hashes, &indexes)?;
    let ms = time(iters, || prove_sample(&hashes, &indexes));
    report("proofs", n, iters, ms);

    let ms = time(iters, || kee_merkle::all_inclusion_proofs(hashes.clone()));
    report("all_proofs", n, iters, ms);
    Ok(())
}

fn parse_args(args: &[String]) -> Result<(u64, u32), String> {
    let usage = "usage: kee-native-bench merkle --leaves N --iters K | frost --iters K";
    let mut leaves = None;
    let mut iters = None;
    match args.first().map(String::as_str) {
        Some("merkle") => {}
        _ => return Err(usage.to_owned()),
    }
    let mut rest = args.iter().skip(1);
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
        match flag.as_str() {
            "--leaves" => {
                leaves = Some(
                    value
                        .parse()
                        .map_err(|e| format!("--leaves `{value}`: {e}"))?,
                )
            }
            "--iters" => {
                iters = Some(
                    value
                        .parse()
                        .map_err(|e| format!("--iters `{value}`: {e}"))?,
                )
            }
            _ => return Err(format!("unknown flag `{flag}`\n{usage}")),
        }
    }
    Ok((leaves.ok_or(usage)?, iters.unwrap_or(1)))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((cmd, rest)) if cmd == "policy" => policy::run(rest),
        Some((cmd, _)) if cmd == "frost" => frost::parse_args(&args).and_then(frost::run),
        _ => parse_args(&args).and_then(|(n, iters)| merkle(n, iters)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kee-native-bench: {e}");
            ExitCode::from(2)
        }
    }
}
