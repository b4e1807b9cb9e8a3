//! The *verify* half of proofs: hash the nodes given and compare against a root.
//!
//! Both verifiers follow the RFC 9162 algorithms step by step, after first checking that the
//! proof has the number of hashes that the [`crate::plan`] gives for its sizes (as
//! transparency-dev/merkle does), so that a wrong proof length gets an error that says so.

use crate::error::{Error, HexHash, RootSide};
use crate::hash::{node_hash, Hash};
use crate::plan::{consistency_plan, inclusion_plan};

/// Shifts `fn_` and `sn` right together until the lowest bit of `fn_` is set or `fn_` is 0:
/// this skips the levels where the node on the path is a right-edge node with no sibling.
fn skip_carried_levels(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// The root that an inclusion proof leads to for leaf `index` in a tree of `size` leaves
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2>, steps 1 to 4).
///
/// Requires `index < size` ([`Error::IndexOutOfRange`]) and a proof of the length RFC 9162
/// gives for `index` and `size` ([`Error::InclusionProofSize`]).
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, Error> {
    let want = inclusion_plan(index, size)?.len();
    let size_error = Error::InclusionProofSize {
        index,
        size,
        got: proof.len(),
        want,
    };
    if proof.len() != want {
        return Err(size_error);
    }
    // fn_ is the index of the node on the path at the current level, sn the index of the
    // last node of that level.
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(size_error);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            // The path node is a right child (or the last node of its level): p is on its left.
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                skip_carried_levels(&mut fn_, &mut sn);
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(size_error);
    }
    Ok(r)
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2>).
///
/// Requires `index < size` ([`Error::IndexOutOfRange`]); fails with
/// [`Error::InclusionProofSize`] or [`Error::InclusionRootMismatch`] otherwise.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    let calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)?;
    if calculated != *root {
        return Err(Error::InclusionRootMismatch {
            index,
            size,
            calculated: HexHash(calculated),
            expected: HexHash(*root),
        });
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2>).
///
/// Requires `old_size <= new_size` ([`Error::SizeOrder`]). The RFC covers
/// `0 < old_size < new_size`; at the edges, as in transparency-dev/merkle, equal sizes need
/// equal roots and an empty proof, and an empty old tree is consistent with any tree given an
/// empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), Error> {
    let want = consistency_plan(old_size, new_size)?.len();
    let size_error = Error::ConsistencyProofSize {
        old_size,
        new_size,
        got: proof.len(),
        want,
    };
    if proof.len() != want {
        return Err(size_error);
    }
    let mismatch = |side, calculated: &Hash, expected: &Hash| Error::ConsistencyRootMismatch {
        old_size,
        new_size,
        side,
        calculated: HexHash(*calculated),
        expected: HexHash(*expected),
    };
    if old_size == new_size {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(mismatch(RootSide::New, old_root, new_root))
        };
    }
    if old_size == 0 {
        return Ok(());
    }
    // Step 2: if old_size is a power of two, the old root is itself the first path node.
    let mut path = old_size
        .is_power_of_two()
        .then_some(*old_root)
        .into_iter()
        .chain(proof.iter().copied());
    // Step 3.
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    // Step 4: climb over the levels where the old tree's last node is a right child.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let first = path.next().ok_or_else(|| size_error.clone())?;
    let (mut fr, mut sr) = (first, first);
    // Step 6.
    for c in path {
        if sn == 0 {
            return Err(size_error);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(&c, &fr);
            sr = node_hash(&c, &sr);
            if fn_ & 1 == 0 {
                skip_carried_levels(&mut fn_, &mut sn);
            }
        } else {
            sr = node_hash(&sr, &c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(size_error);
    }
    if fr != *old_root {
        return Err(mismatch(RootSide::Old, &fr, old_root));
    }
    if sr != *new_root {
        return Err(mismatch(RootSide::New, &sr, new_root));
    }
    Ok(())
}
