//! The one `Config` struct: embedded defaults < TOML file < `ADMIN_APPLIANCE_<SECTION>__<KEY>`
//! environment variables < command-line flags. `config.example.toml` mirrors every field.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Prefix of every configuration environment variable.
pub const ENV_PREFIX: &str = "ADMIN_APPLIANCE_";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub security: SecurityConfig,
    pub rate_limit: RateLimitConfig,
    pub llm: LlmConfig,
    pub billing: BillingConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// The URL users reach the appliance at; an `https` URL makes session cookies `Secure`.
    pub public_url: String,
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub body_limit_bytes: u64,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            body_limit_bytes: 50 * 1024 * 1024,
            shutdown_grace_seconds: 10,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Directory holding the database, the master key and file-transport mail.
    pub data_dir: PathBuf,
    /// Database file name inside `data_dir`.
    pub database_file: String,
    /// SQLite `synchronous` pragma: `normal` or `full`.
    pub synchronous: Synchronous,
    /// Milliseconds a connection waits for a lock before failing.
    pub busy_timeout_ms: u64,
    /// Number of pooled connections.
    pub pool_size: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database_file: "appliance.db".into(),
            synchronous: Synchronous::Normal,
            busy_timeout_ms: 5000,
            pool_size: 8,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Normal,
    Full,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Hours a login session stays valid.
    pub session_ttl_hours: u64,
    /// Failed logins for one email before each further attempt is slowed down.
    pub login_slowdown_after: u32,
    /// Failed logins for one email before the email is locked.
    pub login_lockout_after: u32,
    /// Minutes an email stays locked after too many failed logins.
    pub login_lockout_minutes: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self { session_ttl_hours: 12, login_slowdown_after: 3, login_lockout_after: 10, login_lockout_minutes: 15 }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// `false` turns rate limiting off (for benchmarks).
    pub enabled: bool,
    /// Requests per minute per principal.
    pub per_minute: u32,
    /// Requests per minute per principal on costly writes (tenant creation, top-ups, imports).
    pub costly_per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { enabled: true, per_minute: 1000, costly_per_minute: 100 }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Seconds an outbound call to a model or provider may take in all.
    pub request_timeout_seconds: u64,
    /// Seconds to wait for a connection to a model or provider.
    pub connect_timeout_seconds: u64,
    /// Seconds between health checks of the platform LLM providers; 0 turns them off.
    pub health_check_interval_seconds: u64,
    /// A provider answering slower than this (milliseconds) is `degraded`.
    pub degraded_latency_ms: u64,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            request_timeout_seconds: 60,
            connect_timeout_seconds: 5,
            health_check_interval_seconds: 300,
            degraded_latency_ms: 2000,
        }
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BillingConfig {
    /// The secret Razorpay signs webhook bodies with; empty refuses every webhook call.
    pub razorpay_webhook_secret: String,
    /// Credits (minor units of the tenants' currency) debited per US dollar of LLM cost.
    pub usd_to_credit_minor: u64,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self { razorpay_webhook_secret: String::new(), usd_to_credit_minor: 8300 }
    }
}

impl std::fmt::Debug for BillingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = if self.razorpay_webhook_secret.is_empty() { "unset" } else { "[redacted]" };
        f.debug_struct("BillingConfig")
            .field("razorpay_webhook_secret", &set)
            .field("usd_to_credit_minor", &self.usd_to_credit_minor)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `admin_appliance=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Builds the configuration from a file (optional), the process environment and flags.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, String> {
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        Self::load_from(file, &vars, overrides)
    }

    /// Like [`Config::load`], with the environment given explicitly (tests use this).
    pub fn load_from(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Self, String> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
                text.parse::<toml::Table>().map_err(|e| format!("config file {}: {e}", path.display()))?
            }
            None => toml::Table::new(),
        };
        for (name, raw) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else { continue };
            let Some((section, key)) = rest.split_once("__") else { continue };
            let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
            let entry = table.entry(section.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section_table) = entry else {
                return Err(format!("{name}: config section `{section}` is not a table"));
            };
            section_table.insert(key, env_value(raw));
        }
        let mut config: Config = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.inner().message().trim().to_string();
            format!("invalid configuration at `{path}`: {msg}")
        })?;
        if let Some(listen) = overrides.listen {
            config.server.listen = listen;
        }
        if let Some(dir) = &overrides.data_dir {
            config.storage.data_dir = dir.clone();
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let bad = |key: &str, why: &str| Err(format!("invalid config value for `{key}`: {why}"));
        if !(self.server.public_url.starts_with("http://") || self.server.public_url.starts_with("https://")) {
            return bad("server.public_url", "must start with http:// or https://");
        }
        if self.server.body_limit_bytes < 1024 {
            return bad("server.body_limit_bytes", "must be at least 1024");
        }
        if self.storage.pool_size == 0 || self.storage.pool_size > 64 {
            return bad("storage.pool_size", "must be between 1 and 64");
        }
        if self.storage.database_file.is_empty() || self.storage.database_file.contains('/') {
            return bad("storage.database_file", "must be a plain file name");
        }
        if self.security.session_ttl_hours == 0 {
            return bad("security.session_ttl_hours", "must be at least 1");
        }
        if self.security.login_lockout_after <= self.security.login_slowdown_after {
            return bad("security.login_lockout_after", "must exceed login_slowdown_after");
        }
        if self.rate_limit.per_minute == 0 || self.rate_limit.costly_per_minute == 0 {
            return bad("rate_limit.per_minute", "limits must be at least 1");
        }
        if self.llm.request_timeout_seconds == 0 || self.llm.connect_timeout_seconds == 0 {
            return bad("llm.request_timeout_seconds", "timeouts must be at least 1 second");
        }
        if self.log.level.parse::<tracing_subscriber::EnvFilter>().is_err() {
            return bad("log.level", "not a valid tracing filter");
        }
        Ok(())
    }

    pub fn database_path(&self) -> PathBuf {
        self.storage.data_dir.join(&self.storage.database_file)
    }

    pub fn secure_cookies(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }
}

/// Environment values are read as TOML scalars when they parse as one (`8080`, `true`),
/// otherwise as plain strings, so `ADMIN_APPLIANCE_SERVER__LISTEN=0.0.0.0:80` needs no quotes.
fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::load_from(None, &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_path(), PathBuf::from("./data/appliance.db"));
    }

    #[test]
    fn flag_beats_env_beats_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:1000\"\n[storage]\npool_size = 3\n").unwrap();
        let e = env(&[("ADMIN_APPLIANCE_SERVER__LISTEN", "127.0.0.1:2000")]);
        let c = Config::load_from(Some(&file), &e, &Overrides::default()).unwrap();
        assert_eq!(c.server.listen.port(), 2000);
        assert_eq!(c.storage.pool_size, 3);
        let o = Overrides { listen: Some("127.0.0.1:3000".parse().unwrap()), data_dir: None };
        let c = Config::load_from(Some(&file), &e, &o).unwrap();
        assert_eq!(c.server.listen.port(), 3000);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let e = env(&[("ADMIN_APPLIANCE_SERVER__LISTN", "x")]);
        let err = Config::load_from(None, &e, &Overrides::default()).unwrap_err();
        assert!(err.contains("listn"), "{err}");
        let e = env(&[("ADMIN_APPLIANCE_STORAGE__SYNCHRONOUS", "sometimes")]);
        let err = Config::load_from(None, &e, &Overrides::default()).unwrap_err();
        assert!(err.contains("sometimes") || err.contains("synchronous"), "{err}");
        let e = env(&[("ADMIN_APPLIANCE_STORAGE__POOL_SIZE", "0")]);
        let err = Config::load_from(None, &e, &Overrides::default()).unwrap_err();
        assert!(err.contains("storage.pool_size"), "{err}");
    }
}
