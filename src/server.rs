//! `serve`: start-up, the scheduler, the HTTP server and the graceful stop.

use std::time::Duration;

use poem::Server;
use poem::listener::TcpListener;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::Config;
use crate::state::AppState;

pub async fn serve(config: Config) -> Result<(), String> {
    let started = std::time::Instant::now();
    let routes = std::thread::spawn(crate::app::routes);
    let (db, key) = crate::bootstrap::init(&config)?;
    let _lock = crate::bootstrap::lock_data_dir(&config.storage.data_dir)?;
    let state = AppState::new(db.clone(), config.clone(), key);
    let scheduler = start_scheduler(&state).await?;
    let listen = config.server.listen;
    let listener = TcpListener::bind(listen);
    let routes = routes.join().map_err(|_| "building the routes failed".to_string())?;
    let app = crate::app::with_middleware(routes, state);
    tracing::info!(%listen, data_dir = %config.storage.data_dir.display(), startup_ms = started.elapsed().as_millis() as u64, "admin-appliance listening");
    let grace = Duration::from_secs(config.server.shutdown_grace_seconds);
    Server::new(listener)
        .run_with_graceful_shutdown(app, shutdown_signal(), Some(grace))
        .await
        .map_err(|e| format!("cannot serve on {listen}: {e}"))?;
    tracing::info!("stopping: in-flight requests finished");
    if let Some(mut s) = scheduler {
        let _ = s.shutdown().await;
    }
    let conn = db.conn()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").map_err(|e| e.to_string())?;
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}

/// Registers the recurring work: clean-ups (expired sessions, idempotency records, idle rate
/// limit state), the daily billing cycle at 00:05 UTC and the LLM provider health checks.
async fn start_scheduler(state: &AppState) -> Result<Option<JobScheduler>, String> {
    let scheduler = JobScheduler::new().await.map_err(|e| format!("scheduler: {e}"))?;
    let db = state.db.clone();
    let limiter = state.limiter.clone();
    let cleanup = Job::new_async("0 */10 * * * *", move |_, _| {
        let db = db.clone();
        limiter.prune();
        Box::pin(async move {
            let result = db
                .write(|tx| {
                    let sessions = crate::domains::auth::store::purge_expired_sessions(tx)?;
                    let keys = crate::db::idempotency::purge_expired(tx)?;
                    Ok((sessions, keys))
                })
                .await;
            match result {
                Ok((s, k)) => tracing::debug!(sessions = s, idempotency_keys = k, "clean-up done"),
                Err(e) => tracing::warn!(error = %e, "clean-up failed"),
            }
        })
    })
    .map_err(|e| format!("scheduler job: {e}"))?;
    scheduler.add(cleanup).await.map_err(|e| format!("scheduler: {e}"))?;
    let db = state.db.clone();
    let billing = Job::new_async("0 5 0 * * *", move |_, _| {
        let db = db.clone();
        Box::pin(async move {
            match db.write(|tx| crate::domains::invoices::cycle::run(tx, chrono::Utc::now())).await {
                Ok(r) => tracing::info!(
                    invoices = r.invoices_issued,
                    trials_expired = r.trials_expired,
                    "billing cycle done"
                ),
                Err(e) => tracing::warn!(error = %e, "billing cycle failed"),
            }
        })
    })
    .map_err(|e| format!("scheduler job: {e}"))?;
    scheduler.add(billing).await.map_err(|e| format!("scheduler: {e}"))?;
    let every = state.config.llm.health_check_interval_seconds;
    if every > 0 {
        let state = state.clone();
        let health = Job::new_repeated_async(Duration::from_secs(every), move |_, _| {
            let state = state.clone();
            Box::pin(async move {
                match crate::domains::llm_providers::check_providers(&state, None).await {
                    Ok(n) => tracing::debug!(providers = n, "provider health checked"),
                    Err(e) => tracing::warn!(error = %e, "provider health check failed"),
                }
            })
        })
        .map_err(|e| format!("scheduler job: {e}"))?;
        scheduler.add(health).await.map_err(|e| format!("scheduler: {e}"))?;
    }
    scheduler.start().await.map_err(|e| format!("scheduler: {e}"))?;
    Ok(Some(scheduler))
}
