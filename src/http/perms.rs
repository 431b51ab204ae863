//! Roles and the permission matrix of DESIGN §4, as one table. Each permission also exists as a
//! zero-sized marker type (`perm::EnvironmentsWrite`) so an endpoint states the permission it
//! needs in its signature: `ctx: Tenant<perm::EnvironmentsWrite>`.

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

/// A role. The order is the privilege order: a token can never get a role above its creator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Guest,
    Member,
    Admin,
    SuperAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::SuperAdmin => "super_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "guest" => Some(Role::Guest),
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            "super_admin" => Some(Role::SuperAdmin),
            _ => None,
        }
    }

    pub const ALL: [Role; 4] = [Role::SuperAdmin, Role::Admin, Role::Member, Role::Guest];

    fn column(self) -> usize {
        match self {
            Role::SuperAdmin => 0,
            Role::Admin => 1,
            Role::Member => 2,
            Role::Guest => 3,
        }
    }
}

/// Whether a permission applies to tenant content or to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Tenant,
    Platform,
}

macro_rules! permissions {
    ($($variant:ident = $name:literal, $scope:ident, [$sa:literal, $ad:literal, $me:literal, $gu:literal];)*) => {
        /// Every permission. `MATRIX` says which roles hold it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Perm { $($variant,)* }

        /// (permission, name, scope, held by [super_admin, admin, member, guest]).
        pub const MATRIX: &[(Perm, &str, Scope, [bool; 4])] = &[
            $((Perm::$variant, $name, Scope::$scope, [$sa, $ad, $me, $gu]),)*
        ];

        /// Marker types naming a permission in an endpoint's signature.
        pub mod perm {
            $(
                #[doc = concat!("Requires `", $name, "`.")]
                pub struct $variant;
                impl super::Permission for $variant {
                    const PERM: super::Perm = super::Perm::$variant;
                }
            )*
        }
    };
}

permissions! {
    Platform = "platform:*", Platform, [true, false, false, false];
    UsersRead = "users:read", Tenant, [true, true, true, true];
    UsersWrite = "users:write", Tenant, [true, true, false, false];
    TokensRead = "tokens:read", Tenant, [true, true, false, false];
    TokensWrite = "tokens:write", Tenant, [true, true, false, false];
    WebhooksRead = "webhooks:read", Tenant, [true, true, false, false];
    WebhooksWrite = "webhooks:write", Tenant, [true, true, false, false];
    AuditRead = "audit:read", Tenant, [true, true, false, false];
    BillingRead = "billing:read", Tenant, [true, true, true, false];
    BillingWrite = "billing:write", Tenant, [true, true, false, false];
    EnvironmentsRead = "environments:read", Tenant, [true, true, true, true];
    EnvironmentsWrite = "environments:write", Tenant, [true, true, false, false];
    VariablesRead = "variables:read", Tenant, [true, true, true, true];
    VariablesWrite = "variables:write", Tenant, [true, true, false, false];
    EntitiesRead = "entities:read", Tenant, [true, true, true, true];
    EntitiesCreate = "entities:create", Tenant, [true, true, false, false];
    EntitiesUpdate = "entities:update", Tenant, [true, true, false, false];
    EntitiesDelete = "entities:delete", Tenant, [true, true, false, false];
    WorkflowsRead = "workflows:read", Tenant, [true, true, true, true];
    WorkflowsWrite = "workflows:write", Tenant, [true, true, true, false];
    PromptsRead = "prompts:read", Tenant, [true, true, true, true];
    PromptsWrite = "prompts:write", Tenant, [true, true, true, false];
    PipelinesRead = "pipelines:read", Tenant, [true, true, true, true];
    PipelinesWrite = "pipelines:write", Tenant, [true, true, true, false];
    PipelinesRun = "pipelines:run", Tenant, [true, true, true, false];
    QueueRead = "queue:read", Tenant, [true, true, true, true];
    QueueWrite = "queue:write", Tenant, [true, true, true, false];
    AgentsRead = "agents:read", Tenant, [true, true, true, true];
    AgentsWrite = "agents:write", Tenant, [true, true, false, false];
}

/// Implemented by the marker types in [`perm`].
pub trait Permission: Send + Sync + 'static {
    const PERM: Perm;
}

impl Perm {
    fn row(self) -> &'static (Perm, &'static str, Scope, [bool; 4]) {
        MATRIX.iter().find(|r| r.0 == self).expect("every permission is in the matrix")
    }

    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn scope(self) -> Scope {
        self.row().2
    }

    /// The one place the matrix is consulted.
    pub fn granted_to(self, role: Role) -> bool {
        self.row().3[role.column()]
    }

    /// The verb and noun for a 403 message, e.g. ("create", "entities").
    pub fn describe(self) -> String {
        let name = self.name();
        let (noun, verb) = name.split_once(':').unwrap_or((name, "access"));
        let verb = match verb {
            "read" => "read",
            "write" => "modify",
            "*" => "access",
            other => other,
        };
        format!("Forbidden: You do not have permission to {verb} {noun}")
    }
}

/// The permission names a role holds, for `/roles` and `/me`.
pub fn permissions_of(role: Role) -> Vec<String> {
    MATRIX.iter().filter(|r| r.3[role.column()]).map(|r| r.1.to_string()).collect()
}
