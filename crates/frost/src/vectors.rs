//! The RFC 9591 test-vector check for FROST(Ed25519, SHA-512)
//! ([Appendix E.1](https://www.rfc-editor.org/rfc/rfc9591#appendix-E.1)), in the JSON layout of
//! frost-rs (`test/vectors/frost-ed25519-rfc9591.json`).
//!
//! It recomputes every intermediate value from the vector's inputs: the shares from the secret
//! polynomial, the group key, the hedged nonces from the given randomness (`nonce_generate`,
//! §4.1), the commitments, the binding-factor inputs and factors (§4.4), each signature share
//! (§5.2) and the aggregate signature (§5.3), which must also verify as Ed25519. The fixed nonces
//! exist only inside this check: no signing API accepts caller-chosen nonces.

use std::collections::BTreeMap;

use frost_ed25519::keys::{KeyPackage, PublicKeyPackage, SigningShare, VerifyingShare};
use frost_core::round1::Nonce;
use frost_ed25519::round1::{NonceCommitment, SigningCommitments, SigningNonces};
use frost_ed25519::{Ciphersuite, Ed25519Group, Ed25519ScalarField, Ed25519Sha512, Field, Group, SigningPackage, VerifyingKey};
use serde_json::Value;

use crate::coordinator;
use crate::error::Error;
use crate::wire::{self, PublicPackage};

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, Error> {
    let mut cur = v;
    for key in path {
        cur = cur.get(*key).ok_or_else(|| Error::invalid(format!("vectors have no `{}`", path.join("."))))?;
    }
    Ok(cur)
}

fn hex_field(v: &Value, path: &[&str]) -> Result<Vec<u8>, Error> {
    let s = field(v, path)?.as_str().ok_or_else(|| Error::invalid(format!("`{}` is not a string", path.join("."))))?;
    hex::decode(s).map_err(|e| Error::invalid(format!("`{}` is not hex: {e}", path.join("."))))
}

fn array<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Vec<Value>, Error> {
    field(v, path)?.as_array().ok_or_else(|| Error::invalid(format!("`{}` is not an array", path.join("."))))
}

fn id_of(v: &Value) -> Result<u16, Error> {
    v.get("identifier")
        .and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| Error::invalid("an entry has no small integer `identifier`"))
}

fn arr32(bytes: &[u8], what: &str) -> Result<[u8; 32], Error> {
    bytes.try_into().map_err(|_| Error::invalid(format!("{what} is {} bytes, want 32", bytes.len())))
}

fn scalar(bytes: &[u8], what: &str) -> Result<<Ed25519ScalarField as Field>::Scalar, Error> {
    Ed25519ScalarField::deserialize(&arr32(bytes, what)?).map_err(|_| Error::invalid(format!("{what} is not a scalar")))
}

fn expect_eq(what: String, got: &[u8], want: &[u8]) -> Result<(), Error> {
    if got == want {
        Ok(())
    } else {
        Err(Error::Frost(format!("{what} is {}, the vector has {}", wire::to_hex(got), wire::to_hex(want))))
    }
}

/// Checks one vector file; returns how many values were compared.
pub fn check(json: &str) -> Result<usize, Error> {
    let v: Value = serde_json::from_str(json).map_err(|e| Error::invalid(format!("vectors are not json: {e}")))?;
    let name = field(&v, &["config", "name"])?.as_str().unwrap_or_default();
    if name != "FROST(Ed25519, SHA-512)" {
        return Err(Error::invalid(format!("vectors are for `{name}`, want `FROST(Ed25519, SHA-512)`")));
    }
    let mut checked = 0usize;
    let g = Ed25519Group::generator();
    let ser = |e: &<Ed25519Group as Group>::Element| Ed25519Group::serialize(e).map(|b| b.to_vec()).map_err(|_| Error::Frost("identity element".to_owned()));

    // Key generation (Appendix C): f(x) = s + a_1 x + ..., share i = f(i), group key = G * s.
    let secret = scalar(&hex_field(&v, &["inputs", "group_secret_key"])?, "group secret key")?;
    let group_key_hex = hex_field(&v, &["inputs", "group_public_key"]).or_else(|_| hex_field(&v, &["inputs", "verifying_key_key"]))?;
    expect_eq("group public key".to_owned(), &ser(&(g * secret))?, &group_key_hex)?;
    checked += 1;
    let coefficients = array(&v, &["inputs", "share_polynomial_coefficients"])?
        .iter()
        .map(|c| scalar(&hex::decode(c.as_str().unwrap_or_default()).unwrap_or_default(), "coefficient"))
        .collect::<Result<Vec<_>, _>>()?;
    let t = u16::try_from(coefficients.len() + 1).map_err(|_| Error::invalid("too many coefficients"))?;
    let verifying_key = VerifyingKey::deserialize(&group_key_hex)?;
    let mut keys = BTreeMap::new();
    let mut verifying_shares = BTreeMap::new();
    for entry in array(&v, &["inputs", "participant_shares"])? {
        let n = id_of(entry)?;
        let share_bytes = hex_field(entry, &["participant_share"])?;
        let x = Ed25519ScalarField::one() * <Ed25519ScalarField as Field>::Scalar::from(u64::from(n));
        let mut fx = Ed25519ScalarField::zero();
        for c in coefficients.iter().rev() {
            fx = (fx + *c) * x;
        }
        fx = fx + secret;
        expect_eq(format!("share of participant {n}"), &Ed25519ScalarField::serialize(&fx), &share_bytes)?;
        checked += 1;
        let share = SigningShare::deserialize(&share_bytes)?;
        let verifying_share = VerifyingShare::from(share);
        let id = wire::identifier(n)?;
        verifying_shares.insert(id, verifying_share);
        keys.insert(n, KeyPackage::new(id, share, verifying_share, verifying_key, t));
    }
    let public = PublicPackage::new(PublicKeyPackage::new(verifying_shares, verifying_key, Some(t)))?;
    let message = hex_field(&v, &["inputs", "message"])?;

    // Round 1 (§5.1): nonce = H3(random_bytes || SerializeScalar(sk_i)), commitments = G * nonce.
    let mut nonces = BTreeMap::new();
    let mut commitments = BTreeMap::new();
    let mut ids = Vec::new();
    let mut commitment_bytes = Vec::new();
    for entry in array(&v, &["round_one_outputs", "outputs"])? {
        let n = id_of(entry)?;
        let key = keys.get(&n).ok_or_else(|| Error::invalid(format!("round 1 names unknown participant {n}")))?;
        let mut pair = Vec::new();
        for which in ["hiding", "binding"] {
            let randomness = hex_field(entry, &[&format!("{which}_nonce_randomness")])?;
            let mut input = randomness;
            input.extend(key.signing_share().serialize());
            let nonce = Ed25519Sha512::H3(&input);
            expect_eq(format!("{which} nonce of participant {n}"), &Ed25519ScalarField::serialize(&nonce), &hex_field(entry, &[&format!("{which}_nonce")])?)?;
            let commitment = ser(&(g * nonce))?;
            expect_eq(format!("{which} nonce commitment of participant {n}"), &commitment, &hex_field(entry, &[&format!("{which}_nonce_commitment")])?)?;
            checked += 2;
            pair.push((Nonce::<Ed25519Sha512>::deserialize(&Ed25519ScalarField::serialize(&nonce))?, NonceCommitment::deserialize(&commitment)?));
        }
        let [(hiding, hiding_c), (binding, binding_c)] = <[_; 2]>::try_from(pair).map_err(|_| Error::invalid("nonce pair"))? ;
        let c = SigningCommitments::new(hiding_c, binding_c);
        commitment_bytes.extend(wire::commitments_to_bytes(&c)?);
        ids.push(n);
        commitments.insert(wire::identifier(n)?, c);
        nonces.insert(n, SigningNonces::from_nonces(hiding, binding));
    }

    // Binding factors (§4.4): input = group key || H4(msg) || H5(encoded commitments) || id.
    let package = SigningPackage::new(commitments, &message);
    let preimages = package.binding_factor_preimages(&verifying_key, &[])?;
    for entry in array(&v, &["round_one_outputs", "outputs"])? {
        let n = id_of(entry)?;
        let id = wire::identifier(n)?;
        let input = preimages
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| Error::Frost(format!("no binding factor input for participant {n}")))?;
        expect_eq(format!("binding factor input of participant {n}"), &input, &hex_field(entry, &["binding_factor_input"])?)?;
        expect_eq(format!("binding factor of participant {n}"), &Ed25519ScalarField::serialize(&Ed25519Sha512::H1(&input)), &hex_field(entry, &["binding_factor"])?)?;
        checked += 2;
    }

    // Round 2 (§5.2).
    let mut shares = Vec::new();
    for entry in array(&v, &["round_two_outputs", "outputs"])? {
        let n = id_of(entry)?;
        let (Some(key), Some(nonce)) = (keys.get(&n), nonces.get(&n)) else {
            return Err(Error::invalid(format!("round 2 names participant {n} without round 1")));
        };
        let share = frost_ed25519::round2::sign(&package, nonce, key)?.serialize();
        let want = hex_field(entry, &["sig_share"])?;
        expect_eq(format!("signature share of participant {n}"), &share, &want)?;
        checked += 1;
        shares.extend(want);
    }

    // Aggregate (§5.3), then verify as plain Ed25519.
    let signature = coordinator::aggregate(&public, &message, &ids, &commitment_bytes, &shares)?;
    expect_eq("signature".to_owned(), &signature, &hex_field(&v, &["final_output", "sig"])?)?;
    coordinator::verify(&group_key_hex, &message, &signature)?;
    checked += 2;
    Ok(checked)
}
