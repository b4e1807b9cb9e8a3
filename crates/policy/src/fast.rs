//! Direct conversion of the common shapes of Cedar's request JSON (plain uids, plain values,
//! `__extn` / `__entity` escapes, entities without tags) into Cedar values, skipping the
//! generic JSON deserializers (measured: 3x to 5x less time for a typical context and
//! entities). Each function returns `None` for any shape it does not handle, and the caller
//! then uses Cedar's own JSON parser, so every unusual input, and every error, is decided by
//! Cedar. The differential test (test/policy-differential.test.ts) holds the two paths equal.

use crate::names::{Extension, Names};
use cedar_policy::{Context, Entities, EntityId, EntityUid};
use cedar_policy_core::ast::{self, PartialValue};
use cedar_policy_core::entities::{Entities as CoreEntities, NoEntitiesSchema, TCComputation};
use cedar_policy_core::extensions::Extensions;
use serde_json::{Map, Value};
use smol_str::SmolStr;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// `{"type": T, "id": I}` with exactly those two string fields.
pub fn uid(names: &Names, v: &Value) -> Option<EntityUid> {
    let o = v.as_object()?;
    if o.len() != 2 {
        return None;
    }
    uid_of(names, o.get("type")?.as_str()?, o.get("id")?.as_str()?)
}

/// The uid with this type name and id.
pub fn uid_of(names: &Names, ty: &str, id: &str) -> Option<EntityUid> {
    let ty = names.entity_type(ty)?;
    Some(EntityUid::from_type_name_and_id(ty, EntityId::new(id)))
}

/// One attribute or context value, as Cedar's evaluator turns the restricted expression that
/// Cedar's JSON parser would build for it into a value: literals, sets and records carry no
/// source location, extension constructors are called as the evaluator calls them.
fn value(names: &Names, v: &Value) -> Option<ast::Value> {
    match v {
        Value::Bool(b) => Some(ast::Value::from(*b)),
        Value::Number(n) => n.as_i64().map(ast::Value::from),
        Value::String(s) => Some(ast::Value::from(SmolStr::from(s.as_str()))),
        Value::Array(items) => items
            .iter()
            .map(|v| value(names, v))
            .collect::<Option<Vec<_>>>()
            .map(|vs| ast::Value::set(vs, None)),
        Value::Object(o) => object(names, o),
        Value::Null => None,
    }
}

fn object(names: &Names, o: &Map<String, Value>) -> Option<ast::Value> {
    if o.keys().any(|k| k.starts_with("__")) {
        if o.len() != 1 {
            return None;
        }
        if let Some(e) = o.get("__entity") {
            return uid(names, e).map(|u| ast::Value::from(ast::EntityUID::from(u)));
        }
        let call = o.get("__extn")?.as_object()?;
        if call.len() != 2 {
            return None;
        }
        let arg = call.get("arg")?.as_str()?;
        let extension = Extension::from_fn(call.get("fn")?.as_str()?)?;
        return names.extension_value(extension, arg);
    }
    // Cedar reads `{"type", "id"}` as a record without a schema; leave any doubt to Cedar.
    if o.len() == 2 && o.contains_key("type") && o.contains_key("id") {
        return None;
    }
    Some(ast::Value::record_arc(Arc::new(record(names, o)?), None))
}

/// The fields of a record (a JSON object's keys are distinct, as Cedar requires). A key that
/// starts with `__` is left to Cedar: at the top of a context, `{"__extn": ..}` is an escape
/// that Cedar refuses as not a record.
fn record(names: &Names, o: &Map<String, Value>) -> Option<BTreeMap<SmolStr, ast::Value>> {
    if o.keys().any(|k| k.starts_with("__")) {
        return None;
    }
    o.iter()
        .map(|(k, v)| value(names, v).map(|v| (SmolStr::from(k.as_str()), v)))
        .collect()
}

/// A context record; `None` also when Cedar would refuse it (Cedar then says why).
pub fn context(names: &Names, v: &Value) -> Option<Context> {
    context_of(names, v.as_object()?)
}

/// A context record from its fields.
pub fn context_of(names: &Names, o: &Map<String, Value>) -> Option<Context> {
    let fields = record(names, o)?;
    Some(Context::from(ast::Context::Value(Arc::new(fields))))
}

/// One entity `{"uid": .., "attrs": {..}, "parents": [..]}` (no tags), its attributes evaluated.
fn entity(names: &Names, e: &Value) -> Option<ast::Entity> {
    let o = e.as_object()?;
    if o.len() != 3 {
        return None;
    }
    let parents = o
        .get("parents")?
        .as_array()?
        .iter()
        .map(|p| self::uid(names, p))
        .collect::<Option<Vec<_>>>()?;
    entity_of(names, uid(names, o.get("uid")?)?, o.get("attrs")?.as_object()?, parents)
}

/// The entity with this uid, attributes (evaluated) and parents.
pub fn entity_of(
    names: &Names,
    uid: EntityUid,
    attrs: &Map<String, Value>,
    parents: impl IntoIterator<Item = EntityUid>,
) -> Option<ast::Entity> {
    if attrs.keys().any(|k| k.starts_with("__")) {
        return None;
    }
    let attrs = attrs
        .iter()
        .map(|(k, v)| value(names, v).map(|v| (SmolStr::from(k.as_str()), PartialValue::Value(v))))
        .collect::<Option<Vec<_>>>()?;
    let parents = parents.into_iter().map(ast::EntityUID::from).collect();
    Some(ast::Entity::new_with_attr_partial_value(uid.into(), attrs, HashSet::new(), parents, []))
}

/// Entities given as `[{"uid": .., "attrs": {..}, "parents": [..]}]` (no tags).
///
/// Cedar computes the transitive closure of the entities (`TCComputation::ComputeNow`). When no
/// entity has another of these entities as a parent (the common case: a request's principal and
/// resource with their groups), the closure is the parents themselves and there can be no cycle,
/// so it is taken as computed; otherwise Cedar computes it (and refuses a cycle).
pub fn entities(names: &Names, v: &Value) -> Option<Entities> {
    let list = v.as_array()?;
    closed(list.iter().map(|e| entity(names, e)).collect::<Option<Vec<_>>>()?)
}

/// `Entities` of these entities, as `Entities::from_entities` makes them (see [`entities`]).
pub fn closed(out: Vec<ast::Entity>) -> Option<Entities> {
    let closed = if out.len() <= 16 {
        out.iter().all(|e| e.parents().all(|p| !out.iter().any(|o| o.uid() == p)))
    } else {
        let uids: HashSet<&ast::EntityUID> = out.iter().map(ast::Entity::uid).collect();
        out.iter().all(|e| e.parents().all(|p| !uids.contains(p)))
    };
    let tc = if closed {
        TCComputation::AssumeAlreadyComputed
    } else {
        TCComputation::ComputeNow
    };
    CoreEntities::from_entities(out, None::<&NoEntitiesSchema>, tc, Extensions::all_available())
        .ok()
        .map(Entities::from)
}
