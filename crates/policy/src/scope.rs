//! A policy's scope, and whether a request entity can satisfy it.
//!
//! Cedar turns a policy's scope into the first conjuncts of its condition,
//! `principal <c1> && action <c2> && resource <c3> && when.. && unless..`, and `&&`
//! short-circuits: a policy whose scope is false for a request is neither satisfied nor
//! evaluated any further, so it can raise no error. Leaving it out of the set evaluated for
//! that request therefore changes neither the decision, nor the determining policies, nor the
//! errors.

use cedar_policy::{
    ActionConstraint, EntityTypeName, EntityUid, PrincipalConstraint, ResourceConstraint,
};

/// One scope constraint (principal, action or resource) of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// No constraint.
    Any,
    /// `== uid`.
    Eq(EntityUid),
    /// `in uid`: the entity is `uid` or a descendant of it.
    In(EntityUid),
    /// `is Type`.
    Is(EntityTypeName),
    /// `is Type in uid`.
    IsIn(EntityTypeName, EntityUid),
    /// `action in [uid, ...]`: `in` any of them.
    InAny(Vec<EntityUid>),
}

/// A request entity (principal, action or resource) with its ancestors from the request's
/// entities (transitively closed by Cedar when the entities are parsed).
#[derive(Debug)]
pub struct Target<'a> {
    /// The entity.
    pub uid: &'a EntityUid,
    /// Its ancestors, not including itself; empty when the entity is not in the entities.
    pub ancestors: Vec<&'a EntityUid>,
}

impl Target<'_> {
    /// Cedar's `in`: the entity is `uid` or has `uid` among its ancestors.
    fn is_in(&self, uid: &EntityUid) -> bool {
        self.uid == uid || self.ancestors.contains(&uid)
    }
}

impl Scope {
    /// Whether `target` satisfies this constraint, exactly as Cedar evaluates it.
    pub fn matches(&self, target: &Target<'_>) -> bool {
        match self {
            Self::Any => true,
            Self::Eq(uid) => target.uid == uid,
            Self::In(uid) => target.is_in(uid),
            Self::Is(ty) => target.uid.type_name() == ty,
            Self::IsIn(ty, uid) => target.uid.type_name() == ty && target.is_in(uid),
            Self::InAny(uids) => uids.iter().any(|u| target.is_in(u)),
        }
    }
}

impl From<PrincipalConstraint> for Scope {
    fn from(c: PrincipalConstraint) -> Self {
        match c {
            PrincipalConstraint::Any => Self::Any,
            PrincipalConstraint::Eq(u) => Self::Eq(u),
            PrincipalConstraint::In(u) => Self::In(u),
            PrincipalConstraint::Is(t) => Self::Is(t),
            PrincipalConstraint::IsIn(t, u) => Self::IsIn(t, u),
        }
    }
}

impl From<ResourceConstraint> for Scope {
    fn from(c: ResourceConstraint) -> Self {
        match c {
            ResourceConstraint::Any => Self::Any,
            ResourceConstraint::Eq(u) => Self::Eq(u),
            ResourceConstraint::In(u) => Self::In(u),
            ResourceConstraint::Is(t) => Self::Is(t),
            ResourceConstraint::IsIn(t, u) => Self::IsIn(t, u),
        }
    }
}

impl From<ActionConstraint> for Scope {
    fn from(c: ActionConstraint) -> Self {
        match c {
            ActionConstraint::Any => Self::Any,
            ActionConstraint::Eq(u) => Self::Eq(u),
            ActionConstraint::In(us) => Self::InAny(us),
        }
    }
}
