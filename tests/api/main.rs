//! HTTP tests against the real application on a temporary SQLite file.

mod common;
#[path = "../support/fake_llm.rs"]
mod fake_llm;

mod audit;
mod conventions;
mod identity;
mod isolation;
mod lists;
mod persistence;
mod platform_ops;
mod prompt_templates;
mod rate_limits;
mod rbac;
mod secrets;
mod tenants;
mod workflows;
