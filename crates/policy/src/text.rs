//! Requests read straight from their JSON text into the parts the fast path needs
//! ([`crate::fast`]), without building a `serde_json::Value` tree for the uids and the entities
//! (measured: most of the time spent reading a request with entities).
//!
//! Only the common shape is read: the request's fields as [`crate::RequestJson`] has them (no
//! other field), every uid `{"type": T, "id": I}` with exactly those string fields, every entity
//! `{"uid": .., "attrs": {..}, "parents": [..]}`, the context a JSON object. Attribute and
//! context values are read as JSON values and converted by [`crate::fast`]. Any other text,
//! and any text the fast path declines, gives `None`: the caller then reads the request as
//! before (serde into [`crate::RequestJson`], then the fast path or Cedar's parsers), so every
//! unusual request, and every error, is decided exactly as before.

use crate::fast;
use crate::names::Names;
use cedar_policy::{Context, Entities, EntityUid};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Uid<'a> {
    #[serde(borrow, rename = "type")]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityText<'a> {
    #[serde(borrow)]
    uid: Uid<'a>,
    attrs: Map<String, Value>,
    #[serde(borrow)]
    parents: Vec<Uid<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestText<'a> {
    #[serde(borrow)]
    principal: Uid<'a>,
    #[serde(borrow)]
    action: Uid<'a>,
    #[serde(borrow)]
    resource: Uid<'a>,
    #[serde(default)]
    context: Option<Map<String, Value>>,
    #[serde(default, borrow)]
    entities: Option<Vec<EntityText<'a>>>,
}

/// A request's parts, converted.
pub(crate) struct Parts {
    pub(crate) principal: EntityUid,
    pub(crate) action: EntityUid,
    pub(crate) resource: EntityUid,
    /// `None` when the request has no context (or `null`).
    pub(crate) context: Option<Context>,
    /// `None` when the request has no entities, `null` or `[]`.
    pub(crate) entities: Option<Entities>,
}

fn uid(names: &Names, u: &Uid<'_>) -> Option<EntityUid> {
    fast::uid_of(names, &u.ty, &u.id)
}

/// The parts of a request in the common shape; `None` for anything else.
pub(crate) fn request(names: &Names, json: &str) -> Option<Parts> {
    let r: RequestText<'_> = serde_json::from_str(json).ok()?;
    let entities = match r.entities {
        Some(list) if !list.is_empty() => {
            let mut out = Vec::with_capacity(list.len());
            for e in &list {
                let parents = e.parents.iter().map(|p| uid(names, p)).collect::<Option<Vec<_>>>()?;
                out.push(fast::entity_of(names, uid(names, &e.uid)?, &e.attrs, parents)?);
            }
            Some(fast::closed(out)?)
        }
        _ => None,
    };
    Some(Parts {
        principal: uid(names, &r.principal)?,
        action: uid(names, &r.action)?,
        resource: uid(names, &r.resource)?,
        context: match &r.context {
            None => None,
            Some(c) => Some(fast::context_of(names, c)?),
        },
        entities,
    })
}
