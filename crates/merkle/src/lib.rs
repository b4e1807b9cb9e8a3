//! RFC 9162 Merkle trees and RFC 8785 JSON canonicalization for Kee.
//!
//! This crate is the plain-Rust core that the `kee-wasm` bindings wrap. It has no WASM
//! dependency and never panics on any input (the workspace lints deny `unwrap`, `expect`,
//! `panic` and slice indexing).
//!
//! * [`hash`]: the RFC 9162 hashes with their domain-separation prefixes
//!   (<https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>).
//! * [`root`]: the Merkle Tree Hash (MTH) of a list of leaves, computed in one streaming pass.
//! * [`plan`]: the *plan* half of proofs: which tree nodes an inclusion or consistency proof
//!   is made of, as [`NodeId`]s, without hashing anything.
//! * [`tree`]: an in-memory [`Tree`] that keeps every level, for many proofs over one tree.
//! * [`proof`]: inclusion and consistency proof generation from leaf hashes
//!   (RFC 9162 §2.1.3.1 and §2.1.4.1).
//! * [`verify`]: the *verify* half: hash given proof nodes and compare against a root
//!   (RFC 9162 §2.1.3.2 and §2.1.4.2).
//! * [`jcs`]: RFC 8785 JSON canonicalization and `SHA-256(JCS(json))`.
//!
//! A Kee Session Block leaf is `leaf_hash(JCS(record))` (KEE-1 digest §4.2).

pub mod error;
pub mod hash;
pub mod jcs;
pub mod plan;
pub mod proof;
pub mod root;
pub mod tree;
pub mod verify;

pub use error::{Error, ErrorKind};
pub use hash::{empty_root, leaf_hash, node_hash, sha256, Hash, HASH_SIZE};
pub use plan::{consistency_plan, inclusion_plan, NodeId};
pub use proof::{all_inclusion_proofs, consistency_proof, inclusion_proof, AllInclusionProofs};
pub use root::{root_from_leaf_hashes, root_from_leaves, CompactRange};
pub use tree::Tree;
pub use verify::{root_from_inclusion_proof, verify_consistency, verify_inclusion};
