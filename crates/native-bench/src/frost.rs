//! `kee-native-bench frost --iters K`: FROST(Ed25519, SHA-512) 2-of-3 through `kee-frost`, the
//! same facade the WASM build exports. One JSON line per operation,
//! `{"op":"round1","iters":K,"ms_per_op":x}`:
//!
//! * `keygen_dealer`: trusted-dealer 2-of-3 key generation.
//! * `keygen_dkg`: a whole 2-of-3 DKG (3 participants, parts 1 to 3, in one process).
//! * `round1`: one participant's round 1 (fresh nonces and commitments).
//! * `round2`: one participant's round 2 (its signature share).
//! * `aggregate`: aggregating two shares (including frost's check of the group signature).
//! * `sign`: a whole 2-of-3 signature: two round 1s, two round 2s, aggregate, verify.
//!
//! Only the named operation is timed; set-up (earlier rounds) runs untimed. Message: 64 bytes.

use kee_frost::{aggregate, trusted_dealer, verify, Dkg, Participant};
use std::hint::black_box;
use std::time::{Duration, Instant};

const MESSAGE: [u8; 64] = [7; 64];

fn report(op: &str, iters: u32, total: Duration) {
    let ms = total.as_secs_f64() * 1000.0 / f64::from(iters.max(1));
    println!(r#"{{"op":"{op}","iters":{iters},"ms_per_op":{ms:.4}}}"#);
}

fn e(err: kee_frost::Error) -> String {
    err.to_string()
}

fn dkg() -> Result<Vec<Participant>, String> {
    let mut states = Vec::new();
    let mut round1 = Vec::new();
    for id in 1..=3u16 {
        let (s, p) = Dkg::start(id, 2, 3).map_err(e)?;
        states.push(s);
        round1.push((id, p));
    }
    let mut inbox: Vec<(u16, u16, Vec<u8>)> = Vec::new();
    for s in &mut states {
        let me = s.identifier();
        let others: Vec<(u16, &[u8])> = round1.iter().filter(|(i, _)| *i != me).map(|(i, p)| (*i, p.as_slice())).collect();
        for (to, p) in s.part2(&others).map_err(e)? {
            inbox.push((to, me, p));
        }
    }
    states
        .into_iter()
        .map(|s| {
            let me = s.identifier();
            let mine: Vec<(u16, &[u8])> = inbox.iter().filter(|(to, _, _)| *to == me).map(|(_, from, p)| (*from, p.as_slice())).collect();
            s.finish(&mine).map_err(e)
        })
        .collect()
}

/// Splits the dealt participants into the two signers.
fn pair(mut ps: Vec<Participant>) -> Result<(Participant, Participant), String> {
    ps.truncate(2);
    let b = ps.pop().ok_or("no participant 2")?;
    let a = ps.pop().ok_or("no participant 1")?;
    Ok((a, b))
}

fn session(i: u32) -> [u8; 4] {
    i.to_be_bytes()
}

/// Runs the FROST benchmark.
pub fn run(iters: u32) -> Result<(), String> {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(trusted_dealer(2, 3).map_err(e)?);
    }
    report("keygen_dealer", iters, start.elapsed());

    let start = Instant::now();
    for _ in 0..iters {
        black_box(dkg()?);
    }
    report("keygen_dkg", iters, start.elapsed());

    let (mut a, mut b) = pair(trusted_dealer(2, 3).map_err(e)?)?;
    let public = a.public().clone();
    let key = public.group_key().map_err(e)?;
    let ids = [a.identifier(), b.identifier()];
    let (mut r1, mut r2, mut agg) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for i in 0..iters {
        let s = session(i);
        let t = Instant::now();
        let ca = a.round1(&s).map_err(e)?;
        r1 += t.elapsed();
        let cb = b.round1(&s).map_err(e)?;
        let commitments = [ca, cb].concat();
        let t = Instant::now();
        let sa = a.round2(&s, &MESSAGE, &ids, &commitments).map_err(e)?;
        r2 += t.elapsed();
        let sb = b.round2(&s, &MESSAGE, &ids, &commitments).map_err(e)?;
        let shares = [sa, sb].concat();
        let t = Instant::now();
        black_box(aggregate(&public, &MESSAGE, &ids, &commitments, &shares).map_err(e)?);
        agg += t.elapsed();
    }
    report("round1", iters, r1);
    report("round2", iters, r2);
    report("aggregate", iters, agg);

    let start = Instant::now();
    for i in 0..iters {
        let s = session(iters + i);
        let commitments = [a.round1(&s).map_err(e)?, b.round1(&s).map_err(e)?].concat();
        let shares = [
            a.round2(&s, &MESSAGE, &ids, &commitments).map_err(e)?,
            b.round2(&s, &MESSAGE, &ids, &commitments).map_err(e)?,
        ]
        .concat();
        let sig = aggregate(&public, &MESSAGE, &ids, &commitments, &shares).map_err(e)?;
        verify(&key, &MESSAGE, &sig).map_err(e)?;
    }
    report("sign", iters, start.elapsed());
    Ok(())
}

/// Reads `frost --iters K`.
pub fn parse_args(args: &[String]) -> Result<u32, String> {
    let usage = "usage: kee-native-bench frost --iters K";
    match (args.get(1).map(String::as_str), args.get(2), args.len()) {
        (Some("--iters"), Some(k), 3) => k.parse().map_err(|err| format!("--iters `{k}`: {err}")),
        (None, None, 1) => Ok(100),
        _ => Err(usage.to_owned()),
    }
}
