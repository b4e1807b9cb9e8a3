//! Cedar policy evaluation over `kee-policy`: a loaded set is a [`PolicySetHandle`] that JS
//! holds (and frees); one call per decision, with the request as JSON text.
//!
//! ```text
//! loadPolicySet(sourceJson) -> KeeResult<PolicySetHandle>
//! handle.evaluate(requestJson) -> KeeResult<KeeDecision>
//! handle.setEntities(entitiesJson) -> KeeResult<number>          (replaces the entity store)
//! handle.evaluateStored(requestJson) -> KeeResult<KeeDecision>   (against the stored entities)
//! handle.info() -> KeePolicySetInfo
//! policySetParts(text) -> KeeResult<string>   (JSON: {policies: EST[], templates: number})
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
use js_sys::{Array, Object, Reflect};
use kee_policy::{policy_set_parts_json, EntityStore, Error, Evaluation, LoadedSet, Source};
use std::cell::RefCell;
use std::collections::HashMap;
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
    /// The JS strings of the policy ids that decisions have named (only ids of this set: at
    /// most as many as it has policies), so that each is decoded into a JS string once.
    ids: RefCell<HashMap<String, JsValue>>,
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
            ids: RefCell::default(),
        })),
        Err(f) => failure(&f),
    }
}

/// The policies of Cedar policy text in Cedar's JSON form (EST), without loading them as a set:
/// `value` is the JSON text `{"policies": [EST, ...], "templates": <count>}`, policies in the
/// order cedar-wasm's `policySetTextToParts` gives them.
#[wasm_bindgen(js_name = "policySetParts", unchecked_return_type = "KeeResult<string>")]
pub fn policy_set_parts(text: &str) -> JsValue {
    match policy_set_parts_json(text) {
        Ok(json) => success(&JsValue::from_str(&json)),
        Err(e) => failure(&Failure::from(e)),
    }
}

#[wasm_bindgen(js_class = "PolicySetHandle")]
impl PolicySetHandle {
    /// Evaluates one request, a JSON `KeePolicyRequest` (`value: KeeDecision`).
    #[wasm_bindgen(js_name = "evaluate", unchecked_return_type = "KeeResult<KeeDecision>")]
    pub fn evaluate(&self, #[wasm_bindgen(js_name = "requestJson")] request_json: &str) -> JsValue {
        match self.set.evaluate_json(request_json) {
            Ok(answer) => self.decision(&answer),
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
            Ok(answer) => self.decision(&answer),
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

/// The JS strings a decision is made of, decoded once per instance (each `JsValue::from_str`
/// decodes UTF-8 in JS: measured, most of the cost of building a decision).
struct Keys {
    type_: JsValue,
    success: JsValue,
    value: JsValue,
    allow: JsValue,
    reasons: JsValue,
    errors: JsValue,
    policy_id: JsValue,
    message: JsValue,
}

thread_local! {
    static KEYS: Keys = Keys {
        type_: JsValue::from_str("type"),
        success: JsValue::from_str("success"),
        value: JsValue::from_str("value"),
        allow: JsValue::from_str("allow"),
        reasons: JsValue::from_str("reasons"),
        errors: JsValue::from_str("errors"),
        policy_id: JsValue::from_str("policyId"),
        message: JsValue::from_str("message"),
    };
}

/// Sets a data property on a fresh plain object, which cannot fail.
fn set(obj: &Object, key: &JsValue, value: &JsValue) {
    let _ = Reflect::set(obj, key, value);
}

impl PolicySetHandle {
    /// `{ type: "success", value: { allow, reasons, errors } }` for Cedar's answer.
    fn decision(&self, answer: &Evaluation) -> JsValue {
        let reasons = Array::new();
        // No call re-enters the handle while it runs, so the borrow always succeeds; if it
        // did not, the ids would only be decoded afresh.
        match self.ids.try_borrow_mut() {
            Ok(mut ids) => {
                for id in &answer.reasons {
                    reasons.push(ids.entry(id.clone()).or_insert_with(|| JsValue::from_str(id)));
                }
            }
            Err(_) => {
                for id in &answer.reasons {
                    reasons.push(&JsValue::from_str(id));
                }
            }
        }
        KEYS.with(|k| {
            let errors = Array::new();
            for e in &answer.errors {
                let error = Object::new();
                set(&error, &k.policy_id, &JsValue::from_str(&e.policy_id));
                set(&error, &k.message, &JsValue::from_str(&e.message));
                errors.push(&error);
            }
            let value = Object::new();
            set(&value, &k.allow, &JsValue::from_bool(answer.allow));
            set(&value, &k.reasons, &reasons);
            set(&value, &k.errors, &errors);
            let result = Object::new();
            set(&result, &k.type_, &k.success);
            set(&result, &k.value, &value);
            result.into()
        })
    }
}
