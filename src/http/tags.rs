//! The tags that group operations in `/api/docs`.

use poem_openapi::Tags;

#[derive(Tags)]
pub enum Tag {
    /// Log in and out with a session cookie
    Auth,
    /// Who am I, what may I do
    Me,
    /// Users of the tenant
    Users,
    /// API tokens of the tenant
    Tokens,
    /// Environments of the tenant
    Environments,
    /// Encrypted, write-only variables of an environment
    Variables,
    /// Model endpoints of the tenant and the platform models its plan offers
    Models,
    /// Workflow entity types, entities, workflows and prompts
    Workflows,
    /// The tenant's credit ledger
    Billing,
    /// The tenant's audit log and content reads
    Audit,
    /// Platform operations (super_admin only)
    Platform,
}
