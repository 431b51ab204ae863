//! The one generic read path. A `Resource` declares its table, columns, sortable and filterable
//! fields; `list`, `get` and `delete_row` give every resource paging (offset, page or keyset
//! cursor), sorting, filtering, search and totals, tenant-scoped by construction.

use crate::db::Cached;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use crate::http::error::ApiError;
use crate::http::list::{Cursor, ListQuery};

/// How a filter parameter's value is checked and compared.
#[derive(Debug, Clone, Copy)]
pub enum FilterKind {
    /// Any text, compared for equality.
    Text,
    /// A UUID.
    Uuid,
    /// One of a fixed set of values.
    Enum(&'static [&'static str]),
    /// `true` / `false`, stored as 0/1.
    Bool,
}

/// An equality filter: query parameter `param` compares column `column`.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub param: &'static str,
    pub column: &'static str,
    pub kind: FilterKind,
}

/// A sortable field: `sort=param` / `sort=-param` orders by `column` (which must be NOT NULL).
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub param: &'static str,
    pub column: &'static str,
}

/// Which rows a query may see.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Rows of one tenant: what every tenant-facing endpoint uses.
    Tenant(&'a str),
    /// Rows of every tenant: platform endpoints only.
    AnyTenant,
}

/// A listable, fetchable resource.
pub trait Resource: Sized + Send + 'static {
    /// Singular name for messages ("Environment").
    const NAME: &'static str;
    /// The `FROM` clause (a table, possibly with joins).
    const FROM: &'static str;
    /// The table rows are deleted from.
    const TABLE: &'static str = Self::FROM;
    /// The select list, read back by `from_row` in this order.
    const COLUMNS: &'static str;
    /// The primary key column (qualified if `FROM` joins).
    const ID: &'static str;
    /// The creation-time column (qualified if `FROM` joins).
    const CREATED: &'static str;
    /// The tenant column, `None` for platform-wide resources.
    const TENANT: Option<&'static str>;
    /// Sortable fields; `createdAt`, `updatedAt` and the name/title belong here.
    const SORTS: &'static [Sort];
    /// Equality filters.
    const FILTERS: &'static [Filter];
    /// Columns searched case-insensitively by `search`.
    const SEARCH: &'static [&'static str];
    /// Sort used when the request gives none.
    const DEFAULT_SORT: &'static str = "-createdAt";
    /// Whether `row_counts` keeps this resource's rows per tenant (migration 0006), so that an
    /// unfiltered list reads its total instead of counting. `FROM` must not drop rows of
    /// `TABLE` (joins only on required references, or left joins).
    const COUNTED: bool = false;

    fn from_row(row: &Row) -> rusqlite::Result<Self>;
}

/// One page of results.
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// False when `total` is the counting cap rather than the exact number of matches.
    pub total_exact: bool,
    pub next_cursor: Option<String>,
}

/// A filtered list counts its matches up to this many.
pub const TOTAL_CAP: i64 = 10_000;

/// Extra conditions a store adds to a list (e.g. "not an impersonation token").
#[derive(Default)]
pub struct Extra {
    pub sql: Vec<String>,
    pub args: Vec<Value>,
}

impl Extra {
    pub fn and(mut self, sql: &str, args: impl IntoIterator<Item = Value>) -> Self {
        self.sql.push(sql.to_string());
        self.args.extend(args);
        self
    }
}

fn where_clause<R: Resource>(scope: Scope, q: &ListQuery, extra: &Extra) -> (Vec<String>, Vec<Value>) {
    let mut conds = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let (Scope::Tenant(t), Some(col)) = (scope, R::TENANT) {
        conds.push(format!("{col} = ?"));
        args.push(Value::Text(t.to_string()));
    }
    for (filter, value) in &q.filters {
        conds.push(format!("{} = ?", filter.column));
        args.push(value.clone());
    }
    if let Some(after) = &q.created_after {
        conds.push(format!("{} >= ?", R::CREATED));
        args.push(Value::Text(after.clone()));
    }
    if let Some(before) = &q.created_before {
        conds.push(format!("{} < ?", R::CREATED));
        args.push(Value::Text(before.clone()));
    }
    if let Some(term) = &q.search
        && !R::SEARCH.is_empty()
    {
        let pattern = format!("%{}%", escape_like(&term.to_lowercase()));
        let ors: Vec<String> = R::SEARCH.iter().map(|c| format!("LOWER({c}) LIKE ? ESCAPE '\\'")).collect();
        conds.push(format!("({})", ors.join(" OR ")));
        args.extend(R::SEARCH.iter().map(|_| Value::Text(pattern.clone())));
    }
    conds.extend(extra.sql.iter().cloned());
    args.extend(extra.args.iter().cloned());
    (conds, args)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Lists one page of `R`.
pub fn list<R: Resource>(conn: &Connection, scope: Scope, q: &ListQuery, extra: Extra) -> Result<PageOf<R>, ApiError> {
    let unfiltered = q.filters.is_empty()
        && q.created_after.is_none()
        && q.created_before.is_none()
        && q.search.is_none()
        && extra.sql.is_empty();
    let (mut conds, mut args) = where_clause::<R>(scope, q, &extra);
    let (total, total_exact) = if R::COUNTED && R::TENANT.is_some() && unfiltered {
        (kept_count(conn, R::TABLE, scope)?, true)
    } else {
        let count_sql =
            format!("SELECT COUNT(*) FROM (SELECT 1 FROM {}{} LIMIT {})", R::FROM, render_where(&conds), TOTAL_CAP + 1);
        let n: i64 = conn.prepare_cached(&count_sql)?.query_row(params_from_iter(args.iter()), |r| r.get(0))?;
        (n.min(TOTAL_CAP), n <= TOTAL_CAP)
    };

    // Sort columns, then the id as the tie-breaker (in the direction of the last sort key).
    let mut keys: Vec<(&str, bool)> = q.sort.iter().map(|(s, desc)| (s.column, *desc)).collect();
    let last_desc = keys.last().map(|k| k.1).unwrap_or(true);
    keys.push((R::ID, last_desc));

    if let Some(cursor) = &q.cursor {
        if cursor.values.len() != keys.len() {
            return Err(ApiError::invalid_query("cursor", "does not match this list"));
        }
        let desc = keys[0].1;
        if keys.iter().all(|k| k.1 == desc) {
            // One direction: a row-value comparison, which walks the sort index from the cursor,
            // so the last page costs what the first does.
            let cols: Vec<&str> = keys.iter().map(|k| k.0).collect();
            let marks = vec!["?"; keys.len()].join(", ");
            conds.push(format!("({}) {} ({marks})", cols.join(", "), if desc { "<" } else { ">" }));
            args.extend(cursor.values.iter().map(json_to_sql));
        } else {
            // Mixed directions: (a after x) or (a = x and b after y) or …
            let mut ors = Vec::new();
            for i in 0..keys.len() {
                let mut ands: Vec<String> = keys[..i].iter().map(|(c, _)| format!("{c} = ?")).collect();
                args.extend(cursor.values[..i].iter().map(json_to_sql));
                let (col, desc) = keys[i];
                ands.push(format!("{col} {} ?", if desc { "<" } else { ">" }));
                args.push(json_to_sql(&cursor.values[i]));
                ors.push(format!("({})", ands.join(" AND ")));
            }
            conds.push(format!("({})", ors.join(" OR ")));
        }
    }

    let order: Vec<String> = keys.iter().map(|(c, d)| format!("{c} {}", if *d { "DESC" } else { "ASC" })).collect();
    let key_cols: Vec<&str> = keys.iter().map(|k| k.0).collect();
    let sql = format!(
        "SELECT {}, {} FROM {}{} ORDER BY {} LIMIT ? OFFSET ?",
        R::COLUMNS,
        key_cols.join(", "),
        R::FROM,
        render_where(&conds),
        order.join(", "),
    );
    args.push(Value::Integer(q.limit + 1));
    args.push(Value::Integer(if q.cursor.is_some() { 0 } else { q.offset }));

    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut items = Vec::new();
    let mut last_keys = None;
    let mut has_more = false;
    while let Some(row) = rows.next()? {
        if items.len() as i64 == q.limit {
            has_more = true;
            break;
        }
        let n = row.as_ref().column_count();
        let first_key = n - keys.len();
        let mut vals = Vec::with_capacity(keys.len());
        for i in first_key..n {
            vals.push(sql_to_json(row.get::<_, Value>(i)?));
        }
        last_keys = Some(vals);
        items.push(R::from_row(row)?);
    }
    let next_cursor = match (has_more, last_keys) {
        (true, Some(values)) => Some(Cursor { sort: q.sort_text(), values }.encode()),
        _ => None,
    };
    Ok(PageOf { items, total, total_exact, next_cursor })
}

/// The running row count of `table` (kept by the triggers of migration 0006).
fn kept_count(conn: &Connection, table: &str, scope: Scope) -> Result<i64, ApiError> {
    let n = match scope {
        Scope::Tenant(t) => conn
            .prepare_cached("SELECT COALESCE(SUM(n), 0) FROM row_counts WHERE table_name = ?1 AND tenant_id = ?2")?
            .query_row([table, t], |r| r.get(0))?,
        Scope::AnyTenant => conn
            .prepare_cached("SELECT COALESCE(SUM(n), 0) FROM row_counts WHERE table_name = ?1")?
            .query_row([table], |r| r.get(0))?,
    };
    Ok(n)
}

fn render_where(conds: &[String]) -> String {
    if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) }
}

fn json_to_sql(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(*b as i64),
        serde_json::Value::Number(n) => {
            n.as_i64().map(Value::Integer).or_else(|| n.as_f64().map(Value::Real)).unwrap_or(Value::Null)
        }
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

fn sql_to_json(v: Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => i.into(),
        Value::Real(f) => f.into(),
        Value::Text(s) => s.into(),
        Value::Blob(b) => hex::encode(b).into(),
    }
}

/// Aggregates over the rows a list request selects (its filters, not its paging):
/// `select` is the aggregate expression list, read back by `read`.
pub fn aggregate<R: Resource, T>(
    conn: &Connection,
    scope: Scope,
    q: &ListQuery,
    extra: Extra,
    select: &str,
    read: impl FnOnce(&Row) -> rusqlite::Result<T>,
) -> Result<T, ApiError> {
    let (conds, args) = where_clause::<R>(scope, q, &extra);
    let sql = format!("SELECT {select} FROM {}{}", R::FROM, render_where(&conds));
    Ok(conn.prepare_cached(&sql)?.query_row(params_from_iter(args.iter()), read)?)
}

/// Fetches one `R` by id within the scope; 404 if absent or outside it.
pub fn get<R: Resource>(conn: &Connection, scope: Scope, id: &str) -> Result<R, ApiError> {
    let mut conds = vec![format!("{} = ?", R::ID)];
    let mut args = vec![Value::Text(id.to_string())];
    if let (Scope::Tenant(t), Some(col)) = (scope, R::TENANT) {
        conds.push(format!("{col} = ?"));
        args.push(Value::Text(t.to_string()));
    }
    let sql = format!("SELECT {} FROM {}{}", R::COLUMNS, R::FROM, render_where(&conds));
    match conn.prepare_cached(&sql)?.query_row(params_from_iter(args.iter()), R::from_row) {
        Ok(r) => Ok(r),
        Err(rusqlite::Error::QueryReturnedNoRows) => Err(ApiError::not_found(R::NAME)),
        Err(e) => Err(e.into()),
    }
}

/// Deletes the row `id` of `table` within the tenant; 404 if nothing was deleted.
pub fn delete_row(conn: &Connection, table: &str, tenant: Option<&str>, id: &str, what: &str) -> Result<(), ApiError> {
    let n = match tenant {
        Some(t) => conn.execute_cached(&format!("DELETE FROM {table} WHERE id = ?1 AND tenant_id = ?2"), [id, t])?,
        None => conn.execute_cached(&format!("DELETE FROM {table} WHERE id = ?1"), [id])?,
    };
    if n == 0 { Err(ApiError::not_found(what)) } else { Ok(()) }
}

impl super::Db {
    /// One page of `R` as a list response, scoped to `tenant` when given (platform code passes
    /// `None` to list across tenants).
    pub async fn page<R: Resource>(
        &self,
        tenant: Option<String>,
        q: ListQuery,
        extra: Extra,
    ) -> Result<crate::http::list::Listed<R>, ApiError> {
        self.read(move |c| {
            let scope = tenant.as_deref().map_or(Scope::AnyTenant, Scope::Tenant);
            list::<R>(c, scope, &q, extra).map(|p| crate::http::list::Listed::new(&q, p))
        })
        .await
    }

    /// One `R` by id, scoped to `tenant` when given; 404 when absent or another tenant's.
    pub async fn fetch<R: Resource>(&self, tenant: Option<String>, id: String) -> Result<R, ApiError> {
        self.read_key(|c| get::<R>(c, tenant.as_deref().map_or(Scope::AnyTenant, Scope::Tenant), &id))
    }
}
