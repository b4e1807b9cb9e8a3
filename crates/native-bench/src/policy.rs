//! `kee-native-bench policy --input FILE --iters K`: the native side of bench/policy.
//!
//! `FILE` is written by `bench/policy/run.ts`: `{"source": {"policies": .., "links": [..]},
//! "requests": ["<request json>", ...]}`. The set is loaded once (timed), then the requests are
//! evaluated in turn, K in all after one untimed pass, each from its JSON text as the WASM
//! path does. Prints one JSON line:
//! `{"op":"policy","policies":N,"iters":K,"load_ms":x,"us_per_decision":y,"allow":A}`.

use kee_policy::{LoadedSet, Source};
use serde::Deserialize;
use std::hint::black_box;
use std::time::Instant;

#[derive(Deserialize)]
struct Input {
    source: Source,
    requests: Vec<String>,
}

/// Runs the `policy` subcommand on its arguments (after `policy`).
pub fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: kee-native-bench policy --input FILE --iters K";
    let mut input = None;
    let mut iters: u32 = 1000;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
        match flag.as_str() {
            "--input" => input = Some(value.clone()),
            "--iters" => iters = value.parse().map_err(|e| format!("--iters `{value}`: {e}"))?,
            _ => return Err(format!("unknown flag `{flag}`\n{usage}")),
        }
    }
    let path = input.ok_or(usage)?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let input: Input = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    if input.requests.is_empty() {
        return Err(format!("{path}: no requests"));
    }

    let start = Instant::now();
    let set = LoadedSet::load(&input.source).map_err(|e| e.to_string())?;
    let load_ms = start.elapsed().as_secs_f64() * 1000.0;

    let mut allow = 0usize;
    for r in &input.requests {
        if set.evaluate_json(r).map_err(|e| e.to_string())?.allow {
            allow += 1;
        }
    }
    let start = Instant::now();
    for r in input.requests.iter().cycle().take(iters as usize) {
        black_box(set.evaluate_json(black_box(r)).map_err(|e| e.to_string())?);
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(iters.max(1));
    println!(
        r#"{{"op":"policy","policies":{},"iters":{iters},"load_ms":{load_ms:.3},"us_per_decision":{us:.4},"allow":{allow}}}"#,
        set.policy_ids().len()
    );
    Ok(())
}
