//! The one error type of this crate.

use crate::hash::Hash;
use std::fmt;

/// Everything that can go wrong in this crate.
///
/// Messages follow Cedar's rules: lowercase, no full stop, and they carry the sizes involved so
/// that a failed proof can be diagnosed from the message alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A leaf index is not inside the tree.
    #[error("leaf index {index} is beyond tree size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("old tree size {old_size} is greater than new tree size {new_size}")]
    SizeOrder {
        /// The size of the older tree.
        old_size: u64,
        /// The size of the newer tree.
        new_size: u64,
    },
    /// A byte string that should hold whole 32-byte hashes does not.
    #[error("{what} has length {len}, want {want}")]
    HashLength {
        /// What the bytes were meant to be, such as `proof` or `root`.
        what: &'static str,
        /// The length received.
        len: usize,
        /// The length wanted, or a description of it.
        want: Want,
    },
    /// An inclusion proof has the wrong number of hashes for its index and tree size.
    #[error(
        "inclusion proof for leaf index {index} in tree size {size} has {got} hashes, want {want}"
    )]
    InclusionProofSize {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
        /// The number of hashes received.
        got: usize,
        /// The number of hashes RFC 9162 gives for this index and size.
        want: usize,
    },
    /// An inclusion proof hashes to a different root.
    #[error("inclusion proof for leaf index {index} in tree size {size} gives root {calculated}, want {expected}")]
    InclusionRootMismatch {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
        /// The root that the proof hashes to.
        calculated: HexHash,
        /// The root that was expected.
        expected: HexHash,
    },
    /// A consistency proof has the wrong number of hashes for its tree sizes.
    #[error(
        "consistency proof from tree size {old_size} to {new_size} has {got} hashes, want {want}"
    )]
    ConsistencyProofSize {
        /// The size of the older tree.
        old_size: u64,
        /// The size of the newer tree.
        new_size: u64,
        /// The number of hashes received.
        got: usize,
        /// The number of hashes RFC 9162 gives for these sizes.
        want: usize,
    },
    /// A consistency proof does not lead to one of the two roots.
    #[error("consistency proof from tree size {old_size} to {new_size} does not match the {side} root: got {calculated}, want {expected}")]
    ConsistencyRootMismatch {
        /// The size of the older tree.
        old_size: u64,
        /// The size of the newer tree.
        new_size: u64,
        /// Which root did not match.
        side: RootSide,
        /// The root that the proof hashes to.
        calculated: HexHash,
        /// The root that was expected.
        expected: HexHash,
    },
    /// The text is not I-JSON (RFC 7493) and so cannot be canonicalized by RFC 8785.
    #[error("invalid json: {message}")]
    InvalidJson {
        /// What the parser or serializer reported.
        message: String,
    },
}

/// Two classes of [`Error`], for callers that only need to tell bad input from a bad proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is malformed: a bad length, an index out of range, invalid JSON.
    InvalidInput,
    /// The input is well formed but the proof does not verify.
    ProofInvalid,
}

impl Error {
    /// Whether this error means malformed input or a proof that does not verify.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::IndexOutOfRange { .. }
            | Self::SizeOrder { .. }
            | Self::HashLength { .. }
            | Self::InvalidJson { .. } => ErrorKind::InvalidInput,
            Self::InclusionProofSize { .. }
            | Self::InclusionRootMismatch { .. }
            | Self::ConsistencyProofSize { .. }
            | Self::ConsistencyRootMismatch { .. } => ErrorKind::ProofInvalid,
        }
    }
}

/// Which root of a consistency proof failed to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSide {
    /// The root of the older, smaller tree.
    Old,
    /// The root of the newer, larger tree.
    New,
}

impl fmt::Display for RootSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Old => "old",
            Self::New => "new",
        })
    }
}

/// The length wanted for a byte string of hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Exactly this many bytes.
    Exactly(usize),
    /// A multiple of this many bytes.
    MultipleOf(usize),
}

impl fmt::Display for Want {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exactly(n) => write!(f, "{n}"),
            Self::MultipleOf(n) => write!(f, "a multiple of {n}"),
        }
    }
}

/// A hash that prints as lowercase hex in error messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexHash(pub Hash);

impl fmt::Display for HexHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for HexHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
