//! FROST(Ed25519, SHA-512) threshold signing over `kee-frost` (RFC 9591).
//!
//! Secret material stays in WASM memory: a participant is a [`FrostParticipant`] handle that JS
//! holds (and frees), whose share leaves only through the explicit `exportShare()` (for
//! encrypted at-rest storage by the caller). Round-1 nonces never leave the handle: round 2
//! consumes them, and a second round 2 for the same session fails with `NONCE_REUSE`.
//!
//! ```text
//! frostTrustedDealer(t, n)                  -> KeeResult<FrostParticipant[]>   (development only)
//! FrostDkg.begin(id, t, n)                  -> KeeResult<FrostDkg>             (distributed key generation)
//!   dkg.round1Package()                     -> Uint8Array                      (broadcast)
//!   dkg.part2(ids, round1Packages)          -> KeeResult<FrostPackages>        (one package per recipient)
//!   dkg.finish(ids, round2Packages)         -> KeeResult<FrostParticipant>
//! participant.beginRefresh(t, n)            -> KeeResult<FrostDkg>             (same steps; same group key)
//! participant.round1(sessionId)             -> KeeResult<Uint8Array>           (64-byte commitments)
//! participant.round2(sessionId, message, ids, commitments) -> KeeResult<Uint8Array> (32-byte share)
//! frostAggregate(publicPackage, message, ids, commitments, shares) -> KeeResult<Uint8Array> (64-byte signature)
//! FrostCoordinator.load(publicPackage)     -> KeeResult<FrostCoordinator>     (public package parsed once)
//!   coordinator.aggregate(message, ids, commitments, shares) -> KeeResult<Uint8Array>
//! frostVerify(groupKey, message, signature) -> KeeResult<true>
//! participant.repairDeltas(helpers, lost) / frostRepairSigma(deltas) / frostRepairShare(sigmas, lost, publicPackage)
//! frostCheckVectors(json)                   -> KeeResult<number>               (RFC 9591 Appendix E check)
//! ```
//!
//! Codes: `INVALID_INPUT` (malformed or inconsistent arguments, a refused threshold change),
//! `SIGNER_FAILED` (a signature that cannot be made or does not verify), `NONCE_REUSE` (round 2
//! already ran for the session), `INVALID_SHARE` (a participant's share does not verify:
//! `message` names it and `culprits` lists the identifiers). Byte formats: `kee_frost::wire`.

use crate::{failure, object, success, Failure};
use js_sys::{Array, Uint16Array, Uint8Array};
use kee_frost::{Dkg, Error, ErrorKind, Participant, PublicPackage};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_FROST_TYPES: &str = r#"
/** Why a FROST call failed. */
export type KeeFrostErrorCode = "INVALID_INPUT" | "SIGNER_FAILED" | "NONCE_REUSE" | "INVALID_SHARE";
/** A failed FROST call; `culprits` names the participants whose shares do not verify. */
export type KeeFrostFailure = { type: "failure"; error: { code: KeeFrostErrorCode; message: string; culprits?: number[] } };
/** The result of a FROST call. */
export type KeeFrostResult<T> = { type: "success"; value: T } | KeeFrostFailure;
/** Packages addressed to (or received from) participants: `packages[i]` goes with `ids[i]`. */
export type FrostPackages = { ids: Uint16Array; packages: Uint8Array[] };
/** Repair deltas from one helper: `deltas` is ids.length x 32 bytes, delta i goes to helper ids[i]. */
export type FrostDeltas = { ids: Uint16Array; deltas: Uint8Array };
"#;

fn frost_failure(e: &Error) -> JsValue {
    let code = match e.kind() {
        ErrorKind::InvalidInput => "INVALID_INPUT",
        ErrorKind::NonceReuse => "NONCE_REUSE",
        ErrorKind::InvalidShare => "INVALID_SHARE",
        _ => "SIGNER_FAILED",
    };
    let f = failure(&Failure {
        code,
        message: e.to_string(),
    });
    if !e.culprits().is_empty() {
        let culprits: Array = e.culprits().iter().map(|n| JsValue::from(*n)).collect();
        if let Ok(error) = js_sys::Reflect::get(&f, &JsValue::from_str("error")) {
            let _ = js_sys::Reflect::set(&error, &JsValue::from_str("culprits"), &culprits);
        }
    }
    f
}

fn reply<T>(result: Result<T, Error>, to_js: impl FnOnce(T) -> JsValue) -> JsValue {
    match result {
        Ok(v) => success(&to_js(v)),
        Err(e) => frost_failure(&e),
    }
}

fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

/// Reads `ids` and the same number of `Uint8Array` packages.
fn read_packages(ids: &[u16], packages: &Array) -> Result<Vec<(u16, Vec<u8>)>, Error> {
    if packages.length() as usize != ids.len() {
        return Err(Error::InvalidInput(format!(
            "{} ids and {} packages, want as many of each",
            ids.len(),
            packages.length()
        )));
    }
    ids.iter()
        .zip(packages.iter())
        .map(|(id, p)| {
            p.dyn_into::<Uint8Array>()
                .map(|a| (*id, a.to_vec()))
                .map_err(|_| Error::InvalidInput(format!("the package of participant {id} is not a Uint8Array")))
        })
        .collect()
}

fn packages_object(items: Vec<(u16, Vec<u8>)>) -> JsValue {
    let ids: Vec<u16> = items.iter().map(|(id, _)| *id).collect();
    let packages: Array = items.iter().map(|(_, p)| bytes(p)).collect();
    object(&[("ids", &Uint16Array::from(ids.as_slice()).into()), ("packages", &packages.into())])
}

/// One FROST participant: its share of the group key and the nonces of its open sessions, held in
/// WASM memory (zeroized when freed).
#[wasm_bindgen]
pub struct FrostParticipant(Participant);

#[wasm_bindgen]
impl FrostParticipant {
    /// A participant from a share exported by `exportShare()`.
    #[wasm_bindgen(js_name = "importShare", unchecked_return_type = "KeeFrostResult<FrostParticipant>")]
    pub fn import_share(share: &[u8]) -> JsValue {
        reply(Participant::import_share(share), |p| FrostParticipant(p).into())
    }

    /// This participant's identifier (1..=n).
    #[wasm_bindgen(getter)]
    pub fn identifier(&self) -> u16 {
        self.0.identifier()
    }

    /// The threshold t.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> u16 {
        self.0.threshold()
    }

    /// The 32-byte group key (a plain Ed25519 public key).
    #[wasm_bindgen(js_name = "groupKey")]
    pub fn group_key(&self) -> Vec<u8> {
        self.0.public().group_key().unwrap_or_default()
    }

    /// The group's public package (threshold, group key, every verifying share).
    #[wasm_bindgen(js_name = "publicPackage")]
    pub fn public_package(&self) -> Vec<u8> {
        self.0.public().to_bytes().unwrap_or_default()
    }

    /// Round 1: fresh nonces for `sessionId` (1 to 64 bytes, never reused), kept in this handle;
    /// returns the 64-byte commitments.
    #[wasm_bindgen(js_name = "round1", unchecked_return_type = "KeeFrostResult<Uint8Array>")]
    pub fn round1(&mut self, #[wasm_bindgen(js_name = "sessionId")] session_id: &[u8]) -> JsValue {
        reply(self.0.round1(session_id), |c| bytes(&c))
    }

    /// Round 2: the 32-byte signature share over `message`, given every signer's identifier and
    /// 64-byte commitments (`commitments` = ids.length x 64). Consumes the session's nonces.
    #[wasm_bindgen(js_name = "round2", unchecked_return_type = "KeeFrostResult<Uint8Array>")]
    pub fn round2(
        &mut self,
        #[wasm_bindgen(js_name = "sessionId")] session_id: &[u8],
        message: &[u8],
        ids: &[u16],
        commitments: &[u8],
    ) -> JsValue {
        reply(self.0.round2(session_id, message, ids, commitments), |s| bytes(&s))
    }

    /// Drops the nonces of an open session; true when it was open.
    #[wasm_bindgen(js_name = "cancel")]
    pub fn cancel(&mut self, #[wasm_bindgen(js_name = "sessionId")] session_id: &[u8]) -> bool {
        self.0.cancel(session_id)
    }

    /// The share in plaintext, for encrypted at-rest storage by the caller. The only way a share
    /// leaves WASM memory.
    #[wasm_bindgen(js_name = "exportShare", unchecked_return_type = "KeeFrostResult<Uint8Array>")]
    pub fn export_share(&self) -> JsValue {
        reply(self.0.export_share(), |s| bytes(&s))
    }

    /// Starts refreshing this share among `n` participants, keeping the threshold `t` (lowering
    /// it is refused). This handle stays usable until the refresh finishes.
    #[wasm_bindgen(js_name = "beginRefresh", unchecked_return_type = "KeeFrostResult<FrostDkg>")]
    pub fn begin_refresh(&self, t: u16, n: u16) -> JsValue {
        let started = self
            .0
            .export_share()
            .and_then(|s| Participant::import_share(&s))
            .and_then(|p| Dkg::refresh(p, t, n));
        reply(started, |(dkg, round1)| FrostDkg { dkg: Some(dkg), round1 }.into())
    }

    /// Repair step 1 (this participant helps restore `lost`'s share): one delta per helper.
    #[wasm_bindgen(js_name = "repairDeltas", unchecked_return_type = "KeeFrostResult<FrostDeltas>")]
    pub fn repair_deltas(&self, helpers: &[u16], lost: u16) -> JsValue {
        reply(self.0.repair_deltas(helpers, lost), |items| {
            let ids: Vec<u16> = items.iter().map(|(id, _)| *id).collect();
            let deltas: Vec<u8> = items.iter().flat_map(|(_, d)| d.iter().copied()).collect();
            object(&[("ids", &Uint16Array::from(ids.as_slice()).into()), ("deltas", &bytes(&deltas))])
        })
    }
}

/// One participant's side of a distributed key generation or share refresh.
#[wasm_bindgen]
pub struct FrostDkg {
    dkg: Option<Dkg>,
    round1: Vec<u8>,
}

#[wasm_bindgen]
impl FrostDkg {
    /// Starts a DKG as participant `id` of `n` with threshold `t` ((2, 3) or upward).
    #[wasm_bindgen(js_name = "begin", unchecked_return_type = "KeeFrostResult<FrostDkg>")]
    pub fn begin(id: u16, t: u16, n: u16) -> JsValue {
        reply(Dkg::start(id, t, n), |(dkg, round1)| FrostDkg { dkg: Some(dkg), round1 }.into())
    }

    /// The round-1 package to broadcast (public: commitments and a proof of knowledge).
    #[wasm_bindgen(js_name = "round1Package")]
    pub fn round1_package(&self) -> Vec<u8> {
        self.round1.clone()
    }

    /// Part 2: given the others' round-1 packages, the round-2 package for each other participant
    /// (secret: deliver each only to its recipient).
    #[wasm_bindgen(js_name = "part2", unchecked_return_type = "KeeFrostResult<FrostPackages>")]
    pub fn part2(&mut self, ids: &[u16], #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] packages: Array) -> JsValue {
        let result = read_packages(ids, &packages).and_then(|items| {
            let dkg = self.dkg.as_mut().ok_or_else(|| Error::InvalidInput("this dkg already finished".to_owned()))?;
            let refs: Vec<(u16, &[u8])> = items.iter().map(|(id, p)| (*id, p.as_slice())).collect();
            dkg.part2(&refs)
        });
        reply(result, packages_object)
    }

    /// Part 3: given the round-2 packages received, the participant with its new share.
    #[wasm_bindgen(js_name = "finish", unchecked_return_type = "KeeFrostResult<FrostParticipant>")]
    pub fn finish(&mut self, ids: &[u16], #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] packages: Array) -> JsValue {
        let result = read_packages(ids, &packages).and_then(|items| {
            let dkg = self.dkg.take().ok_or_else(|| Error::InvalidInput("this dkg already finished".to_owned()))?;
            let refs: Vec<(u16, &[u8])> = items.iter().map(|(id, p)| (*id, p.as_slice())).collect();
            dkg.finish(&refs)
        });
        reply(result, |p| FrostParticipant(p).into())
    }
}

/// Trusted-dealer key generation, identifiers 1..=n. Development only: the dealer sees the key.
#[wasm_bindgen(js_name = "frostTrustedDealer", unchecked_return_type = "KeeFrostResult<FrostParticipant[]>")]
pub fn frost_trusted_dealer(t: u16, n: u16) -> JsValue {
    reply(kee_frost::trusted_dealer(t, n), |ps| {
        let arr: Array = ps.into_iter().map(|p| JsValue::from(FrostParticipant(p))).collect();
        arr.into()
    })
}

/// A coordinator's view of one group: its public package, parsed (every point decoded and its
/// order checked) once instead of on every aggregation. It holds no secrets.
#[wasm_bindgen]
pub struct FrostCoordinator(PublicPackage);

#[wasm_bindgen]
impl FrostCoordinator {
    /// A coordinator for the group of this public package.
    #[wasm_bindgen(js_name = "load", unchecked_return_type = "KeeFrostResult<FrostCoordinator>")]
    pub fn load(#[wasm_bindgen(js_name = "publicPackage")] public_package: &[u8]) -> JsValue {
        reply(PublicPackage::from_bytes(public_package), |p| FrostCoordinator(p).into())
    }

    /// `frostAggregate` with this coordinator's public package.
    #[wasm_bindgen(js_name = "aggregate", unchecked_return_type = "KeeFrostResult<Uint8Array>")]
    pub fn aggregate(&self, message: &[u8], ids: &[u16], commitments: &[u8], shares: &[u8]) -> JsValue {
        reply(kee_frost::aggregate(&self.0, message, ids, commitments, shares), |s| bytes(&s))
    }
}

/// Aggregates the signers' shares into a 64-byte Ed25519 signature; an invalid share fails with
/// `INVALID_SHARE` naming its sender.
#[wasm_bindgen(js_name = "frostAggregate", unchecked_return_type = "KeeFrostResult<Uint8Array>")]
pub fn frost_aggregate(
    #[wasm_bindgen(js_name = "publicPackage")] public_package: &[u8],
    message: &[u8],
    ids: &[u16],
    commitments: &[u8],
    shares: &[u8],
) -> JsValue {
    let result = PublicPackage::from_bytes(public_package).and_then(|p| kee_frost::aggregate(&p, message, ids, commitments, shares));
    reply(result, |s| bytes(&s))
}

/// Verifies a 64-byte Ed25519 signature under a 32-byte group key.
#[wasm_bindgen(js_name = "frostVerify", unchecked_return_type = "KeeFrostResult<true>")]
pub fn frost_verify(#[wasm_bindgen(js_name = "groupKey")] group_key: &[u8], message: &[u8], signature: &[u8]) -> JsValue {
    reply(kee_frost::verify(group_key, message, signature), |()| JsValue::TRUE)
}

/// Repair step 2 (run by each helper): the sum of the deltas it received (k x 32 bytes).
#[wasm_bindgen(js_name = "frostRepairSigma", unchecked_return_type = "KeeFrostResult<Uint8Array>")]
pub fn frost_repair_sigma(deltas: &[u8]) -> JsValue {
    reply(kee_frost::repair_sigma(deltas), |s| bytes(&s))
}

/// Repair step 3 (run by the participant who lost its share): its participant from the helpers'
/// sigmas (k x 32 bytes) and the group's public package.
#[wasm_bindgen(js_name = "frostRepairShare", unchecked_return_type = "KeeFrostResult<FrostParticipant>")]
pub fn frost_repair_share(sigmas: &[u8], lost: u16, #[wasm_bindgen(js_name = "publicPackage")] public_package: &[u8]) -> JsValue {
    let result = PublicPackage::from_bytes(public_package).and_then(|p| Participant::repaired(sigmas, lost, p));
    reply(result, |p| FrostParticipant(p).into())
}

/// Checks RFC 9591 test vectors (frost-rs JSON layout); `value` is how many values matched.
#[wasm_bindgen(js_name = "frostCheckVectors", unchecked_return_type = "KeeFrostResult<number>")]
pub fn frost_check_vectors(json: &str) -> JsValue {
    reply(kee_frost::vectors::check(json), |n| JsValue::from(n as u32))
}
