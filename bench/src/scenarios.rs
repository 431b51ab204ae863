//! The measured scenarios: for each, how the appliance and the floor are called, and the
//! target. Floor and appliance take turns scenario by scenario (and which goes first alternates),
//! so slow drift of a noisy machine hits both alike.

use std::rc::Rc;

use hyper::Method;

use crate::api::request;
use crate::load::{self, Ctx, LoadConfig, LoadResult, MakeRequest};

/// What a scenario must reach to PASS.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// Appliance req/s at least this fraction of the floor's.
    FloorRatio(f64),
    /// Appliance req/s at least this many.
    Rps(f64),
    /// Appliance req/s at least `fraction` × the appliance req/s of scenario `key`.
    OfScenario(&'static str, f64),
    /// Reported only.
    None,
}

impl Target {
    pub fn text(&self) -> String {
        match self {
            Target::FloorRatio(r) => format!("≥ {r}× floor"),
            Target::Rps(n) => format!("≥ {} req/s", crate::report::thousands(*n)),
            Target::OfScenario(key, f) => format!("≥ {key} / {:.1}", 1.0 / f),
            Target::None => "—".into(),
        }
    }
}

pub struct Scenario {
    pub key: &'static str,
    pub label: String,
    pub appliance: MakeRequest,
    pub floor: Option<MakeRequest>,
    pub target: Target,
}

/// One scenario's measurements.
pub struct Measured {
    pub key: &'static str,
    pub label: String,
    pub appliance: LoadResult,
    pub floor: Option<LoadResult>,
    pub target: Target,
}

/// Runs the scenarios in order; for scenario `i` the floor goes first when `(i + flip)` is even.
pub async fn run_all(scenarios: Vec<Scenario>, appliance: LoadConfig, floor: LoadConfig, flip: usize) -> Vec<Measured> {
    let mut out = Vec::new();
    for (i, s) in scenarios.into_iter().enumerate() {
        let floor_first = (i + flip).is_multiple_of(2);
        let mut floor_res = None;
        if floor_first && let Some(f) = &s.floor {
            floor_res = Some(measure(&s.label, "floor", floor, f.clone()).await);
        }
        let app = measure(&s.label, "appliance", appliance, s.appliance.clone()).await;
        if !floor_first && let Some(f) = &s.floor {
            floor_res = Some(measure(&s.label, "floor", floor, f.clone()).await);
        }
        out.push(Measured { key: s.key, label: s.label, appliance: app, floor: floor_res, target: s.target });
    }
    out
}

async fn measure(label: &str, who: &str, cfg: LoadConfig, make: MakeRequest) -> LoadResult {
    let r = load::run(cfg, make).await;
    println!(
        "    {label:<40} {who:<9} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>8.2} ms  errors {}",
        r.rps(),
        r.p50_ms(),
        r.p99_ms(),
        r.errors_text()
    );
    r
}

fn pick(ids: &Rc<Vec<String>>, ctx: &mut Ctx) -> String {
    ids[ctx.below(ids.len())].clone()
}

/// GET one environment by a random id of one tenant.
pub fn get_by_id(app_token: String, app_ids: Vec<String>, floor_ids: Vec<String>, rows: usize) -> Scenario {
    let (app_ids, floor_ids) = (Rc::new(app_ids), Rc::new(floor_ids));
    Scenario {
        key: "get",
        label: format!("GET environment by id ({} rows/tenant)", crate::report::thousands(rows as f64)),
        appliance: Rc::new(move |ctx| {
            request(Method::GET, &format!("/api/v1/environments/{}", pick(&app_ids, ctx)), Some(&app_token), None)
        }),
        floor: Some(Rc::new(move |ctx| request(Method::GET, &format!("/envs/{}", pick(&floor_ids, ctx)), None, None))),
        target: Target::FloorRatio(0.5),
    }
}

/// The same list URL over and over: appliance `app_url` with the token, floor `floor_url`.
pub fn list(
    key: &'static str,
    label: String,
    app_token: String,
    app_url: String,
    floor_url: String,
    target: Target,
) -> Scenario {
    Scenario {
        key,
        label,
        appliance: Rc::new(move |_| request(Method::GET, &app_url, Some(&app_token), None)),
        floor: Some(Rc::new(move |_| request(Method::GET, &floor_url, None, None))),
        target,
    }
}

/// Creates with unique names (and, on the appliance, a unique Idempotency-Key each).
pub fn create(key: &'static str, label: String, app_token: String, floor_tenant: String, target: Target) -> Scenario {
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
    let floor_url = format!("/tenants/{floor_tenant}/envs");
    Scenario {
        key,
        label,
        appliance: Rc::new(move |ctx| {
            let name = format!("bench-{key}-{nonce}-{}-{}", ctx.task, ctx.iter);
            let body = format!(r#"{{"name": "{name}"}}"#).into_bytes();
            let mut req = request(Method::POST, "/api/v1/environments", Some(&app_token), Some(body));
            req.headers_mut().insert("idempotency-key", format!("k-{name}").parse().expect("header value"));
            req
        }),
        floor: Some(Rc::new(move |ctx| {
            let body = format!(r#"{{"name": "bench-{key}-{nonce}-{}-{}"}}"#, ctx.task, ctx.iter).into_bytes();
            request(Method::POST, &floor_url, None, Some(body))
        })),
        target,
    }
}

/// Logs in as a tenant admin (Argon2id: slow by design).
pub fn login(email: String, password: String) -> Scenario {
    Scenario {
        key: "login",
        label: "login (Argon2id)".into(),
        appliance: Rc::new(move |_| crate::api::login_request(&email, &password)),
        floor: None,
        target: Target::None,
    }
}
