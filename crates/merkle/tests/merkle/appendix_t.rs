//! KEE-1 digest Appendix T, from `test/vectors/kee-appendix-t.json`.

use crate::{h32, to_hex};
use kee_merkle::jcs::{canonicalize, jcs_sha256};
use kee_merkle::{leaf_hash, root_from_leaf_hashes, root_from_leaves, sha256};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../../test/vectors/kee-appendix-t.json");

#[test]
fn appendix_t_roots_and_hashes() {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    let record = |name: &Value| {
        v["records"][name.as_str().unwrap()]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for case in v["roots"].as_array().unwrap() {
        let jcs: Vec<String> = case["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| canonicalize(&record(name)).unwrap())
            .collect();
        let want = h32(case["root"].as_str().unwrap());
        let hashes: Vec<_> = jcs.iter().map(|j| leaf_hash(j.as_bytes())).collect();
        assert_eq!(root_from_leaf_hashes(&hashes), want, "{case}");
        assert_eq!(
            root_from_leaves(jcs.iter().map(|j| j.as_bytes())),
            want,
            "{case}"
        );
    }
    for case in v["jcs_sha256"].as_array().unwrap() {
        let got = jcs_sha256(&record(&case["record"])).unwrap();
        assert_eq!(to_hex(&got), case["sha256"].as_str().unwrap(), "{case}");
    }
    for case in v["sha256"].as_array().unwrap() {
        let got = sha256(case["input_utf8"].as_str().unwrap().as_bytes());
        assert_eq!(to_hex(&got), case["sha256"].as_str().unwrap(), "{case}");
    }
}

#[test]
fn records_are_already_canonical() {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    for (name, r) in v["records"].as_object().unwrap() {
        let r = r.as_str().unwrap();
        assert_eq!(canonicalize(r).unwrap(), r, "{name}");
    }
}
