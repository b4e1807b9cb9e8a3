//! Indexed Cedar policy evaluation for Kee, over the `cedar-policy` crate.
//!
//! A [`LoadedSet`] holds a parsed policy set (policies and templates keyed by their `@id`
//! annotation, template links applied, optionally validated against a schema), its scope
//! [`index`], and its `cedar_policy_hash` ([`hash`], KEE-1 digest §4.1). Each request is
//! evaluated by `cedar_policy::Authorizer` on only the policies whose scope can match it, so
//! that the cost of a decision grows with the policies that can apply and not with the size
//! of the set. The answer is Cedar's: the decision, the determining policies and the errors
//! of the policies Cedar skipped ([`Evaluation`]).
//!
//! An [`EntityStore`] ([`store`]) holds entities parsed (and transitively closed) once, so that a
//! request needs to carry only its principal, action, resource and context
//! ([`LoadedSet::evaluate_stored_json`]); entities a request does carry replace or extend the
//! stored ones for that request.
//!
//! This crate reports exactly what Cedar reports; it is the kernel that DENYs when any
//! policy raised an error (KEE-1 digest §2.10, fail-closed).
//!
//! ```
//! use kee_policy::{LoadedSet, Source};
//! let set = LoadedSet::load(&Source {
//!     policies: r#"@id("read") permit (principal, action == Action::"read", resource);"#.into(),
//!     ..Source::default()
//! })?;
//! let answer = set.evaluate_json(
//!     r#"{"principal": {"type": "Agent", "id": "a"}, "action": {"type": "Action", "id": "read"},
//!        "resource": {"type": "Doc", "id": "d"}, "context": {}, "entities": []}"#,
//! )?;
//! assert!(answer.allow);
//! assert_eq!(answer.reasons, ["read"]);
//! # Ok::<(), kee_policy::Error>(())
//! ```

pub mod error;
pub mod evaluate;
pub mod fast;
pub mod hash;
pub mod index;
pub mod load;
pub mod names;
pub mod parts;
pub mod scope;
pub mod store;
pub mod subsets;
mod text;

pub use error::Error;
pub use evaluate::{Evaluation, PolicyError, RequestJson};
pub use hash::cedar_policy_hash;
pub use load::{Link, LoadedSet, Source};
pub use parts::policy_set_parts_json;
pub use store::EntityStore;
