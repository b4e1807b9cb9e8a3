//! The candidate-subset cache: the `PolicySet` of the candidate policies of a request, built
//! once per distinct candidate set and shared by every request with the same candidates.
//!
//! It caches *policy sets*, never decisions: each request is still evaluated by Cedar, on its
//! own uids, context and entities. A subset is a pure function of the (immutable) loaded set and
//! the candidate positions, so a cached one is the one that would be built again.
//!
//! Bounded: at most [`MAX_SETS`] subsets holding at most [`MAX_POLICIES`] policies in all; when
//! a new subset would exceed either bound, the cache is emptied first (simple, and a workload
//! whose candidate sets repeat refills it at once). A subset of more than [`MAX_POLICIES`]
//! policies is built and not kept.

use cedar_policy::PolicySet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// At most this many subsets are kept.
pub const MAX_SETS: usize = 4096;
/// At most this many policies, over all kept subsets.
pub const MAX_POLICIES: usize = 1 << 16;

/// Built subsets, keyed by their candidate positions (increasing, no repeats).
#[derive(Debug, Default)]
pub struct SubsetCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sets: HashMap<Box<[u32]>, Arc<PolicySet>>,
    policies: usize,
}

impl SubsetCache {
    /// The subset for `positions`, from the cache or from `build` (then kept, within bounds).
    pub fn get_or_build<E>(
        &self,
        positions: &[u32],
        build: impl FnOnce() -> Result<PolicySet, E>,
    ) -> Result<Arc<PolicySet>, E> {
        // A poisoned lock (a panic elsewhere while holding it; the WASM build aborts instead)
        // only means the cache is skipped: the subset is built as if nothing were cached.
        if let Ok(inner) = self.inner.lock() {
            if let Some(set) = inner.sets.get(positions) {
                return Ok(Arc::clone(set));
            }
        }
        let set = Arc::new(build()?);
        if positions.len() <= MAX_POLICIES {
            if let Ok(mut inner) = self.inner.lock() {
                if inner.sets.len() >= MAX_SETS || inner.policies + positions.len() > MAX_POLICIES {
                    inner.sets.clear();
                    inner.policies = 0;
                }
                inner.policies += positions.len();
                inner.sets.insert(positions.into(), Arc::clone(&set));
            }
        }
        Ok(set)
    }

    /// How many subsets are kept.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.sets.len()).unwrap_or(0)
    }

    /// Whether no subset is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(builds: &std::cell::Cell<usize>) -> Result<PolicySet, ()> {
        builds.set(builds.get() + 1);
        Ok(PolicySet::new())
    }

    #[test]
    fn builds_each_candidate_set_once() {
        let cache = SubsetCache::default();
        let builds = std::cell::Cell::new(0);
        for _ in 0..3 {
            assert!(cache.get_or_build(&[1, 2], || count(&builds)).is_ok());
            assert!(cache.get_or_build(&[1, 3], || count(&builds)).is_ok());
        }
        assert_eq!(builds.get(), 2);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn stays_within_its_bounds() {
        let cache = SubsetCache::default();
        let builds = std::cell::Cell::new(0);
        for i in 0..(MAX_SETS as u32 + 10) {
            assert!(cache.get_or_build(&[i], || count(&builds)).is_ok());
            assert!(cache.len() <= MAX_SETS);
        }
        let big: Vec<u32> = (0..(MAX_POLICIES as u32 + 1)).collect();
        assert!(cache.get_or_build(&big, || count(&builds)).is_ok());
        assert!(cache.get_or_build(&big, || count(&builds)).is_ok());
        // Too large to keep: built both times.
        assert_eq!(builds.get(), MAX_SETS + 10 + 2);
    }

    #[test]
    fn a_failed_build_is_not_kept() {
        let cache = SubsetCache::default();
        assert_eq!(cache.get_or_build(&[7], || Err::<PolicySet, _>("no")).err(), Some("no"));
        assert!(cache.is_empty());
    }
}
