//! Per-principal rate limits (governor's GCRA): `rate_limit.per_minute` for every request and
//! `rate_limit.costly_per_minute` on top for costly writes; a tenant's plan may set its own
//! `rateLimitPerMinute`. Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset`; a 429 carries `Retry-After`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use poem::http::Method;

use super::error::{ApiError, Code};
use crate::config::RateLimitConfig;

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Writes that cost the platform more: limited again, more tightly.
const COSTLY: &[(&str, &str)] = &[
    ("POST", "/api/v1/platform/tenants"),
    ("POST", "/api/v1/pipelines"),
    ("POST", "/api/v1/billing/topup"),
    ("POST", "/api/v1/processed-queue"),
];

pub fn is_costly(method: &Method, path: &str) -> bool {
    COSTLY.iter().any(|(m, p)| method.as_str() == *m && path.trim_end_matches('/') == *p)
}

/// What a passed check tells the client.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

pub struct Limiter {
    enabled: bool,
    per_minute: u32,
    costly_per_minute: u32,
    /// One keyed limiter per distinct requests-per-minute figure (plans may differ).
    by_quota: Mutex<HashMap<u32, Arc<Keyed>>>,
}

impl Limiter {
    pub fn new(cfg: &RateLimitConfig) -> Self {
        Self {
            enabled: cfg.enabled,
            per_minute: cfg.per_minute,
            costly_per_minute: cfg.costly_per_minute,
            by_quota: Mutex::new(HashMap::new()),
        }
    }

    fn limiter(&self, per_minute: u32) -> Arc<Keyed> {
        let mut map = self.by_quota.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(per_minute)
            .or_insert_with(|| {
                let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
                Arc::new(RateLimiter::keyed(Quota::per_minute(n)).with_middleware::<StateInformationMiddleware>())
            })
            .clone()
    }

    fn check_one(&self, per_minute: u32, key: String) -> Result<Allowance, ApiError> {
        let limiter = self.limiter(per_minute);
        match limiter.check_key(&key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = per_minute.saturating_sub(remaining);
                Ok(Allowance {
                    limit: per_minute,
                    remaining,
                    reset_secs: (u64::from(used) * 60).div_ceil(u64::from(per_minute)),
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let secs = wait.as_secs() + 1;
                let mut err = ApiError::new(
                    Code::RateLimited,
                    format!("Rate limit of {per_minute} requests per minute exceeded"),
                );
                err.retry_after = Some(secs);
                Err(err)
            }
        }
    }

    /// Counts one request of `principal`; `plan_limit` overrides the configured figure.
    pub fn check(&self, principal: &str, plan_limit: Option<u32>, costly: bool) -> Result<Option<Allowance>, ApiError> {
        if !self.enabled {
            return Ok(None);
        }
        let per_minute = plan_limit.unwrap_or(self.per_minute);
        let general = self.check_one(per_minute, principal.to_string())?;
        if costly {
            let tight = self.check_one(self.costly_per_minute.min(per_minute), format!("costly:{principal}"))?;
            return Ok(Some(tight));
        }
        Ok(Some(general))
    }

    /// Forgets principals that have been idle long enough to be back at full allowance.
    pub fn prune(&self) {
        let map = self.by_quota.lock().unwrap_or_else(|p| p.into_inner());
        for limiter in map.values() {
            limiter.retain_recent();
        }
    }
}
