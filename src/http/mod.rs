//! The HTTP conventions every endpoint shares (DESIGN §3): errors, authentication and
//! permissions, list parameters and responses, idempotency, request ids, middleware.

pub mod auth;
pub mod body;
pub mod error;
pub mod idempotency;
pub mod list;
pub mod middleware;
pub mod perms;
pub mod principal_cache;
pub mod rate_limit;
pub mod request_id;
pub mod respond;
pub mod tags;
pub mod ui;
pub mod validate;
