//! The Merkle Tree Hash, computed in one streaming pass.
//!
//! RFC 9162 §2.1.1 (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>) defines, for
//! `n > 1` leaves and `k` the largest power of two strictly less than `n`,
//! `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`. The left part is always a
//! *perfect* subtree. Unrolling the recursion, the root is a right fold over the perfect
//! subtrees that the binary digits of `n` cut the leaves into, largest first:
//!
//! ```text
//!   n = 6 = 0b110:   leaves 0..4 | leaves 4..6
//!                    P4          | P2           root = node(P4, P2)
//!   n = 7 = 0b111:   P4 | P2 | P1               root = node(P4, node(P2, P1))
//! ```
//!
//! [`CompactRange`] keeps exactly those perfect subtrees (at most 64 hashes) while leaves are
//! pushed, merging two equal ones as soon as they appear, so the root of `n` leaves costs
//! `n - 1` node hashes and `O(log n)` memory. An odd last node is never duplicated.

use crate::hash::{empty_root, leaf_hash, node_hash, Hash};

/// The perfect subtrees covering the leaves pushed so far, largest (leftmost) first.
///
/// This is the "compact range" of transparency-dev/merkle for a range that starts at leaf 0.
#[derive(Debug, Clone, Default)]
pub struct CompactRange {
    // INVARIANT: `stack.len() == size.count_ones()`, and `stack[i]` is the root of the perfect
    // subtree for the i-th set bit of `size`, counted from the most significant one.
    stack: Vec<Hash>,
    size: u64,
}

impl CompactRange {
    /// An empty range.
    pub fn new() -> Self {
        Self {
            stack: Vec::with_capacity(64),
            size: 0,
        }
    }

    /// The number of leaves pushed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends the hash of the next leaf.
    pub fn push(&mut self, leaf_hash: Hash) {
        let mut hash = leaf_hash;
        // Each trailing one bit of `size` is a perfect subtree of the same height as `hash`
        // that sits just left of it: merge them, as a binary counter carries.
        let mut carries = self.size;
        while carries & 1 == 1 {
            match self.stack.pop() {
                Some(left) => hash = node_hash(&left, &hash),
                None => break,
            }
            carries >>= 1;
        }
        self.stack.push(hash);
        self.size = self.size.saturating_add(1);
    }

    /// The Merkle Tree Hash of the leaves pushed so far (`SHA-256("")` when there are none).
    pub fn root(&self) -> Hash {
        let mut subtrees = self.stack.iter().rev();
        match subtrees.next() {
            None => empty_root(),
            Some(last) => subtrees.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

/// The Merkle Tree Hash of a list of leaf hashes
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>).
///
/// `leaf_hashes[i]` must already be `leaf_hash(d(i))`. An empty list gives `SHA-256("")`.
pub fn root_from_leaf_hashes(leaf_hashes: &[Hash]) -> Hash {
    let mut range = CompactRange::new();
    leaf_hashes.iter().for_each(|h| range.push(*h));
    range.root()
}

/// The Merkle Tree Hash of a list of leaves, hashing each with [`leaf_hash`] on the way
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>).
pub fn root_from_leaves<'a, I>(leaves: I) -> Hash
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut range = CompactRange::new();
    leaves.into_iter().for_each(|d| range.push(leaf_hash(d)));
    range.root()
}
