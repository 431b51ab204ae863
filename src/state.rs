//! `AppState`: everything a request handler may reach, built once at start-up (tests build
//! their own on a temp directory).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::db::Db;
use crate::domains::auth::guard::LoginGuard;
use crate::http::rate_limit::Limiter;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub master_key: Arc<MasterKey>,
    pub login_guard: Arc<LoginGuard>,
    pub token_usage: Arc<TokenUsage>,
    /// Principals by credential hash (see `http/principal_cache.rs`).
    pub principals: Arc<crate::http::principal_cache::PrincipalCache>,
    pub limiter: Arc<Limiter>,
    /// The client for outbound calls (models, providers), with timeouts from `[llm]`.
    pub http: reqwest::Client,
}

impl AppState {
    pub fn new(db: Db, config: Config, master_key: MasterKey) -> Self {
        let login_guard = Arc::new(LoginGuard::new(&config.security));
        let limiter = Arc::new(Limiter::new(&config.rate_limit));
        let http = crate::llm::client(&config.llm);
        Self {
            db,
            config: Arc::new(config),
            master_key: Arc::new(master_key),
            login_guard,
            token_usage: Arc::new(TokenUsage::default()),
            principals: Arc::default(),
            limiter,
            http,
        }
    }
}

/// Records `lastUsedAt` of API tokens, writing at most once per interval per token so that
/// reads stay reads.
#[derive(Default)]
pub struct TokenUsage {
    last_written: Mutex<HashMap<String, Instant>>,
}

const TOUCH_INTERVAL: Duration = Duration::from_secs(30);

impl TokenUsage {
    pub async fn touch(&self, db: &Db, token_id: String) {
        {
            let mut map = self.last_written.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if map.get(&token_id).is_some_and(|t| now.duration_since(*t) < TOUCH_INTERVAL) {
                return;
            }
            if map.len() > 100_000 {
                map.retain(|_, t| now.duration_since(*t) < TOUCH_INTERVAL);
            }
            map.insert(token_id.clone(), now);
        }
        let result = db.write_usage(move |tx| crate::domains::tokens::store::touch(tx, &token_id)).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record token use");
        }
    }
}
