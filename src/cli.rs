//! The command line: `serve`, `init`, `migrate`, `create-admin`, `token create`, `backup`,
//! `restore`, `rotate-key`, `audit verify`, `openapi`. Every subcommand takes `--config` and `--data-dir`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, LogFormat, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "admin-appliance",
    version,
    about = "The admin API of a multi-tenant AI/automation platform, in one binary"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Common {
    /// TOML configuration file (see config.example.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory holding the database, the master key and mail (default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (creates the data dir, key, schema and first operator as needed).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        #[command(flatten)]
        common: Common,
    },
    /// Create the data dir, master key, schema and first operator; safe to run again.
    Init {
        #[command(flatten)]
        common: Common,
    },
    /// Apply pending schema migrations.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Create a platform operator (super_admin) user.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// The password; generated and printed when omitted.
        #[arg(long)]
        password: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Write a consistent copy of the database (works while the server runs).
    Backup {
        /// The file to write; must not exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Replace the database with a backup; refused while a server holds the data dir.
    Restore {
        /// A file written by `backup`.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Re-encrypt every secret under a new master key (stop the server first).
    RotateKey {
        #[command(flatten)]
        common: Common,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Print the OpenAPI document.
    Openapi {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret once.
    Create {
        /// Make a platform (super_admin) token.
        #[arg(long, required = true)]
        super_admin: bool,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exits non-zero if it was tampered with.
    Verify {
        #[command(flatten)]
        common: Common,
    },
}

fn load(common: &Common, listen: Option<SocketAddr>) -> Result<Config, String> {
    Config::load(common.config.as_deref(), &Overrides { listen, data_dir: common.data_dir.clone() })
}

/// Sets up logging from the configuration.
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs a command; the error text is printed by `main`.
pub fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve { listen, common } => {
            let config = load(&common, listen)?;
            init_logging(&config);
            // Blocking threads run list queries; bounded so that a burst does not leave dozens of
            // idle threads (and their allocator state) behind.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(32)
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(crate::server::serve(config))
        }
        Command::Init { common } => {
            let config = load(&common, None)?;
            crate::bootstrap::init(&config)?;
            println!("Initialised {}", config.storage.data_dir.display());
            Ok(())
        }
        Command::Migrate { common } => {
            let config = load(&common, None)?;
            let before = {
                let path = config.database_path();
                if path.exists() {
                    let conn = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
                    crate::db::migrate::current_version(&conn)?
                } else {
                    0
                }
            };
            crate::bootstrap::open(&config, true)?;
            println!("Schema at version {} (was {before}).", crate::db::migrate::latest_version());
            Ok(())
        }
        Command::CreateAdmin { email, password, common } => {
            let config = load(&common, None)?;
            let (db, _) = crate::bootstrap::open(&config, true)?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (crate::crypto::generate_password(), true),
            };
            let mut conn = db.conn()?;
            let id = crate::bootstrap::create_super_admin(&mut conn, &email, &password)?;
            println!("Created platform operator {} ({id}).", email.to_lowercase());
            if generated {
                println!("Password (shown once): {password}");
            }
            Ok(())
        }
        Command::Token { action: TokenCommand::Create { super_admin, name, common } } => {
            if !super_admin {
                return Err(
                    "only --super-admin tokens can be made here; tenant tokens come from POST /api/v1/tokens".into()
                );
            }
            let config = load(&common, None)?;
            let (db, _) = crate::bootstrap::open(&config, true)?;
            let mut conn = db.conn()?;
            let secret = crate::bootstrap::create_platform_token(&mut conn, name.trim(), None)?;
            println!("{secret}");
            eprintln!("This token is shown only once. Use it as: Authorization: Bearer <token>");
            Ok(())
        }
        Command::Backup { out, common } => {
            let config = load(&common, None)?;
            let src = config.database_path();
            if !src.exists() {
                return Err(format!("no database at {}", src.display()));
            }
            crate::db::backup(&src, &out)?;
            println!("Wrote {} (integrity_check ok).", out.display());
            Ok(())
        }
        Command::Restore { from, common } => {
            let config = load(&common, None)?;
            let kept = crate::bootstrap::restore(&config, &from)?;
            println!("Restored {} from {}.", config.database_path().display(), from.display());
            if let Some(kept) = kept {
                println!("The previous database was kept as {}.", kept.display());
            }
            Ok(())
        }
        Command::RotateKey { common } => {
            let config = load(&common, None)?;
            let dir = &config.storage.data_dir;
            let _lock =
                crate::bootstrap::lock_data_dir(dir).map_err(|e| format!("{e}; stop it before rotating the key"))?;
            let (db, old) = crate::bootstrap::open(&config, false)?;
            let mut conn = db.conn()?;
            let count = crate::crypto::rotate::rotate(dir, &mut conn, &old)?;
            println!("Re-encrypted {count} secrets under a new master key ({}).", dir.join("master.key").display());
            println!("Back up the new key now; backups made before this need the previous key.");
            Ok(())
        }
        Command::Audit { action: AuditCommand::Verify { common } } => {
            let config = load(&common, None)?;
            let path = config.database_path();
            let conn = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            conn.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
            let v = crate::domains::audit::store::verify(&conn).map_err(|e| e.to_string())?;
            match v.broken {
                None => {
                    println!("ok: {} audit records, hash chain intact", v.records);
                    Ok(())
                }
                Some((seq, why)) => Err(format!("audit log broken at record {seq}: {why}")),
            }
        }
        Command::Openapi { .. } => {
            println!("{}", crate::app::openapi_json());
            Ok(())
        }
    }
}
