//! List requests and responses, written once. `ListParams<R>` parses `limit`, `offset`/`page`,
//! `cursor`, `sort`, `search`, `createdAfter`/`createdBefore` and the resource's equality
//! filters (also as `filter[x]=`) against `R`'s allow-lists: anything else is a 400.
//! `Listed<T>` answers `{data, pagination}` with `X-Total-Count` and `Link: rel="next"`.

use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::http::HeaderValue;
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaParamIn, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object};
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::db::list::{Filter, FilterKind, PageOf, Resource, Sort};

pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 200;

/// Parameters every tenant endpoint accepts to name the tenant (platform principals only).
const TENANT_ALIASES: &[&str] = &["organizationId", "tenantId"];

/// The decoded query string of a request (an undecodable one reads as empty and fails later).
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default()
}

/// An opaque keyset cursor: the sort it belongs to and the last row's key values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    pub sort: String,
    #[serde(rename = "v")]
    pub values: Vec<serde_json::Value>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(s: &str) -> Option<Self> {
        let raw = URL_SAFE_NO_PAD.decode(s).ok()?;
        serde_json::from_slice(&raw).ok()
    }
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub limit: i64,
    pub offset: i64,
    pub page: Option<i64>,
    pub cursor: Option<Cursor>,
    pub sort: Vec<(Sort, bool)>,
    pub search: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub filters: Vec<(Filter, Value)>,
    /// Path and query of the request, for the `Link` header.
    pub path: String,
    pub raw: Vec<(String, String)>,
}

impl ListQuery {
    /// The sort as text (`-createdAt,name`), stored in cursors.
    pub fn sort_text(&self) -> String {
        self.sort.iter().map(|(s, d)| format!("{}{}", if *d { "-" } else { "" }, s.param)).collect::<Vec<_>>().join(",")
    }

    /// Parses and validates a query string against `R`'s allow-lists.
    pub fn parse<R: Resource>(path: &str, pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        Self::parse_with(path, pairs, R::SORTS, R::FILTERS, !R::SEARCH.is_empty(), R::DEFAULT_SORT)
    }

    pub fn parse_with(
        path: &str,
        pairs: Vec<(String, String)>,
        sorts: &[Sort],
        filters: &[Filter],
        searchable: bool,
        default_sort: &str,
    ) -> Result<Self, ApiError> {
        let mut q = ListQuery {
            limit: DEFAULT_LIMIT,
            offset: 0,
            page: None,
            cursor: None,
            sort: Vec::new(),
            search: None,
            created_after: None,
            created_before: None,
            filters: Vec::new(),
            path: path.to_string(),
            raw: pairs.clone(),
        };
        let mut sort_text: Option<String> = None;
        let mut offset_given = false;
        for (key, value) in &pairs {
            let name = key.strip_prefix("filter[").and_then(|k| k.strip_suffix(']')).unwrap_or(key.as_str());
            match name {
                "limit" => {
                    q.limit = parse_int(name, value)?;
                    if !(1..=MAX_LIMIT).contains(&q.limit) {
                        return Err(ApiError::invalid_query("limit", format!("must be between 1 and {MAX_LIMIT}")));
                    }
                }
                "offset" => {
                    q.offset = parse_int(name, value)?;
                    offset_given = true;
                    if q.offset < 0 {
                        return Err(ApiError::invalid_query("offset", "must be 0 or more"));
                    }
                }
                "page" => {
                    let page = parse_int(name, value)?;
                    if page < 1 {
                        return Err(ApiError::invalid_query("page", "must be 1 or more"));
                    }
                    q.page = Some(page);
                }
                "cursor" => {
                    let c = Cursor::decode(value)
                        .ok_or_else(|| ApiError::invalid_query("cursor", "is not a cursor from this API"))?;
                    q.cursor = Some(c);
                }
                "sort" => sort_text = Some(value.clone()),
                "search" if searchable => {
                    if value.chars().count() > 200 {
                        return Err(ApiError::invalid_query("search", "must be at most 200 characters"));
                    }
                    if !value.is_empty() {
                        q.search = Some(value.clone());
                    }
                }
                "createdAfter" | "createdBefore" | "startDate" | "endDate" => {
                    let after = matches!(name, "createdAfter" | "startDate");
                    let t = parse_bound(value, name == "endDate").ok_or_else(|| {
                        ApiError::invalid_query(name, "must be an RFC 3339 date-time or a YYYY-MM-DD date")
                    })?;
                    if after { q.created_after = Some(t) } else { q.created_before = Some(t) }
                }
                n if TENANT_ALIASES.contains(&n) && !filters.iter().any(|f| f.param == n) => {}
                n => {
                    let filter = filters
                        .iter()
                        .find(|f| f.param == n)
                        .ok_or_else(|| ApiError::invalid_query(n, "unknown query parameter"))?;
                    q.filters.push((*filter, filter_value(filter, value)?));
                }
            }
        }
        if q.cursor.is_some() && (offset_given || q.page.is_some()) {
            return Err(ApiError::invalid_query("cursor", "cannot be combined with offset or page"));
        }
        if offset_given && q.page.is_some() {
            return Err(ApiError::invalid_query("page", "cannot be combined with offset"));
        }
        if let Some(page) = q.page {
            q.offset = (page - 1).saturating_mul(q.limit);
        }
        if let Some(c) = &q.cursor {
            match &sort_text {
                Some(s) if s != &c.sort => {
                    return Err(ApiError::invalid_query("cursor", "was made for another sort order"));
                }
                _ => sort_text = Some(c.sort.clone()),
            }
        }
        let sort_text = sort_text.unwrap_or_else(|| default_sort.to_string());
        for part in sort_text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (desc, field) = match part.strip_prefix('-') {
                Some(f) => (true, f),
                None => (false, part.strip_prefix('+').unwrap_or(part)),
            };
            let sort = sorts.iter().find(|s| s.param == field).ok_or_else(|| {
                let allowed: Vec<&str> = sorts.iter().map(|s| s.param).collect();
                ApiError::invalid_query(
                    "sort",
                    format!("unknown sort field `{field}`; allowed: {}", allowed.join(", ")),
                )
            })?;
            if q.sort.iter().any(|(s, _)| s.param == sort.param) {
                return Err(ApiError::invalid_query("sort", format!("`{field}` given twice")));
            }
            q.sort.push((*sort, desc));
        }
        if q.sort.is_empty() {
            return Err(ApiError::invalid_query("sort", "must name at least one field"));
        }
        Ok(q)
    }
}

/// A time bound: an RFC 3339 time, or a date meaning its start (or, for an inclusive end date,
/// the start of the next day).
fn parse_bound(value: &str, inclusive_end: bool) -> Option<String> {
    if let Some(t) = crate::db::parse_time(value) {
        return Some(t);
    }
    let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    let date = if inclusive_end { date.succ_opt()? } else { date };
    Some(crate::db::format_time(date.and_hms_opt(0, 0, 0)?.and_utc()))
}

fn parse_int(name: &str, value: &str) -> Result<i64, ApiError> {
    value.parse::<i64>().map_err(|_| ApiError::invalid_query(name, "must be an integer"))
}

fn filter_value(f: &Filter, value: &str) -> Result<Value, ApiError> {
    match f.kind {
        FilterKind::Text => Ok(Value::Text(value.to_string())),
        FilterKind::Uuid => uuid::Uuid::parse_str(value)
            .map(|_| Value::Text(value.to_ascii_lowercase()))
            .map_err(|_| ApiError::invalid_query(f.param, "must be a UUID")),
        FilterKind::Enum(allowed) => {
            if allowed.contains(&value) {
                Ok(Value::Text(value.to_string()))
            } else {
                Err(ApiError::invalid_query(f.param, format!("must be one of: {}", allowed.join(", "))))
            }
        }
        FilterKind::Bool => match value {
            "true" | "1" => Ok(Value::Integer(1)),
            "false" | "0" => Ok(Value::Integer(0)),
            _ => Err(ApiError::invalid_query(f.param, "must be true or false")),
        },
    }
}

/// The list parameters of a request, validated for resource `R`.
pub struct ListParams<R: Resource>(pub ListQuery, PhantomData<R>);

impl<R: Resource> ListParams<R> {
    pub fn into_inner(self) -> ListQuery {
        self.0
    }
}

/// The OpenAPI schema of a list's query parameters (an exploded form-style object).
fn params_schema(sorts: &[Sort], filters: &[Filter], searchable: bool) -> MetaSchemaRef {
    let int = |desc: &'static str, min: f64, max: Option<f64>| {
        let mut s = MetaSchema::new_with_format("integer", "int64");
        s.description = Some(desc);
        s.minimum = Some(min);
        s.maximum = max;
        MetaSchemaRef::Inline(Box::new(s))
    };
    let text = |desc: &'static str, format: Option<&'static str>| {
        let mut s = MetaSchema::new("string");
        s.description = Some(desc);
        s.format = format;
        MetaSchemaRef::Inline(Box::new(s))
    };
    let mut schema = MetaSchema::new("object");
    schema.properties.push(("limit", int("Page size (default 25)", 1.0, Some(MAX_LIMIT as f64))));
    schema.properties.push(("offset", int("Rows to skip", 0.0, None)));
    schema.properties.push(("page", int("1-indexed page (alternative to offset)", 1.0, None)));
    schema.properties.push(("cursor", text("Opaque cursor from the previous page's nextCursor", None)));
    let mut sort = MetaSchema::new("string");
    sort.description = Some("Comma-separated fields, `-` prefix for descending");
    sort.example = Some(serde_json::Value::String(format!(
        "-createdAt (sortable: {})",
        sorts.iter().map(|s| s.param).collect::<Vec<_>>().join(", ")
    )));
    schema.properties.push(("sort", MetaSchemaRef::Inline(Box::new(sort))));
    if searchable {
        schema.properties.push(("search", text("Case-insensitive substring of the name/title/email", None)));
    }
    schema.properties.push(("createdAfter", text("Only items created at or after", Some("date-time"))));
    schema.properties.push(("createdBefore", text("Only items created before", Some("date-time"))));
    schema
        .properties
        .push(("startDate", text("Only items created on or after this date (YYYY-MM-DD or date-time)", None)));
    schema
        .properties
        .push(("endDate", text("Only items created on or before this date (YYYY-MM-DD or date-time)", None)));
    for f in filters {
        let mut s = MetaSchema::new("string");
        s.description = Some("Equality filter; also accepted as filter[name]=value");
        match f.kind {
            FilterKind::Uuid => s.format = Some("uuid"),
            FilterKind::Enum(values) => {
                s.enum_items = values.iter().map(|v| serde_json::Value::String(v.to_string())).collect()
            }
            FilterKind::Bool => s.ty = "boolean",
            FilterKind::Text => {}
        }
        schema.properties.push((f.param, MetaSchemaRef::Inline(Box::new(s))));
    }
    MetaSchemaRef::Inline(Box::new(schema))
}

impl<'a, R: Resource> ApiExtractor<'a> for ListParams<R> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    type ParamType = ();
    type ParamRawType = ();

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Query)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(params_schema(R::SORTS, R::FILTERS, !R::SEARCH.is_empty()))
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let q = ListQuery::parse::<R>(req.uri().path(), query_pairs(req))?;
        Ok(ListParams(q, PhantomData))
    }
}

/// The `pagination` object of every list response.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct Pagination {
    /// Items matching the filters, across all pages. Exact for unfiltered lists (kept as a
    /// running count); a filtered list counts up to 10,000 matches, and then says so with
    /// `totalExact: false`.
    pub total: i64,
    /// Whether `total` is the exact number of matches (false: at least that many).
    pub total_exact: bool,
    pub limit: i64,
    /// Rows skipped; null when paging by cursor.
    pub offset: Option<i64>,
    /// 1-indexed page; null when paging by cursor.
    pub page: Option<i64>,
    pub total_pages: i64,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A list response: `{data, pagination}` plus `X-Total-Count` and `Link` headers.
pub struct Listed<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
    link: Option<String>,
}

impl<T> Listed<T> {
    pub fn new(q: &ListQuery, page: PageOf<T>) -> Self {
        let limit = q.limit;
        let by_cursor = q.cursor.is_some();
        let total_pages = if page.total == 0 { 0 } else { (page.total + limit - 1) / limit };
        let link = page.next_cursor.as_ref().map(|next| {
            let mut params: Vec<(String, String)> =
                q.raw.iter().filter(|(k, _)| !matches!(k.as_str(), "cursor" | "offset" | "page")).cloned().collect();
            if by_cursor || q.offset == 0 && q.page.is_none() {
                params.push(("cursor".into(), next.clone()));
            } else {
                params.push(("offset".into(), (q.offset + limit).to_string()));
            }
            let query = serde_urlencoded::to_string(&params).unwrap_or_default();
            format!("<{}?{}>; rel=\"next\"", q.path, query)
        });
        Listed {
            pagination: Pagination {
                total: page.total,
                total_exact: page.total_exact,
                limit,
                offset: (!by_cursor).then_some(q.offset),
                page: (!by_cursor).then_some(q.offset / limit + 1),
                total_pages,
                next_cursor: page.next_cursor,
            },
            data: page.items,
            link,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listed<U> {
        Listed { data: self.data.into_iter().map(f).collect(), pagination: self.pagination, link: self.link }
    }
}

impl<T: ToJSON + Send> IntoResponse for Listed<T> {
    fn into_response(self) -> Response {
        self.render(None)
    }
}

impl<T: ToJSON + Send> Listed<T> {
    fn render(self, extra: Option<(&str, serde_json::Value)>) -> Response {
        let mut body = serde_json::json!({
            "data": self.data.iter().map(|d| d.to_json().unwrap_or_default()).collect::<Vec<_>>(),
            "pagination": self.pagination.to_json(),
        });
        if let (Some((k, v)), Some(obj)) = (extra, body.as_object_mut()) {
            obj.insert(k.to_string(), v);
        }
        let mut resp = Response::builder()
            .content_type("application/json; charset=utf-8")
            .header("x-total-count", self.pagination.total.to_string())
            .header("x-total-count-exact", if self.pagination.total_exact { "true" } else { "false" })
            .body(serde_json::to_vec(&body).unwrap_or_default());
        if let Some(link) = self.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            resp.headers_mut().insert("link", link);
        }
        resp
    }
}

impl<T: ToJSON + Type + Send> ApiResponse for Listed<T> {
    fn meta() -> MetaResponses {
        let mut schema = MetaSchema::new("object");
        let mut data = MetaSchema::new("array");
        data.items = Some(Box::new(T::schema_ref()));
        schema.properties.push(("data", MetaSchemaRef::Inline(Box::new(data))));
        schema.properties.push(("pagination", Pagination::schema_ref()));
        schema.required = vec!["data", "pagination"];
        let header = |name: &str, desc: &str, ty: &'static str| MetaHeader {
            name: name.to_string(),
            description: Some(desc.to_string()),
            required: false,
            deprecated: false,
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new(ty))),
        };
        MetaResponses {
            responses: vec![MetaResponse {
                description: "One page of results",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: MetaSchemaRef::Inline(Box::new(schema)),
                }],
                headers: vec![
                    header("X-Total-Count", "Items matching the filters", "integer"),
                    header("Link", "`<url>; rel=\"next\"` when there is a next page", "string"),
                ],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        Pagination::register(registry);
    }
}

/// A list response with a `totals` object computed over every matching item.
pub struct ListedWithTotals<T, X> {
    pub listed: Listed<T>,
    pub totals: X,
}

impl<T: ToJSON + Send, X: ToJSON + Send> IntoResponse for ListedWithTotals<T, X> {
    fn into_response(self) -> Response {
        let totals = self.totals.to_json();
        self.listed.render(Some(("totals", totals.unwrap_or_default())))
    }
}

impl<T: ToJSON + Type + Send, X: ToJSON + Type + Send> ApiResponse for ListedWithTotals<T, X> {
    fn meta() -> MetaResponses {
        let mut meta = Listed::<T>::meta();
        if let Some(MetaSchemaRef::Inline(schema)) = meta.responses[0].content.first_mut().map(|c| &mut c.schema) {
            schema.properties.push(("totals", X::schema_ref()));
            schema.required.push("totals");
        }
        meta
    }

    fn register(registry: &mut Registry) {
        Listed::<T>::register(registry);
        X::register(registry);
    }
}
