//! Names parsed once instead of once per request: entity type names, and the names of the
//! extension constructors (`ip`, `decimal`, `datetime`, `duration`) that `__extn` values call.
//!
//! Cedar parses a type name (`EntityTypeName::from_str`) and, in
//! `RestrictedExpression::new_ip` and its siblings, the constructor's name with its full policy
//! parser, on every call: measured, most of the time spent turning a request's uids and context
//! into Cedar values. Parsing is a pure function of the text, so a name parsed once is the name
//! that would be parsed again; the values built from them are exactly Cedar's.
//!
//! The type-name cache is bounded ([`MAX_TYPES`]): when full it is emptied and refilled, so a
//! stream of ever-new type names costs what it cost before, never unbounded memory.

use cedar_policy::{EntityTypeName, RestrictedExpression};
use cedar_policy_core::ast::{self, Name, PartialValue, RestrictedExpr, UnreservedId};
use cedar_policy_core::extensions::Extensions;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;

/// At most this many type names are kept.
pub const MAX_TYPES: usize = 1024;

/// The extension constructors that `__extn` values of the fast path may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// `ip("..")`
    Ip,
    /// `decimal("..")`
    Decimal,
    /// `datetime("..")`
    Datetime,
    /// `duration("..")`
    Duration,
}

impl Extension {
    /// The constructor for a `__extn` `fn` name; `None` for any other name.
    pub fn from_fn(name: &str) -> Option<Self> {
        match name {
            "ip" => Some(Self::Ip),
            "decimal" => Some(Self::Decimal),
            "datetime" => Some(Self::Datetime),
            "duration" => Some(Self::Duration),
            _ => None,
        }
    }

    fn slot(self) -> usize {
        match self {
            Self::Ip => 0,
            Self::Decimal => 1,
            Self::Datetime => 2,
            Self::Duration => 3,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::Decimal => "decimal",
            Self::Datetime => "datetime",
            Self::Duration => "duration",
        }
    }
}

/// Type names parsed so far, and the extension constructors' names.
#[derive(Debug)]
pub struct Names {
    types: Mutex<HashMap<String, EntityTypeName>>,
    /// `ip`, `decimal`, `datetime`, `duration`, each `None` if it did not parse (it always does;
    /// the fast path then leaves such values to Cedar).
    extensions: [Option<Name>; 4],
}

impl Default for Names {
    fn default() -> Self {
        // As Cedar's own `RestrictedExpression::new_ip` builds the name: an unqualified name.
        let name = |e: Extension| UnreservedId::from_str(e.text()).ok().map(Name::unqualified_name);
        Self {
            types: Mutex::default(),
            extensions: [
                name(Extension::Ip),
                name(Extension::Decimal),
                name(Extension::Datetime),
                name(Extension::Duration),
            ],
        }
    }
}

impl Names {
    /// `EntityTypeName::from_str(text)`, parsed at most once while it stays in the cache;
    /// `None` when it does not parse.
    pub fn entity_type(&self, text: &str) -> Option<EntityTypeName> {
        if let Ok(types) = self.types.lock() {
            if let Some(t) = types.get(text) {
                return Some(t.clone());
            }
        }
        let parsed = EntityTypeName::from_str(text).ok()?;
        // A poisoned lock only means the cache is skipped.
        if let Ok(mut types) = self.types.lock() {
            if types.len() >= MAX_TYPES {
                types.clear();
            }
            types.insert(text.to_owned(), parsed.clone());
        }
        Some(parsed)
    }

    /// The value of the call `e(arg)`, as Cedar's evaluator computes it from the restricted
    /// expression [`Names::extension_call`] builds (the function called on the string `arg`, the
    /// result without a source location); `None` when the call fails (Cedar then says why).
    pub fn extension_value(&self, e: Extension, arg: &str) -> Option<ast::Value> {
        let name = self.extensions.get(e.slot())?.as_ref()?;
        let function = Extensions::all_available().func(name).ok()?;
        match function.call(&[ast::Value::from(arg)]).ok()? {
            PartialValue::Value(v) => Some(v.with_maybe_source_loc(None)),
            PartialValue::Residual(_) => None,
        }
    }

    /// The call `e(arg)`, as `RestrictedExpression::new_ip(arg)` (and its siblings) builds it.
    pub fn extension_call(&self, e: Extension, arg: &str) -> Option<RestrictedExpression> {
        let name = self.extensions.get(e.slot())?.clone()?;
        let call = RestrictedExpr::call_extension_fn(name, [RestrictedExpr::val(arg)]);
        Some(RestrictedExpression::from(call))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_calls_equal_cedars_own() {
        let names = Names::default();
        for (e, arg, cedar) in [
            (Extension::Ip, "10.0.0.1", RestrictedExpression::new_ip("10.0.0.1")),
            (Extension::Decimal, "1.25", RestrictedExpression::new_decimal("1.25")),
            (Extension::Datetime, "2024-01-01", RestrictedExpression::new_datetime("2024-01-01")),
            (Extension::Duration, "1h", RestrictedExpression::new_duration("1h")),
            (Extension::Ip, "not an ip", RestrictedExpression::new_ip("not an ip")),
        ] {
            assert_eq!(names.extension_call(e, arg), Some(cedar));
        }
    }

    #[test]
    fn type_names_equal_cedars_parse_and_bad_ones_are_refused() {
        let names = Names::default();
        for text in ["Agent", "Ns::Agent", "A::B::C", "Agent"] {
            assert_eq!(names.entity_type(text), EntityTypeName::from_str(text).ok());
        }
        for text in ["", "1x", "Ns::", " Agent", "Agent ", "if"] {
            assert_eq!(names.entity_type(text), EntityTypeName::from_str(text).ok(), "{text:?}");
        }
    }

    #[test]
    fn the_type_cache_stays_bounded() {
        let names = Names::default();
        for i in 0..(MAX_TYPES + 5) {
            assert!(names.entity_type(&format!("T{i}")).is_some());
        }
        assert!(names.types.lock().map(|t| t.len()).unwrap_or(0) <= MAX_TYPES);
    }
}
