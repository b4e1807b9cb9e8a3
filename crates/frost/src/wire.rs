//! Byte formats that cross the WASM boundary. Integers are big-endian.
//!
//! Public data uses the RFC 9591 encodings of
//! [§6.1](https://www.rfc-editor.org/rfc/rfc9591#section-6.1) (32-byte compressed Edwards points,
//! 32-byte little-endian scalars), so any RFC 9591 implementation can produce or check it:
//!
//! ```text
//! identifier      u16, 1..=65535
//! commitments     hiding nonce commitment (32) || binding nonce commitment (32)   = 64 bytes
//! signature share z_i (32)
//! signature       R (32) || z (32), a plain RFC 8032 Ed25519 signature
//! public package  t u16 || n u16 || group key (32) || n x (identifier u16 || verifying share (32)),
//!                 identifiers ascending
//! share (secret)  0x01 || identifier u16 || signing share (32) || public package
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use frost_ed25519::keys::{KeyPackage, PublicKeyPackage, SigningShare, VerifyingShare};
use frost_ed25519::round1::{NonceCommitment, SigningCommitments};
use frost_ed25519::{Identifier, VerifyingKey};
use zeroize::Zeroizing;

use crate::error::{id_number, Error};

/// Bytes in a point or a scalar.
pub const ELEMENT_LEN: usize = 32;
/// Bytes in a participant's round-1 commitments.
pub const COMMITMENTS_LEN: usize = 64;
/// Bytes in a signature.
pub const SIGNATURE_LEN: usize = 64;
/// The version byte of the share format.
pub const SHARE_VERSION: u8 = 1;

/// The frost identifier of participant `n`.
pub fn identifier(n: u16) -> Result<Identifier, Error> {
    Identifier::try_from(n).map_err(|_| Error::invalid(format!("identifier {n} is not in 1..=65535")))
}

/// The number of a frost identifier (always a small integer in Kee).
pub fn number(id: &Identifier) -> Result<u16, Error> {
    id_number(id).ok_or_else(|| Error::invalid("identifier is not a small integer"))
}

/// Reads a byte string field by field.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, bytes: &'a [u8]) -> Self {
        Self { rest: bytes, what }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or_else(|| {
            Error::invalid(format!("{} is truncated: want {n} more bytes, have {}", self.what, self.rest.len()))
        })?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        match self.take(2)? {
            [a, b] => Ok(u16::from_be_bytes([*a, *b])),
            _ => Err(Error::invalid(format!("{} is truncated", self.what))),
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        match self.take(1)? {
            [a] => Ok(*a),
            _ => Err(Error::invalid(format!("{} is truncated", self.what))),
        }
    }

    pub(crate) fn end(&self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid(format!("{} has {} trailing bytes", self.what, self.rest.len())))
        }
    }
}

/// Splits `bytes` into `size`-byte chunks, checking the length is `count * size`.
pub fn chunks<'a>(what: &str, bytes: &'a [u8], size: usize, count: usize) -> Result<Vec<&'a [u8]>, Error> {
    if size == 0 || bytes.len() != count.saturating_mul(size) {
        return Err(Error::invalid(format!(
            "{what} is {} bytes, want {count} x {size}",
            bytes.len()
        )));
    }
    Ok(bytes.chunks(size).collect())
}

/// A participant's RFC 9591 commitments from their 64-byte form.
///
/// Parsing checks that each point is on the curve, not the identity and of prime order; the
/// last check is a scalar multiplication, the largest cost of a signature after the protocol's
/// own. In one process the same commitments are parsed several times per signature (by each
/// other signer in round 2 and by the coordinator), so the results are remembered in a small
/// [`Seen`] memo: a pure function of public bytes, remembered, cannot change any answer.
pub fn commitments_from_bytes(bytes: &[u8]) -> Result<SigningCommitments, Error> {
    let key: &[u8; COMMITMENTS_LEN] = bytes.try_into().map_err(|_| {
        Error::invalid(format!("commitments are {} bytes, want {COMMITMENTS_LEN}", bytes.len()))
    })?;
    if let Some(c) = Seen::get(key) {
        return Ok(c);
    }
    let (hiding, binding) = key.split_at(ELEMENT_LEN);
    let parsed = SigningCommitments::new(NonceCommitment::deserialize(hiding)?, NonceCommitment::deserialize(binding)?);
    Seen::put(*key, parsed);
    Ok(parsed)
}

/// The last [`Seen::CAPACITY`] commitments parsed (or made by a participant of this process),
/// shared by every participant and coordinator in the process. It holds only public values and
/// only what [`NonceCommitment::deserialize`] returned for those bytes, or, for a participant's
/// own fresh commitments, what it would return (RFC 9591 encodings are canonical).
struct Seen {
    map: HashMap<[u8; COMMITMENTS_LEN], SigningCommitments>,
    order: VecDeque<[u8; COMMITMENTS_LEN]>,
}

static SEEN: Mutex<Option<Seen>> = Mutex::new(None);

impl Seen {
    /// Enough for the open sessions of a few participants; older entries are forgotten.
    const CAPACITY: usize = 256;

    fn get(key: &[u8; COMMITMENTS_LEN]) -> Option<SigningCommitments> {
        // A poisoned lock (a panic elsewhere while holding it) only disables the memo.
        let guard = SEEN.lock().ok()?;
        guard.as_ref()?.map.get(key).copied()
    }

    fn put(key: [u8; COMMITMENTS_LEN], value: SigningCommitments) {
        let Ok(mut guard) = SEEN.lock() else { return };
        let seen = guard.get_or_insert_with(|| Seen {
            map: HashMap::with_capacity(Self::CAPACITY),
            order: VecDeque::with_capacity(Self::CAPACITY),
        });
        if seen.map.insert(key, value).is_none() {
            seen.order.push_back(key);
            while seen.order.len() > Self::CAPACITY {
                if let Some(old) = seen.order.pop_front() {
                    seen.map.remove(&old);
                }
            }
        }
    }
}

/// Remembers a participant's own fresh commitments with their 64-byte form (see [`Seen`]).
pub(crate) fn remember_own_commitments(bytes: &[u8], c: &SigningCommitments) {
    if let Ok(key) = <[u8; COMMITMENTS_LEN]>::try_from(bytes) {
        Seen::put(key, *c);
    }
}

/// The 64-byte form of a participant's commitments.
pub fn commitments_to_bytes(c: &SigningCommitments) -> Result<Vec<u8>, Error> {
    let mut out = c.hiding().serialize()?;
    out.extend(c.binding().serialize()?);
    Ok(out)
}

/// Reads the commitments of the signers (`ids` in any order, `commitments` = ids.len() x 64).
pub fn commitment_map(ids: &[u16], commitments: &[u8]) -> Result<BTreeMap<Identifier, SigningCommitments>, Error> {
    let parts = chunks("commitments", commitments, COMMITMENTS_LEN, ids.len())?;
    let mut map = BTreeMap::new();
    for (n, part) in ids.iter().zip(parts) {
        if map.insert(identifier(*n)?, commitments_from_bytes(part)?).is_some() {
            return Err(Error::invalid(format!("participant {n} appears twice")));
        }
    }
    Ok(map)
}

/// [`commitment_map`] for a participant that knows its own commitments: the entry of `me` is not
/// parsed again (each parse checks the points' order, a scalar multiplication per point) but
/// compared byte for byte with `mine_bytes` and, when equal, taken from `mine`. Returns the map
/// and whether `me` was among `ids` with exactly those bytes; every other entry is parsed and
/// checked as [`commitment_map`] does. RFC 9591 encodings are canonical (a non-canonical
/// encoding never decodes to a prime-order point), so equal points means equal bytes.
pub fn commitment_map_with_own(
    ids: &[u16],
    commitments: &[u8],
    me: u16,
    mine: &SigningCommitments,
    mine_bytes: &[u8],
) -> Result<(BTreeMap<Identifier, SigningCommitments>, bool), Error> {
    let parts = chunks("commitments", commitments, COMMITMENTS_LEN, ids.len())?;
    let mut map = BTreeMap::new();
    let mut own = false;
    for (n, part) in ids.iter().zip(parts) {
        let parsed = if *n == me && part == mine_bytes {
            own = true;
            *mine
        } else {
            commitments_from_bytes(part)?
        };
        if map.insert(identifier(*n)?, parsed).is_some() {
            return Err(Error::invalid(format!("participant {n} appears twice")));
        }
    }
    Ok((map, own))
}

/// The public side of a key: threshold, group key and every participant's verifying share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicPackage(pub(crate) PublicKeyPackage);

impl PublicPackage {
    /// Wraps frost's package; it must carry its threshold and small-integer identifiers.
    pub fn new(p: PublicKeyPackage) -> Result<Self, Error> {
        let t = p.min_signers().ok_or_else(|| Error::invalid("public package has no threshold"))?;
        if t < crate::MIN_THRESHOLD || usize::from(t) > p.verifying_shares().len() {
            return Err(Error::invalid(format!(
                "public package has threshold {t} for {} participants",
                p.verifying_shares().len()
            )));
        }
        for id in p.verifying_shares().keys() {
            number(id)?;
        }
        Ok(Self(p))
    }

    /// frost's package.
    pub fn inner(&self) -> &PublicKeyPackage {
        &self.0
    }

    /// The threshold t.
    pub fn threshold(&self) -> u16 {
        self.0.min_signers().unwrap_or(0)
    }

    /// The identifiers, ascending.
    pub fn identifiers(&self) -> Vec<u16> {
        self.0.verifying_shares().keys().filter_map(id_number).collect()
    }

    /// The 32-byte group key, a plain Ed25519 public key.
    pub fn group_key(&self) -> Result<Vec<u8>, Error> {
        Ok(self.0.verifying_key().serialize()?)
    }

    /// The public package format (see the module docs).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let shares = self.0.verifying_shares();
        let n = u16::try_from(shares.len()).map_err(|_| Error::invalid("too many participants"))?;
        let mut out = Vec::with_capacity(4 + ELEMENT_LEN + shares.len() * (2 + ELEMENT_LEN));
        out.extend(self.threshold().to_be_bytes());
        out.extend(n.to_be_bytes());
        out.extend(self.group_key()?);
        for (id, share) in shares {
            out.extend(number(id)?.to_be_bytes());
            out.extend(share.serialize()?);
        }
        Ok(out)
    }

    /// Parses the public package format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new("public package", bytes);
        let p = Self::read(&mut r)?;
        r.end()?;
        Ok(p)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let t = r.u16()?;
        let n = r.u16()?;
        let group_key = VerifyingKey::deserialize(r.take(ELEMENT_LEN)?)?;
        let mut shares = BTreeMap::new();
        let mut last = 0;
        for _ in 0..n {
            let id = r.u16()?;
            if id <= last {
                return Err(Error::invalid(format!("public package identifiers are not ascending at {id}")));
            }
            last = id;
            shares.insert(identifier(id)?, VerifyingShare::deserialize(r.take(ELEMENT_LEN)?)?);
        }
        Self::new(PublicKeyPackage::new(shares, group_key, Some(t)))
    }
}

/// The secret share format (see the module docs), for at-rest storage by the caller.
pub fn share_to_bytes(key: &KeyPackage, public: &PublicPackage) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut out = Zeroizing::new(Vec::with_capacity(256));
    out.push(SHARE_VERSION);
    out.extend(number(key.identifier())?.to_be_bytes());
    out.extend(key.signing_share().serialize().iter());
    out.extend(public.to_bytes()?);
    Ok(out)
}

/// Parses the secret share format, checking the share against its verifying share.
pub fn share_from_bytes(bytes: &[u8]) -> Result<(KeyPackage, PublicPackage), Error> {
    let mut r = Reader::new("share", bytes);
    let version = r.u8()?;
    if version != SHARE_VERSION {
        return Err(Error::invalid(format!("share format version is {version}, want {SHARE_VERSION}")));
    }
    let n = r.u16()?;
    let id = identifier(n)?;
    let signing_share = SigningShare::deserialize(r.take(ELEMENT_LEN)?)?;
    let public = PublicPackage::read(&mut r)?;
    r.end()?;
    let verifying_share = *public
        .0
        .verifying_shares()
        .get(&id)
        .ok_or_else(|| Error::invalid(format!("participant {n} is not in the public package")))?;
    if VerifyingShare::from(signing_share) != verifying_share {
        return Err(Error::invalid(format!(
            "the signing share of participant {n} does not match its verifying share"
        )));
    }
    let key = KeyPackage::new(id, signing_share, verifying_share, *public.0.verifying_key(), public.threshold());
    Ok((key, public))
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}
