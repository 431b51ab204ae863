//! The load generator: `connections` tasks, each with one keep-alive HTTP/1.1 connection
//! (hyper's low-level client over a `TcpStream`), sending requests back to back. Each task
//! builds its request per iteration; latencies go into an HDR histogram (microseconds).
//! Requests that complete inside the warm-up are not counted.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub type Body = Full<Bytes>;

/// What a request builder gets each iteration: who it is and a private random stream.
pub struct Ctx {
    pub task: usize,
    pub iter: u64,
    rng: u64,
}

impl Ctx {
    fn new(task: usize, seed: u64) -> Self {
        Ctx { task, iter: 0, rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 }
    }

    /// A uniform-ish index below `n` (xorshift64*; plenty for picking ids).
    pub fn below(&mut self, n: usize) -> usize {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// Builds the request for one iteration of one task.
pub type MakeRequest = Rc<dyn Fn(&mut Ctx) -> Request<Body>>;

#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    pub addr: SocketAddr,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// The outcome of one measured run.
pub struct LoadResult {
    /// Requests completed (any status) inside the measured window.
    pub completed: u64,
    /// Of those, answers outside 2xx, by status.
    pub non_2xx: BTreeMap<u16, u64>,
    /// Connection or protocol failures inside the window.
    pub transport_errors: u64,
    /// Latency of every completed request, in microseconds.
    pub hist: Histogram<u64>,
    pub duration: Duration,
}

impl LoadResult {
    pub fn rps(&self) -> f64 {
        self.completed as f64 / self.duration.as_secs_f64()
    }
    pub fn errors(&self) -> u64 {
        self.non_2xx.values().sum::<u64>() + self.transport_errors
    }
    pub fn p50_ms(&self) -> f64 {
        self.hist.value_at_quantile(0.50) as f64 / 1000.0
    }
    pub fn p99_ms(&self) -> f64 {
        self.hist.value_at_quantile(0.99) as f64 / 1000.0
    }
    /// e.g. "0", "12 (404×12)", "3 (transport×3)".
    pub fn errors_text(&self) -> String {
        let n = self.errors();
        if n == 0 {
            return "0".into();
        }
        let mut parts: Vec<String> = self.non_2xx.iter().map(|(s, c)| format!("{s}×{c}")).collect();
        if self.transport_errors > 0 {
            parts.push(format!("transport×{}", self.transport_errors));
        }
        format!("{n} ({})", parts.join(", "))
    }
}

fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds")
}

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    sender: SendRequest<Body>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(io_err)?;
        tokio::task::spawn_local(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender })
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(&mut self, req: Request<Body>) -> std::io::Result<Response<Bytes>> {
        self.sender.ready().await.map_err(io_err)?;
        let resp = self.sender.send_request(req).await.map_err(io_err)?;
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.map_err(io_err)?.to_bytes();
        Ok(Response::from_parts(parts, bytes))
    }
}

fn io_err(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::other(e)
}

struct TaskOut {
    completed: u64,
    non_2xx: BTreeMap<u16, u64>,
    transport_errors: u64,
    hist: Histogram<u64>,
}

/// Runs the load. Must be called inside a `tokio::task::LocalSet` (the bench runs on one
/// thread, to leave the other core to the server).
pub async fn run(cfg: LoadConfig, make: MakeRequest) -> LoadResult {
    let start = Instant::now() + cfg.warmup;
    let end = start + cfg.duration;
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos() as u64;
    let mut handles = Vec::new();
    for task in 0..cfg.connections {
        let make = make.clone();
        let ctx = Ctx::new(task, seed ^ (task as u64 + 1));
        handles.push(tokio::task::spawn_local(worker(cfg.addr, ctx, make, start, end)));
    }
    let mut result = LoadResult {
        completed: 0,
        non_2xx: BTreeMap::new(),
        transport_errors: 0,
        hist: new_hist(),
        duration: cfg.duration,
    };
    for h in handles {
        let out = h.await.expect("load task panicked");
        result.completed += out.completed;
        result.transport_errors += out.transport_errors;
        for (s, n) in out.non_2xx {
            *result.non_2xx.entry(s).or_default() += n;
        }
        result.hist.add(&out.hist).expect("histogram add");
    }
    result
}

async fn worker(addr: SocketAddr, mut ctx: Ctx, make: MakeRequest, start: Instant, end: Instant) -> TaskOut {
    let mut out = TaskOut { completed: 0, non_2xx: BTreeMap::new(), transport_errors: 0, hist: new_hist() };
    let mut conn: Option<Conn> = None;
    while Instant::now() < end {
        if conn.is_none() {
            match Conn::open(addr).await {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    if Instant::now() >= start {
                        out.transport_errors += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let req = make(&mut ctx);
        ctx.iter += 1;
        let t0 = Instant::now();
        let res = conn.as_mut().expect("connected").send(req).await;
        let t1 = Instant::now();
        let counted = t0 >= start && t1 <= end;
        match res {
            Ok(resp) => {
                let keep_alive = !resp
                    .headers()
                    .get(hyper::header::CONNECTION)
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
                if !keep_alive {
                    conn = None;
                }
                if counted {
                    out.completed += 1;
                    let _ = out.hist.record((t1 - t0).as_micros().max(1) as u64);
                    let status = resp.status().as_u16();
                    if !(200..300).contains(&status) {
                        *out.non_2xx.entry(status).or_default() += 1;
                    }
                }
            }
            Err(_) => {
                conn = None;
                if counted {
                    out.transport_errors += 1;
                }
            }
        }
    }
    out
}
