//! `cedar_policy_hash` (KEE-1 digest §4.1).
//!
//! Each policy and template is serialized in Cedar's JSON policy form (EST) as the
//! `cedar-policy` crate produces it, keyed by its id:
//!
//! ```text
//! {"policies": {<id>: <EST>, ...}, "templates": {<id>: <EST>, ...}}
//! ```
//!
//! then canonicalized with RFC 8785 JCS (<https://www.rfc-editor.org/rfc/rfc8785>) and hashed
//! with SHA-256; the hash is lowercase hex. A template-linked policy appears under
//! `policies` with its slots filled in. Computed only here, so TS and Rust cannot disagree.

use crate::error::{one_line, Error};
use cedar_policy::PolicySet;
use serde_json::{Map, Value};

/// The lowercase hex `cedar_policy_hash` of `set`.
pub fn cedar_policy_hash(set: &PolicySet) -> Result<String, Error> {
    let mut policies = Map::new();
    for p in set.policies() {
        let est = p.to_json().map_err(|e| Error::Serialize {
            id: p.id().to_string(),
            message: one_line(&e.to_string()),
        })?;
        policies.insert(p.id().to_string(), est);
    }
    let mut templates = Map::new();
    for t in set.templates() {
        let est = t.to_json().map_err(|e| Error::Serialize {
            id: t.id().to_string(),
            message: one_line(&e.to_string()),
        })?;
        templates.insert(t.id().to_string(), est);
    }
    let mut doc = Map::new();
    doc.insert("policies".to_owned(), Value::Object(policies));
    doc.insert("templates".to_owned(), Value::Object(templates));
    let hash = kee_merkle::jcs::jcs_sha256(&Value::Object(doc).to_string()).map_err(Error::engine)?;
    Ok(hash.iter().map(|b| format!("{b:02x}")).collect())
}
