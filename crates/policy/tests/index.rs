//! The index never changes Cedar's answer: on generated policy sets, entity hierarchies and
//! requests, evaluating only the candidate policies gives the same decision, determining
//! policies and errors as evaluating the whole set.
#![allow(clippy::panic, reason = "tests fail by panicking")]

use kee_policy::{Link, LoadedSet, RequestJson, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const USERS: u8 = 4;
const GROUPS: u8 = 3;
const DOCS: u8 = 4;
const FOLDERS: u8 = 2;
const ACTIONS: u8 = 4;
const ACTION_GROUPS: u8 = 2;

fn uid(ty: &str, id: String) -> Value {
    json!({ "type": ty, "id": id })
}

fn principal_scope() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("principal".to_owned()),
        (0..USERS).prop_map(|i| format!("principal == User::\"u{i}\"")),
        (0..GROUPS).prop_map(|i| format!("principal == Group::\"g{i}\"")),
        (0..GROUPS).prop_map(|i| format!("principal in Group::\"g{i}\"")),
        (0..USERS).prop_map(|i| format!("principal in User::\"u{i}\"")),
        Just("principal is User".to_owned()),
        Just("principal is Group".to_owned()),
        (0..GROUPS).prop_map(|i| format!("principal is User in Group::\"g{i}\"")),
    ]
}

fn action_scope() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("action".to_owned()),
        (0..ACTIONS).prop_map(|i| format!("action == Action::\"a{i}\"")),
        (0..ACTION_GROUPS).prop_map(|i| format!("action in Action::\"ag{i}\"")),
        (0..ACTIONS, 0..ACTION_GROUPS)
            .prop_map(|(i, j)| format!("action in [Action::\"a{i}\", Action::\"ag{j}\"]")),
    ]
}

fn resource_scope() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("resource".to_owned()),
        (0..DOCS).prop_map(|i| format!("resource == Doc::\"d{i}\"")),
        (0..FOLDERS).prop_map(|i| format!("resource in Folder::\"f{i}\"")),
        Just("resource is Doc".to_owned()),
        (0..FOLDERS).prop_map(|i| format!("resource is Doc in Folder::\"f{i}\"")),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" when { context.flag }".to_owned()),
        Just(" when { context has n && context.n > 2 }".to_owned()),
        Just(" unless { principal has level && principal.level > 3 }".to_owned()),
        Just(" when { principal.level > 1 }".to_owned()),
        (0..FOLDERS).prop_map(|i| format!(" when {{ resource in Folder::\"f{i}\" }}")),
        (0..GROUPS).prop_map(|i| format!(" unless {{ principal in Group::\"g{i}\" }}")),
    ]
}

fn policy() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        principal_scope(),
        action_scope(),
        resource_scope(),
        condition(),
    )
        .prop_map(|(permit, p, a, r, c)| {
            let effect = if permit { "permit" } else { "forbid" };
            format!("{effect} ({p}, {a}, {r}){c};")
        })
}

/// Entities: users in groups, groups in groups (acyclic), docs in folders, actions in groups.
fn entities() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec((proptest::collection::vec(any::<bool>(), GROUPS as usize), proptest::option::of(0i64..6)), USERS as usize),
        proptest::collection::vec(any::<bool>(), (GROUPS * GROUPS) as usize),
        proptest::collection::vec(0..=FOLDERS, DOCS as usize),
        proptest::collection::vec(0..=ACTION_GROUPS, ACTIONS as usize),
    )
        .prop_map(|(users, group_edges, docs, actions)| {
            let mut out = Vec::new();
            for (i, (groups, level)) in users.iter().enumerate() {
                let parents: Vec<Value> = groups.iter().enumerate().filter(|(_, b)| **b).map(|(g, _)| uid("Group", format!("g{g}"))).collect();
                let attrs = level.map_or(json!({}), |l| json!({ "level": l }));
                out.push(json!({ "uid": uid("User", format!("u{i}")), "attrs": attrs, "parents": parents }));
            }
            for g in 0..GROUPS {
                let parents: Vec<Value> = (g + 1..GROUPS)
                    .filter(|h| group_edges.get(usize::from(g * GROUPS + h)).copied().unwrap_or(false))
                    .map(|h| uid("Group", format!("g{h}")))
                    .collect();
                out.push(json!({ "uid": uid("Group", format!("g{g}")), "attrs": {}, "parents": parents }));
            }
            for (i, f) in docs.iter().enumerate() {
                let parents: Vec<Value> = if *f < FOLDERS { vec![uid("Folder", format!("f{f}"))] } else { vec![] };
                out.push(json!({ "uid": uid("Doc", format!("d{i}")), "attrs": {}, "parents": parents }));
            }
            out.push(json!({ "uid": uid("Folder", "f0".into()), "attrs": {}, "parents": [uid("Folder", "f1".into())] }));
            for (i, g) in actions.iter().enumerate() {
                let parents: Vec<Value> = if *g < ACTION_GROUPS { vec![uid("Action", format!("ag{g}"))] } else { vec![] };
                out.push(json!({ "uid": uid("Action", format!("a{i}")), "attrs": {}, "parents": parents }));
            }
            Value::Array(out)
        })
}

fn request() -> impl Strategy<Value = (Value, Value, Value, Value)> {
    (
        prop_oneof![(0..USERS + 1).prop_map(|i| uid("User", format!("u{i}"))), (0..GROUPS).prop_map(|i| uid("Group", format!("g{i}")))],
        prop_oneof![(0..ACTIONS).prop_map(|i| uid("Action", format!("a{i}"))), (0..ACTION_GROUPS).prop_map(|i| uid("Action", format!("ag{i}")))],
        prop_oneof![(0..DOCS + 1).prop_map(|i| uid("Doc", format!("d{i}"))), (0..FOLDERS).prop_map(|i| uid("Folder", format!("f{i}")))],
        (proptest::option::of(any::<bool>()), proptest::option::of(0i64..5)).prop_map(|(flag, n)| {
            let mut c = serde_json::Map::new();
            if let Some(f) = flag { c.insert("flag".into(), json!(f)); }
            if let Some(n) = n { c.insert("n".into(), json!(n)); }
            Value::Object(c)
        }),
    )
}

fn case() -> impl Strategy<Value = (Source, Value, Vec<(Value, Value, Value, Value)>)> {
    (
        proptest::collection::vec(policy(), 0..24),
        proptest::collection::vec((0..USERS, 0..FOLDERS), 0..3),
        entities(),
        proptest::collection::vec(request(), 1..16),
    )
        .prop_map(|(policies, links, entities, requests)| {
            let mut text: String = policies.iter().enumerate().map(|(i, p)| format!("@id(\"p{i}\")\n{p}\n")).collect();
            text.push_str("@id(\"t0\")\npermit (principal == ?principal, action in Action::\"ag0\", resource in ?resource) when { context.flag };\n");
            let links = links
                .iter()
                .enumerate()
                .map(|(i, (u, f))| Link {
                    template_id: "t0".into(),
                    new_id: format!("link{i}"),
                    values: BTreeMap::from([
                        ("?principal".to_owned(), uid("User", format!("u{u}"))),
                        ("?resource".to_owned(), uid("Folder", format!("f{f}"))),
                    ]),
                })
                .collect();
            (Source { policies: text, links, schema: None }, entities, requests)
        })
}

#[test]
fn index_agrees_with_the_whole_set() {
    // Seeded (STYLE 3.8): a failure reproduces with the same seed.
    let config = Config { cases: 400, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let decisions = std::cell::Cell::new(0usize);
    runner
        .run(&case(), |(source, entities, requests)| {
            let set = LoadedSet::load(&source).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (principal, action, resource, context) in requests {
                let request = RequestJson { principal, action, resource, context: Some(context), entities: Some(entities.clone()) };
                let indexed = set.evaluate(request.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                // Again: this time the candidate subset (and the type names) come from the
                // set's caches, and the answer must not change.
                let again = set.evaluate(request.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let whole = set.evaluate_unindexed(request).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&indexed, &again);
                prop_assert_eq!(indexed, whole);
                decisions.set(decisions.get() + 1);
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| std::panic::panic_any(e));
    assert!(decisions.get() > 1000, "only {} decisions", decisions.get());
}

/// Entities a request carries on top of a store: users (`u0` ..= `u{USERS}`, the last one never
/// in the store) with their own groups and level, replacing or extending the stored ones.
fn overrides() -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::btree_map(0..=USERS, (proptest::collection::vec(any::<bool>(), GROUPS as usize), proptest::option::of(0i64..6)), 0..3).prop_map(|users| {
        users
            .into_iter()
            .map(|(i, (groups, level))| {
                let parents: Vec<Value> = groups.iter().enumerate().filter(|(_, b)| **b).map(|(g, _)| uid("Group", format!("g{g}"))).collect();
                let attrs = level.map_or(json!({}), |l| json!({ "level": l }));
                json!({ "uid": uid("User", format!("u{i}")), "attrs": attrs, "parents": parents })
            })
            .collect()
    })
}

#[test]
fn stored_entities_agree_with_request_entities() {
    let config = Config { cases: 200, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let decisions = std::cell::Cell::new(0usize);
    let fail = |e: kee_policy::Error| TestCaseError::fail(e.to_string());
    runner
        .run(&(case(), proptest::collection::vec(overrides(), 16)), |((source, entities, requests), overrides)| {
            let set = LoadedSet::load(&source).map_err(fail)?;
            let store = set.load_entities_json(&entities.to_string()).map_err(fail)?;
            prop_assert_eq!(store.len(), entities.as_array().map_or(0, Vec::len));
            for ((principal, action, resource, context), extra) in requests.into_iter().zip(overrides) {
                let request = |entities: Option<Value>| RequestJson { principal: principal.clone(), action: action.clone(), resource: resource.clone(), context: Some(context.clone()), entities };
                // The store alone decides as the same entities sent with the request.
                let stored = set.evaluate_stored(&store, request(None)).map_err(fail)?;
                prop_assert_eq!(&stored, &set.evaluate(request(Some(entities.clone()))).map_err(fail)?);
                prop_assert_eq!(&stored, &set.evaluate_stored(&store, request(Some(json!([])))).map_err(fail)?);
                // Request entities replace the stored ones with their uid and add the others.
                let replaced: Vec<&Value> = extra.iter().map(|e| &e["uid"]).collect();
                let mut merged: Vec<Value> = entities.as_array().into_iter().flatten().filter(|e| !replaced.contains(&&e["uid"])).cloned().collect();
                merged.extend(extra.iter().cloned());
                let with_extra = set.evaluate_stored(&store, request(Some(Value::Array(extra)))).map_err(fail)?;
                prop_assert_eq!(with_extra, set.evaluate(request(Some(Value::Array(merged)))).map_err(fail)?);
                decisions.set(decisions.get() + 1);
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| std::panic::panic_any(e));
    assert!(decisions.get() > 500, "only {} decisions", decisions.get());
}

/// Entities a request adds to a store: new users `n0`, `n1` and new groups `ng0`, `ng1` with
/// parents among the stored groups and the other new groups (so that a new entity's stored
/// ancestors count), now and then a stored user or group too (which replaces the stored one).
fn additions() -> impl Strategy<Value = Vec<Value>> {
    let group = |ty: &'static str, i: u8| -> Value { if ty == "Group" { uid("Group", format!("g{i}")) } else { uid("Group", format!("ng{i}")) } };
    let parents = proptest::collection::vec((prop_oneof![Just("Group"), Just("New")], 0..GROUPS), 0..3)
        .prop_map(move |ps| ps.into_iter().map(|(ty, i)| group(ty, i % if ty == "Group" { GROUPS } else { 2 })).collect::<Vec<_>>());
    let one = (0..6u8, parents, proptest::option::of(0i64..6)).prop_map(|(which, parents, level)| {
        let id = match which {
            0 | 1 => uid("User", format!("n{which}")),
            2 | 3 => uid("Group", format!("ng{}", which - 2)),
            4 => uid("User", "u0".to_owned()),
            _ => uid("Group", "g0".to_owned()),
        };
        // A group never a parent of itself: Cedar refuses a cycle, which the other tests cover.
        let parents: Vec<Value> = parents.into_iter().filter(|p| *p != id).collect();
        let attrs = level.map_or(json!({}), |l| json!({ "level": l }));
        json!({ "uid": id, "attrs": attrs, "parents": parents })
    });
    proptest::collection::vec(one, 0..4).prop_map(|list| {
        // One entity per uid (two different ones with one uid are refused, tested elsewhere).
        let mut seen = Vec::new();
        list.into_iter().filter(|e| { let fresh = !seen.contains(&e["uid"]); seen.push(e["uid"].clone()); fresh }).collect()
    })
}

#[test]
fn request_entities_added_to_a_store_agree_with_the_merged_entities() {
    let config = Config { cases: 200, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[13; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let counts = std::cell::Cell::new((0usize, 0usize));
    let fail = |e: kee_policy::Error| TestCaseError::fail(e.to_string());
    let principals = prop_oneof![(0..2u8).prop_map(|i| uid("User", format!("n{i}"))), (0..2u8).prop_map(|i| uid("Group", format!("ng{i}"))), (0..USERS).prop_map(|i| uid("User", format!("u{i}")))];
    runner
        .run(&(case(), proptest::collection::vec((additions(), principals), 16)), |((source, entities, requests), additions)| {
            let set = LoadedSet::load(&source).map_err(fail)?;
            let store = set.load_entities_json(&entities.to_string()).map_err(fail)?;
            for ((_, action, resource, context), (extra, principal)) in requests.into_iter().zip(additions) {
                let request = |entities: Option<Value>| RequestJson { principal: principal.clone(), action: action.clone(), resource: resource.clone(), context: Some(context.clone()), entities };
                let replaced: Vec<&Value> = extra.iter().map(|e| &e["uid"]).collect();
                let stored_uids: Vec<&Value> = entities.as_array().into_iter().flatten().map(|e| &e["uid"]).collect();
                let mut merged: Vec<Value> = entities.as_array().into_iter().flatten().filter(|e| !replaced.contains(&&e["uid"])).cloned().collect();
                merged.extend(extra.iter().cloned());
                let (mut only_new, mut total) = counts.get();
                if !extra.is_empty() && replaced.iter().all(|u| !stored_uids.contains(u)) {
                    only_new += 1;
                }
                total += 1;
                counts.set((only_new, total));
                // New groups may form a cycle: then both refuse the request.
                match (set.evaluate_stored(&store, request(Some(Value::Array(extra)))), set.evaluate(request(Some(Value::Array(merged))))) {
                    (Ok(with_extra), Ok(reference)) => prop_assert_eq!(with_extra, reference),
                    (Err(_), Err(_)) => {}
                    (a, b) => return Err(TestCaseError::fail(format!("stored {a:?}, merged {b:?}"))),
                }
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| std::panic::panic_any(e));
    let (only_new, total) = counts.get();
    assert!(total > 500 && only_new > total / 4, "{only_new} of {total} requests only add entities");
}

#[test]
fn stored_entities_refuse_what_cedar_refuses() {
    let set = LoadedSet::load(&Source { policies: "@id(\"p\") permit (principal, action, resource);".into(), ..Source::default() }).map_err(|e| e.to_string());
    let set = set.unwrap_or_else(|e| std::panic::panic_any(e));
    let user = r#"{"uid": {"type": "User", "id": "u"}, "attrs": {}, "parents": []}"#;
    let other_user = r#"{"uid": {"type": "User", "id": "u"}, "attrs": {"x": 1}, "parents": []}"#;
    // Cedar accepts the same entity twice, but not two different entities with one uid.
    assert!(set.load_entities_json(&format!("[{user}, {user}]")).is_ok_and(|s| s.len() == 1));
    assert!(set.load_entities_json(&format!("[{user}, {other_user}]")).is_err_and(|e| e.to_string().starts_with("request is invalid")));
    assert!(set.load_entities_json("[{").is_err_and(|e| e.to_string().starts_with("request is invalid: entities are not valid json")));
    let store = set.load_entities_json(&format!("[{user}]")).unwrap_or_else(|e| std::panic::panic_any(e.to_string()));
    let request = |entities: &str| format!(r#"{{"principal": {{"type": "User", "id": "u"}}, "action": {{"type": "Action", "id": "a"}}, "resource": {{"type": "Doc", "id": "d"}}, "context": {{}}, "entities": {entities}}}"#);
    assert!(set.evaluate_stored_json(&store, &request("[]")).is_ok_and(|a| a.allow));
    // Two entities with one uid among the request's own are refused, as without a store.
    assert!(set.evaluate_stored_json(&store, &request(&format!("[{user}, {other_user}]"))).is_err());
    assert!(set.evaluate_json(&request(&format!("[{user}, {other_user}]"))).is_err());
}

#[test]
fn hash_is_stable_and_order_independent() {
    let a = LoadedSet::load(&Source { policies: "@id(\"x\") permit (principal, action, resource);\n@id(\"y\") forbid (principal, action, resource) when { context.flag };".into(), ..Source::default() });
    let b = LoadedSet::load(&Source { policies: "@id(\"y\") forbid (principal, action, resource) when { context.flag };\n@id(\"x\") permit (principal, action, resource);".into(), ..Source::default() });
    match (a, b) {
        (Ok(a), Ok(b)) => assert_eq!(a.cedar_policy_hash(), b.cedar_policy_hash()),
        (a, b) => std::panic::panic_any(format!("{a:?} {b:?}")),
    }
}

#[test]
fn load_errors() {
    let load = |policies: &str| LoadedSet::load(&Source { policies: policies.into(), ..Source::default() }).err().map(|e| e.to_string());
    assert_eq!(load("permit (principal, action, resource);").as_deref(), Some("every policy needs an `@id` annotation: policy 0 has none"));
    assert_eq!(load("@id(\"a\") permit (principal, action, resource); @id(\"a\") forbid (principal, action, resource);").as_deref(), Some("policy id `a` appears twice"));
    assert!(load("permit (").is_some_and(|m| m.starts_with("policy set does not parse")));
}
