//! Integration tests of `kee-merkle`: fixed vectors shared with the TypeScript tests
//! (`test/vectors/*.json`), a recursive reference implementation, and seeded property tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

mod appendix_t;
mod jcs;
mod props;
mod reference;
mod vectors;

use kee_merkle::Hash;

/// Decodes lowercase or uppercase hex; panics on bad input.
pub fn hex(s: &str) -> Vec<u8> {
    let (pairs, odd) = s.as_bytes().as_chunks::<2>();
    assert!(odd.is_empty(), "odd hex length: {s}");
    pairs
        .iter()
        .map(|pair| {
            let digits = std::str::from_utf8(pair).expect("ascii hex");
            u8::from_str_radix(digits, 16).expect("hex digit")
        })
        .collect()
}

/// Decodes the hex of one 32-byte hash.
pub fn h32(s: &str) -> Hash {
    Hash::try_from(hex(s).as_slice()).expect("32-byte hash")
}

/// Encodes bytes as lowercase hex.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
