//! Seeded property tests: the fast code against the recursive reference, every proof verifies,
//! tampered proofs do not. The proptest RNG seed is fixed, so a failure reproduces exactly.

use crate::reference;
use kee_merkle::{
    all_inclusion_proofs, consistency_proof, inclusion_proof, leaf_hash, root_from_leaf_hashes,
    verify_consistency, verify_inclusion, Hash, Tree,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};

/// Deterministic leaf hashes for a tree of `n` leaves.
fn leaves(n: usize, seed: u64) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| leaf_hash(&[seed.to_le_bytes(), i.to_le_bytes()].concat()))
        .collect()
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x4b45_4531_5244_3931),
        failure_persistence: None,
        ..Config::default()
    }
}

fn flip(proof: &[Hash], which: &Index, bit: u8) -> Vec<Hash> {
    let mut p = proof.to_vec();
    let i = which.index(p.len());
    p[i][usize::from(bit / 8) % 32] ^= 1 << (bit % 8);
    p
}

/// Every tree of up to 70 leaves, every index and every old size, against the reference.
#[test]
fn exhaustive_small_trees_match_reference() {
    for n in 0..=70usize {
        let hs = leaves(n, n as u64);
        let root = reference::mth(&hs);
        assert_eq!(root_from_leaf_hashes(&hs), root, "size {n}");
        let tree = Tree::new(hs.clone());
        assert_eq!(tree.root(), root, "size {n}");
        let all = tree.all_inclusion_proofs();
        assert_eq!(all.len(), n);
        for i in 0..n {
            let want = reference::path(i, &hs);
            assert_eq!(inclusion_proof(&hs, i as u64).unwrap(), want, "{i}/{n}");
            assert_eq!(tree.inclusion_proof(i as u64).unwrap(), want, "{i}/{n}");
            assert_eq!(all.proof(i).unwrap(), want.as_slice(), "{i}/{n}");
            verify_inclusion(&hs[i], i as u64, n as u64, &want, &root).unwrap();
            for j in 0..n {
                if j != i {
                    assert!(
                        verify_inclusion(&hs[i], j as u64, n as u64, &want, &root).is_err(),
                        "proof of {i} verified at index {j} in size {n}"
                    );
                }
            }
        }
        for old in 0..=n {
            let want = reference::proof(old, &hs);
            assert_eq!(
                consistency_proof(&hs, old as u64).unwrap(),
                want,
                "{old}->{n}"
            );
            assert_eq!(
                tree.consistency_proof(old as u64).unwrap(),
                want,
                "{old}->{n}"
            );
            let old_root = reference::mth(&hs[..old]);
            verify_consistency(old as u64, n as u64, &want, &old_root, &root).unwrap();
            // Claiming the proof for any other old size fails.
            for other in 1..n {
                if other != old {
                    let other_root = reference::mth(&hs[..other]);
                    assert!(
                        verify_consistency(other as u64, n as u64, &want, &other_root, &root)
                            .is_err(),
                        "proof {old}->{n} verified as {other}->{n}"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn root_matches_reference(n in 0usize..5000, seed: u64) {
        let hs = leaves(n, seed);
        let want = reference::mth(&hs);
        prop_assert_eq!(root_from_leaf_hashes(&hs), want);
        prop_assert_eq!(Tree::new(hs).root(), want);
    }

    #[test]
    fn inclusion_matches_reference_and_resists_tampering(
        n in 1usize..3000,
        seed: u64,
        at: Index,
        which: Index,
        bit: u8,
    ) {
        let hs = leaves(n, seed);
        let i = at.index(n);
        let root = root_from_leaf_hashes(&hs);
        let proof = inclusion_proof(&hs, i as u64).unwrap();
        prop_assert_eq!(&proof, &reference::path(i, &hs));
        prop_assert_eq!(&proof, &Tree::new(hs.clone()).inclusion_proof(i as u64).unwrap());
        prop_assert!(verify_inclusion(&hs[i], i as u64, n as u64, &proof, &root).is_ok());
        if !proof.is_empty() {
            let bad = flip(&proof, &which, bit);
            prop_assert!(verify_inclusion(&hs[i], i as u64, n as u64, &bad, &root).is_err());
            let j = (i + 1) % n;
            prop_assert!(verify_inclusion(&hs[i], j as u64, n as u64, &proof, &root).is_err());
            prop_assert!(verify_inclusion(&hs[j], i as u64, n as u64, &proof, &root).is_err());
        }
        prop_assert!(verify_inclusion(&hs[i], i as u64, n as u64 * 2, &proof, &root).is_err());
    }

    #[test]
    fn all_inclusion_proofs_verify(n in 0usize..1500, seed: u64, sample: Index) {
        let hs = leaves(n, seed);
        let root = root_from_leaf_hashes(&hs);
        let all = all_inclusion_proofs(hs.clone());
        prop_assert_eq!(all.len(), n);
        prop_assert_eq!(all.offsets.last().copied(), Some(all.hashes.len()));
        for (i, leaf) in hs.iter().enumerate() {
            let proof = all.proof(i).unwrap();
            prop_assert!(verify_inclusion(leaf, i as u64, n as u64, proof, &root).is_ok());
        }
        if n > 0 {
            let i = sample.index(n);
            let want = reference::path(i, &hs);
            prop_assert_eq!(all.proof(i).unwrap(), want.as_slice());
        }
    }

    #[test]
    fn consistency_matches_reference_and_resists_tampering(
        n in 1usize..3000,
        seed: u64,
        at: Index,
        which: Index,
        bit: u8,
    ) {
        let hs = leaves(n, seed);
        let old = at.index(n + 1);
        let (old_root, new_root) = (root_from_leaf_hashes(&hs[..old]), root_from_leaf_hashes(&hs));
        let proof = consistency_proof(&hs, old as u64).unwrap();
        prop_assert_eq!(&proof, &reference::proof(old, &hs));
        prop_assert_eq!(&proof, &Tree::new(hs.clone()).consistency_proof(old as u64).unwrap());
        let (o, s) = (old as u64, n as u64);
        prop_assert!(verify_consistency(o, s, &proof, &old_root, &new_root).is_ok());
        if !proof.is_empty() {
            let bad = flip(&proof, &which, bit);
            prop_assert!(verify_consistency(o, s, &bad, &old_root, &new_root).is_err());
            prop_assert!(verify_consistency(o, s, &proof, &new_root, &new_root).is_err());
            prop_assert!(verify_consistency(o, s, &proof, &old_root, &old_root).is_err());
            prop_assert!(verify_consistency(o, s * 2, &proof, &old_root, &new_root).is_err());
        }
    }
}
