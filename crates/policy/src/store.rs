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
//! copies nothing. When the request's entities only add to the store (without a schema: none of
//! them is stored, and no stored entity has one of them as an ancestor), the stored closure
//! cannot change, and each added entity's ancestors are its own (within the request) and the
//! stored ancestors of those: the copy then takes them as closed instead of having Cedar repair
//! the closure of the whole store, with the same entities as a result.

use crate::error::{Error, one_line};
use crate::evaluate::{Evaluation, RequestJson};
use crate::load::LoadedSet;
use cedar_policy::{Context, Entities, EntityUid};
use cedar_policy_core::ast;
use cedar_policy_core::entities::{Entities as CoreEntities, NoEntitiesSchema, TCComputation};
use cedar_policy_core::extensions::Extensions;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

/// Cedar entities held between requests, parsed (and checked against the schema of the set
/// that loaded them, if it has one) and transitively closed once.
#[derive(Debug, Clone, Default)]
pub struct EntityStore {
    entities: Entities,
    /// Every uid that is an ancestor of a stored entity.
    ancestors: HashSet<EntityUid>,
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
        let entities = self.entities_value(v)?;
        let ancestors = entities
            .iter()
            .flat_map(|e| entities.ancestors(&e.uid()).into_iter().flatten().cloned().collect::<Vec<_>>())
            .collect();
        Ok(EntityStore { entities, ancestors })
    }

    /// Evaluates a request given as JSON text ([`RequestJson`]) against the stored entities,
    /// which the request's own `entities`, if any, replace or extend.
    pub fn evaluate_stored_json(&self, store: &EntityStore, json: &str) -> Result<Evaluation, Error> {
        if let Some(p) = self.fast().then(|| crate::text::request(&self.names, json)).flatten() {
            let entities = match p.entities {
                None => Cow::Borrowed(&store.entities),
                Some(own) => Cow::Owned(self.merged(store, &own)?),
            };
            let parsed = self.parsed(p.principal, p.action, p.resource, p.context.unwrap_or_else(Context::empty))?;
            return self.decide(&parsed, &entities);
        }
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
                Cow::Owned(self.merged(store, &own)?)
            }
        };
        let parsed = self.request(principal, action, resource, r.context.take())?;
        self.decide(&parsed, &entities)
    }

    /// The stored entities with a request's own replacing or extending them.
    fn merged(&self, store: &EntityStore, own: &Entities) -> Result<Entities, Error> {
        match self.schema.is_none().then(|| store.extended(own)).flatten() {
            Some(merged) => Ok(merged),
            None => store
                .entities
                .clone()
                .upsert_entities(own.iter().cloned(), None)
                .map_err(Error::request),
        }
    }
}

impl EntityStore {
    /// The stored entities with `own` (transitively closed among themselves) added, when they
    /// only add to the store: none of them is stored and none is an ancestor of a stored entity.
    /// Each is then given its ancestors in the request and, for those that are stored, their
    /// stored ancestors: the closure Cedar's `upsert_entities` would compute, as the stored
    /// closure cannot change. `None` otherwise (Cedar then repairs the closure).
    fn extended(&self, own: &Entities) -> Option<Entities> {
        let mut added = Vec::with_capacity(own.len());
        for e in own.iter() {
            let uid = e.uid();
            if self.ancestors.contains(&uid) || self.entities.get(&uid).is_some() {
                return None;
            }
            let mut entity: ast::Entity = e.as_ref().clone();
            for a in own.ancestors(&uid)? {
                for up in self.entities.ancestors(a).into_iter().flatten() {
                    entity.add_indirect_ancestor(up.clone().into());
                }
            }
            added.push(Arc::new(entity));
        }
        let stored: CoreEntities = self.entities.as_ref().clone();
        stored
            .add_entities(added, None::<&NoEntitiesSchema>, TCComputation::AssumeAlreadyComputed, Extensions::all_available())
            .ok()
            .map(Entities::from)
    }
}
