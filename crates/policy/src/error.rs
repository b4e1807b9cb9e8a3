//! The one error type of this crate.

/// Everything that can go wrong when loading a policy set or reading a request.
///
/// Policy *evaluation* errors are not here: Cedar skips an erroring policy and reports it in
/// [`crate::Evaluation::errors`], and so does this crate. Messages follow Cedar's rules:
/// lowercase, no full stop, user input in backticks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The policy text does not parse.
    #[error("policy set does not parse: {message}")]
    Parse {
        /// Cedar's parse errors.
        message: String,
    },
    /// A policy or template has no `@id` annotation (or an empty one).
    #[error("every policy needs an `@id` annotation: policy {position} has none")]
    MissingId {
        /// The 0-based position of the policy or template in the text.
        position: usize,
    },
    /// Two policies, templates or links share an id.
    #[error("policy id `{id}` appears twice")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// A template link is malformed or refers to a missing template.
    #[error("link `{id}` is invalid: {message}")]
    Link {
        /// The id of the linked policy.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The schema does not parse.
    #[error("schema does not parse: {message}")]
    Schema {
        /// Cedar's schema errors.
        message: String,
    },
    /// The policy set does not validate against the schema.
    #[error("policy set does not validate against the schema: {message}")]
    Validation {
        /// Cedar's validation errors, joined.
        message: String,
    },
    /// The request (principal, action, resource, context or entities) is malformed.
    #[error("request is invalid: {message}")]
    Request {
        /// What is wrong.
        message: String,
    },
    /// A policy could not be serialized to its Cedar JSON (EST) form for hashing.
    #[error("policy `{id}` has no json form: {message}")]
    Serialize {
        /// The policy id.
        id: String,
        /// Cedar's error.
        message: String,
    },
    /// An internal invariant did not hold; the caller must treat it as an engine fault.
    #[error("engine fault: {message}")]
    Engine {
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// `true` for faults of the engine itself (never caused by the input).
    pub fn is_engine_fault(&self) -> bool {
        matches!(self, Self::Engine { .. })
    }

    pub(crate) fn request(e: impl std::fmt::Display) -> Self {
        Self::Request {
            message: one_line(&e.to_string()),
        }
    }

    pub(crate) fn engine(e: impl std::fmt::Display) -> Self {
        Self::Engine {
            message: one_line(&e.to_string()),
        }
    }
}

/// Cedar's messages never break lines, but some nested ones do: fold them onto one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
