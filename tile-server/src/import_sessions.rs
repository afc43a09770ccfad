//! Imports uploaded through the web wizard and waiting for the user's commit or cancel.
//!
//! A pending import holds the prepared features in memory (nothing is written before the
//! commit), so the sessions are bounded: at most [`MAX_PENDING`] at once (the oldest is
//! dropped to make room), at most [`MAX_PENDING_PER_OWNER`] of one user's (one more is
//! refused, so that one user cannot push everyone else's imports out) and none older than
//! [`TTL`]. A restart forgets them all, which is
//! fine: an upload is cheap to repeat, and an uncommitted import never touched the store.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use geo_core::load::Prepared;
use geo_core::model::Layer;

/// Most imports pending at once; a new upload evicts the oldest beyond it.
pub const MAX_PENDING: usize = 8;

/// Most imports one user may have pending; one more is refused until one is committed or
/// cancelled (or expires).
pub const MAX_PENDING_PER_OWNER: usize = 3;

/// How long an import waits for its commit before it is forgotten.
pub const TTL: Duration = Duration::from_secs(30 * 60);

/// One uploaded file, read and checked, not yet written.
#[derive(Debug)]
pub struct PendingImport {
    /// The id the client names it by.
    pub id: String,
    /// Who uploaded it (the signed-in user's name).
    pub owner: String,
    /// The layer it goes into.
    pub layer: Layer,
    /// The file name as uploaded (for the change log).
    pub file: String,
    /// The features that may be written, and the report.
    pub prepared: Prepared,
    /// When it was uploaded.
    pub created: Instant,
}

/// The pending imports, shared by the import handlers.
#[derive(Debug, Clone)]
pub struct ImportSessions {
    inner: Arc<Mutex<VecDeque<Arc<PendingImport>>>>,
    ttl: Duration,
}

impl Default for ImportSessions {
    fn default() -> Self {
        Self::with_ttl(TTL)
    }
}

impl ImportSessions {
    /// No pending import; imports expire after [`TTL`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// No pending import; imports expire after `ttl`.
    #[must_use]
    pub fn with_ttl(ttl: Duration) -> Self {
        Self {
            inner: Arc::default(),
            ttl,
        }
    }

    /// Refuses when `owner` already has [`MAX_PENDING_PER_OWNER`] imports pending: asked
    /// before an upload is read, so that a refused one costs nothing.
    pub fn check_room(&self, owner: &str) -> Result<(), TooManyPending> {
        let mut list = self.lock();
        prune(&mut list, self.ttl);
        room(&list, owner)
    }

    /// Keeps a prepared import of `owner` under a fresh id and returns it; drops expired
    /// imports and, beyond [`MAX_PENDING`], the oldest. Refused when `owner` already has
    /// [`MAX_PENDING_PER_OWNER`] pending.
    pub fn insert(
        &self,
        owner: &str,
        layer: Layer,
        file: String,
        prepared: Prepared,
    ) -> Result<Arc<PendingImport>, TooManyPending> {
        let pending = Arc::new(PendingImport {
            id: new_id(),
            owner: owner.to_owned(),
            layer,
            file,
            prepared,
            created: Instant::now(),
        });
        let mut list = self.lock();
        prune(&mut list, self.ttl);
        room(&list, owner)?;
        while list.len() >= MAX_PENDING {
            list.pop_front();
        }
        list.push_back(Arc::clone(&pending));
        Ok(pending)
    }

    /// Puts an import back (a commit that failed in the store), keeping its id and age.
    pub fn put(&self, pending: Arc<PendingImport>) {
        let mut list = self.lock();
        prune(&mut list, self.ttl);
        while list.len() >= MAX_PENDING {
            list.pop_front();
        }
        list.push_back(pending);
    }

    /// The pending import `id`, unless it expired.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<Arc<PendingImport>> {
        let mut list = self.lock();
        prune(&mut list, self.ttl);
        list.iter().find(|p| p.id == id).cloned()
    }

    /// Takes the pending import `id` out (commit or cancel); `None` if there is none.
    #[must_use]
    pub fn remove(&self, id: &str) -> Option<Arc<PendingImport>> {
        let mut list = self.lock();
        prune(&mut list, self.ttl);
        let at = list.iter().position(|p| p.id == id)?;
        list.remove(at)
    }

    /// Number of imports pending now.
    #[must_use]
    pub fn len(&self) -> usize {
        let mut list = self.lock();
        prune(&mut list, self.ttl);
        list.len()
    }

    /// Whether no import is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<PendingImport>>> {
        // A panic while holding the lock cannot leave the list half-changed (each change is
        // one VecDeque call), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `owner` has [`MAX_PENDING_PER_OWNER`] imports pending already.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{owner} has {pending} imports pending, the most one user may have (limit pending_imports_per_owner = {max}); commit or cancel one first")]
pub struct TooManyPending {
    /// The user.
    pub owner: String,
    /// Their pending imports.
    pub pending: usize,
    /// The limit.
    pub max: usize,
}

fn room(list: &VecDeque<Arc<PendingImport>>, owner: &str) -> Result<(), TooManyPending> {
    let pending = list.iter().filter(|p| p.owner == owner).count();
    if pending >= MAX_PENDING_PER_OWNER {
        return Err(TooManyPending {
            owner: owner.to_owned(),
            pending,
            max: MAX_PENDING_PER_OWNER,
        });
    }
    Ok(())
}

/// Drops the imports older than `ttl` (the list is in upload order, oldest first, except
/// for imports put back after a failed commit, hence `retain`).
fn prune(list: &mut VecDeque<Arc<PendingImport>>, ttl: Duration) {
    list.retain(|p| p.created.elapsed() < ttl);
}

/// A 128-bit id, different on every call and not guessable from the previous one.
///
/// `RandomState` is seeded from the OS once per process and its keys advance per instance,
/// so two hashers give independent 64-bit values; a counter keeps ids distinct even so.
/// The ids are not credentials (there is no auth yet), only unique and unpredictable.
fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_core::load::{LoadOptions, Report};
    use geo_core::model::Dataset;
    use geo_core::source::Source;

    fn prepared() -> Prepared {
        let opts = LoadOptions::new(Layer::Grids);
        Prepared {
            data: Dataset::default(),
            report: Report::new("t.geojson", &Source::default(), &opts),
            left_out: Vec::new(),
            columns: Vec::new(),
        }
    }

    #[test]
    fn ids_are_distinct_and_hex() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn bounded_oldest_evicted() {
        let s = ImportSessions::new();
        let first = s
            .insert("u0", Layer::Grids, "a".into(), prepared())
            .unwrap();
        let mut last = None;
        for n in 0..MAX_PENDING {
            let owner = format!("u{}", n + 1);
            last = Some(
                s.insert(&owner, Layer::Grids, "b".into(), prepared())
                    .unwrap(),
            );
        }
        assert_eq!(s.len(), MAX_PENDING);
        assert!(s.get(&first.id).is_none(), "the oldest is evicted");
        let last = last.unwrap();
        assert!(s.get(&last.id).is_some());
        assert!(s.remove(&last.id).is_some());
        assert!(s.get(&last.id).is_none());
        assert!(s.remove(&last.id).is_none());
        assert_eq!(s.len(), MAX_PENDING - 1);
    }

    #[test]
    fn expired_imports_are_forgotten() {
        let s = ImportSessions::with_ttl(Duration::ZERO);
        let p = s
            .insert("u", Layer::Grids, "old".into(), prepared())
            .unwrap();
        assert!(s.get(&p.id).is_none());
        assert!(s.remove(&p.id).is_none());
        assert!(s.is_empty());
        let kept = ImportSessions::new();
        let p = kept
            .insert("u", Layer::Grids, "new".into(), prepared())
            .unwrap();
        assert!(kept.get(&p.id).is_some());
    }

    #[test]
    fn one_owner_may_not_hold_more_than_their_share() {
        let s = ImportSessions::new();
        let mut mine = Vec::new();
        for _ in 0..MAX_PENDING_PER_OWNER {
            assert!(s.check_room("ana").is_ok());
            mine.push(
                s.insert("ana", Layer::Grids, "a".into(), prepared())
                    .unwrap(),
            );
        }
        let e = s.check_room("ana").unwrap_err();
        assert_eq!(e.pending, MAX_PENDING_PER_OWNER);
        assert!(
            e.to_string().contains("limit pending_imports_per_owner"),
            "{e}"
        );
        assert!(s
            .insert("ana", Layer::Grids, "a".into(), prepared())
            .is_err());
        assert_eq!(
            s.len(),
            MAX_PENDING_PER_OWNER,
            "the refused one is not kept"
        );
        // Someone else still may; a cancelled import makes room again.
        assert!(s.insert("bo", Layer::Grids, "b".into(), prepared()).is_ok());
        assert!(s.remove(&mine[0].id).is_some());
        assert!(s
            .insert("ana", Layer::Grids, "a".into(), prepared())
            .is_ok());
    }
}
