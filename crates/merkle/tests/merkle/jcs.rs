//! RFC 8785 cases from `test/vectors/jcs.json`.

use kee_merkle::jcs::{canonicalize, jcs_sha256};
use kee_merkle::{sha256, Error};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../../test/vectors/jcs.json");

#[test]
fn valid_inputs_canonicalize() {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    let cases = v["valid"].as_array().unwrap();
    assert!(cases.len() > 40);
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let want = case["expected"].as_str().unwrap();
        assert_eq!(canonicalize(input).unwrap(), want, "{}", case["name"]);
        assert_eq!(jcs_sha256(input).unwrap(), sha256(want.as_bytes()));
        // Canonical form is a fixed point.
        assert_eq!(canonicalize(want).unwrap(), want, "{}", case["name"]);
    }
}

#[test]
fn invalid_inputs_fail() {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    for case in v["invalid"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let got = canonicalize(input);
        assert!(
            matches!(got, Err(Error::InvalidJson { .. })),
            "{}: {got:?}",
            case["name"]
        );
        assert!(jcs_sha256(input).is_err());
    }
}
