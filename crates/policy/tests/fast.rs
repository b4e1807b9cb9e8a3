//! The direct conversions of `kee_policy::fast` give exactly what Cedar's own JSON parsers give:
//! on generated entity lists (parents inside and outside the list, cycles, an entity its own
//! parent, one uid twice with the same or different contents, attributes of every JSON shape,
//! valid and invalid extension values) the entities are structurally equal to
//! `Entities::from_json_value` (attributes and transitive ancestors), and whenever Cedar refuses
//! the input the direct path declines it (so that Cedar reports the error); likewise for contexts.
#![allow(clippy::panic, reason = "tests fail by panicking")]

use cedar_policy::{Context, Entities};
use cedar_policy_core::ast;
use kee_policy::fast;
use kee_policy::names::Names;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Map, Value};

fn uid() -> impl Strategy<Value = Value> {
    (prop_oneof![Just("User"), Just("Group"), Just("Ns::Doc")], 0..4u8).prop_map(|(ty, i)| json!({ "type": ty, "id": format!("{i}") }))
}

/// Attribute and context values: every JSON shape, Cedar's escapes, and shapes Cedar refuses.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        prop_oneof![Just(0i64), Just(-7), Just(i64::MAX), Just(i64::MIN)].prop_map(Value::from),
        Just(json!(1.5)),
        Just(json!(u64::MAX)),
        Just(Value::Null),
        prop_oneof![Just(""), Just("ops"), Just("__extn")].prop_map(Value::from),
        uid().prop_map(|u| json!({ "__entity": u })),
        uid(),
        prop_oneof![
            Just(("ip", "10.1.2.3")),
            Just(("ip", "10.0.0.0/8")),
            Just(("ip", "::1")),
            Just(("ip", "nope")),
            Just(("decimal", "1.25")),
            Just(("decimal", "1.23456")),
            Just(("datetime", "2024-01-01")),
            Just(("datetime", "2024-13-01")),
            Just(("duration", "1h30m")),
            Just(("unknown", "x")),
        ]
        .prop_map(|(f, arg)| json!({ "__extn": { "fn": f, "arg": arg } })),
        Just(json!({ "__entity": { "type": "User", "id": "0" }, "x": 1 })),
        Just(json!({ "__extn": { "fn": "ip", "arg": "10.1.2.3", "extra": 1 } })),
        Just(json!({ "__entity": { "type": "not a type", "id": "0" } })),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(prop_oneof![Just("a"), Just("b"), Just("type"), Just("id")], inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn record() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(prop_oneof![Just("level"), Just("src"), Just("tags"), Just("owner"), Just("__extn")], value(), 0..3)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>()))
}

/// One entity; now and then a shape the direct path leaves to Cedar (tags, a missing field).
fn entity() -> impl Strategy<Value = Value> {
    (uid(), record(), proptest::collection::vec(uid(), 0..3), 0..12u8).prop_map(|(uid, attrs, parents, shape)| match shape {
        0 => json!({ "uid": uid, "attrs": attrs, "parents": parents, "tags": {} }),
        1 => json!({ "uid": uid, "parents": parents }),
        2 => json!({ "uid": { "type": "User", "id": "0", "x": 1 }, "attrs": attrs, "parents": parents }),
        _ => json!({ "uid": uid, "attrs": attrs, "parents": parents }),
    })
}

fn deep_eq_or_panic(fast: &Entities, cedar: &Entities, input: &Value) {
    assert!(fast.deep_eq(cedar), "{input}\nfast: {fast:?}\ncedar: {cedar:?}");
}

#[test]
fn entities_equal_cedars_parse() {
    let config = Config { cases: 3000, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[23; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    // (direct, direct with no parent inside the list, declined while Cedar accepts, Cedar refuses)
    let seen = std::cell::Cell::new((0usize, 0usize, 0usize, 0usize));
    let names = Names::default();
    runner
        .run(&proptest::collection::vec(entity(), 0..5), |list| {
            let input = Value::Array(list);
            let cedar = Entities::from_json_value(input.clone(), None);
            let (mut direct, mut leaves, mut declined, mut refused) = seen.get();
            match (fast::entities(&names, &input), &cedar) {
                (Some(f), Ok(c)) => {
                    deep_eq_or_panic(&f, c, &input);
                    direct += 1;
                    let uids: Vec<&Value> = input.as_array().into_iter().flatten().map(|e| &e["uid"]).collect();
                    let inside = input.as_array().into_iter().flatten().any(|e| e["parents"].as_array().into_iter().flatten().any(|p| uids.contains(&p)));
                    if !inside {
                        leaves += 1;
                    }
                }
                (Some(f), Err(e)) => panic!("{input}: Cedar refuses ({e}) what the direct path accepts: {f:?}"),
                (None, Ok(_)) => declined += 1,
                (None, Err(_)) => refused += 1,
            }
            seen.set((direct, leaves, declined, refused));
            Ok(())
        })
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| std::panic::panic_any(e));
    let (direct, leaves, declined, refused) = seen.get();
    // Every branch must be exercised, or the comparison proves little.
    assert!(direct > 300 && leaves > 100 && direct > leaves + 20, "direct {direct}, leaves {leaves}");
    assert!(declined > 100 && refused > 100, "declined {declined}, refused {refused}");
}

#[test]
fn entity_hierarchies_equal_cedars_closure() {
    // Parents inside the list: chains, diamonds, a cycle, an entity its own parent, duplicates.
    let e = |id: &str, parents: &[&str]| json!({ "uid": { "type": "G", "id": id }, "attrs": {}, "parents": parents.iter().map(|p| json!({ "type": "G", "id": p })).collect::<Vec<_>>() });
    let names = Names::default();
    let cases = [
        json!([e("a", &["b"]), e("b", &["c"]), e("c", &["d"])]),
        json!([e("c", &["d"]), e("b", &["c"]), e("a", &["b", "x"])]),
        json!([e("a", &["b", "c"]), e("b", &["d"]), e("c", &["d"]), e("d", &[])]),
        json!([e("a", &["x"]), e("b", &["y"])]),
        json!([e("a", &["x"]), e("a", &["x"])]),
        json!([e("a", &["x"]), e("a", &["y"])]),
        json!([e("a", &["b"]), e("b", &["a"])]),
        json!([e("a", &["b"]), e("b", &["c"]), e("c", &["a"])]),
        json!([e("a", &["a"])]),
        json!([]),
    ];
    for input in cases {
        let cedar = Entities::from_json_value(input.clone(), None);
        match (fast::entities(&names, &input), cedar) {
            (Some(f), Ok(c)) => deep_eq_or_panic(&f, &c, &input),
            (None, Err(_)) => {}
            (f, c) => panic!("{input}: direct {f:?}, Cedar {c:?}"),
        }
    }
}

#[test]
fn contexts_equal_cedars_parse() {
    let config = Config { cases: 3000, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[29; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let seen = std::cell::Cell::new((0usize, 0usize));
    let names = Names::default();
    runner
        .run(&prop_oneof![4 => record(), 1 => value()], |input| {
            let cedar = Context::from_json_value(input.clone(), None);
            let (mut direct, mut other) = seen.get();
            match (fast::context(&names, &input), &cedar) {
                (Some(f), Ok(c)) => {
                    let (f, c): (&ast::Context, &ast::Context) = (f.as_ref(), c.as_ref());
                    prop_assert_eq!(f, c, "{}", input);
                    direct += 1;
                }
                (Some(f), Err(e)) => panic!("{input}: Cedar refuses ({e}) what the direct path accepts: {f:?}"),
                (None, _) => other += 1,
            }
            seen.set((direct, other));
            Ok(())
        })
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| std::panic::panic_any(e));
    let (direct, other) = seen.get();
    assert!(direct > 500 && other > 300, "direct {direct}, other {other}");
}
