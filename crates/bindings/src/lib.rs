//! WASM bindings for the Kee Rust core, for `wasm-bindgen --target web`.
//!
//! This crate is deliberately thin (cedar-wasm style): every export checks its arguments, calls
//! one function of `kee-merkle`, and returns a plain JS object. No export throws: every result
//! is a tagged union,
//!
//! ```text
//! { type: "success", value: ... }
//! { type: "failure", error: { code: "INVALID_INPUT" | "PROOF_INVALID", message: string } }
//! ```
//!
//! `INVALID_INPUT` means malformed arguments (a bad length, bad offsets, an index or size out of
//! range, invalid JSON); `PROOF_INVALID` means well-formed arguments whose proof does not
//! verify. Messages are lowercase, have no full stop, and carry the sizes involved.
//!
//! Hashes cross the boundary as raw bytes: one hash is a 32-byte `Uint8Array`, a list of `n`
//! hashes is one `n * 32`-byte `Uint8Array`. Sizes and indexes are JS numbers that must be
//! non-negative safe integers.

use js_sys::{Object, Reflect, Uint32Array, Uint8Array};
use kee_merkle::hash::{hash_from_bytes, hashes_from_bytes};
use kee_merkle::jcs;
use kee_merkle::{Error, ErrorKind, Hash, Tree};
use wasm_bindgen::prelude::*;

mod alloc;
#[cfg(feature = "frost")]
mod frost;
mod policy;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Why a call failed: malformed arguments, or a proof that does not verify. */
export type KeeErrorCode = "INVALID_INPUT" | "PROOF_INVALID" | "ENGINE_FAILED" | "SIGNER_FAILED" | "NONCE_REUSE" | "INVALID_SHARE";
/** A failed call. `message` is lowercase, has no full stop and names the sizes involved. */
export type KeeFailure = { type: "failure"; error: { code: KeeErrorCode; message: string } };
/** The result of every call except `sha256`, `sha256Hex` and `version`: exports never throw. */
export type KeeResult<T> = { type: "success"; value: T } | KeeFailure;
/** Inclusion proofs and the tree root: proof i is hashes offsets[i]..offsets[i+1] (in 32-byte units) of value. */
export type KeeProofs = { type: "success"; root: Uint8Array; value: Uint8Array; offsets: Uint32Array } | KeeFailure;
"#;

/// A failure before it becomes a JS object.
struct Failure {
    code: &'static str,
    message: String,
}

impl Failure {
    fn invalid(message: String) -> Self {
        Self {
            code: "INVALID_INPUT",
            message,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self {
            code: match e.kind() {
                ErrorKind::InvalidInput => "INVALID_INPUT",
                ErrorKind::ProofInvalid => "PROOF_INVALID",
            },
            message: e.to_string(),
        }
    }
}

/// A plain JS object with the given properties.
fn object(entries: &[(&str, &JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in entries {
        // Setting a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj.into()
}

fn success(value: &JsValue) -> JsValue {
    object(&[("type", &JsValue::from_str("success")), ("value", value)])
}

fn failure(f: &Failure) -> JsValue {
    let error = object(&[
        ("code", &JsValue::from_str(f.code)),
        ("message", &JsValue::from_str(&f.message)),
    ]);
    object(&[("type", &JsValue::from_str("failure")), ("error", &error)])
}

/// Turns a result into a tagged JS object, building the success value with `to_js`.
fn respond<T>(result: Result<T, Failure>, to_js: impl FnOnce(T) -> JsValue) -> JsValue {
    match result {
        Ok(v) => success(&to_js(v)),
        Err(f) => failure(&f),
    }
}

fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

fn hash_list(hashes: &[Hash]) -> JsValue {
    bytes(hashes.as_flattened())
}

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Reads a JS number that must be a non-negative safe integer.
fn count(name: &str, x: f64) -> Result<u64, Failure> {
    if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= MAX_SAFE_INTEGER {
        Ok(x as u64)
    } else {
        Err(Failure::invalid(format!(
            "{name} is {x}, want a non-negative safe integer"
        )))
    }
}

/// Splits `data` at `offsets` (n + 1 entries, from 0 to `data.len()`, never decreasing).
fn split_leaves<'a>(data: &'a [u8], offsets: &[u32]) -> Result<Vec<&'a [u8]>, Failure> {
    let (first, last) = match (offsets.first(), offsets.last()) {
        (Some(first), Some(last)) => (*first as usize, *last as usize),
        _ => {
            return Err(Failure::invalid(
                "offsets has 0 entries, want at least 1".to_owned(),
            ))
        }
    };
    if first != 0 || last != data.len() {
        return Err(Failure::invalid(format!(
            "offsets run from {first} to {last}, want 0 to the data length {}",
            data.len()
        )));
    }
    offsets
        .windows(2)
        .enumerate()
        .map(|(i, w)| match w {
            [start, end] => data.get(*start as usize..*end as usize).ok_or_else(|| {
                Failure::invalid(format!(
                    "offsets[{i}] is {start} and offsets[{}] is {end}, want non-decreasing offsets",
                    i + 1
                ))
            }),
            _ => Err(Failure::invalid("offsets window is not a pair".to_owned())),
        })
        .collect()
}

fn leaf_hash_list(hashes: &[u8]) -> Result<&[Hash], Failure> {
    Ok(hashes_from_bytes("hashes", hashes)?)
}

/// Packs proofs and their offsets (in 32-byte units) as `{ type, value, offsets }`.
fn proofs_response(result: Result<(Hash, Vec<Hash>, Vec<usize>), Failure>) -> JsValue {
    let packed = result.and_then(|(root, hashes, offsets)| {
        let offsets = offsets
            .into_iter()
            .map(u32::try_from)
            .collect::<Result<Vec<u32>, _>>()
            .map_err(|_| {
                Failure::invalid(format!(
                    "proofs hold {} hashes, more than 32-bit offsets can address",
                    hashes.len()
                ))
            })?;
        Ok((root, hashes, offsets))
    });
    match packed {
        Ok((root, hashes, offsets)) => object(&[
            ("type", &JsValue::from_str("success")),
            ("root", &Uint8Array::from(root.as_slice()).into()),
            ("value", &hash_list(&hashes)),
            ("offsets", &Uint32Array::from(offsets.as_slice()).into()),
        ]),
        Err(f) => failure(&f),
    }
}

/// `SHA-256(data)`, 32 bytes.
#[wasm_bindgen(js_name = "sha256")]
pub fn sha256(data: &[u8]) -> Vec<u8> {
    kee_merkle::sha256(data).to_vec()
}

/// `SHA-256(UTF-8(text))` as 64 lowercase hex digits: an audit record's hash from its canonical
/// text in one call, without the caller encoding the text or hex-encoding the digest.
#[wasm_bindgen(js_name = "sha256Hex")]
pub fn sha256_hex(text: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = kee_merkle::sha256(text.as_bytes());
    let mut out = String::with_capacity(2 * digest.len());
    for b in digest.iter() {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// The RFC 8785 canonical form of a JSON text (`value: string`).
#[wasm_bindgen(js_name = "jcs", unchecked_return_type = "KeeResult<string>")]
pub fn jcs(json: &str) -> JsValue {
    respond(jcs::canonicalize(json).map_err(Failure::from), |s| {
        JsValue::from_str(&s)
    })
}

/// `SHA-256(JCS(json))` (`value: Uint8Array`, 32 bytes).
#[wasm_bindgen(js_name = "jcsSha256", unchecked_return_type = "KeeResult<Uint8Array>")]
pub fn jcs_sha256(json: &str) -> JsValue {
    respond(jcs::jcs_sha256(json).map_err(Failure::from), |h| bytes(&h))
}

/// The RFC 9162 root of the leaves `data[offsets[i]..offsets[i + 1]]`, hashing each leaf with
/// `SHA-256(0x00 || leaf)` (`value: Uint8Array`, 32 bytes).
#[wasm_bindgen(
    js_name = "merkleRootFromLeaves",
    unchecked_return_type = "KeeResult<Uint8Array>"
)]
pub fn merkle_root_from_leaves(data: &[u8], offsets: &[u32]) -> JsValue {
    let root = split_leaves(data, offsets).map(kee_merkle::root_from_leaves);
    respond(root, |h| bytes(&h))
}

/// The leaf hashes `SHA-256(0x00 || leaf)` of the leaves `data[offsets[i]..offsets[i + 1]]`
/// (`value: Uint8Array`, `n * 32` bytes).
#[wasm_bindgen(
    js_name = "leafHashes",
    unchecked_return_type = "KeeResult<Uint8Array>"
)]
pub fn leaf_hashes(data: &[u8], offsets: &[u32]) -> JsValue {
    let hashes = split_leaves(data, offsets).map(|leaves| {
        leaves
            .into_iter()
            .map(kee_merkle::leaf_hash)
            .collect::<Vec<Hash>>()
    });
    respond(hashes, |h| hash_list(&h))
}

/// The RFC 9162 root of a list of leaf hashes (`n * 32` bytes); `SHA-256("")` when empty.
#[wasm_bindgen(
    js_name = "merkleRootFromLeafHashes",
    unchecked_return_type = "KeeResult<Uint8Array>"
)]
pub fn merkle_root_from_leaf_hashes(hashes: &[u8]) -> JsValue {
    let root = leaf_hash_list(hashes).map(kee_merkle::root_from_leaf_hashes);
    respond(root, |h| bytes(&h))
}

/// The inclusion proof of leaf `index` (`value: Uint8Array`, `k * 32` bytes, leaf side first).
#[wasm_bindgen(
    js_name = "inclusionProof",
    unchecked_return_type = "KeeResult<Uint8Array>"
)]
pub fn inclusion_proof(hashes: &[u8], index: f64) -> JsValue {
    let proof = leaf_hash_list(hashes).and_then(|hs| {
        let index = count("index", index)?;
        Ok(kee_merkle::inclusion_proof(hs, index)?)
    });
    respond(proof, |p| hash_list(&p))
}

/// The inclusion proofs of the leaves at `indices`, building the tree once: proof `j` (for
/// `indices[j]`) is hashes `offsets[j]..offsets[j + 1]` of `value`.
#[wasm_bindgen(js_name = "inclusionProofs", unchecked_return_type = "KeeProofs")]
pub fn inclusion_proofs(hashes: &[u8], indices: &[u32]) -> JsValue {
    let proofs = leaf_hash_list(hashes).and_then(|hs| {
        let tree = Tree::new(hs.to_vec());
        let mut all = Vec::new();
        let mut offsets = Vec::with_capacity(indices.len().saturating_add(1));
        offsets.push(0);
        for index in indices {
            all.extend(tree.inclusion_proof(u64::from(*index))?);
            offsets.push(all.len());
        }
        Ok((tree.root(), all, offsets))
    });
    proofs_response(proofs)
}

/// The inclusion proofs of every leaf, in `O(n log n)`: proof `i` is hashes
/// `offsets[i]..offsets[i + 1]` of `value` (`offsets` has `n + 1` entries, in 32-byte units).
#[wasm_bindgen(js_name = "allInclusionProofs", unchecked_return_type = "KeeProofs")]
pub fn all_inclusion_proofs(hashes: &[u8]) -> JsValue {
    let proofs = leaf_hash_list(hashes).map(|hs| {
        let tree = Tree::new(hs.to_vec());
        let all = tree.all_inclusion_proofs();
        (tree.root(), all.hashes, all.offsets)
    });
    proofs_response(proofs)
}

/// Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`
/// (`value: true`; `PROOF_INVALID` when it is not).
#[wasm_bindgen(js_name = "verifyInclusion", unchecked_return_type = "KeeResult<true>")]
pub fn verify_inclusion(
    #[wasm_bindgen(js_name = "leafHash")] leaf_hash: &[u8],
    index: f64,
    size: f64,
    proof: &[u8],
    root: &[u8],
) -> JsValue {
    let verified = (|| {
        let leaf = hash_from_bytes("leaf hash", leaf_hash)?;
        let root = hash_from_bytes("root", root)?;
        let proof = hashes_from_bytes("proof", proof)?;
        let (index, size) = (count("index", index)?, count("size", size)?);
        Ok(kee_merkle::verify_inclusion(
            &leaf, index, size, proof, &root,
        )?)
    })();
    respond(verified, |()| JsValue::TRUE)
}

/// The consistency proof from the tree of the first `oldSize` leaves to the tree of all
/// `hashes` (`value: Uint8Array`, `k * 32` bytes).
#[wasm_bindgen(
    js_name = "consistencyProof",
    unchecked_return_type = "KeeResult<Uint8Array>"
)]
pub fn consistency_proof(
    hashes: &[u8],
    #[wasm_bindgen(js_name = "oldSize")] old_size: f64,
) -> JsValue {
    let proof = leaf_hash_list(hashes).and_then(|hs| {
        let old_size = count("old size", old_size)?;
        Ok(kee_merkle::consistency_proof(hs, old_size)?)
    });
    respond(proof, |p| hash_list(&p))
}

/// Verifies that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
/// `newSize` leaves with root `newRoot` (`value: true`; `PROOF_INVALID` when it is not).
#[wasm_bindgen(
    js_name = "verifyConsistency",
    unchecked_return_type = "KeeResult<true>"
)]
pub fn verify_consistency(
    #[wasm_bindgen(js_name = "oldSize")] old_size: f64,
    #[wasm_bindgen(js_name = "newSize")] new_size: f64,
    proof: &[u8],
    #[wasm_bindgen(js_name = "oldRoot")] old_root: &[u8],
    #[wasm_bindgen(js_name = "newRoot")] new_root: &[u8],
) -> JsValue {
    let verified = (|| {
        let old_root = hash_from_bytes("old root", old_root)?;
        let new_root = hash_from_bytes("new root", new_root)?;
        let proof = hashes_from_bytes("proof", proof)?;
        let old_size = count("old size", old_size)?;
        let new_size = count("new size", new_size)?;
        Ok(kee_merkle::verify_consistency(
            old_size, new_size, proof, &old_root, &new_root,
        )?)
    })();
    respond(verified, |()| JsValue::TRUE)
}

/// The version of this crate.
#[wasm_bindgen(js_name = "version")]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]
    use super::*;

    #[test]
    fn counts_must_be_safe_integers() {
        assert_eq!(count("index", 0.0).ok(), Some(0));
        assert_eq!(count("index", MAX_SAFE_INTEGER).ok(), Some((1 << 53) - 1));
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, MAX_SAFE_INTEGER + 1.0] {
            let err = count("index", bad).err().unwrap();
            assert_eq!(err.code, "INVALID_INPUT");
            assert!(err.message.starts_with("index is "), "{}", err.message);
        }
    }

    #[test]
    fn leaves_split_at_offsets() {
        let data = b"abcdef";
        let leaves = split_leaves(data, &[0, 1, 1, 6]).ok().unwrap();
        assert_eq!(leaves, vec![&b"a"[..], b"", b"bcdef"]);
        assert_eq!(split_leaves(b"", &[0]).ok().unwrap().len(), 0);
        for bad in [&[][..], &[1, 6], &[0, 5], &[0, 4, 3, 6], &[0, 7]] {
            let err = split_leaves(data, bad).err().unwrap();
            assert_eq!(err.code, "INVALID_INPUT", "{bad:?}");
        }
    }

    #[test]
    fn merkle_errors_map_to_codes() {
        let f = Failure::from(Error::IndexOutOfRange { index: 3, size: 2 });
        assert_eq!(
            (f.code, f.message.as_str()),
            ("INVALID_INPUT", "leaf index 3 is beyond tree size 2")
        );
        let f = Failure::from(
            kee_merkle::verify_inclusion(&[0; 32], 0, 1, &[], &[1; 32])
                .err()
                .unwrap(),
        );
        assert_eq!(f.code, "PROOF_INVALID");
    }
}
