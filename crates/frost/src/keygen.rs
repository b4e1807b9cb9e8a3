//! Key generation: the trusted dealer (development only) and the distributed key generation.

use std::collections::BTreeMap;
use std::fmt;

use frost_ed25519::keys::dkg::{self, round1, round2};
use frost_ed25519::keys::{IdentifierList, KeyPackage};
use frost_ed25519::Identifier;
use rand_core::OsRng;

use crate::error::Error;
use crate::participant::Participant;
use crate::wire::{self, PublicPackage};
use crate::{MIN_PARTICIPANTS, MIN_THRESHOLD};

/// Checks a (t, n) configuration: t >= 2, n >= 3, t <= n (KEE-1 P2: (2, 3) or upward).
pub fn check_config(t: u16, n: u16) -> Result<(), Error> {
    if t < MIN_THRESHOLD || n < MIN_PARTICIPANTS || t > n {
        return Err(Error::invalid(format!(
            "(t, n) is ({t}, {n}), want t >= {MIN_THRESHOLD}, n >= {MIN_PARTICIPANTS} and t <= n"
        )));
    }
    Ok(())
}

/// Trusted-dealer key generation ([RFC 9591 Appendix C](https://www.rfc-editor.org/rfc/rfc9591#appendix-C)),
/// identifiers 1..=n. For development only: the dealer sees the group secret key.
pub fn trusted_dealer(t: u16, n: u16) -> Result<Vec<Participant>, Error> {
    check_config(t, n)?;
    let (shares, public) = frost_ed25519::keys::generate_with_dealer(n, t, IdentifierList::Default, OsRng)?;
    let public = PublicPackage::new(public)?;
    shares
        .into_values()
        .map(|share| Participant::new(KeyPackage::try_from(share)?, public.clone()))
        .collect()
}

/// Where a DKG run is.
enum Stage {
    Round1(round1::SecretPackage),
    Round2 {
        secret: round2::SecretPackage,
        round1: BTreeMap<Identifier, round1::Package>,
    },
    Done,
}

/// What a DKG run produces: a new key, or a refresh of an existing participant's share.
enum Kind {
    New,
    Refresh(Box<Participant>),
}

/// One participant's side of a DKG run (frost-core `keys::dkg`, the Pedersen DKG of the FROST
/// paper with proofs of knowledge), or of a share refresh (`keys::refresh`, the same three steps).
///
/// Each participant calls [`Dkg::start`] (or [`Dkg::refresh`]) and broadcasts the returned
/// round-1 package; then [`Dkg::part2`] with the others' round-1 packages, sending each returned
/// round-2 package to its recipient over a confidential channel; then [`Dkg::finish`] with the
/// round-2 packages it received.
pub struct Dkg {
    id: u16,
    stage: Stage,
    kind: Kind,
}

impl fmt::Debug for Dkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dkg").field("identifier", &self.id).field("secrets", &"<redacted>").finish()
    }
}

fn packages<P>(what: &str, own: u16, items: &[(u16, &[u8])], parse: impl Fn(&[u8]) -> Result<P, frost_ed25519::Error>) -> Result<BTreeMap<Identifier, P>, Error> {
    let mut map = BTreeMap::new();
    for (n, bytes) in items {
        if *n == own {
            return Err(Error::invalid(format!("{what} packages include participant {own}'s own")));
        }
        let package = parse(bytes).map_err(|_| Error::InvalidShare {
            culprits: vec![*n],
            reason: format!("malformed {what} package"),
        })?;
        if map.insert(wire::identifier(*n)?, package).is_some() {
            return Err(Error::invalid(format!("{what} packages name participant {n} twice")));
        }
    }
    Ok(map)
}

impl Dkg {
    /// Starts a DKG run as participant `id` of `n` with threshold `t`; returns the state and the
    /// round-1 package to broadcast (commitment and proof of knowledge: public).
    pub fn start(id: u16, t: u16, n: u16) -> Result<(Self, Vec<u8>), Error> {
        check_config(t, n)?;
        if id == 0 || id > n {
            return Err(Error::invalid(format!("identifier {id} is not in 1..={n}")));
        }
        let (secret, package) = dkg::part1(wire::identifier(id)?, n, t, OsRng)?;
        Ok((Self { id, stage: Stage::Round1(secret), kind: Kind::New }, package.serialize()?))
    }

    /// Starts a share refresh for `participant` among `n` participants (all of whom must take
    /// part; those left out are removed from the group) keeping the threshold `t`. Lowering t is
    /// refused; raising it needs a new ceremony.
    pub fn refresh(participant: Participant, t: u16, n: u16) -> Result<(Self, Vec<u8>), Error> {
        let current = participant.threshold();
        if t < current {
            return Err(Error::Threshold { current, requested: t, reason: "lowering the threshold is refused" });
        }
        if t > current {
            return Err(Error::Threshold { current, requested: t, reason: "raise the threshold with a new ceremony" });
        }
        if n < t {
            return Err(Error::invalid(format!("a refresh among {n} participants cannot keep threshold {t}")));
        }
        let id = participant.identifier();
        let (secret, package) = frost_ed25519::keys::refresh::refresh_dkg_part1(wire::identifier(id)?, n, t, OsRng)?;
        Ok((Self { id, stage: Stage::Round1(secret), kind: Kind::Refresh(Box::new(participant)) }, package.serialize()?))
    }

    /// This participant's identifier.
    pub fn identifier(&self) -> u16 {
        self.id
    }

    /// Part 2: checks the others' round-1 packages (proofs of knowledge; a bad one names its
    /// sender) and returns the round-2 package for each other participant. These carry secret
    /// shares: send each only to its recipient, over a confidential authenticated channel.
    pub fn part2(&mut self, round1: &[(u16, &[u8])]) -> Result<Vec<(u16, Vec<u8>)>, Error> {
        let Stage::Round1(secret) = std::mem::replace(&mut self.stage, Stage::Done) else {
            return Err(Error::invalid("dkg part 2 runs once, after part 1"));
        };
        let round1 = packages("round 1", self.id, round1, round1::Package::deserialize)?;
        let (secret, out) = match self.kind {
            Kind::New => dkg::part2(secret, &round1)?,
            Kind::Refresh(_) => frost_ed25519::keys::refresh::refresh_dkg_part2(secret, &round1)?,
        };
        let out = out
            .into_iter()
            .map(|(id, p)| Ok((wire::number(&id)?, p.serialize()?)))
            .collect::<Result<Vec<_>, Error>>()?;
        self.stage = Stage::Round2 { secret, round1 };
        Ok(out)
    }

    /// Part 3: checks the received round-2 shares against their senders' commitments (a bad one
    /// names its sender) and returns this participant with its new (or refreshed) share.
    pub fn finish(mut self, round2: &[(u16, &[u8])]) -> Result<Participant, Error> {
        let Stage::Round2 { secret, round1 } = std::mem::replace(&mut self.stage, Stage::Done) else {
            return Err(Error::invalid("dkg finish runs once, after part 2"));
        };
        let round2 = packages("round 2", self.id, round2, round2::Package::deserialize)?;
        let (key, public) = match self.kind {
            Kind::New => dkg::part3(&secret, &round1, &round2)?,
            Kind::Refresh(ref old) => {
                let (key, public) = frost_ed25519::keys::refresh::refresh_dkg_shares(
                    &secret,
                    &round1,
                    &round2,
                    old.public().inner().clone(),
                    old.key().clone(),
                )?;
                if public.verifying_key() != old.public().inner().verifying_key() {
                    return Err(Error::Frost("refresh changed the group key".to_owned()));
                }
                (key, public)
            }
        };
        Participant::new(key, PublicPackage::new(public)?)
    }
}
