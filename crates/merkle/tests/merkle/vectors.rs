//! The RFC 6962 / RFC 9162 test data of transparency-dev/merkle and certificate-transparency-go,
//! from `test/vectors/rfc9162-merkle.json`.

use crate::{h32, hex};
use kee_merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root_from_leaf_hashes, root_from_leaves,
    verify_consistency, verify_inclusion, Error, ErrorKind, Hash, NodeId, Tree,
};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../../test/vectors/rfc9162-merkle.json");

struct Vectors {
    leaves: Vec<Vec<u8>>,
    levels: Vec<Vec<Hash>>,
    roots: Vec<Hash>,
    json: Value,
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| h32(h.as_str().unwrap()))
        .collect()
}

fn load() -> Vectors {
    let json: Value = serde_json::from_str(VECTORS).unwrap();
    let leaves = json["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| hex(l.as_str().unwrap()))
        .collect();
    let levels = json["node_hashes"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(hashes)
        .collect();
    let roots = hashes(&json["roots"]["by_size"]);
    Vectors {
        leaves,
        levels,
        roots,
        json,
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn leaf_hashes_match() {
    let v = load();
    let got: Vec<Hash> = v.leaves.iter().map(|l| leaf_hash(l)).collect();
    assert_eq!(got, v.levels[0]);
}

#[test]
fn roots_match_for_every_size() {
    let v = load();
    assert_eq!(v.roots.len(), 9);
    for (size, want) in v.roots.iter().enumerate() {
        let hashes = &v.levels[0][..size];
        assert_eq!(root_from_leaf_hashes(hashes), *want, "size {size}");
        assert_eq!(
            root_from_leaves(v.leaves[..size].iter().map(Vec::as_slice)),
            *want,
            "size {size}"
        );
        assert_eq!(Tree::new(hashes.to_vec()).root(), *want, "size {size}");
    }
}

#[test]
fn tree_nodes_match_node_hashes() {
    let v = load();
    let tree = Tree::new(v.levels[0].clone());
    for (level, hashes) in v.levels.iter().enumerate() {
        for (index, want) in hashes.iter().enumerate() {
            let id = NodeId {
                level: level as u32,
                index: index as u64,
            };
            assert_eq!(tree.node(id), Some(want), "{id:?}");
        }
    }
}

/// The corruptions of transparency-dev/merkle `corruptInclusionProof`.
fn corrupt_inclusion(index: u64, size: u64, proof: &[Hash], root: &Hash, leaf: &Hash) {
    let some = h32("abacaba000000000000000000000000000000000000000000060061e00123456");
    let empty = kee_merkle::empty_root();
    let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>, String)> = vec![
        (
            index.wrapping_sub(1),
            size,
            *root,
            *leaf,
            proof.to_vec(),
            "index - 1".into(),
        ),
        (
            index + 1,
            size,
            *root,
            *leaf,
            proof.to_vec(),
            "index + 1".into(),
        ),
        (
            index ^ 2,
            size,
            *root,
            *leaf,
            proof.to_vec(),
            "index ^ 2".into(),
        ),
        (
            index,
            size * 2,
            *root,
            *leaf,
            proof.to_vec(),
            "size * 2".into(),
        ),
        (
            index,
            size / 2,
            *root,
            *leaf,
            proof.to_vec(),
            "size / 2".into(),
        ),
        (
            index,
            size,
            *root,
            some,
            proof.to_vec(),
            "wrong leaf".into(),
        ),
        (
            index,
            size,
            empty,
            *leaf,
            proof.to_vec(),
            "empty root".into(),
        ),
        (
            index,
            size,
            some,
            *leaf,
            proof.to_vec(),
            "random root".into(),
        ),
        (
            index,
            size,
            *root,
            *leaf,
            [proof, &[*root]].concat(),
            "trailing root".into(),
        ),
        (
            index,
            size,
            *root,
            *leaf,
            [&[*root], proof].concat(),
            "preceding root".into(),
        ),
    ];
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 8;
        probes.push((
            index,
            size,
            *root,
            *leaf,
            p,
            format!("modified proof[{i}] bit 3"),
        ));
    }
    if let Some((_, rest)) = proof.split_last() {
        probes.push((
            index,
            size,
            *root,
            *leaf,
            rest.to_vec(),
            "removed component".into(),
        ));
    }
    if proof.len() > 1 {
        let p = [&proof[..1], &[some], &proof[1..]].concat();
        probes.push((index, size, *root, *leaf, p, "inserted component".into()));
    }
    for (i, s, r, l, p, desc) in probes {
        if (i, s, r, l, p.as_slice()) == (index, size, *root, *leaf, proof) {
            continue; // e.g. index ^ 2 == index + 2 - 2 for some index: not a corruption
        }
        assert!(
            verify_inclusion(&l, i, s, &p, &r).is_err(),
            "verified corrupted proof ({desc}) for index {index} size {size}"
        );
    }
}

#[test]
fn inclusion_proofs_match_and_verify() {
    let v = load();
    for case in v.json["inclusion"].as_array().unwrap() {
        let index = u(&case["leaf_index"]);
        let size = u(&case["tree_size"]);
        let want = hashes(&case["proof"]);
        let leaves = &v.levels[0][..size as usize];
        assert_eq!(inclusion_proof(leaves, index).unwrap(), want, "{case}");
        let tree = Tree::new(leaves.to_vec());
        assert_eq!(tree.inclusion_proof(index).unwrap(), want, "{case}");
        let root = v.roots[size as usize];
        let leaf = v.levels[0][index as usize];
        verify_inclusion(&leaf, index, size, &want, &root).unwrap();
        corrupt_inclusion(index, size, &want, &root, &leaf);
    }
}

/// The corruptions of transparency-dev/merkle `corruptConsistencyProof`.
fn corrupt_consistency(old: u64, new: u64, proof: &[Hash], old_root: &Hash, new_root: &Hash) {
    let wrong = h32("0000000000000000000000000000000000000000000000000000000000000001");
    let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>, String)> = vec![
        (
            old - 1,
            new,
            *old_root,
            *new_root,
            proof.to_vec(),
            "old - 1".into(),
        ),
        (
            old + 1,
            new,
            *old_root,
            *new_root,
            proof.to_vec(),
            "old + 1".into(),
        ),
        (
            old ^ 2,
            new,
            *old_root,
            *new_root,
            proof.to_vec(),
            "old ^ 2".into(),
        ),
        (
            old,
            new * 2,
            *old_root,
            *new_root,
            proof.to_vec(),
            "new * 2".into(),
        ),
        (
            old,
            new / 2,
            *old_root,
            *new_root,
            proof.to_vec(),
            "new / 2".into(),
        ),
        (
            old,
            new,
            wrong,
            *new_root,
            proof.to_vec(),
            "wrong old root".into(),
        ),
        (
            old,
            new,
            *old_root,
            wrong,
            proof.to_vec(),
            "wrong new root".into(),
        ),
        (
            old,
            new,
            *new_root,
            *old_root,
            proof.to_vec(),
            "swapped roots".into(),
        ),
        (old, new, *old_root, *new_root, vec![], "empty proof".into()),
        (
            old,
            new,
            *old_root,
            *new_root,
            [proof, &[*old_root]].concat(),
            "trailing old root".into(),
        ),
        (
            old,
            new,
            *old_root,
            *new_root,
            [proof, &[*new_root]].concat(),
            "trailing new root".into(),
        ),
        (
            old,
            new,
            *old_root,
            *new_root,
            [&[*old_root], proof].concat(),
            "preceding old root".into(),
        ),
        (
            old,
            new,
            *old_root,
            *new_root,
            [&[*new_root], proof].concat(),
            "preceding new root".into(),
        ),
        (
            old,
            new,
            *old_root,
            *new_root,
            [&proof[..1], proof].concat(),
            "preceding proof[0]".into(),
        ),
    ];
    if let Some((_, rest)) = proof.split_last() {
        probes.push((
            old,
            new,
            *old_root,
            *new_root,
            rest.to_vec(),
            "truncated proof".into(),
        ));
    }
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 16;
        probes.push((
            old,
            new,
            *old_root,
            *new_root,
            p,
            format!("modified proof[{i}] bit 4"),
        ));
    }
    for (o, n, r1, r2, p, desc) in probes {
        assert!(
            verify_consistency(o, n, &p, &r1, &r2).is_err(),
            "verified corrupted proof ({desc}) for sizes {old} -> {new}"
        );
    }
}

#[test]
fn consistency_proofs_match_and_verify() {
    let v = load();
    for case in v.json["consistency"].as_array().unwrap() {
        let old = u(&case["old_size"]);
        let new = u(&case["new_size"]);
        let want = hashes(&case["proof"]);
        let leaves = &v.levels[0][..new as usize];
        assert_eq!(consistency_proof(leaves, old).unwrap(), want, "{case}");
        let tree = Tree::new(leaves.to_vec());
        assert_eq!(tree.consistency_proof(old).unwrap(), want, "{case}");
        let (r1, r2) = (v.roots[old as usize], v.roots[new as usize]);
        verify_consistency(old, new, &want, &r1, &r2).unwrap();
        if !want.is_empty() {
            corrupt_consistency(old, new, &want, &r1, &r2);
        }
    }
}

#[test]
fn invalid_consistency_cases_fail() {
    let v = load();
    for case in v.json["invalid_consistency"]["cases"].as_array().unwrap() {
        let got = verify_consistency(
            u(&case["old_size"]),
            u(&case["new_size"]),
            &hashes(&case["proof"]),
            &h32(case["old_root"].as_str().unwrap()),
            &h32(case["new_root"].as_str().unwrap()),
        );
        assert!(got.is_err(), "{case}");
    }
}

#[test]
fn trivial_consistency_cases_pass() {
    let (a, b) = (h32(&"aa".repeat(32)), h32(&"bb".repeat(32)));
    verify_consistency(0, 0, &[], &a, &a).unwrap();
    verify_consistency(0, 1, &[], &a, &b).unwrap();
    verify_consistency(1, 1, &[], &b, &b).unwrap();
}

#[test]
fn single_entry_inclusion() {
    let hash = leaf_hash(b"data");
    verify_inclusion(&hash, 0, 1, &[], &hash).unwrap();
    assert!(verify_inclusion(&hash, 0, 1, &[], &kee_merkle::empty_root()).is_err());
    for (index, size) in [(0, 0), (1, 0), (2, 1), (1, 1)] {
        let err = verify_inclusion(&hash, index, size, &[], &hash).unwrap_err();
        assert_eq!(err, Error::IndexOutOfRange { index, size });
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn error_messages_name_the_sizes() {
    let v = load();
    let leaves = &v.levels[0];
    let root = v.roots[8];
    let err = verify_inclusion(&leaves[5], 5, 8, &[], &root).unwrap_err();
    assert_eq!(
        err.to_string(),
        "inclusion proof for leaf index 5 in tree size 8 has 0 hashes, want 3"
    );
    assert_eq!(err.kind(), ErrorKind::ProofInvalid);
    let proof = inclusion_proof(leaves, 5).unwrap();
    let err = verify_inclusion(&leaves[4], 5, 8, &proof, &root).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("inclusion proof for leaf index 5 in tree size 8 gives root "),
        "{err}"
    );
    let err = verify_consistency(6, 8, &[], &v.roots[6], &root).unwrap_err();
    assert_eq!(
        err.to_string(),
        "consistency proof from tree size 6 to 8 has 0 hashes, want 3"
    );
    let err = consistency_proof(leaves, 9).unwrap_err();
    assert_eq!(
        err.to_string(),
        "old tree size 9 is greater than new tree size 8"
    );
    let err = inclusion_proof(leaves, 8).unwrap_err();
    assert_eq!(err.to_string(), "leaf index 8 is beyond tree size 8");
}
