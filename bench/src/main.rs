//! Load benchmark of admin-appliance: builds (or takes) the appliance binary, starts it on a
//! temporary data dir with rate limits off, seeds tenants and environments through the public
//! API, seeds a minimal poem + rusqlite "floor" server with the same rows in SQL, then measures
//! each scenario on both, alternately, with one load generator, and prints a markdown report.
//!
//! ```sh
//! cargo run --release -p admin-appliance-bench             # full run (release appliance)
//! cargo run --profile perf -p admin-appliance-bench -- --profile perf --quick
//! ```

mod api;
mod floor;
mod load;
mod report;
mod scenarios;
mod server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::load::LoadConfig;
use crate::scenarios::Target;
use crate::server::{ApplianceSpec, Error, Server};

#[derive(Parser)]
#[command(about = "Load benchmark of admin-appliance against a minimal poem + rusqlite floor")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the floor server (started by the bench itself).
    #[command(hide = true)]
    Floor {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        listen: String,
        #[arg(long, default_value = "normal")]
        synchronous: String,
        #[arg(long, default_value_t = 8)]
        pool_size: u32,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Smoke run: 3 s per scenario, 2 tenants × 1,000 and one with 10,000 environments.
    #[arg(long)]
    quick: bool,
    /// Cargo profile the appliance is built with (`cargo build --profile NAME --locked`).
    #[arg(long, env = "BENCH_PROFILE", default_value = "release")]
    profile: String,
    /// Use this appliance binary instead of building one.
    #[arg(long, env = "BENCH_BINARY")]
    binary: Option<PathBuf>,
    /// Seconds measured per scenario and server [default: 10, --quick 3].
    #[arg(long)]
    duration: Option<f64>,
    /// Seconds of unmeasured warm-up before each measurement [default: 1, --quick 0.5].
    #[arg(long)]
    warmup: Option<f64>,
    /// Concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Tenants with `small_rows` environments each [default: 10, --quick 2].
    #[arg(long)]
    small_tenants: Option<usize>,
    /// Environments per small tenant.
    #[arg(long, default_value_t = 1000)]
    small_rows: usize,
    /// Environments of the big tenant [default: 100000, --quick 10000].
    #[arg(long)]
    big_rows: Option<usize>,
    /// Concurrent connections while seeding through the API.
    #[arg(long, default_value_t = 16)]
    seed_workers: usize,
    /// The appliance's log level (its default is info: one line per request).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Where data dirs and logs go [default: a new temporary dir, removed afterwards].
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the temporary work dir.
    #[arg(long)]
    keep: bool,
    /// Markdown report file [default: bench/results/latest.md].
    #[arg(long)]
    out: Option<PathBuf>,
    /// A line for the report's notes (e.g. what the binary was built from); repeatable.
    #[arg(long)]
    note: Vec<String>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ has a parent").to_path_buf()
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Some(Cmd::Floor { db, listen, synchronous, pool_size }) => floor::serve(&db, &listen, &synchronous, pool_size),
        None => run(cli.run),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Settings resolved from the arguments.
struct Plan {
    load: LoadConfig,
    small_tenants: usize,
    small_rows: usize,
    big_rows: usize,
}

fn run(args: RunArgs) -> Result<(), Error> {
    let root = workspace_root();
    let secs = |v: Option<f64>, full: f64, quick: f64| {
        Duration::from_secs_f64(v.unwrap_or(if args.quick { quick } else { full }))
    };
    let plan = Plan {
        load: LoadConfig {
            addr: "127.0.0.1:1".parse()?,
            connections: args.connections,
            warmup: secs(args.warmup, 1.0, 0.5),
            duration: secs(args.duration, 10.0, 3.0),
        },
        small_tenants: args.small_tenants.unwrap_or(if args.quick { 2 } else { 10 }).max(1),
        small_rows: args.small_rows.max(1),
        big_rows: args.big_rows.unwrap_or(if args.quick { 10_000 } else { 100_000 }).max(1),
    };

    let (binary, profile) = match &args.binary {
        Some(b) => (b.canonicalize()?, format!("given binary ({})", profile_of(b))),
        None => (server::build_appliance(&root, &args.profile)?, args.profile.clone()),
    };
    let binary_bytes = std::fs::metadata(&binary)?.len();

    let temp = match &args.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::Builder::new().prefix("bench-").tempdir_in(d)?
        }
        None => tempfile::Builder::new().prefix("admin-appliance-bench-").tempdir()?,
    };
    let work = temp.path().to_path_buf();
    println!("==> work dir {}", work.display());

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    let report = local.block_on(&rt, bench(&args, &plan, &root, &binary, &profile, binary_bytes, &work));
    if args.keep {
        let kept = temp.keep();
        println!("==> kept {}", kept.display());
    }
    let report = report?;

    let md = report.markdown();
    println!("\n{md}");
    let out = args.out.clone().unwrap_or_else(|| root.join("bench/results/latest.md"));
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, &md)?;
    println!("==> written to {}", out.display());
    Ok(())
}

/// "release" from `target/release/admin-appliance`, for the report.
fn profile_of(binary: &Path) -> String {
    binary.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn bootstrap_token() -> String {
    format!("bench{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

fn start_floor(work: &Path, synchronous: &str) -> Result<Server, Error> {
    let addr = server::free_addr()?;
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("floor")
        .arg("--db")
        .arg(work.join("floor.db"))
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--synchronous")
        .arg(synchronous)
        .stdin(std::process::Stdio::null());
    let (s, _) = Server::start("floor", cmd, addr)?;
    Ok(s)
}

#[allow(clippy::too_many_arguments)]
async fn bench(
    args: &RunArgs,
    plan: &Plan,
    root: &Path,
    binary: &Path,
    profile: &str,
    binary_bytes: u64,
    work: &Path,
) -> Result<report::Report, Error> {
    let token = bootstrap_token();
    let spec = |data_dir: &Path, synchronous: &'static str, log: Option<PathBuf>| -> (Server, Duration) {
        let addr = server::free_addr().expect("free port");
        let spec = ApplianceSpec {
            binary,
            data_dir,
            synchronous,
            bootstrap_token: &token,
            log_level: &args.log_level,
            log_file: log.as_deref(),
        };
        Server::start("appliance", spec.command(addr), addr).unwrap_or_else(|e| panic!("starting the appliance: {e}"))
    };

    // Start-up time: best of 5 starts on an empty data dir.
    println!("==> start-up time (5 starts on an empty data dir)");
    let mut ready = Vec::new();
    for i in 0..5 {
        let dir = work.join(format!("startup-{i}"));
        let (s, t) = spec(&dir, "normal", None);
        println!("    ready in {:.1} ms", t.as_secs_f64() * 1000.0);
        ready.push(t);
        s.stop()?;
        let _ = std::fs::remove_dir_all(&dir);
    }

    // The measured instance.
    let app_dir = work.join("appliance");
    let log = work.join("appliance.log");
    let (app, _) = spec(&app_dir, "normal", Some(log.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss_idle, _) = app.memory_kib()?;
    println!("==> appliance pid {} on {}, idle RSS {:.1} MiB", app.pid(), app.addr, rss_idle as f64 / 1024.0);

    // Seed the appliance through the API.
    let total = plan.small_tenants + 1;
    println!(
        "==> seeding the appliance: {} tenants × {} and 1 × {} environments",
        plan.small_tenants, plan.small_rows, plan.big_rows
    );
    let mut tenants = Vec::new();
    for i in 0..total {
        let mut t = api::create_tenant(app.addr, &token, &format!("t{i}")).await?;
        let rows = if i < plan.small_tenants { plan.small_rows } else { plan.big_rows };
        t.env_ids = api::seed_environments(app.addr, &t, rows, args.seed_workers, i == 0).await?;
        tenants.push(t);
    }
    let (small, big) = (&tenants[0], &tenants[plan.small_tenants]);
    let creates_into = &tenants[plan.small_tenants - 1];

    // Seed the floor in SQL and start it.
    println!("==> seeding the floor in SQL");
    let mut rows: Vec<usize> = vec![plan.small_rows; plan.small_tenants];
    rows.push(plan.big_rows);
    let db = work.join("floor.db");
    let floor_tenants = floor::seed(&db, &rows)?;
    let (f_small, f_big) = (&floor_tenants[0], &floor_tenants[plan.small_tenants]);
    let f_creates_into = &floor_tenants[plan.small_tenants - 1];
    let floor_last =
        format!("/tenants/{}/envs?limit=25&cursor={}", f_big.id, floor::last_page_cursor(&db, &f_big.id, 25)?);
    let fl = start_floor(work, "normal")?;

    // Check both answer with the seeded totals, and find the appliance's last page.
    let mut notes = args.note.clone();
    let list_url = "/api/v1/environments?limit=25";
    for (who, got, want) in [
        ("appliance small", api::total_count(app.addr, Some(&small.token), list_url).await?, plan.small_rows),
        ("appliance big", api::total_count(app.addr, Some(&big.token), list_url).await?, plan.big_rows),
        (
            "floor small",
            api::total_count(fl.addr, None, &format!("/tenants/{}/envs", f_small.id)).await?,
            plan.small_rows,
        ),
        ("floor big", api::total_count(fl.addr, None, &format!("/tenants/{}/envs", f_big.id)).await?, plan.big_rows),
    ] {
        let (got, exact) = got;
        if got != want as u64 {
            let msg = format!("{who}: X-Total-Count {got} (exact: {exact}) after seeding {want} rows");
            println!("    warning: {msg}");
            notes.push(msg);
        }
    }
    println!("==> walking the appliance's cursor to the last page of {} rows", plan.big_rows);
    let (app_last, _pages) = api::walk_to_last_page(app.addr, &big.token, list_url).await?;

    let n = |x: usize| report::thousands(x as f64);
    let app_cfg = LoadConfig { addr: app.addr, ..plan.load };
    let floor_cfg = LoadConfig { addr: fl.addr, ..plan.load };
    let scenarios = vec![
        scenarios::get_by_id(small.token.clone(), small.env_ids.clone(), f_small.env_ids.clone(), plan.small_rows),
        scenarios::list(
            "list-small",
            format!("list 25 + total ({} rows/tenant)", n(plan.small_rows)),
            small.token.clone(),
            list_url.into(),
            format!("/tenants/{}/envs?limit=25", f_small.id),
            Target::FloorRatio(0.7),
        ),
        scenarios::list(
            "list-big",
            format!("list 25 + total ({} rows/tenant)", n(plan.big_rows)),
            big.token.clone(),
            list_url.into(),
            format!("/tenants/{}/envs?limit=25", f_big.id),
            Target::Rps(3000.0),
        ),
        scenarios::list(
            "last-page",
            format!("last page by cursor ({} rows/tenant)", n(plan.big_rows)),
            big.token.clone(),
            app_last,
            floor_last,
            Target::OfScenario("list-big", 1.0 / 1.5),
        ),
        scenarios::create(
            "create-normal",
            "create, synchronous=NORMAL".into(),
            creates_into.token.clone(),
            f_creates_into.id.clone(),
            Target::FloorRatio(0.55),
        ),
    ];
    println!(
        "==> measuring: {} connections, {:.1} s warm-up + {:.1} s per scenario and server",
        plan.load.connections,
        plan.load.warmup.as_secs_f64(),
        plan.load.duration.as_secs_f64()
    );
    let mut measured = scenarios::run_all(scenarios, app_cfg, floor_cfg, 0).await;
    let (_, peak_before_login) = app.memory_kib()?;
    measured.extend(
        scenarios::run_all(vec![scenarios::login(small.email.clone(), small.password.clone())], app_cfg, floor_cfg, 0)
            .await,
    );
    let (_, peak_normal) = app.memory_kib()?;
    let (_, floor_peak) = fl.memory_kib()?;
    app.stop()?;
    fl.stop()?;

    // Restart both on synchronous=FULL for the durable create.
    println!("==> restarting both on synchronous=FULL");
    let (app, _) = spec(&app_dir, "full", Some(log.clone()));
    let fl = start_floor(work, "full")?;
    let full = vec![scenarios::create(
        "create-full",
        "create, synchronous=FULL".into(),
        creates_into.token.clone(),
        f_creates_into.id.clone(),
        Target::Rps(2000.0),
    )];
    let app_cfg = LoadConfig { addr: app.addr, ..plan.load };
    let floor_cfg = LoadConfig { addr: fl.addr, ..plan.load };
    let mut full_measured = scenarios::run_all(full, app_cfg, floor_cfg, 1).await;
    let (_, peak_full) = app.memory_kib()?;
    app.stop()?;
    fl.stop()?;
    // Keep the table in the brief's order: creates together, login last.
    let login = measured.pop().expect("login row");
    measured.append(&mut full_measured);
    measured.push(login);

    let bench_profile = std::env::current_exe().map(|p| profile_of(&p)).unwrap_or_default();
    let app_profile = profile_of(binary);
    if bench_profile != app_profile {
        notes.push(format!(
            "the floor runs in this bench binary ({bench_profile} build) but the appliance is a {app_profile} build: \
             ratios are only fair when both are built alike"
        ));
    }
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let bad: Vec<&str> = log_text.lines().filter(|l| l.contains("ERROR") || l.contains("panicked")).take(5).collect();
    if !bad.is_empty() {
        notes.push(format!("appliance log has errors, e.g.: `{}`", bad.join("` / `")));
    }
    notes.push(format!(
        "RSS peak is the larger VmHWM of the two appliance processes (synchronous=NORMAL: {:.1} MiB, of which {:.1} MiB before the login scenario; FULL: {:.1} MiB)",
        peak_normal as f64 / 1024.0,
        peak_before_login as f64 / 1024.0,
        peak_full as f64 / 1024.0
    ));

    let command = std::env::args().collect::<Vec<_>>().join(" ");
    Ok(report::Report {
        machine: report::Machine::detect(root, args.binary.is_some()),
        command,
        profile: profile.to_string(),
        settings: format!(
            "load: {} keep-alive connections over loopback, {:.1} s warm-up + {:.1} s per run; seed: {} tenants × {} + 1 × {} environments; appliance log level {}, rate limits off",
            plan.load.connections,
            plan.load.warmup.as_secs_f64(),
            plan.load.duration.as_secs_f64(),
            plan.small_tenants,
            n(plan.small_rows),
            n(plan.big_rows),
            args.log_level
        ),
        rows: measured,
        resources: report::Resources {
            rss_idle_kib: rss_idle,
            rss_peak_kib: peak_normal.max(peak_full),
            floor_peak_kib: floor_peak,
            ready,
            binary_bytes,
            binary_path: binary.display().to_string(),
        },
        notes,
    })
}
