//! Loading a policy set: parse, key by `@id`, link templates, validate, index and hash.

use crate::error::{one_line, Error};
use crate::hash::cedar_policy_hash;
use crate::index::{Index, Scopes};
use crate::names::Names;
use crate::subsets::SubsetCache;
use cedar_policy::{
    EntityUid, Policy, PolicyId, PolicySet, Schema, SlotId, ValidationMode, Validator,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// A link of a template into a policy: `values` maps `?principal` and `?resource` to entity
/// uids in Cedar's JSON form (`{"type": "User", "id": "alice"}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Link {
    /// The template's `@id`.
    pub template_id: String,
    /// The id of the linked policy.
    pub new_id: String,
    /// The slot values.
    pub values: BTreeMap<String, serde_json::Value>,
}

/// What a policy set is loaded from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Source {
    /// Cedar policy text: policies and templates, each with an `@id("...")` annotation.
    pub policies: String,
    /// Template links.
    #[serde(default)]
    pub links: Vec<Link>,
    /// An optional schema, in Cedar schema syntax or (when it starts with `{`) Cedar JSON
    /// schema syntax. When given, the policy set must validate against it (strict mode), and
    /// requests and entities are checked against it as Cedar does.
    #[serde(default)]
    pub schema: Option<String>,
}

/// One policy of the set, as the evaluator needs it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) policy: Policy,
    /// For a linked policy: the template and the slot values.
    pub(crate) link: Option<(PolicyId, HashMap<SlotId, EntityUid>)>,
}

/// A parsed, validated, indexed policy set, ready to evaluate requests.
#[derive(Debug)]
pub struct LoadedSet {
    pub(crate) set: PolicySet,
    pub(crate) entries: Vec<Entry>,
    pub(crate) index: Index,
    pub(crate) schema: Option<Schema>,
    /// The candidate subsets built so far (crate::subsets).
    pub(crate) subsets: SubsetCache,
    /// Entity type names parsed so far (crate::names).
    pub(crate) names: Names,
    hash: String,
    policy_ids: Vec<String>,
    template_ids: Vec<String>,
    tiers: BTreeMap<String, String>,
}

/// The `@id` of a policy or template; `None` when absent or empty.
fn id_of<'a>(mut annotations: impl Iterator<Item = (&'a str, &'a str)>) -> Option<String> {
    annotations
        .find(|(k, _)| *k == "id")
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

fn parse_schema(text: &str) -> Result<Schema, Error> {
    let schema = if text.trim_start().starts_with('{') {
        Schema::from_json_str(text).map_err(|e| e.to_string())
    } else {
        Schema::from_cedarschema_str(text)
            .map(|(s, _warnings)| s)
            .map_err(|e| e.to_string())
    };
    schema.map_err(|m| Error::Schema {
        message: one_line(&m),
    })
}

impl LoadedSet {
    /// Parses `source.policies`, keys every policy and template by its `@id` annotation,
    /// applies the links, validates against the schema if there is one, indexes the scopes and
    /// computes `cedar_policy_hash`.
    pub fn load(source: &Source) -> Result<Self, Error> {
        let parsed = PolicySet::from_str(&source.policies).map_err(|e| Error::Parse {
            message: one_line(&e.to_string()),
        })?;
        let mut set = PolicySet::new();
        // Policies then templates, each in text order (the parser numbers them that way).
        for (position, p) in parsed.policies().enumerate() {
            let id = id_of(p.annotations()).ok_or(Error::MissingId { position })?;
            set.add(p.new_id(PolicyId::new(&id)))
                .map_err(|_| Error::DuplicateId { id })?;
        }
        for (position, t) in parsed.templates().enumerate() {
            let id = id_of(t.annotations()).ok_or(Error::MissingId { position })?;
            set.add_template(t.new_id(PolicyId::new(&id)))
                .map_err(|_| Error::DuplicateId { id })?;
        }
        for link in &source.links {
            let values = link_values(link)?;
            if set.policy(&PolicyId::new(&link.new_id)).is_some()
                || set.template(&PolicyId::new(&link.new_id)).is_some()
            {
                return Err(Error::DuplicateId {
                    id: link.new_id.clone(),
                });
            }
            set.link(
                PolicyId::new(&link.template_id),
                PolicyId::new(&link.new_id),
                values,
            )
            .map_err(|e| Error::Link {
                id: link.new_id.clone(),
                message: one_line(&e.to_string()),
            })?;
        }
        let schema = source.schema.as_deref().map(parse_schema).transpose()?;
        if let Some(schema) = &schema {
            let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
            if !result.validation_passed() {
                let message = result
                    .validation_errors()
                    .map(|e| one_line(&e.to_string()))
                    .collect::<Vec<_>>()
                    .join(": ");
                return Err(Error::Validation { message });
            }
        }
        Self::index(set, schema)
    }

    fn index(set: PolicySet, schema: Option<Schema>) -> Result<Self, Error> {
        if u32::try_from(set.policies().count()).is_err() {
            return Err(Error::engine("policy set holds 2^32 policies or more"));
        }
        let mut entries = Vec::new();
        let mut scopes = Vec::new();
        let mut tiers = BTreeMap::new();
        for p in set.policies() {
            scopes.push(Scopes {
                principal: p.principal_constraint().into(),
                action: p.action_constraint().into(),
                resource: p.resource_constraint().into(),
            });
            let link = match (p.template_id(), p.template_links()) {
                (Some(t), Some(values)) => Some((t.clone(), values)),
                _ => None,
            };
            if let Some(tier) = p.annotation("tier") {
                tiers.insert(p.id().to_string(), tier.to_owned());
            }
            entries.push(Entry {
                policy: p.clone(),
                link,
            });
        }
        let hash = cedar_policy_hash(&set)?;
        let mut policy_ids: Vec<String> = set.policies().map(|p| p.id().to_string()).collect();
        policy_ids.sort();
        let mut template_ids: Vec<String> = set.templates().map(|t| t.id().to_string()).collect();
        template_ids.sort();
        Ok(Self {
            index: Index::new(scopes),
            set,
            entries,
            schema,
            subsets: SubsetCache::default(),
            names: Names::default(),
            hash,
            policy_ids,
            template_ids,
            tiers,
        })
    }

    /// `cedar_policy_hash` (KEE-1 digest §4.1): lowercase hex SHA-256 of the JCS form of
    /// `{"policies": {<id>: <EST>}, "templates": {<id>: <EST>}}`.
    pub fn cedar_policy_hash(&self) -> &str {
        &self.hash
    }

    /// The ids of the policies (static and linked), sorted.
    pub fn policy_ids(&self) -> &[String] {
        &self.policy_ids
    }

    /// The ids of the templates, sorted.
    pub fn template_ids(&self) -> &[String] {
        &self.template_ids
    }

    /// The `@tier` annotation of each policy that has one.
    pub fn tiers(&self) -> &BTreeMap<String, String> {
        &self.tiers
    }

    /// The whole policy set, as Cedar holds it.
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }
}

/// The slot values of a link, parsed.
fn link_values(link: &Link) -> Result<HashMap<SlotId, EntityUid>, Error> {
    let bad = |message: String| Error::Link {
        id: link.new_id.clone(),
        message,
    };
    link.values
        .iter()
        .map(|(slot, value)| {
            let slot_id = match slot.as_str() {
                "?principal" => SlotId::principal(),
                "?resource" => SlotId::resource(),
                other => return Err(bad(format!("unknown slot `{other}`"))),
            };
            let uid = EntityUid::from_json(value.clone())
                .map_err(|e| bad(one_line(&e.to_string())))?;
            Ok((slot_id, uid))
        })
        .collect()
}
