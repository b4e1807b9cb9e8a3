//! Evaluating one request against the candidate policies of a [`LoadedSet`].

use crate::error::{one_line, Error};
use crate::load::LoadedSet;
use crate::scope::Target;
use cedar_policy::{
    AuthorizationError, Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request,
    Response,
};
use serde::Deserialize;
use serde_json::Value;

/// A request in Cedar's JSON forms, as `@cedar-policy/cedar-wasm`'s `isAuthorized` takes it:
/// entity uids as `{"type": "User", "id": "alice"}`, `context` as a JSON record (extension
/// values as `{"__extn": {"fn": "ip", "arg": "10.0.0.1"}}`), `entities` as Cedar's entity JSON
/// array (`[{"uid": .., "attrs": {..}, "parents": [..]}]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestJson {
    /// The principal's uid.
    pub principal: Value,
    /// The action's uid.
    pub action: Value,
    /// The resource's uid.
    pub resource: Value,
    /// The context record; `{}` when absent.
    #[serde(default)]
    pub context: Option<Value>,
    /// The entities; none when absent.
    #[serde(default)]
    pub entities: Option<Value>,
}

/// One policy that Cedar skipped because evaluating it raised an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The policy's id.
    pub policy_id: String,
    /// Cedar's evaluation error.
    pub message: String,
}

/// Cedar's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// `true` for Cedar's `Allow`.
    pub allow: bool,
    /// The determining policies, sorted: the satisfied permits when allowed, the satisfied
    /// forbids when denied by a forbid, none when no permit was satisfied.
    pub reasons: Vec<String>,
    /// The policies that raised an error, sorted by id. Cedar skips them; the kernel DENYs.
    pub errors: Vec<PolicyError>,
}

/// The principal, action, resource and context of a request, parsed by Cedar.
pub(crate) struct Parsed {
    pub(crate) principal: EntityUid,
    pub(crate) action: EntityUid,
    pub(crate) resource: EntityUid,
    pub(crate) request: Request,
}

impl LoadedSet {
    /// Evaluates a request given as JSON text ([`RequestJson`]).
    pub fn evaluate_json(&self, json: &str) -> Result<Evaluation, Error> {
        if let Some(p) = self.fast().then(|| crate::text::request(&self.names, json)).flatten() {
            let entities = p.entities.unwrap_or_else(Entities::empty);
            let parsed = self.parsed(p.principal, p.action, p.resource, p.context.unwrap_or_else(Context::empty))?;
            return self.decide(&parsed, &entities);
        }
        let request: RequestJson = serde_json::from_str(json).map_err(Error::request)?;
        self.evaluate(request)
    }

    /// Evaluates a request on the policies whose scope can match it (see [`crate::index`]).
    pub fn evaluate(&self, request: RequestJson) -> Result<Evaluation, Error> {
        let (parsed, entities) = self.parse(request)?;
        self.decide(&parsed, &entities)
    }

    /// Evaluates a request on the whole set, without the index: the reference that
    /// [`LoadedSet::evaluate`] must always agree with.
    pub fn evaluate_unindexed(&self, request: RequestJson) -> Result<Evaluation, Error> {
        let (parsed, entities) = self.parse(request)?;
        Ok(answer(&Authorizer::new().is_authorized(
            &parsed.request,
            &self.set,
            &entities,
        )))
    }

    /// The ids of the policies the index selects for a request, in set order.
    pub fn candidates(&self, request: RequestJson) -> Result<Vec<String>, Error> {
        let (parsed, entities) = self.parse(request)?;
        Ok(self
            .candidate_positions(&parsed, &entities)
            .iter()
            .filter_map(|&i| self.entries.get(i as usize))
            .map(|e| e.policy.id().to_string())
            .collect())
    }

    /// Cedar's answer for a parsed request over `entities`, from the candidate policies only.
    pub(crate) fn decide(&self, parsed: &Parsed, entities: &Entities) -> Result<Evaluation, Error> {
        let candidates = self.candidate_positions(parsed, entities);
        let subset = self
            .subsets
            .get_or_build(&candidates, || self.subset(&candidates))?;
        Ok(answer(&Authorizer::new().is_authorized(
            &parsed.request,
            &subset,
            entities,
        )))
    }

    /// Parses a whole request: its entities (none when absent) and the rest.
    fn parse(&self, mut r: RequestJson) -> Result<(Parsed, Entities), Error> {
        let entities = r.entities.take();
        // Entities before the context, as before: which error a doubly bad request reports.
        let (principal, action, resource) = self.uids(&mut r)?;
        let entities = match entities {
            None => Entities::empty(),
            Some(v) => self.entities_value(v)?,
        };
        let parsed = self.request(principal, action, resource, r.context.take())?;
        Ok((parsed, entities))
    }

    /// The principal, action and resource of a request.
    pub(crate) fn uids(&self, r: &mut RequestJson) -> Result<(EntityUid, EntityUid, EntityUid), Error> {
        Ok((
            self.uid(r.principal.take())?,
            self.uid(r.action.take())?,
            self.uid(r.resource.take())?,
        ))
    }

    /// One entity uid: the common shape directly (without a schema), anything else by Cedar.
    fn uid(&self, v: Value) -> Result<EntityUid, Error> {
        match self.fast().then(|| crate::fast::uid(&self.names, &v)).flatten() {
            Some(u) => Ok(u),
            None => EntityUid::from_json(v).map_err(Error::request),
        }
    }

    /// Without a schema, the common shapes take the direct path (crate::fast); anything
    /// else, and every error, goes through Cedar's JSON parser.
    pub(crate) fn fast(&self) -> bool {
        self.schema.is_none()
    }

    /// Entities in Cedar's entity JSON form, checked against the schema if there is one.
    pub(crate) fn entities_value(&self, v: Value) -> Result<Entities, Error> {
        let schema = self.schema.as_ref();
        match self.fast().then(|| crate::fast::entities(&self.names, &v)).flatten() {
            Some(e) => Ok(e),
            None => Entities::from_json_value(v, schema).map_err(Error::request),
        }
    }

    /// The Cedar request for these uids and context (`{}` when absent).
    pub(crate) fn request(
        &self,
        principal: EntityUid,
        action: EntityUid,
        resource: EntityUid,
        context: Option<Value>,
    ) -> Result<Parsed, Error> {
        let schema = self.schema.as_ref();
        let context = match context {
            None => Context::empty(),
            Some(v) => match self.fast().then(|| crate::fast::context(&self.names, &v)).flatten() {
                Some(c) => c,
                None => Context::from_json_value(v, schema.map(|s| (s, &action)))
                    .map_err(Error::request)?,
            },
        };
        self.parsed(principal, action, resource, context)
    }

    /// The Cedar request for these uids and context.
    pub(crate) fn parsed(
        &self,
        principal: EntityUid,
        action: EntityUid,
        resource: EntityUid,
        context: Context,
    ) -> Result<Parsed, Error> {
        let request = Request::new(
            principal.clone(),
            action.clone(),
            resource.clone(),
            context,
            self.schema.as_ref(),
        )
        .map_err(Error::request)?;
        Ok(Parsed {
            principal,
            action,
            resource,
            request,
        })
    }

    fn candidate_positions(&self, parsed: &Parsed, entities: &Entities) -> Vec<u32> {
        let target = |uid| Target {
            uid,
            ancestors: entities
                .ancestors(uid)
                .map(Iterator::collect)
                .unwrap_or_default(),
        };
        self.index.candidates(
            &target(&parsed.principal),
            &target(&parsed.action),
            &target(&parsed.resource),
        )
    }

    /// A policy set holding only the policies at `positions` (and their templates).
    fn subset(&self, positions: &[u32]) -> Result<PolicySet, Error> {
        let mut subset = PolicySet::new();
        for &i in positions {
            let entry = self
                .entries
                .get(i as usize)
                .ok_or_else(|| Error::engine(format!("index names policy {i} of {}", self.entries.len())))?;
            match &entry.link {
                None => subset.add(entry.policy.clone()).map_err(Error::engine)?,
                Some((template_id, values)) => {
                    if subset.template(template_id).is_none() {
                        let template = self.set.template(template_id).ok_or_else(|| {
                            Error::engine(format!("template `{template_id}` is missing"))
                        })?;
                        subset.add_template(template.clone()).map_err(Error::engine)?;
                    }
                    subset
                        .link(template_id.clone(), entry.policy.id().clone(), values.clone())
                        .map_err(Error::engine)?;
                }
            }
        }
        Ok(subset)
    }
}

/// Cedar's response as an [`Evaluation`].
fn answer(response: &Response) -> Evaluation {
    let mut reasons: Vec<String> = response.diagnostics().reason().map(ToString::to_string).collect();
    reasons.sort();
    let mut errors: Vec<PolicyError> = response
        .diagnostics()
        .errors()
        .map(|e| match e {
            AuthorizationError::PolicyEvaluationError(e) => PolicyError {
                policy_id: e.policy_id().to_string(),
                message: one_line(&e.inner().to_string()),
            },
        })
        .collect();
    errors.sort_by(|a, b| (&a.policy_id, &a.message).cmp(&(&b.policy_id, &b.message)));
    Evaluation {
        allow: response.decision() == Decision::Allow,
        reasons,
        errors,
    }
}
