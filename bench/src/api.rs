//! The appliance's public API as the bench uses it: request builders, and seeding (tenants,
//! their admin users and API tokens, environments) with concurrency and progress.

use std::cell::RefCell;
use std::io::Write;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

use crate::load::{Body, Conn};

pub type Error = Box<dyn std::error::Error>;

/// A request with the headers every bench request carries.
pub fn request(method: Method, uri: &str, bearer: Option<&str>, body: Option<Vec<u8>>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri).header(HOST, "127.0.0.1");
    if let Some(t) = bearer {
        b = b.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match body {
        Some(bytes) => {
            b = b.header(CONTENT_TYPE, "application/json");
            Bytes::from(bytes)
        }
        None => Bytes::new(),
    };
    b.body(Body::new(body)).expect("valid request")
}

/// A tenant made for the bench: its admin's credentials and an admin API token.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub email: String,
    pub password: String,
    pub token: String,
    /// Ids of the environments seeded into it (kept only where a scenario needs them).
    pub env_ids: Vec<String>,
}

pub const PASSWORD: &str = "bench-password-9";

fn expect(resp: &Response<Bytes>, status: u16, what: &str) -> Result<Value, Error> {
    let body = String::from_utf8_lossy(resp.body());
    if resp.status().as_u16() != status {
        return Err(format!("{what}: expected {status}, got {}: {body}", resp.status()).into());
    }
    Ok(serde_json::from_str(&body)?)
}

/// Creates a tenant with its admin user, logs in and makes an admin API token.
pub async fn create_tenant(addr: SocketAddr, bootstrap: &str, label: &str) -> Result<Tenant, Error> {
    let mut conn = Conn::open(addr).await?;
    let email = format!("admin@{label}.bench.example");
    let body = json!({
        "displayName": format!("Bench {label}"),
        "firstName": "Bench", "lastName": label,
        "email": email, "password": PASSWORD, "planId": "pro",
    });
    let resp = conn
        .send(request(Method::POST, "/api/v1/platform/tenants", Some(bootstrap), Some(body.to_string().into_bytes())))
        .await?;
    let v = expect(&resp, 201, "create tenant")?;
    v["tenantId"].as_str().ok_or("create tenant: no tenantId")?;

    let resp = conn.send(login_request(&email, PASSWORD)).await?;
    let v = expect(&resp, 200, "login")?;
    let csrf = v["csrfToken"].as_str().ok_or("login: no csrfToken")?.to_string();
    let cookie = resp
        .headers()
        .get_all(hyper::header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("; ");

    let mut req = request(Method::POST, "/api/v1/tokens", None, Some(br#"{"name": "bench"}"#.to_vec()));
    req.headers_mut().insert(hyper::header::COOKIE, cookie.parse()?);
    req.headers_mut().insert("x-csrf-token", csrf.parse()?);
    let resp = conn.send(req).await?;
    let v = expect(&resp, 201, "create token")?;
    let token = v["token"].as_str().ok_or("create token: no token")?.to_string();
    Ok(Tenant { email, password: PASSWORD.into(), token, env_ids: Vec::new() })
}

pub fn login_request(email: &str, password: &str) -> Request<Body> {
    let body = json!({ "email": email, "password": password }).to_string().into_bytes();
    request(Method::POST, "/api/v1/auth/login", None, Some(body))
}

/// Creates `count` environments named `seed-000000`… in the tenant with `workers` concurrent
/// connections, printing progress; returns their ids when `keep_ids`.
pub async fn seed_environments(
    addr: SocketAddr,
    tenant: &Tenant,
    count: usize,
    workers: usize,
    keep_ids: bool,
) -> Result<Vec<String>, Error> {
    let next = Rc::new(RefCell::new(0usize));
    let ids = Rc::new(RefCell::new(Vec::new()));
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (next, ids, token) = (next.clone(), ids.clone(), tenant.token.clone());
        handles.push(tokio::task::spawn_local(async move {
            let mut conn = Conn::open(addr).await?;
            loop {
                let i = {
                    let mut n = next.borrow_mut();
                    if *n >= count {
                        return Ok::<(), Error>(());
                    }
                    *n += 1;
                    *n - 1
                };
                let body = format!(r#"{{"name": "seed-{i:06}"}}"#).into_bytes();
                let resp = conn.send(request(Method::POST, "/api/v1/environments", Some(&token), Some(body))).await?;
                let v = expect(&resp, 201, "create environment")?;
                if keep_ids {
                    ids.borrow_mut().push(v["id"].as_str().ok_or("no id")?.to_string());
                }
            }
        }));
    }
    let progress = {
        let next = next.clone();
        let label = tenant.email.clone();
        tokio::task::spawn_local(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let done = (*next.borrow()).min(count);
                let rate = done as f64 / started.elapsed().as_secs_f64();
                print!("\r    {label}: {done}/{count} environments ({rate:.0}/s)   ");
                let _ = std::io::stdout().flush();
            }
        })
    };
    let mut first_err = None;
    for h in handles {
        if let Err(e) = h.await.expect("seed task panicked") {
            first_err.get_or_insert(e);
        }
    }
    progress.abort();
    if let Some(e) = first_err {
        return Err(e);
    }
    let secs = started.elapsed().as_secs_f64();
    println!("\r    {}: {count} environments in {secs:.1} s ({:.0}/s)          ", tenant.email, count as f64 / secs);
    Ok(Rc::try_unwrap(ids).map(RefCell::into_inner).unwrap_or_default())
}

/// Follows `Link: <...>; rel="next"` from `first` to the last page; returns the last page's URL
/// and how many pages were walked.
pub async fn walk_to_last_page(addr: SocketAddr, token: &str, first: &str) -> Result<(String, usize), Error> {
    let mut conn = Conn::open(addr).await?;
    let mut url = first.to_string();
    let mut pages = 1;
    let started = Instant::now();
    loop {
        let resp = conn.send(request(Method::GET, &url, Some(token), None)).await?;
        if resp.status().as_u16() != 200 {
            return Err(format!("walking pages: {} at {url}", resp.status()).into());
        }
        let next =
            resp.headers().get_all(hyper::header::LINK).iter().filter_map(|v| v.to_str().ok()).find_map(next_link);
        match next {
            Some(n) => {
                url = n;
                pages += 1;
                if pages % 200 == 0 {
                    print!("\r    walked {pages} pages ({:.1} s)   ", started.elapsed().as_secs_f64());
                    let _ = std::io::stdout().flush();
                }
            }
            None => {
                println!("\r    walked {pages} pages to the last one in {:.1} s     ", started.elapsed().as_secs_f64());
                return Ok((url, pages));
            }
        }
    }
}

/// The URL of a `rel="next"` entry in a Link header value.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// Reads X-Total-Count from one GET (to check a list answers with the expected total), and
/// whether it is exact (`X-Total-Count-Exact`, true when absent).
pub async fn total_count(addr: SocketAddr, token: Option<&str>, url: &str) -> Result<(u64, bool), Error> {
    let mut conn = Conn::open(addr).await?;
    let resp = conn.send(request(Method::GET, url, token, None)).await?;
    if resp.status().as_u16() != 200 {
        return Err(format!("GET {url}: {}", resp.status()).into());
    }
    let v = resp.headers().get("x-total-count").ok_or_else(|| format!("GET {url}: no X-Total-Count"))?;
    let exact = resp.headers().get("x-total-count-exact").is_none_or(|e| e.as_bytes() != b"false");
    Ok((v.to_str()?.parse()?, exact))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_next_link() {
        let h = r#"</api/v1/environments?limit=25&cursor=abc>; rel="next""#;
        assert_eq!(super::next_link(h).as_deref(), Some("/api/v1/environments?limit=25&cursor=abc"));
        assert_eq!(super::next_link(r#"</x>; rel="prev""#), None);
    }
}
