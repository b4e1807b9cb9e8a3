//! An in-memory tree that keeps every level, for many proofs over one tree.

use crate::error::Error;
use crate::hash::{empty_root, node_hash, Hash};
use crate::plan::{consistency_plan, NodeId};
use crate::proof::AllInclusionProofs;

/// A Merkle tree over a fixed list of leaf hashes, with every interior node kept.
///
/// Building it costs `n - 1` node hashes and about `2n` hashes of memory; after that a proof is
/// `O(log n)` lookups. Nodes are addressed as described in [`crate::plan`]: level `l + 1` is
/// level `l` hashed in pairs, with an odd last node carried up unchanged (RFC 9162 §2.1.1,
/// <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>: never duplicated).
#[derive(Debug, Clone)]
pub struct Tree {
    // INVARIANT: `levels[0]` holds the leaf hashes; `levels[l + 1].len() ==
    // levels[l].len().div_ceil(2)`; the last level has at most one node; `levels` is never
    // empty.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// Builds the tree over `leaf_hashes` (each already `leaf_hash(d(i))`).
    pub fn new(leaf_hashes: Vec<Hash>) -> Self {
        let mut levels = vec![leaf_hashes];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let (pairs, odd) = below.as_chunks::<2>();
            let mut above: Vec<Hash> = Vec::with_capacity(below.len().div_ceil(2));
            above.extend(pairs.iter().map(|[left, right]| node_hash(left, right)));
            // An odd last node is carried up unchanged.
            above.extend(odd.first().copied());
            levels.push(above);
        }
        Self { levels }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.leaf_hashes().len() as u64
    }

    /// The leaf hashes the tree was built from.
    pub fn leaf_hashes(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// The root: the Merkle Tree Hash of all leaves (`SHA-256("")` for an empty tree).
    pub fn root(&self) -> Hash {
        match self.levels.last().and_then(|l| l.first()) {
            Some(root) => *root,
            None => empty_root(),
        }
    }

    /// The hash of one node, if it exists in this tree.
    pub fn node(&self, id: NodeId) -> Option<&Hash> {
        let level = self.levels.get(usize::try_from(id.level).ok()?)?;
        level.get(usize::try_from(id.index).ok()?)
    }

    /// The inclusion proof (audit path) of leaf `index`
    /// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1>).
    ///
    /// Requires `index < size`; otherwise returns [`Error::IndexOutOfRange`].
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<Hash>, Error> {
        let size = self.size();
        let index_usize = usize::try_from(index)
            .ok()
            .filter(|_| index < size)
            .ok_or(Error::IndexOutOfRange { index, size })?;
        let mut proof = Vec::with_capacity(self.levels.len());
        self.push_inclusion_proof(index_usize, &mut proof);
        Ok(proof)
    }

    /// Appends the audit path of leaf `index` to `out`: at each level, the sibling of the
    /// node on the leaf's path, if it has one (a carried-up odd node has none).
    fn push_inclusion_proof(&self, index: usize, out: &mut Vec<Hash>) {
        let mut at = index;
        for level in &self.levels {
            // `at ^ 1` flips the lowest bit: the other child of the same parent.
            if let Some(sibling) = level.get(at ^ 1) {
                out.push(*sibling);
            }
            at >>= 1;
        }
    }

    /// The number of hashes in the audit path of leaf `index`.
    fn inclusion_proof_len(&self, index: usize) -> usize {
        let mut at = index;
        let mut len = 0;
        for level in &self.levels {
            if (at ^ 1) < level.len() {
                len += 1;
            }
            at >>= 1;
        }
        len
    }

    /// The inclusion proofs of every leaf, in one buffer: `O(n log n)` time in total.
    pub fn all_inclusion_proofs(&self) -> AllInclusionProofs {
        let n = self.leaf_hashes().len();
        let mut offsets = Vec::with_capacity(n.saturating_add(1));
        let mut total = 0usize;
        offsets.push(0);
        for index in 0..n {
            total = total.saturating_add(self.inclusion_proof_len(index));
            offsets.push(total);
        }
        let mut hashes = Vec::with_capacity(total);
        for index in 0..n {
            self.push_inclusion_proof(index, &mut hashes);
        }
        AllInclusionProofs { hashes, offsets }
    }

    /// The consistency proof from the tree of the first `old_size` leaves to this tree
    /// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1>).
    ///
    /// Requires `old_size <= size`; otherwise returns [`Error::SizeOrder`].
    pub fn consistency_proof(&self, old_size: u64) -> Result<Vec<Hash>, Error> {
        let new_size = self.size();
        let plan = consistency_plan(old_size, new_size)?;
        plan.into_iter()
            .map(|id| {
                self.node(id)
                    .copied()
                    // The plan only names nodes of a tree of this size.
                    .ok_or(Error::IndexOutOfRange {
                        index: id.index,
                        size: new_size,
                    })
            })
            .collect()
    }
}
