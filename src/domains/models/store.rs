//! Models SQL. The credentials (`token`, `clientKey`, `secretKey`) are sealed per row and column.

use crate::db::Cached;
use rusqlite::{Connection, params};

use super::Model;
use crate::crypto::master_key::MasterKey;
use crate::crypto::seal::{open_text, seal_text};
use crate::db::list::{Resource, Scope, get};
use crate::db::{is_unique_violation, new_id, now};
use crate::http::error::ApiError;
use crate::llm::ProviderKind;

const TABLE: &str = "models";
/// (API field, sealed column)
pub const CREDENTIALS: [(&str, &str); 3] =
    [("token", "token_sealed"), ("clientKey", "client_key_sealed"), ("secretKey", "secret_key_sealed")];

fn taken(name: &str) -> ApiError {
    ApiError::taken("name", "already taken in this tenant", format!("A model named '{name}' already exists"))
}

pub struct Fields<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub provider: Option<ProviderKind>,
    pub model_url: Option<&'a str>,
    pub model_name: Option<&'a str>,
    /// USD per million (input, output) tokens.
    pub prices: (Option<f64>, Option<f64>),
    /// Per credential in `CREDENTIALS` order: `None` keep, `Some(None)` clear, `Some(Some(v))` set.
    pub credentials: [Option<Option<&'a str>>; 3],
}

pub fn insert(tx: &Connection, key: &MasterKey, tenant: &str, f: Fields) -> Result<Model, ApiError> {
    let id = new_id();
    let name = f.name.unwrap_or_default();
    tx.execute_cached(
        "INSERT INTO models (id, tenant_id, name, description, provider, model_url, model_name, input_price_usd_per_mtok,
            output_price_usd_per_mtok, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?10, ?8, ?8)",
        params![
            id,
            tenant,
            name,
            f.description.unwrap_or(""),
            f.provider.unwrap_or(ProviderKind::Openai).as_str(),
            f.model_url.unwrap_or_default(),
            f.model_name.unwrap_or_default(),
            now(),
            f.prices.0.unwrap_or(0.0),
            f.prices.1.unwrap_or(0.0)
        ],
    )
    .map_err(|e| if is_unique_violation(&e) { taken(name) } else { e.into() })?;
    set_credentials(tx, key, &id, &f.credentials)?;
    get::<Model>(tx, Scope::Tenant(tenant), &id)
}

pub fn update(tx: &Connection, key: &MasterKey, tenant: &str, id: &str, f: Fields) -> Result<Model, ApiError> {
    let n = tx
        .execute_cached(
            "UPDATE models SET name = COALESCE(?3, name), description = COALESCE(?4, description),
                    provider = COALESCE(?5, provider), model_url = COALESCE(?6, model_url),
                    model_name = COALESCE(?7, model_name), updated_at = ?8
              WHERE id = ?1 AND tenant_id = ?2",
            params![
                id,
                tenant,
                f.name,
                f.description,
                f.provider.map(ProviderKind::as_str),
                f.model_url,
                f.model_name,
                now()
            ],
        )
        .map_err(|e| if is_unique_violation(&e) { taken(f.name.unwrap_or_default()) } else { e.into() })?;
    if n == 0 {
        return Err(ApiError::not_found(Model::NAME));
    }
    set_credentials(tx, key, id, &f.credentials)?;
    get::<Model>(tx, Scope::Tenant(tenant), id)
}

fn set_credentials(
    tx: &Connection,
    key: &MasterKey,
    id: &str,
    creds: &[Option<Option<&str>>; 3],
) -> Result<(), ApiError> {
    for ((_, column), change) in CREDENTIALS.iter().zip(creds) {
        if let Some(value) = change {
            let sealed = value.map(|v| seal_text(key, TABLE, column, id, v));
            tx.execute_cached(&format!("UPDATE models SET {column} = ?2 WHERE id = ?1"), params![id, sealed])?;
        }
    }
    Ok(())
}

/// What a call to the model needs, credentials opened just in time.
pub struct Endpoint {
    pub name: String,
    pub input_price: f64,
    pub output_price: f64,
    pub provider: ProviderKind,
    pub model_url: String,
    pub model_name: String,
    pub token: Option<String>,
    pub client_key: Option<String>,
    pub secret_key: Option<String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("provider", &self.provider).field("model_url", &self.model_url).finish()
    }
}

pub fn endpoint(conn: &Connection, key: &MasterKey, tenant: &str, id: &str) -> Result<Endpoint, ApiError> {
    let row = conn
        .query_row_cached(
            "SELECT provider, model_url, model_name, token_sealed, client_key_sealed, secret_key_sealed, name,
                    input_price_usd_per_mtok, output_price_usd_per_mtok
               FROM models WHERE id = ?1 AND tenant_id = ?2",
            [id, tenant],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    [r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?, r.get::<_, Option<String>>(5)?],
                    (r.get::<_, String>(6)?, r.get::<_, f64>(7)?, r.get::<_, f64>(8)?),
                ))
            },
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => ApiError::not_found(Model::NAME),
            e => e.into(),
        })?;
    let (provider, model_url, model_name, sealed, (name, input_price, output_price)) = row;
    let mut opened = Vec::with_capacity(3);
    for ((_, column), value) in CREDENTIALS.iter().zip(sealed) {
        opened.push(match value {
            Some(s) => Some(open_text(key, TABLE, column, id, &s).map_err(ApiError::internal)?),
            None => None,
        });
    }
    let mut it = opened.into_iter();
    Ok(Endpoint {
        name,
        input_price,
        output_price,
        provider: ProviderKind::parse(&provider),
        model_url,
        model_name,
        token: it.next().flatten(),
        client_key: it.next().flatten(),
        secret_key: it.next().flatten(),
    })
}
