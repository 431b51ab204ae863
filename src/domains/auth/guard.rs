//! Brute-force protection for logins: after a few failures for one email each further attempt
//! is slowed down, and after more the email is locked for a while (429).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::SecurityConfig;
use crate::http::error::{ApiError, Code};

struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

pub struct LoginGuard {
    slowdown_after: u32,
    lockout_after: u32,
    lockout: Duration,
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginGuard {
    pub fn new(cfg: &SecurityConfig) -> Self {
        Self {
            slowdown_after: cfg.login_slowdown_after,
            lockout_after: cfg.login_lockout_after,
            lockout: Duration::from_secs(cfg.login_lockout_minutes * 60),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Before checking a password: refuses a locked email, or says how long to wait first.
    pub fn check(&self, email: &str) -> Result<Duration, ApiError> {
        let now = Instant::now();
        let mut map = self.map();
        let Some(f) = map.get_mut(email) else { return Ok(Duration::ZERO) };
        if let Some(until) = f.locked_until {
            if until > now {
                let secs = (until - now).as_secs().max(1);
                let mut err = ApiError::new(
                    Code::LoginLocked,
                    format!("Too many failed logins for this account; try again in {secs} seconds"),
                );
                err.retry_after = Some(secs);
                return Err(err);
            }
            map.remove(email);
            return Ok(Duration::ZERO);
        }
        if now.duration_since(f.last) > self.lockout {
            map.remove(email);
            return Ok(Duration::ZERO);
        }
        if f.count >= self.slowdown_after {
            let steps = f.count - self.slowdown_after + 1;
            return Ok(Duration::from_millis(250 * u64::from(steps)).min(Duration::from_secs(3)));
        }
        Ok(Duration::ZERO)
    }

    pub fn failed(&self, email: &str) {
        let now = Instant::now();
        let mut map = self.map();
        if map.len() > 100_000 {
            let window = self.lockout;
            map.retain(|_, f| now.duration_since(f.last) < window);
        }
        let f = map.entry(email.to_string()).or_insert(Failures { count: 0, last: now, locked_until: None });
        f.count += 1;
        f.last = now;
        if f.count >= self.lockout_after {
            f.locked_until = Some(now + self.lockout);
            tracing::warn!(email, "login locked after repeated failures");
        }
    }

    pub fn succeeded(&self, email: &str) {
        self.map().remove(email);
    }
}
