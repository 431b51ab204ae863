//! The test harness: the real application on a temporary SQLite file, driven over HTTP with
//! poem's in-process client, and helpers to make tenants and principals.

use std::path::Path;

use admin_appliance::config::Config;
use admin_appliance::state::AppState;
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method};
use poem::test::TestClient;
use poem::{EndpointExt, IntoEndpoint};
use serde_json::{Value, json};

pub struct H {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub cli: TestClient<BoxEndpoint<'static>>,
    /// A platform (super_admin) token.
    pub platform: String,
}

pub fn test_config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.storage.data_dir = dir.to_path_buf();
    c.security.login_slowdown_after = 2;
    c.security.login_lockout_after = 4;
    c.server.body_limit_bytes = 64 * 1024;
    c
}

impl H {
    pub fn new() -> Self {
        Self::open(tempfile::tempdir().unwrap())
    }

    /// Opens (or re-opens, after a "restart") the application on `dir`.
    pub fn open(dir: tempfile::TempDir) -> Self {
        Self::open_with(dir, |_| {})
    }

    /// A fresh application with configuration changes.
    pub fn with_config(change: impl FnOnce(&mut Config)) -> Self {
        Self::open_with(tempfile::tempdir().unwrap(), change)
    }

    fn open_with(dir: tempfile::TempDir, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config(dir.path());
        change(&mut config);
        let (db, key) = admin_appliance::bootstrap::open(&config, true).unwrap();
        let platform = {
            let mut conn = db.conn().unwrap();
            admin_appliance::bootstrap::create_platform_token(&mut conn, "test-platform", None).unwrap()
        };
        let state = AppState::new(db, config, key);
        let ep = admin_appliance::app::build(state.clone()).map_to_response().boxed();
        H { dir, state, cli: TestClient::new(ep), platform }
    }

    /// Wraps arbitrary routes in the application's middleware.
    pub fn client_for(&self, route: poem::Route) -> TestClient<BoxEndpoint<'static>> {
        let ep = admin_appliance::app::with_middleware(route, self.state.clone()).into_endpoint();
        TestClient::new(ep.map_to_response().boxed())
    }

    pub fn req(&self, method: &str, path: &str) -> Req<'_> {
        Req { h: self, method: method.parse().unwrap(), path: path.to_string(), headers: vec![], body: None }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.req("GET", path)
    }

    pub fn post(&self, path: &str, body: Value) -> Req<'_> {
        self.req("POST", path).json(body)
    }

    pub fn patch(&self, path: &str, body: Value) -> Req<'_> {
        self.req("PATCH", path).json(body)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.req("DELETE", path)
    }

    /// Creates a tenant through the platform API; returns its fixture with tokens per role.
    pub async fn tenant(&self, name: &str) -> Tenant {
        let email = format!("admin@{}.test", name.to_lowercase().replace(' ', "-"));
        let r = self
            .post(
                "/api/v1/platform/tenants",
                json!({"displayName": name, "firstName": "Ad", "lastName": "Min", "email": email,
                       "password": "admin-password-1", "planId": "pro"}),
            )
            .token(&self.platform)
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["tenantId"].as_str().unwrap().to_string();
        let admin_user = r.body["userId"].as_str().unwrap().to_string();
        let admin = self.login_token(&email, "admin-password-1", "admin").await;
        let member = self.make_token(&admin, "member").await;
        let guest = self.make_token(&admin, "guest").await;
        Tenant { id, email, admin_user, admin, member, guest }
    }

    /// Logs in and creates a token of `role` with the session.
    pub async fn login_token(&self, email: &str, password: &str, role: &str) -> String {
        let s = self.login(email, password).await;
        let r = self
            .post("/api/v1/tokens", json!({"name": format!("{role} token"), "role": role}))
            .session(&s)
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    pub async fn make_token(&self, admin: &str, role: &str) -> String {
        let r = self
            .post("/api/v1/tokens", json!({"name": format!("{role} token"), "role": role}))
            .token(admin)
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// Creates a user of `role` with a password in the tenant of `admin`, and logs them in.
    pub async fn user_session(&self, admin: &str, email: &str, role: &str, password: &str) -> (String, Session) {
        let r = self
            .post("/api/v1/users", json!({"email": email, "role": role, "password": password}))
            .token(admin)
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        (id, self.login(email, password).await)
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let r = self.post("/api/v1/auth/login", json!({"email": email, "password": password})).send().await;
        assert_eq!(r.status, 200, "{}", r.body);
        let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        Session { cookie, csrf: r.body["csrfToken"].as_str().unwrap().to_string() }
    }

    /// Runs a closure on a database connection.
    pub fn sql<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        let conn = self.state.db.conn().unwrap();
        f(&conn)
    }
}

pub struct Tenant {
    pub id: String,
    pub email: String,
    pub admin_user: String,
    pub admin: String,
    pub member: String,
    pub guest: String,
}

#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub struct Req<'a> {
    h: &'a H,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<(Vec<u8>, String)>,
}

impl<'a> Req<'a> {
    pub fn token(self, t: &str) -> Self {
        self.header("authorization", &format!("Bearer {t}"))
    }

    /// A cookie session, with its CSRF token.
    pub fn session(self, s: &Session) -> Self {
        self.header("cookie", &s.cookie).header("x-csrf-token", &s.csrf)
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    pub fn json(mut self, v: Value) -> Self {
        self.body = Some((serde_json::to_vec(&v).unwrap(), "application/json".into()));
        self
    }

    pub fn raw(mut self, bytes: &[u8], content_type: &str) -> Self {
        self.body = Some((bytes.to_vec(), content_type.to_string()));
        self
    }

    pub async fn send(self) -> Resp {
        let mut b = self.h.cli.request(self.method, self.path);
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some((bytes, ct)) = self.body {
            b = b.content_type(ct).body(bytes);
        }
        Resp::from(b.send().await.0).await
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub async fn from(resp: poem::Response) -> Self {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.into_body().into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the JSON error body shape and returns its code.
    pub fn error_code(&self) -> &str {
        assert!(self.status >= 400, "expected an error, got {}: {}", self.status, self.text);
        assert!(self.body["error"].is_string(), "no `error` in {}", self.text);
        assert!(self.body["requestId"].is_string(), "no `requestId` in {}", self.text);
        assert_eq!(self.body["requestId"].as_str(), self.header("x-request-id"), "requestId matches header");
        self.body["code"].as_str().expect("code")
    }

    pub fn ids(&self) -> Vec<String> {
        self.body["data"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_string()).collect()
    }
}
