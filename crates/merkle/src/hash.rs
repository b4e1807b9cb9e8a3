//! The RFC 9162 hashes.
//!
//! RFC 9162 §2.1.1 (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>) separates leaves
//! from interior nodes by a one-byte prefix, so that no leaf can be passed off as a node.

use crate::error::{Error, Want};
use sha2::{Digest, Sha256};

/// Size of a SHA-256 hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash.
pub type Hash = [u8; HASH_SIZE];

/// Prefix of a leaf hash input (RFC 9162 §2.1.1).
pub const LEAF_PREFIX: u8 = 0x00;

/// Prefix of an interior node hash input (RFC 9162 §2.1.1).
pub const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(data)`.
pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// The Merkle Tree Hash of an empty list: `SHA-256("")`
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>).
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// `MTH({d(0)}) = SHA-256(0x00 || d(0))`
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`, the hash of an interior node
/// (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Reads one 32-byte hash; `what` names it in the error.
pub fn hash_from_bytes(what: &'static str, bytes: &[u8]) -> Result<Hash, Error> {
    Hash::try_from(bytes).map_err(|_| Error::HashLength {
        what,
        len: bytes.len(),
        want: Want::Exactly(HASH_SIZE),
    })
}

/// Views a concatenation of 32-byte hashes as a slice of hashes, without copying; `what` names
/// it in the error.
pub fn hashes_from_bytes<'a>(what: &'static str, bytes: &'a [u8]) -> Result<&'a [Hash], Error> {
    let (chunks, rest) = bytes.as_chunks::<HASH_SIZE>();
    if rest.is_empty() {
        Ok(chunks)
    } else {
        Err(Error::HashLength {
            what,
            len: bytes.len(),
            want: Want::MultipleOf(HASH_SIZE),
        })
    }
}
