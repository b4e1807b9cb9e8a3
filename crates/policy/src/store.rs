//! An entity store: Cedar entities parsed once and held next to a policy set, so that a request
//! needs to carry only its principal, action, resource and context.
//!
//! ```
//! use kee_policy::{LoadedSet, Source};
//! let set = LoadedSet::load(&Source {
//!     policies: r#"@id("team") permit (principal in Team::"ops", action, resource);"#.into(),
//!     ..Source::default()
//! })?;
//! let store = set.load_entities_json(
//!     r#"[{"uid": {"type": "Agent", "id": "a"}, "attrs": {}, "parents": [{"type": "Team", "id": "ops"}]}]"#,
//! )?;
//! let request = r#"{"principal": {"type": "Agent", "id": "a"}, "action": {"type": "Action", "id": "read"},
//!                   "resource": {"type": "Doc", "id": "d"}, "context": {}}"#;
//! assert!(set.evaluate_stored_json(&store, request)?.allow);
//! # Ok::<(), kee_policy::Error>(())
//! ```
//!
//! A request may still carry `entities`: they are added to the stored ones for that request
//! only, and an entity with the uid of a stored one replaces it (Cedar's `upsert_entities`,
//! which repairs the transitive closure). The decision is then exactly Cedar's on the stored
//! entities with the request's replacing or extending them. That path copies the store for the
//! request, so it costs time in proportion to the store; the path without request entities
//! copies nothing.

use crate::error::{Error, one_line};
use crate::evaluate::{Evaluation, RequestJson};
use crate::load::LoadedSet;
use cedar_policy::Entities;
use serde_json::Value;
use std::borrow::Cow;

/// Cedar entities held between requests, parsed (and checked against the schema of the set
/// that loaded them, if it has one) and transitively closed once.
#[derive(Debug, Clone, Default)]
pub struct EntityStore {
    entities: Entities,
}

impl EntityStore {
    /// A store with no entities.
    pub fn empty() -> Self {
        Self::default()
    }

    /// How many entities the store holds (with a schema: including its action entities).
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// Whether the store holds no entity.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// The entities, as Cedar holds them.
    pub fn entities(&self) -> &Entities {
        &self.entities
    }
}

impl LoadedSet {
    /// Parses Cedar's entity JSON array (`[{"uid": .., "attrs": {..}, "parents": [..]}]`) into
    /// a store for this set: checked against its schema if it has one, as Cedar checks the
    /// entities of a request.
    pub fn load_entities_json(&self, json: &str) -> Result<EntityStore, Error> {
        let v: Value = serde_json::from_str(json).map_err(|e| Error::Request {
            message: one_line(&format!("entities are not valid json: {e}")),
        })?;
        Ok(EntityStore {
            entities: self.entities_value(v)?,
        })
    }

    /// Evaluates a request given as JSON text ([`RequestJson`]) against the stored entities,
    /// which the request's own `entities`, if any, replace or extend.
    pub fn evaluate_stored_json(&self, store: &EntityStore, json: &str) -> Result<Evaluation, Error> {
        let request: RequestJson = serde_json::from_str(json).map_err(Error::request)?;
        self.evaluate_stored(store, request)
    }

    /// Evaluates a request against the stored entities (see [`LoadedSet::evaluate_stored_json`]).
    pub fn evaluate_stored(&self, store: &EntityStore, mut r: RequestJson) -> Result<Evaluation, Error> {
        let extra = r.entities.take();
        let (principal, action, resource) = self.uids(&mut r)?;
        let entities = match extra {
            None => Cow::Borrowed(&store.entities),
            Some(Value::Array(list)) if list.is_empty() => Cow::Borrowed(&store.entities),
            Some(v) => {
                // Parsed on their own first, so that the request's entities are checked (and
                // refused, for example when one uid appears twice) as in a request without a store.
                let own = self.entities_value(v)?;
                let merged = store
                    .entities
                    .clone()
                    .upsert_entities(own.iter().cloned(), None)
                    .map_err(Error::request)?;
                Cow::Owned(merged)
            }
        };
        let parsed = self.request(principal, action, resource, r.context.take())?;
        self.decide(&parsed, &entities)
    }
}
