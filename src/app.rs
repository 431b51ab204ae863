//! Builds the whole HTTP application from an `AppState`: the API under `/api/v1`, its OpenAPI
//! document and docs, `/healthz`, `/readyz` and the embedded UI, wrapped in the shared
//! middleware.

use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, Route, get};
use poem_openapi::OpenApiService;

use crate::domains::{
    audit, auth, billing, billing_events, environments, invoices, llm_providers, me, models, plans, prompt_templates,
    prompts, system, tenants, tokens, users, variables, workflow_entities, workflow_entity_types, workflows,
};
use crate::http::body::BodyLimit;
use crate::http::{middleware, ui};
use crate::state::AppState;

pub type Apis = (
    (auth::AuthApi, me::MeApi, users::UsersApi, tokens::TokensApi, environments::EnvironmentsApi, audit::AuditApi),
    (tenants::TenantsApi, plans::PlansApi, users::PlatformUsersApi, llm_providers::LlmProvidersApi),
    (variables::VariablesApi, models::ModelsApi, billing::BillingApi),
    (tenants::lifecycle::TenantLifecycleApi, invoices::InvoicesApi, billing_events::BillingEventsApi),
    (
        workflow_entity_types::EntityTypesApi,
        workflow_entities::WorkflowEntitiesApi,
        workflows::WorkflowsApi,
        prompts::PromptsApi,
        prompt_templates::PromptTemplatesApi,
    ),
);

/// The API with its generated OpenAPI document.
pub fn api_service() -> OpenApiService<Apis, ()> {
    let apis: Apis = (
        (auth::AuthApi, me::MeApi, users::UsersApi, tokens::TokensApi, environments::EnvironmentsApi, audit::AuditApi),
        (tenants::TenantsApi, plans::PlansApi, users::PlatformUsersApi, llm_providers::LlmProvidersApi),
        (variables::VariablesApi, models::ModelsApi, billing::BillingApi),
        (tenants::lifecycle::TenantLifecycleApi, invoices::InvoicesApi, billing_events::BillingEventsApi),
        (
            workflow_entity_types::EntityTypesApi,
            workflow_entities::WorkflowEntitiesApi,
            workflows::WorkflowsApi,
            prompts::PromptsApi,
            prompt_templates::PromptTemplatesApi,
        ),
    );
    OpenApiService::new(apis, "admin-appliance", env!("CARGO_PKG_VERSION"))
        .description(
            "Admin API of a multi-tenant AI/automation platform. Errors are \
             `{\"error\", \"code\", \"details\"?, \"requestId\"}`; lists take `limit`, `offset`/`page` or `cursor`, \
             `sort`, `search`, `createdAfter`/`createdBefore` and per-resource filters; every POST accepts \
             `Idempotency-Key`. Platform principals name a tenant with `X-Tenant-Id`.",
        )
        .server("/")
}

/// The OpenAPI document as JSON text.
pub fn openapi_json() -> String {
    api_service().spec()
}

pub fn build(state: AppState) -> impl Endpoint {
    with_middleware(routes(), state)
}

/// Every route, without the shared middleware and state. Generating the OpenAPI document takes
/// a while, so `serve` builds this on another thread while it opens the database.
pub fn routes() -> Route {
    let api = api_service();
    let spec = api.spec_endpoint();
    let spec2 = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .at("/api/v1/openapi.json", get(spec))
        .at("/api/openapi.json", get(spec2))
        .nest("/api/docs", docs)
        .nest_no_strip("/api/v1", api)
        .at("/healthz", get(system::healthz))
        .at("/readyz", get(system::readyz))
        .at("/", ui::serve)
        .at("/*path", ui::serve)
}

/// Wraps routes in the shared middleware (also used by tests to check it on their own routes).
pub fn with_middleware(route: Route, state: AppState) -> impl Endpoint {
    let limit = BodyLimit(state.config.server.body_limit_bytes);
    route
        .around(middleware::idempotency)
        .around(middleware::authenticate)
        .with(CatchPanic::new().with_handler(middleware::panic_response))
        .around(middleware::acknowledge)
        .around(middleware::request_context)
        .data(state)
        .data(limit)
}
