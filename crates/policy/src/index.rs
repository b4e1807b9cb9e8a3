//! The scope index: from a request's principal, action and resource to the policies whose
//! scope can match it, so that the cost of a decision grows with the policies that can apply
//! and not with the size of the set.
//!
//! Each of the three scope dimensions has its own buckets:
//!
//! ```text
//! Any            -> any
//! Is(T)          -> by_type[T]
//! Eq(u), In(u)   -> by_uid[u]
//! IsIn(T, u)     -> by_uid[u]
//! InAny([u..])   -> by_uid[u] for each u
//! ```
//!
//! A policy that can match entity `x` (with ancestors `a1..an`) in a dimension is in one of
//! `any`, `by_type[type(x)]`, `by_uid[x]`, `by_uid[a1]`..`by_uid[an]`. For a request we add up
//! the sizes of those buckets in each dimension, walk the buckets of the smallest dimension, and
//! keep the policies whose three constraints all match ([`Scope::matches`]).

use crate::scope::{Scope, Target};
use cedar_policy::{EntityTypeName, EntityUid};
use std::collections::HashMap;

/// The three scope constraints of one policy.
#[derive(Debug, Clone)]
pub struct Scopes {
    /// The principal constraint.
    pub principal: Scope,
    /// The action constraint.
    pub action: Scope,
    /// The resource constraint.
    pub resource: Scope,
}

/// The buckets of one dimension.
#[derive(Debug, Default)]
struct Dimension {
    any: Vec<u32>,
    by_type: HashMap<EntityTypeName, Vec<u32>>,
    by_uid: HashMap<EntityUid, Vec<u32>>,
}

impl Dimension {
    fn insert(&mut self, scope: &Scope, i: u32) {
        match scope {
            Scope::Any => self.any.push(i),
            Scope::Is(t) => self.by_type.entry(t.clone()).or_default().push(i),
            Scope::Eq(u) | Scope::In(u) | Scope::IsIn(_, u) => {
                self.by_uid.entry(u.clone()).or_default().push(i)
            }
            Scope::InAny(us) => {
                for u in us {
                    let bucket = self.by_uid.entry(u.clone()).or_default();
                    // A list naming the same action twice must not list the policy twice.
                    if bucket.last() != Some(&i) {
                        bucket.push(i);
                    }
                }
            }
        }
    }

    /// The buckets that hold every policy that can match `t` in this dimension, and their
    /// total size.
    fn buckets<'a>(&'a self, t: &Target<'_>) -> (Vec<&'a [u32]>, usize) {
        let mut out: Vec<&[u32]> = Vec::with_capacity(3 + t.ancestors.len());
        out.push(&self.any);
        if let Some(b) = self.by_type.get(t.uid.type_name()) {
            out.push(b);
        }
        if let Some(b) = self.by_uid.get(t.uid) {
            out.push(b);
        }
        for a in &t.ancestors {
            if let Some(b) = self.by_uid.get(*a) {
                out.push(b);
            }
        }
        let size = out.iter().map(|b| b.len()).sum();
        (out, size)
    }
}

/// The scope index of a policy set.
#[derive(Debug, Default)]
pub struct Index {
    scopes: Vec<Scopes>,
    principal: Dimension,
    action: Dimension,
    resource: Dimension,
}

impl Index {
    /// Indexes policies `0..scopes.len()` by their scopes.
    pub fn new(scopes: Vec<Scopes>) -> Self {
        let mut index = Self::default();
        for (i, s) in scopes.iter().enumerate() {
            // INVARIANT: a policy set holds far fewer than 2^32 policies (checked on load).
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            index.principal.insert(&s.principal, i);
            index.action.insert(&s.action, i);
            index.resource.insert(&s.resource, i);
        }
        index.scopes = scopes;
        index
    }

    /// The policies (by position) whose scope matches the request, in increasing order.
    pub fn candidates(&self, p: &Target<'_>, a: &Target<'_>, r: &Target<'_>) -> Vec<u32> {
        let dims = [
            self.principal.buckets(p),
            self.action.buckets(a),
            self.resource.buckets(r),
        ];
        let smallest = dims.iter().min_by_key(|(_, size)| *size);
        let mut out = Vec::new();
        if let Some((buckets, size)) = smallest {
            out.reserve(*size);
            for bucket in buckets {
                for &i in *bucket {
                    let matches = self.scopes.get(i as usize).is_some_and(|s| {
                        s.principal.matches(p) && s.action.matches(a) && s.resource.matches(r)
                    });
                    if matches {
                        out.push(i);
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The scopes of the policies, by position.
    pub fn scopes(&self) -> &[Scopes] {
        &self.scopes
    }
}
