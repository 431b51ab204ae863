//! One folder per area of the API: `mod.rs` holds the endpoints and their types, `store.rs`
//! the SQL.

pub mod audit;
pub mod auth;
pub mod billing;
pub mod billing_events;
pub mod environments;
pub mod events;
pub mod invoices;
pub mod llm_providers;
pub mod me;
pub mod models;
pub mod plans;
pub mod prompt_templates;
pub mod prompts;
pub mod system;
pub mod tenants;
pub mod tokens;
pub mod users;
pub mod variables;
pub mod workflow_entities;
pub mod workflow_entity_types;
pub mod workflows;
