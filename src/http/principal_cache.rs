//! Resolved principals by credential hash, so that a request does not look its token or session
//! up in the database again. Correctness comes from the database, not from timers: every
//! committed change to the tables a principal is built from (tokens, sessions, users, tenants,
//! plans) advances `Db::auth_epoch`, and an entry is only used while the epoch it was read under
//! is still current. Revoking a token, ending a session or suspending a user or tenant therefore
//! takes effect on the very next request. Entries also end with their credential's expiry and
//! after `MAX_AGE` at the latest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::auth::Principal;

/// The longest an entry is used, whatever else happens.
const MAX_AGE: Duration = Duration::from_secs(60);
/// Entries kept at most; the cache starts afresh when full.
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    principal: Principal,
    epoch: u64,
    stored: Instant,
    /// The credential's own expiry (unix seconds), if it has one.
    expires: Option<i64>,
}

#[derive(Default)]
pub struct PrincipalCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl PrincipalCache {
    /// The principal for `hash`, if one was stored under the current `epoch` and is still valid.
    pub fn get(&self, hash: &str, epoch: u64) -> Option<Principal> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.get(hash)?;
        let fresh = e.epoch == epoch
            && e.stored.elapsed() < MAX_AGE
            && e.expires.is_none_or(|t| chrono::Utc::now().timestamp() < t);
        fresh.then(|| e.principal.clone())
    }

    /// Stores a principal read from the database under `epoch`, the epoch taken *before* that
    /// read began.
    pub fn put(&self, hash: String, epoch: u64, principal: &Principal) {
        let expires = principal
            .expires_at
            .as_deref()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).map(|t| t.timestamp()).unwrap_or(i64::MIN));
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(hash, Entry { principal: principal.clone(), epoch, stored: Instant::now(), expires });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::auth::PrincipalKind;
    use crate::http::perms::Role;

    fn principal(expires_at: Option<&str>) -> Principal {
        Principal {
            kind: PrincipalKind::Token,
            user_id: None,
            token_id: Some("t".into()),
            tenant_id: Some("x".into()),
            role: Role::Admin,
            label: "ci".into(),
            csrf_token: None,
            session_id: None,
            rate_limit: None,
            expires_at: expires_at.map(str::to_string),
        }
    }

    #[test]
    fn an_entry_is_used_only_under_its_epoch_and_before_its_expiry() {
        let cache = PrincipalCache::default();
        cache.put("h".into(), 3, &principal(None));
        assert!(cache.get("h", 3).is_some());
        assert!(cache.get("h", 4).is_none(), "a later change to the auth tables invalidates it");
        assert!(cache.get("other", 3).is_none());

        cache.put("e".into(), 3, &principal(Some("2001-01-01T00:00:00.000000Z")));
        assert!(cache.get("e", 3).is_none(), "an expired credential is not served from the cache");
        cache.put("f".into(), 3, &principal(Some("2999-01-01T00:00:00.000000Z")));
        assert!(cache.get("f", 3).is_some());
    }
}
