//! `kee-native-bench policy --input FILE --iters K`: the native side of bench/policy.
//!
//! `FILE` is written by `bench/policy/run.ts`: `{"source": {"policies": .., "links": [..]},
//! "requests": ["<request json>", ...], "entities": [..], "stored_requests": ["<request json>", ...]}`.
//! The set is loaded once (timed), then the requests are evaluated in turn, K in all after one
//! untimed pass, each from its JSON text as the WASM path does. With `entities` (Cedar's entity
//! JSON array) and `stored_requests` (the same requests without their entities), the entities
//! are also loaded once into an [`kee_policy::EntityStore`] (timed) and the stored requests
//! evaluated against it the same way. Prints one JSON line:
//! `{"op":"policy","policies":N,"iters":K,"load_ms":x,"us_per_decision":y,"allow":A,
//! "entities":E,"store_ms":s,"us_per_decision_stored":z,"allow_stored":B}` (the last four only
//! with a store).

use kee_policy::{LoadedSet, Source};
use serde::Deserialize;
use std::hint::black_box;
use std::time::Instant;

#[derive(Deserialize)]
struct Input {
    source: Source,
    requests: Vec<String>,
    #[serde(default)]
    entities: Option<serde_json::Value>,
    #[serde(default)]
    stored_requests: Vec<String>,
}

/// Decides every request once (untimed, counting allows), then `iters` in turn (timed); returns
/// (allows, microseconds per decision).
fn measure(requests: &[String], iters: u32, mut decide: impl FnMut(&str) -> Result<bool, String>) -> Result<(usize, f64), String> {
    let mut allow = 0usize;
    for r in requests {
        if decide(r)? {
            allow += 1;
        }
    }
    let start = Instant::now();
    for r in requests.iter().cycle().take(iters as usize) {
        black_box(decide(black_box(r))?);
    }
    Ok((allow, start.elapsed().as_secs_f64() * 1e6 / f64::from(iters.max(1))))
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

    let (allow, us) = measure(&input.requests, iters, |r| Ok(set.evaluate_json(r).map_err(|e| e.to_string())?.allow))?;
    let mut line = format!(
        r#"{{"op":"policy","policies":{},"iters":{iters},"load_ms":{load_ms:.3},"us_per_decision":{us:.4},"allow":{allow}"#,
        set.policy_ids().len()
    );
    if let Some(entities) = &input.entities {
        if input.stored_requests.is_empty() {
            return Err(format!("{path}: entities without stored_requests"));
        }
        let text = entities.to_string();
        let start = Instant::now();
        let store = set.load_entities_json(&text).map_err(|e| e.to_string())?;
        let store_ms = start.elapsed().as_secs_f64() * 1000.0;
        let (allow_stored, us_stored) = measure(&input.stored_requests, iters, |r| {
            Ok(set.evaluate_stored_json(&store, r).map_err(|e| e.to_string())?.allow)
        })?;
        line.push_str(&format!(
            r#","entities":{},"store_ms":{store_ms:.3},"us_per_decision_stored":{us_stored:.4},"allow_stored":{allow_stored}"#,
            store.len()
        ));
    }
    println!("{line}}}");
    Ok(())
}
