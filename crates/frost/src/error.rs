//! One error enum for the crate (frost-core style): it names who misbehaved.

use frost_ed25519::Identifier;

/// What kind of failure an [`Error`] is, for the bindings' stable codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed or inconsistent arguments.
    InvalidInput,
    /// A well-formed request that cannot be signed or verified.
    SignerFailed,
    /// A second round 2 for a session whose nonces were already used.
    NonceReuse,
    /// A participant sent a share that does not verify; the error names it.
    InvalidShare,
}

/// A FROST failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed or inconsistent arguments.
    #[error("{0}")]
    InvalidInput(String),
    /// Round 2 already ran for this session: its nonces are gone and will never be reused.
    #[error("round 2 already ran for session `{session}`: its nonces were used once and erased")]
    NonceReuse {
        /// The session id, hex.
        session: String,
    },
    /// Shares (signature shares, DKG shares or proofs of knowledge) that do not verify.
    #[error("invalid share from participant {}: {reason}", list(.culprits))]
    InvalidShare {
        /// The identifiers of the participants who sent them.
        culprits: Vec<u16>,
        /// What failed.
        reason: String,
    },
    /// A refresh that would change the threshold.
    #[error("refresh keeps the threshold at {current}, got {requested}: {reason}")]
    Threshold {
        /// The group's threshold.
        current: u16,
        /// The requested one.
        requested: u16,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Any other frost-core failure (for example a signature that does not verify).
    #[error("{0}")]
    Frost(String),
}

fn list(ids: &[u16]) -> String {
    ids.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput(_) | Error::Threshold { .. } => ErrorKind::InvalidInput,
            Error::NonceReuse { .. } => ErrorKind::NonceReuse,
            Error::InvalidShare { .. } => ErrorKind::InvalidShare,
            Error::Frost(_) => ErrorKind::SignerFailed,
        }
    }

    /// The identifiers of the participants blamed, if any.
    pub fn culprits(&self) -> &[u16] {
        match self {
            Error::InvalidShare { culprits, .. } => culprits,
            _ => &[],
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }
}

/// The small-integer form of an identifier, when it has one.
pub(crate) fn id_number(id: &Identifier) -> Option<u16> {
    let bytes = id.serialize();
    let (low, high) = bytes.split_at_checked(2)?;
    if high.iter().any(|b| *b != 0) {
        return None;
    }
    match low {
        [a, b] => Some(u16::from_le_bytes([*a, *b])),
        _ => None,
    }
}

impl From<frost_ed25519::Error> for Error {
    fn from(e: frost_ed25519::Error) -> Self {
        let culprits: Vec<u16> = e.culprits().iter().filter_map(id_number).collect();
        match e {
            frost_ed25519::Error::InvalidSignatureShare { .. }
            | frost_ed25519::Error::InvalidProofOfKnowledge { .. }
            | frost_ed25519::Error::InvalidSecretShare { .. }
                if !culprits.is_empty() =>
            {
                Error::InvalidShare {
                    culprits,
                    reason: lower(&e.to_string()),
                }
            }
            frost_ed25519::Error::MalformedIdentifier
            | frost_ed25519::Error::MalformedSigningKey
            | frost_ed25519::Error::MalformedVerifyingKey
            | frost_ed25519::Error::MalformedSignature
            | frost_ed25519::Error::FieldError(_)
            | frost_ed25519::Error::GroupError(_)
            | frost_ed25519::Error::DuplicatedShares
            | frost_ed25519::Error::InvalidCoefficient
            | frost_ed25519::Error::InvalidMinSigners
            | frost_ed25519::Error::InvalidMaxSigners
            | frost_ed25519::Error::IncorrectNumberOfPackages
            | frost_ed25519::Error::IncorrectNumberOfIdentifiers
            | frost_ed25519::Error::IncorrectNumberOfCommitments
            | frost_ed25519::Error::IncorrectNumberOfShares
            | frost_ed25519::Error::UnknownIdentifier
            | frost_ed25519::Error::DuplicatedIdentifier
            | frost_ed25519::Error::MissingCommitment
            | frost_ed25519::Error::IncorrectCommitment
            | frost_ed25519::Error::PackageNotFound
            | frost_ed25519::Error::IncorrectPackage
            | frost_ed25519::Error::IdentityCommitment
            | frost_ed25519::Error::InvalidCoefficients
            | frost_ed25519::Error::DeserializationError
            | frost_ed25519::Error::SerializationError => Error::InvalidInput(lower(&e.to_string())),
            _ => Error::Frost(lower(&e.to_string())),
        }
    }
}

/// frost-core's messages start with a capital and may end with a full stop; ours do not.
fn lower(s: &str) -> String {
    let s = s.trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
