//! admin-appliance: one self-contained binary serving the admin API of a multi-tenant
//! AI/automation platform on embedded SQLite.
#![forbid(unsafe_code)]

pub mod app;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domains;
pub mod http;
pub mod llm;
pub mod server;
pub mod state;
