//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! <https://www.rfc-editor.org/rfc/rfc8785>: object properties sorted by their UTF-16 code
//! units (§3.2.3), numbers serialized as ECMAScript's `Number.prototype.toString` does
//! (§3.2.2.3), strings with the minimal JSON escapes (§3.2.2.2), no whitespace.
//!
//! Input must be I-JSON (RFC 7493, <https://www.rfc-editor.org/rfc/rfc7493>), as RFC 8785
//! §3.1 requires: a duplicate property name, a lone surrogate or a number out of the IEEE 754
//! double range is an [`Error::InvalidJson`], never silently resolved.

use crate::error::Error;
use crate::hash::{sha256, Hash};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// The RFC 8785 canonical form of a JSON text.
pub fn canonicalize(json: &str) -> Result<String, Error> {
    let IJson(value) = serde_json::from_str(json).map_err(invalid_json)?;
    serde_json_canonicalizer::to_string(&value).map_err(invalid_json)
}

/// `SHA-256(JCS(json))`: the Kee content hash of a JSON record (KEE-1 digest §4.1).
pub fn jcs_sha256(json: &str) -> Result<Hash, Error> {
    canonicalize(json).map(|c| sha256(c.as_bytes()))
}

fn invalid_json(e: serde_json::Error) -> Error {
    Error::InvalidJson {
        message: e.to_string(),
    }
}

/// A JSON value parsed under the I-JSON rules (no duplicate property names).
struct IJson(Value);

impl<'de> Deserialize<'de> for IJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IJsonVisitor).map(IJson)
    }
}

struct IJsonVisitor;

impl<'de> Visitor<'de> for IJsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(IJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate property name `{key}`"
                )));
            }
            let IJson(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicate_property_names() {
        let got = canonicalize(r#"{"a":1,"b":{"c":1,"c":2}}"#);
        assert!(
            matches!(&got, Err(Error::InvalidJson { message }) if message.contains("duplicate property name `c`")),
            "{got:?}"
        );
    }

    #[test]
    fn rejects_non_i_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1} x",
            "1e400",
            "\"\\ud800\"",
            "NaN",
            "'a'",
        ] {
            assert!(canonicalize(bad).is_err(), "accepted {bad:?}");
        }
    }
}
