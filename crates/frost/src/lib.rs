//! FROST(Ed25519, SHA-512) threshold signing for Kee, a thin facade over the pinned
//! [`frost-ed25519`](https://docs.rs/frost-ed25519/3.0.0) crate.
//!
//! * [`participant`]: one signer. It holds its key package and, per signing session, the nonces
//!   it drew in round 1 ([RFC 9591 §5.1](https://www.rfc-editor.org/rfc/rfc9591#section-5.1));
//!   round 2 ([§5.2](https://www.rfc-editor.org/rfc/rfc9591#section-5.2)) consumes them, so a
//!   second round 2 for the same session is refused.
//! * [`coordinator`]: aggregation ([§5.3](https://www.rfc-editor.org/rfc/rfc9591#section-5.3)),
//!   naming the participants whose shares do not verify
//!   ([§5.4](https://www.rfc-editor.org/rfc/rfc9591#section-5.4)), and plain Ed25519
//!   verification.
//! * [`keygen`]: the trusted dealer of [RFC 9591 Appendix C](https://www.rfc-editor.org/rfc/rfc9591#appendix-C)
//!   (development only) and the Pedersen DKG of frost-core (`keys::dkg`), which KEE-1 §7 requires.
//! * [`rotation`]: share refresh (same group key, same threshold; lowering t is refused) and
//!   repair of a lost share (`keys::repairable`).
//! * [`wire`]: the byte formats that cross the WASM boundary. Public data uses RFC 9591 encodings
//!   (32-byte points and scalars), so other implementations can take part in a signature.
//! * [`vectors`]: the RFC 9591 Appendix E.1 test-vector check, shared by the Rust tests and the
//!   WASM build.
//!
//! Identifiers are the small integers `1..=n` (RFC 9591 §4.1 allows any non-zero scalar).
//! Randomness comes from the OS CSPRNG through `getrandom` (`crypto.getRandomValues` on wasm32).

pub mod coordinator;
pub mod error;
pub mod keygen;
pub mod participant;
pub mod rotation;
pub mod vectors;
pub mod wire;

pub use coordinator::{aggregate, verify};
pub use error::{Error, ErrorKind};
pub use keygen::{trusted_dealer, Dkg};
pub use participant::Participant;
pub use rotation::repair_sigma;
pub use wire::PublicPackage;

/// The smallest threshold KEE-1 allows (P2: default (t, n) = (2, 3), configurable upward only).
pub const MIN_THRESHOLD: u16 = 2;
/// The smallest number of participants at key generation.
pub const MIN_PARTICIPANTS: u16 = 3;
