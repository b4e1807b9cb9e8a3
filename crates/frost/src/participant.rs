//! One FROST signer: its key package and the nonces of its open signing sessions.
//!
//! Nonces follow KEE-1 P2 and RFC 9591 §5.1: each round 1 draws fresh hedged nonces
//! (`nonce_generate`, 32 bytes from the OS CSPRNG hashed with the signing share) for one session;
//! they live only in this struct's memory, and round 2 removes them before it signs, so they are
//! used at most once. Nothing is pre-generated, cached across sessions, batched or persisted.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use frost_ed25519::keys::KeyPackage;
use frost_ed25519::round1::{SigningCommitments, SigningNonces};
use frost_ed25519::SigningPackage;
use rand_core::OsRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::wire::{self, PublicPackage};

/// At most this many sessions may wait for round 2 at once.
pub const MAX_OPEN_SESSIONS: usize = 64;
/// How many finished session ids a participant remembers, to name a replayed round 2.
const REMEMBERED_SESSIONS: usize = 4096;
/// Session ids are 1 to 64 bytes.
pub const MAX_SESSION_ID_LEN: usize = 64;

/// The nonces and commitments of one open session.
struct Open {
    nonces: SigningNonces,
    commitments: SigningCommitments,
    /// The 64-byte form of `commitments`, as round 1 returned it.
    bytes: Vec<u8>,
}

/// A FROST participant holding one share of the group key.
///
/// INVARIANT: the signing share and the nonces never leave this struct except through
/// [`Participant::export_share`], and every secret field zeroizes on drop.
pub struct Participant {
    key: KeyPackage,
    public: PublicPackage,
    open: BTreeMap<Vec<u8>, Open>,
    done: VecDeque<Vec<u8>>,
}

impl fmt::Debug for Participant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Participant")
            .field("identifier", &self.identifier())
            .field("threshold", &self.threshold())
            .field("signing_share", &"<redacted>")
            .field("open_sessions", &self.open.len())
            .finish()
    }
}

impl Zeroize for Participant {
    fn zeroize(&mut self) {
        self.key.zeroize();
        // Dropping the nonces zeroizes them (SigningNonces is ZeroizeOnDrop).
        self.open.clear();
    }
}

impl Drop for Participant {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Participant {}

fn check_session(session: &[u8]) -> Result<(), Error> {
    if session.is_empty() || session.len() > MAX_SESSION_ID_LEN {
        return Err(Error::invalid(format!(
            "session id is {} bytes, want 1 to {MAX_SESSION_ID_LEN}",
            session.len()
        )));
    }
    Ok(())
}

impl Participant {
    /// A participant from its key package and the group's public package.
    pub fn new(key: KeyPackage, public: PublicPackage) -> Result<Self, Error> {
        let id = wire::number(key.identifier())?;
        if public.inner().verifying_shares().get(key.identifier()) != Some(key.verifying_share())
            || public.inner().verifying_key() != key.verifying_key()
            || public.threshold() != *key.min_signers()
        {
            return Err(Error::invalid(format!(
                "the key package of participant {id} does not match the public package"
            )));
        }
        Ok(Self {
            key,
            public,
            open: BTreeMap::new(),
            done: VecDeque::new(),
        })
    }

    /// Reads a share exported by [`Participant::export_share`].
    pub fn import_share(bytes: &[u8]) -> Result<Self, Error> {
        let (key, public) = wire::share_from_bytes(bytes)?;
        Self::new(key, public)
    }

    /// The share in the secret share format, for encrypted at-rest storage by the caller.
    pub fn export_share(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        wire::share_to_bytes(&self.key, &self.public)
    }

    /// This participant's identifier.
    pub fn identifier(&self) -> u16 {
        wire::number(self.key.identifier()).unwrap_or(0)
    }

    /// The threshold t.
    pub fn threshold(&self) -> u16 {
        *self.key.min_signers()
    }

    /// The group's public package.
    pub fn public(&self) -> &PublicPackage {
        &self.public
    }

    pub(crate) fn key(&self) -> &KeyPackage {
        &self.key
    }

    /// How many sessions wait for round 2.
    pub fn open_sessions(&self) -> usize {
        self.open.len()
    }

    /// Round 1 ([RFC 9591 §5.1](https://www.rfc-editor.org/rfc/rfc9591#section-5.1)): draws fresh
    /// nonces for `session` and returns their 64-byte commitments. Refused when the session id was
    /// seen before.
    pub fn round1(&mut self, session: &[u8]) -> Result<Vec<u8>, Error> {
        check_session(session)?;
        if self.open.contains_key(session) || self.done.iter().any(|s| s == session) {
            return Err(Error::NonceReuse {
                session: wire::to_hex(session),
            });
        }
        if self.open.len() >= MAX_OPEN_SESSIONS {
            return Err(Error::invalid(format!(
                "participant {} has {MAX_OPEN_SESSIONS} open sessions: finish or cancel one first",
                self.identifier()
            )));
        }
        let (nonces, commitments) = frost_ed25519::round1::commit(self.key.signing_share(), &mut OsRng);
        let bytes = wire::commitments_to_bytes(&commitments)?;
        wire::remember_own_commitments(&bytes, &commitments);
        self.open.insert(
            session.to_vec(),
            Open {
                nonces,
                commitments,
                bytes: bytes.clone(),
            },
        );
        Ok(bytes)
    }

    /// Round 2 ([RFC 9591 §5.2](https://www.rfc-editor.org/rfc/rfc9591#section-5.2)): signs
    /// `message` for `session` given every signer's commitments (`ids`, and `commitments` =
    /// ids.len() x 64 bytes), returning the 32-byte signature share. The session's nonces are
    /// erased before signing, whatever the outcome, so a second round 2 is refused.
    pub fn round2(&mut self, session: &[u8], message: &[u8], ids: &[u16], commitments: &[u8]) -> Result<Vec<u8>, Error> {
        check_session(session)?;
        let Some(open) = self.open.remove(session) else {
            return Err(if self.done.iter().any(|s| s == session) {
                Error::NonceReuse {
                    session: wire::to_hex(session),
                }
            } else {
                Error::invalid(format!("no round 1 for session `{}`", wire::to_hex(session)))
            });
        };
        self.remember(session);
        let (map, own) = wire::commitment_map_with_own(ids, commitments, self.identifier(), &open.commitments, &open.bytes)?;
        if !own || map.get(self.key.identifier()) != Some(&open.commitments) {
            return Err(Error::invalid(format!(
                "the commitments for participant {} are not the ones it made for session `{}`",
                self.identifier(),
                wire::to_hex(session)
            )));
        }
        let package = SigningPackage::new(map, message);
        let share = frost_ed25519::round2::sign(&package, &open.nonces, &self.key)?;
        drop(open);
        Ok(share.serialize())
    }

    /// Drops the nonces of an open session (a coordinator gave up on it). Returns whether it was open.
    pub fn cancel(&mut self, session: &[u8]) -> bool {
        let was_open = self.open.remove(session).is_some();
        if was_open {
            self.remember(session);
        }
        was_open
    }

    fn remember(&mut self, session: &[u8]) {
        if self.done.len() >= REMEMBERED_SESSIONS {
            self.done.pop_front();
        }
        self.done.push_back(session.to_vec());
    }
}
