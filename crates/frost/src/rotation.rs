//! Rotation without a new group key: share refresh ([`crate::Dkg::refresh`]) and share repair
//! (frost-core `keys::repairable`, the repairable threshold scheme of Laing and Stinson).
//!
//! Repair restores the share of a participant who lost it, with the help of at least t others:
//! each helper calls [`Participant::repair_deltas`] and sends delta j to helper j; each helper
//! sums what it received with [`repair_sigma`] and sends the sum to the lost participant, who
//! calls [`Participant::repaired`]. Deltas and sigmas are secret: send them only to their
//! recipient, over a confidential authenticated channel.

use frost_ed25519::keys::repairable::{self, Delta, Sigma};
use frost_ed25519::keys::VerifyingShare;
use frost_ed25519::Ed25519Sha512;
use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::participant::Participant;
use crate::wire::{self, PublicPackage, ELEMENT_LEN};

impl Participant {
    /// Repair step 1, run by each helper: the deltas this helper sends to each helper
    /// (itself included), in the order of `helpers` sorted ascending, to restore `lost`'s share.
    pub fn repair_deltas(&self, helpers: &[u16], lost: u16) -> Result<Vec<(u16, Zeroizing<Vec<u8>>)>, Error> {
        if helpers.contains(&lost) {
            return Err(Error::invalid(format!("participant {lost} cannot help repair its own share")));
        }
        if !self.public().identifiers().contains(&lost) {
            return Err(Error::invalid(format!("participant {lost} is not in the group")));
        }
        let ids = helpers.iter().map(|n| wire::identifier(*n)).collect::<Result<Vec<_>, _>>()?;
        let deltas = repairable::repair_share_part1::<Ed25519Sha512, _>(&ids, self.key(), &mut OsRng, wire::identifier(lost)?)?;
        deltas
            .into_iter()
            .map(|(id, d)| Ok((wire::number(&id)?, Zeroizing::new(d.serialize()))))
            .collect()
    }

    /// Repair step 3, run by the participant who lost its share: its share from the helpers'
    /// sigmas (`sigmas` = k x 32 bytes) and the group's public package, checked against the
    /// verifying share the group already knows.
    pub fn repaired(sigmas: &[u8], lost: u16, public: PublicPackage) -> Result<Participant, Error> {
        let count = sigmas.len() / ELEMENT_LEN;
        if count < usize::from(public.threshold()) {
            return Err(Error::invalid(format!(
                "{count} sigmas, want one from each of at least {} helpers",
                public.threshold()
            )));
        }
        let sigmas = wire::chunks("sigmas", sigmas, ELEMENT_LEN, count)?
            .into_iter()
            .map(Sigma::deserialize)
            .collect::<Result<Vec<_>, _>>()?;
        let id = wire::identifier(lost)?;
        let key = repairable::repair_share_part3(&sigmas, id, public.inner())?;
        let expected = public.inner().verifying_shares().get(&id);
        if expected != Some(&VerifyingShare::from(*key.signing_share())) {
            return Err(Error::Frost(format!(
                "the repaired share of participant {lost} does not match its verifying share: a helper sent a wrong value"
            )));
        }
        Participant::new(key, public)
    }
}

/// Repair step 2, run by each helper: the sum of the deltas it received (k x 32 bytes).
pub fn repair_sigma(deltas: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let count = deltas.len() / ELEMENT_LEN;
    let deltas = wire::chunks("deltas", deltas, ELEMENT_LEN, count)?
        .into_iter()
        .map(Delta::deserialize)
        .collect::<Result<Vec<_>, _>>()?;
    if deltas.is_empty() {
        return Err(Error::invalid("no deltas"));
    }
    Ok(Zeroizing::new(repairable::repair_share_part2(&deltas).serialize()))
}
