//! The *plan* half of proofs: which nodes a proof is made of, without hashing anything.
//!
//! Proof generation is split in two, as in transparency-dev/merkle: a plan lists the
//! [`NodeId`]s to fetch, and the caller (an in-memory [`crate::Tree`], or storage) supplies
//! their hashes. The plans follow the recursive definitions of RFC 9162 §2.1.3.1
//! (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1>) and §2.1.4.1
//! (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1>), unrolled into loops.
//!
//! # Node addressing
//!
//! A tree of `size` leaves is addressed level by level. Level 0 holds the leaves; node
//! `(level, index)` covers leaves `[index * 2^level, min((index + 1) * 2^level, size))`. A node
//! on the right edge of a tree that is not a perfect power of two covers fewer than `2^level`
//! leaves; its hash is still the RFC 9162 Merkle Tree Hash of the leaves it covers, because a
//! node with no right sibling is carried up unchanged (never duplicated):
//!
//! ```text
//!   size = 6      level 3:              (3,0) = root
//!                                     /          \
//!                 level 2:        (2,0)          (2,1)  covers leaves 4..6
//!                                /     \           |
//!                 level 1:    (1,0)   (1,1)      (1,2)
//!                             /  \    /  \       /  \
//!                 level 0:   0    1  2    3     4    5
//! ```
//!
//! Every subtree that the RFC's split rule produces (left parts are perfect and aligned, right
//! parts are perfect or end at `size`) is exactly one such node.

use crate::error::Error;

/// A node of a tree of known size: see the module docs for the addressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    /// Height above the leaves; leaves are level 0.
    pub level: u32,
    /// Position within the level, counted from the left from 0.
    pub index: u64,
}

impl NodeId {
    /// The node covering leaves `[start, end)`, which must be a subtree produced by the RFC
    /// 9162 split rule: `end > start`, and `start` a multiple of the smallest power of two
    /// `>= end - start`.
    pub fn covering(start: u64, end: u64) -> Self {
        let level = ceil_log2(end.saturating_sub(start));
        Self {
            level,
            index: start.checked_shr(level).unwrap_or(0),
        }
    }

    /// The leaves `[start, end)` that this node covers in a tree of `size` leaves.
    pub fn leaf_range(&self, size: u64) -> (u64, u64) {
        let start = self.index.checked_shl(self.level).unwrap_or(u64::MAX);
        let width = 1u64.checked_shl(self.level).unwrap_or(u64::MAX);
        let end = start.saturating_add(width).min(size);
        (start.min(size), end)
    }
}

/// The smallest `l` with `2^l >= n` (0 for `n <= 1`).
fn ceil_log2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        u64::BITS - (n - 1).leading_zeros()
    }
}

/// The largest power of two strictly less than `n`; requires `n >= 2`
/// (the `k` of <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>).
pub(crate) fn split_point(n: u64) -> u64 {
    1u64.checked_shl(ceil_log2(n).saturating_sub(1))
        .unwrap_or(0)
}

/// The nodes of the inclusion proof (audit path) of leaf `index` in a tree of `size` leaves,
/// in proof order: the leaf's sibling first, the root's child last
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1>).
///
/// Requires `index < size`; otherwise returns [`Error::IndexOutOfRange`].
pub fn inclusion_plan(index: u64, size: u64) -> Result<Vec<NodeId>, Error> {
    if index >= size {
        return Err(Error::IndexOutOfRange { index, size });
    }
    // PATH(m, D[lo:hi]) = PATH(m, D[lo:mid]) : MTH(D[mid:hi])  if m < mid
    //                   = PATH(m, D[mid:hi]) : MTH(D[lo:mid])  otherwise
    // Walking down from the root collects the siblings top first; the proof lists them
    // bottom first, hence the reverse at the end.
    let mut nodes = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            nodes.push(NodeId::covering(mid, hi));
            hi = mid;
        } else {
            nodes.push(NodeId::covering(lo, mid));
            lo = mid;
        }
    }
    nodes.reverse();
    Ok(nodes)
}

/// The nodes of the consistency proof between the tree of the first `old_size` leaves and the
/// tree of `new_size` leaves, in proof order
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1>).
///
/// Requires `old_size <= new_size`; otherwise returns [`Error::SizeOrder`]. The proof is empty
/// when `old_size` is 0 or equal to `new_size`.
pub fn consistency_plan(old_size: u64, new_size: u64) -> Result<Vec<NodeId>, Error> {
    if old_size > new_size {
        return Err(Error::SizeOrder { old_size, new_size });
    }
    let mut nodes = Vec::with_capacity(64);
    if old_size == 0 || old_size == new_size {
        return Ok(nodes);
    }
    // SUBPROOF(m, D[lo:hi], b), m counted from lo:
    //   m == hi - lo:  {} if b, else {MTH(D[lo:hi])}
    //   m <= k:        SUBPROOF(m, D[lo:lo+k], b) : MTH(D[lo+k:hi])
    //   m > k:         SUBPROOF(m - k, D[lo+k:hi], false) : MTH(D[lo:lo+k])
    // INVARIANT: lo < old_size <= hi, so every step shrinks [lo, hi) and the loop ends when
    // old_size == hi.
    let (mut lo, mut hi) = (0u64, new_size);
    let mut whole_old_tree = true;
    loop {
        if old_size == hi {
            if !whole_old_tree {
                nodes.push(NodeId::covering(lo, hi));
            }
            break;
        }
        let mid = lo + split_point(hi - lo);
        if old_size <= mid {
            nodes.push(NodeId::covering(mid, hi));
            hi = mid;
        } else {
            nodes.push(NodeId::covering(lo, mid));
            lo = mid;
            whole_old_tree = false;
        }
    }
    nodes.reverse();
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        let got: Vec<u64> = (2..=9).map(split_point).collect();
        assert_eq!(got, vec![1, 2, 2, 4, 4, 4, 4, 8]);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn covering_addresses_right_edge_nodes() {
        assert_eq!(NodeId::covering(4, 6), NodeId { level: 1, index: 2 });
        assert_eq!(NodeId::covering(4, 7), NodeId { level: 2, index: 1 });
        assert_eq!(NodeId::covering(4, 5), NodeId { level: 0, index: 4 });
        assert_eq!(NodeId { level: 2, index: 1 }.leaf_range(7), (4, 7));
    }

    #[test]
    fn plans_reject_bad_sizes() {
        assert_eq!(
            inclusion_plan(3, 3),
            Err(Error::IndexOutOfRange { index: 3, size: 3 })
        );
        assert_eq!(
            consistency_plan(4, 3),
            Err(Error::SizeOrder {
                old_size: 4,
                new_size: 3
            })
        );
        assert_eq!(consistency_plan(0, 3), Ok(vec![]));
        assert_eq!(consistency_plan(3, 3), Ok(vec![]));
    }

    #[test]
    fn plans_on_huge_trees_do_not_overflow() {
        let size = u64::MAX;
        assert_eq!(inclusion_plan(size - 1, size).map(|p| p.len()), Ok(63));
        assert!(consistency_plan(size - 1, size).is_ok());
    }
}
