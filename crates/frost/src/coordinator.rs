//! The coordinator: aggregation and verification. It holds no secrets.

use std::collections::BTreeMap;

use frost_ed25519::round2::SignatureShare;
use frost_ed25519::{CheaterDetection, Signature, SigningPackage, VerifyingKey};

use crate::error::Error;
use crate::wire::{self, PublicPackage, ELEMENT_LEN};

/// Aggregates the signature shares of the signers `ids` (with their 64-byte `commitments` and
/// 32-byte `shares`, both in the order of `ids`) into a 64-byte Ed25519 signature
/// ([RFC 9591 §5.3](https://www.rfc-editor.org/rfc/rfc9591#section-5.3)).
///
/// The result is returned only when it verifies under the group key (frost-core's
/// `aggregate_custom` checks it). When it does not, every share is checked
/// ([§5.4](https://www.rfc-editor.org/rfc/rfc9591#section-5.4)) and the error names all the
/// participants whose shares are invalid (or, if every share checks out, fails with
/// `invalid signature`).
pub fn aggregate(public: &PublicPackage, message: &[u8], ids: &[u16], commitments: &[u8], shares: &[u8]) -> Result<Vec<u8>, Error> {
    let t = usize::from(public.threshold());
    if ids.len() < t {
        return Err(Error::invalid(format!("{} signers, want at least the threshold {t}", ids.len())));
    }
    let map = wire::commitment_map(ids, commitments)?;
    let parts = wire::chunks("signature shares", shares, ELEMENT_LEN, ids.len())?;
    let mut share_map = BTreeMap::new();
    for (n, part) in ids.iter().zip(parts) {
        let share = SignatureShare::deserialize(part).map_err(|_| Error::InvalidShare {
            culprits: vec![*n],
            reason: "the signature share is not a canonical scalar".to_owned(),
        })?;
        share_map.insert(wire::identifier(*n)?, share);
    }
    let package = SigningPackage::new(map, message);
    let signature = frost_ed25519::aggregate_custom(&package, &share_map, public.inner(), CheaterDetection::AllCheaters)?;
    Ok(signature.serialize()?)
}

/// Verifies a 64-byte Ed25519 signature under a 32-byte group key (RFC 8032, cofactored as in
/// RFC 9591 §6.1).
pub fn verify(group_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let key = VerifyingKey::deserialize(group_key)?;
    let signature = Signature::deserialize(signature)?;
    key.verify(message, &signature)
        .map_err(|_| Error::Frost("signature does not verify".to_owned()))
}
