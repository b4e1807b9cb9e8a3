//! Cedar policy evaluation over `kee-policy`: a loaded set is a [`PolicySetHandle`] that JS
//! holds (and frees); one call per decision, with the request as JSON text.
//!
//! ```text
//! loadPolicySet(sourceJson) -> KeeResult<PolicySetHandle>
//! handle.evaluate(requestJson) -> KeeResult<KeeDecision>
//! handle.setEntities(entitiesJson) -> KeeResult<number>          (replaces the entity store)
//! handle.evaluateStored(requestJson) -> KeeResult<KeeDecision>   (against the stored entities)
//! handle.info() -> KeePolicySetInfo
//! ```
//!
//! The entity store is parsed once by `setEntities` and held next to the set, so that a request
//! for `evaluateStored` carries only its principal, action, resource and context; entities it
//! does carry replace the stored ones with the same uid, or extend them, for that request only.
//!
//! `INVALID_INPUT` means a policy set that does not load or a request Cedar refuses;
//! `ENGINE_FAILED` means a fault of the engine itself. Policy evaluation errors are not
//! failures: Cedar skips an erroring policy and the decision lists it in `errors`.

use crate::{failure, object, success, Failure};
use js_sys::Array;
use kee_policy::{EntityStore, Error, Evaluation, LoadedSet, Source};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_POLICY_TYPES: &str = r#"
/** What `loadPolicySet` reads: Cedar policy text (every policy and template with `@id`), template links, an optional schema. */
export type KeePolicySource = {
  policies: string;
  links?: { templateId: string; newId: string; values: Record<"?principal" | "?resource", { type: string; id: string }> }[];
  schema?: string;
};
/** A Cedar request: uids as `{type, id}`, `context` a record, `entities` Cedar's entity JSON array. */
export type KeePolicyRequest = {
  principal: { type: string; id: string };
  action: { type: string; id: string };
  resource: { type: string; id: string };
  context?: Record<string, unknown>;
  entities?: unknown[];
};
/** Cedar's answer: `reasons` are the determining policies (sorted), `errors` the policies Cedar skipped. */
export type KeeDecision = { allow: boolean; reasons: string[]; errors: { policyId: string; message: string }[] };
/** The loaded set: `cedarPolicyHash` is lowercase hex (KEE-1 digest 4.1); ids are sorted. */
export type KeePolicySetInfo = { cedarPolicyHash: string; policyIds: string[]; templateIds: string[]; tiers: Record<string, string> };
"#;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self {
            code: if e.is_engine_fault() {
                "ENGINE_FAILED"
            } else {
                "INVALID_INPUT"
            },
            message: e.to_string(),
        }
    }
}

/// A loaded, indexed policy set. Free it with `free()` when it is replaced.
#[wasm_bindgen(js_name = "PolicySetHandle")]
pub struct PolicySetHandle {
    set: LoadedSet,
    store: EntityStore,
}

/// Loads a policy set from a JSON `KeePolicySource` (`value: PolicySetHandle`).
#[wasm_bindgen(
    js_name = "loadPolicySet",
    unchecked_return_type = "KeeResult<PolicySetHandle>"
)]
pub fn load_policy_set(#[wasm_bindgen(js_name = "sourceJson")] source_json: &str) -> JsValue {
    let loaded = serde_json::from_str::<Source>(source_json)
        .map_err(|e| Failure::invalid(format!("policy source is not valid json: {e}")))
        .and_then(|source| LoadedSet::load(&source).map_err(Failure::from));
    match loaded {
        Ok(set) => success(&JsValue::from(PolicySetHandle {
            set,
            store: EntityStore::empty(),
        })),
        Err(f) => failure(&f),
    }
}

#[wasm_bindgen(js_class = "PolicySetHandle")]
impl PolicySetHandle {
    /// Evaluates one request, a JSON `KeePolicyRequest` (`value: KeeDecision`).
    #[wasm_bindgen(js_name = "evaluate", unchecked_return_type = "KeeResult<KeeDecision>")]
    pub fn evaluate(&self, #[wasm_bindgen(js_name = "requestJson")] request_json: &str) -> JsValue {
        match self.set.evaluate_json(request_json) {
            Ok(answer) => success(&decision(&answer)),
            Err(e) => failure(&Failure::from(e)),
        }
    }

    /// Replaces the entity store with Cedar's entity JSON array `entitiesJson`, checked against
    /// the set's schema if it has one (`value`: how many entities the store holds). On failure
    /// the store is left as it was.
    #[wasm_bindgen(js_name = "setEntities", unchecked_return_type = "KeeResult<number>")]
    pub fn set_entities(&mut self, #[wasm_bindgen(js_name = "entitiesJson")] entities_json: &str) -> JsValue {
        match self.set.load_entities_json(entities_json) {
            Ok(store) => {
                self.store = store;
                // Far fewer than 2^53 entities fit in WASM memory: the count is exact.
                success(&JsValue::from_f64(self.store.len() as f64))
            }
            Err(e) => failure(&Failure::from(e)),
        }
    }

    /// Evaluates one request, a JSON `KeePolicyRequest`, against the stored entities; its own
    /// `entities`, if any, replace (same uid) or extend them for this request (`value: KeeDecision`).
    #[wasm_bindgen(js_name = "evaluateStored", unchecked_return_type = "KeeResult<KeeDecision>")]
    pub fn evaluate_stored(&self, #[wasm_bindgen(js_name = "requestJson")] request_json: &str) -> JsValue {
        match self.set.evaluate_stored_json(&self.store, request_json) {
            Ok(answer) => success(&decision(&answer)),
            Err(e) => failure(&Failure::from(e)),
        }
    }

    /// The hash, ids and tiers of the loaded set.
    #[wasm_bindgen(js_name = "info", unchecked_return_type = "KeePolicySetInfo")]
    pub fn info(&self) -> JsValue {
        let tiers = js_sys::Object::new();
        for (id, tier) in self.set.tiers() {
            // Setting a data property on a fresh plain object cannot fail.
            let _ = js_sys::Reflect::set(&tiers, &JsValue::from_str(id), &JsValue::from_str(tier));
        }
        object(&[
            ("cedarPolicyHash", &JsValue::from_str(self.set.cedar_policy_hash())),
            ("policyIds", &strings(self.set.policy_ids())),
            ("templateIds", &strings(self.set.template_ids())),
            ("tiers", &tiers.into()),
        ])
    }
}

fn strings(items: &[String]) -> JsValue {
    items
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

fn decision(answer: &Evaluation) -> JsValue {
    let errors: Array = answer
        .errors
        .iter()
        .map(|e| {
            object(&[
                ("policyId", &JsValue::from_str(&e.policy_id)),
                ("message", &JsValue::from_str(&e.message)),
            ])
        })
        .collect();
    object(&[
        ("allow", &JsValue::from_bool(answer.allow)),
        ("reasons", &strings(&answer.reasons)),
        ("errors", &errors.into()),
    ])
}
