//! Builds the whole HTTP application from an `AppState`: the API under `/api/v1`, its OpenAPI
//! document and docs, `/healthz`, `/readyz` and the embedded UI, wrapped in the shared
//! middleware.

use std::sync::OnceLock;

use poem::middleware::CatchPanic;
use poem::{Body, Endpoint, EndpointExt, Response, Route, get};
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

/// Every route, without the shared middleware and state. `serve` builds this on another thread
/// while it opens the database.
pub fn routes() -> Route {
    Route::new()
        .at("/api/v1/openapi.json", get(serve_openapi))
        .at("/api/openapi.json", get(serve_openapi))
        .at("/api/docs", get(serve_docs))
        .at("/api/docs/", get(serve_docs))
        .nest_no_strip("/api/v1", api_service())
        .at("/healthz", get(system::healthz))
        .at("/readyz", get(system::readyz))
        .at("/", ui::serve)
        .at("/*path", ui::serve)
}

/// The OpenAPI document (0.5 MB of JSON), generated on first request and kept: a server whose
/// docs nobody reads neither builds it at start-up nor holds it.
#[poem::handler]
fn serve_openapi() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(openapi_json);
    Response::builder().content_type("application/json").body(Body::from(doc.as_str()))
}

/// The Swagger UI page (2 MB with the document inside), likewise made on first request.
#[poem::handler]
fn serve_docs() -> Response {
    static PAGE: OnceLock<String> = OnceLock::new();
    let page = PAGE.get_or_init(|| api_service().swagger_ui_html());
    Response::builder().content_type("text/html; charset=utf-8").body(Body::from(page.as_str()))
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
