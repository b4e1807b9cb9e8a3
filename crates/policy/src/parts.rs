//! A policy set's policies in Cedar's JSON policy form (EST), without loading the set: what a
//! CAP Profile's checks read (annotations, effect, scope) before it is activated.
//!
//! ```text
//! {"policies": [<EST>, ...], "templates": <number of templates>}
//! ```
//!
//! Policies come in the order `cedar_policy::PolicySet` gives them, as cedar-wasm's
//! `policySetTextToParts` does, so both read a set the same way. No `@id` is required here.

use crate::error::{one_line, Error};
use cedar_policy::PolicySet;
use serde_json::{Map, Value};
use std::str::FromStr;

/// The ESTs of the static policies of `text` and its number of templates, as JSON text.
pub fn policy_set_parts_json(text: &str) -> Result<String, Error> {
    let set = PolicySet::from_str(text).map_err(|e| Error::Parse {
        message: one_line(&e.to_string()),
    })?;
    let mut policies = Vec::new();
    for p in set.policies() {
        policies.push(p.to_json().map_err(|e| Error::Serialize {
            id: p.id().to_string(),
            message: one_line(&e.to_string()),
        })?);
    }
    let mut doc = Map::new();
    doc.insert("policies".to_owned(), Value::Array(policies));
    doc.insert("templates".to_owned(), Value::from(set.templates().count()));
    Ok(Value::Object(doc).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_each_policy_est_and_counts_templates() -> Result<(), Error> {
        let json = policy_set_parts_json(
            r#"@id("a") permit (principal, action == Action::"read", resource);
               @id("t") permit (principal == ?principal, action, resource);"#,
        )?;
        let v: Value = serde_json::from_str(&json).map_err(Error::engine)?;
        assert_eq!(v["templates"], 1);
        assert_eq!(v["policies"][0]["effect"], "permit");
        assert_eq!(v["policies"][0]["annotations"]["id"], "a");
        assert_eq!(v["policies"][0]["action"]["op"], "==");
        Ok(())
    }

    #[test]
    fn refuses_text_that_does_not_parse() {
        assert!(matches!(policy_set_parts_json("permit ("), Err(Error::Parse { .. })));
    }
}
