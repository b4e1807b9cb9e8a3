//! Inclusion and consistency proof generation from leaf hashes.
//!
//! These functions take the full list of leaf hashes and need no [`crate::Tree`]: each proof
//! node is the Merkle Tree Hash of a range of leaves, so one proof costs about `n` node hashes
//! and `O(log n)` memory. To make many proofs over one tree, build a [`crate::Tree`] once.

use crate::error::Error;
use crate::hash::Hash;
use crate::plan::{consistency_plan, inclusion_plan, NodeId};
use crate::root::root_from_leaf_hashes;
use crate::tree::Tree;

/// The inclusion proofs of every leaf of a tree, packed into one buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllInclusionProofs {
    /// All proofs, one after the other, leaf 0 first.
    pub hashes: Vec<Hash>,
    /// `n + 1` offsets into `hashes`: the proof of leaf `i` is `hashes[offsets[i]..offsets[i + 1]]`.
    pub offsets: Vec<usize>,
}

impl AllInclusionProofs {
    /// The proof of leaf `index`, if there is such a leaf.
    pub fn proof(&self, index: usize) -> Option<&[Hash]> {
        let start = *self.offsets.get(index)?;
        let end = *self.offsets.get(index.checked_add(1)?)?;
        self.hashes.get(start..end)
    }

    /// The number of proofs (the number of leaves).
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no proofs (the tree is empty).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The Merkle Tree Hash of the leaves that node `id` covers.
fn node_from_leaf_hashes(leaf_hashes: &[Hash], id: NodeId) -> Result<Hash, Error> {
    let size = leaf_hashes.len() as u64;
    let (start, end) = id.leaf_range(size);
    let range = usize::try_from(start)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(s, e)| leaf_hashes.get(s..e))
        .ok_or(Error::IndexOutOfRange { index: end, size })?;
    Ok(root_from_leaf_hashes(range))
}

/// The inclusion proof (audit path) of leaf `index` in the tree over `leaf_hashes`
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1>).
///
/// Requires `index < leaf_hashes.len()`; otherwise returns [`Error::IndexOutOfRange`].
pub fn inclusion_proof(leaf_hashes: &[Hash], index: u64) -> Result<Vec<Hash>, Error> {
    inclusion_plan(index, leaf_hashes.len() as u64)?
        .into_iter()
        .map(|id| node_from_leaf_hashes(leaf_hashes, id))
        .collect()
}

/// The consistency proof from the tree over the first `old_size` leaf hashes to the tree over
/// all of `leaf_hashes` (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1>).
///
/// Requires `old_size <= leaf_hashes.len()`; otherwise returns [`Error::SizeOrder`]. The proof
/// is empty when `old_size` is 0 or equal to the number of leaves.
pub fn consistency_proof(leaf_hashes: &[Hash], old_size: u64) -> Result<Vec<Hash>, Error> {
    consistency_plan(old_size, leaf_hashes.len() as u64)?
        .into_iter()
        .map(|id| node_from_leaf_hashes(leaf_hashes, id))
        .collect()
}

/// The inclusion proofs of every leaf, in `O(n log n)` time and one buffer.
pub fn all_inclusion_proofs(leaf_hashes: Vec<Hash>) -> AllInclusionProofs {
    Tree::new(leaf_hashes).all_inclusion_proofs()
}
