//! Start-up work shared by `serve`, `init` and the other commands: the data dir, the master
//! key (and its check against the database), migrations, seeded plans, the first platform
//! operator and the bootstrap token.

use std::fs::File;
use std::path::Path;

use rusqlite::{OptionalExtension, params};

use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::db::Db;
use crate::domains::audit::{self, Actor, Entry};
use crate::domains::{plans, tokens, users};
use crate::http::perms::Role;

pub const ADMIN_EMAIL_ENV: &str = "ADMIN_APPLIANCE_ADMIN_EMAIL";
pub const ADMIN_PASSWORD_ENV: &str = "ADMIN_APPLIANCE_ADMIN_PASSWORD";
pub const BOOTSTRAP_TOKEN_ENV: &str = "ADMIN_APPLIANCE_BOOTSTRAP_TOKEN";
use crate::crypto::rotate::KEY_CHECK;
const LOCK_FILE: &str = "appliance.lock";

/// Creates the data dir (0700) if needed.
pub fn ensure_data_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create data dir {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Opens the database under the data dir, applies migrations, checks the master key and seeds
/// what every installation has. With `create`, a missing key file is created.
pub fn open(config: &Config, create: bool) -> Result<(Db, MasterKey), String> {
    let dir = &config.storage.data_dir;
    ensure_data_dir(dir)?;
    let db = Db::open(&config.database_path(), &config.storage)?;
    let mut conn = db.conn()?;
    crate::db::migrate::migrate(&mut conn)?;
    crate::crypto::rotate::finish_interrupted(dir, &conn)?;
    let key = MasterKey::load(dir, create)?;
    check_key(&conn, &key)?;
    plans::store::seed(&conn).map_err(|e| format!("seeding plans: {e}"))?;
    crate::domains::workflow_entity_types::ensure_builtin_everywhere(&conn)
        .map_err(|e| format!("seeding workflow entity types: {e}"))?;
    Ok((db, key))
}

/// Refuses a master key that is not the one this database was sealed with.
fn check_key(conn: &rusqlite::Connection, key: &MasterKey) -> Result<(), String> {
    let stored: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [KEY_CHECK], |r| r.get(0))
        .optional()
        .map_err(|e| e.to_string())?;
    match stored {
        Some(v) if v == key.check_value() => Ok(()),
        Some(_) => Err("the master key does not match this database: secrets sealed with another key cannot be \
             opened. Start with the original master.key or ADMIN_APPLIANCE_MASTER_KEY."
            .into()),
        None => conn
            .execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)",
                params![KEY_CHECK, key.check_value(), crate::db::now()],
            )
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}

/// Holds the data dir for one server process; a second `serve` (or `restore`) is refused.
pub fn lock_data_dir(dir: &Path) -> Result<File, String> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(format!("another admin-appliance server is using {}", dir.display())),
    }
}

/// What creating the first operator produced, for printing once.
pub struct FirstAdmin {
    pub email: String,
    pub generated_password: Option<String>,
}

/// The first operator's credentials (from the environment, or a generated password), their
/// Argon2id hash already under way on another thread.
pub struct FirstCredentials {
    email: String,
    password: String,
    generated: bool,
    hash: std::thread::JoinHandle<Result<String, String>>,
}

impl FirstCredentials {
    pub fn start() -> Result<Self, String> {
        let email = std::env::var(ADMIN_EMAIL_ENV).unwrap_or_else(|_| "admin@localhost.localdomain".into());
        let (password, generated) = match std::env::var(ADMIN_PASSWORD_ENV) {
            Ok(p) if p.chars().count() >= 8 => (p, false),
            Ok(_) => return Err(format!("{ADMIN_PASSWORD_ENV} must be at least 8 characters")),
            Err(_) => (crate::crypto::generate_password(), true),
        };
        let p = password.clone();
        let hash = std::thread::spawn(move || crate::crypto::hash_password(&p));
        Ok(Self { email, password, generated, hash })
    }
}

/// On a database without any platform operator, creates one with `first` (started earlier so
/// the hash overlaps other start-up work) or credentials taken now.
pub fn ensure_first_admin(db: &Db, first: Option<FirstCredentials>) -> Result<Option<FirstAdmin>, String> {
    let mut conn = db.conn()?;
    if users::store::has_super_admin(&conn).map_err(|e| e.to_string())? {
        return Ok(None);
    }
    let first = match first {
        Some(f) => f,
        None => FirstCredentials::start()?,
    };
    validate_admin(&first.email, &first.password)?;
    let hash = first.hash.join().map_err(|_| "hashing the first operator's password failed".to_string())??;
    insert_super_admin(&mut conn, &first.email, hash)?;
    Ok(Some(FirstAdmin {
        email: first.email.to_lowercase(),
        generated_password: first.generated.then_some(first.password),
    }))
}

/// Creates a platform operator (`create-admin`).
pub fn create_super_admin(conn: &mut rusqlite::Connection, email: &str, password: &str) -> Result<String, String> {
    validate_admin(email, password)?;
    let hash = crate::crypto::hash_password(password)?;
    insert_super_admin(conn, email, hash)
}

fn validate_admin(email: &str, password: &str) -> Result<(), String> {
    let mut errors = crate::http::error::FieldErrors::new();
    crate::http::validate::email(&mut errors, "email", email);
    crate::http::validate::password(&mut errors, "password", password);
    errors.finish().map_err(|e| e.message)
}

fn insert_super_admin(conn: &mut rusqlite::Connection, email: &str, hash: String) -> Result<String, String> {
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let user = users::store::insert(
        &tx,
        users::store::NewUser {
            tenant_id: None,
            email,
            name: "Platform operator",
            role: Role::SuperAdmin,
            status: "active",
            password_hash: Some(hash),
        },
    )
    .map_err(|e| e.message)?;
    audit::store::record(&tx, &Actor::system("cli"), Entry::new(None, "user.created", "user", &user.id).after(&user))
        .map_err(|e| e.message)?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(user.id)
}

/// Creates a platform (super_admin) token and returns its secret.
pub fn create_platform_token(
    conn: &mut rusqlite::Connection,
    name: &str,
    secret: Option<&str>,
) -> Result<String, String> {
    let secret = secret.map(str::to_string).unwrap_or_else(|| tokens::store::new_secret(true));
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let token = tokens::store::insert(
        &tx,
        tokens::store::NewToken {
            tenant_id: None,
            name,
            role: Role::SuperAdmin,
            kind: "platform",
            created_by_user_id: None,
            created_by_token_id: None,
            expires_at: None,
        },
        &secret,
    )
    .map_err(|e| e.message)?;
    audit::store::record(
        &tx,
        &Actor::system("cli"),
        Entry::new(None, "token.created", "token", &token.id).after(&token),
    )
    .map_err(|e| e.message)?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(secret)
}

/// Registers `ADMIN_APPLIANCE_BOOTSTRAP_TOKEN` (hashed) as a platform token, once.
pub fn register_bootstrap_token(db: &Db) -> Result<bool, String> {
    let Ok(secret) = std::env::var(BOOTSTRAP_TOKEN_ENV) else { return Ok(false) };
    let secret = secret.trim().to_string();
    if secret.chars().count() < 32 {
        return Err(format!("{BOOTSTRAP_TOKEN_ENV} must be at least 32 characters"));
    }
    let mut conn = db.conn()?;
    if tokens::store::exists_for_secret(&conn, &secret).map_err(|e| e.to_string())? {
        return Ok(false);
    }
    create_platform_token(&mut conn, "bootstrap", Some(&secret))?;
    Ok(true)
}

/// Everything `init` and `serve` do before serving: open, first admin, bootstrap token.
/// Prints a generated password once.
pub fn init(config: &Config) -> Result<(Db, MasterKey), String> {
    // On a new data dir, hash the first operator's password (tens of milliseconds by design)
    // while the schema is created.
    let first = (!config.database_path().exists()).then(FirstCredentials::start).transpose()?;
    let (db, key) = open(config, true)?;
    if let Some(first) = ensure_first_admin(&db, first)? {
        match &first.generated_password {
            Some(p) => println!(
                "\nCreated the first platform operator.\n  email:    {}\n  password: {p}\nThis password is shown only once: change it after logging in.\n",
                first.email
            ),
            None => {
                println!("Created the first platform operator {} (password from {ADMIN_PASSWORD_ENV}).", first.email)
            }
        }
    }
    if register_bootstrap_token(&db)? {
        println!("Registered {BOOTSTRAP_TOKEN_ENV} as a platform token.");
    }
    Ok((db, key))
}

/// Replaces the database with a backup: refused while a server holds the data dir, and for a
/// backup that fails its integrity check, is newer than this binary or was sealed under another
/// master key. The previous database is kept beside it.
pub fn restore(config: &Config, from: &Path) -> Result<Option<std::path::PathBuf>, String> {
    let dir = &config.storage.data_dir;
    ensure_data_dir(dir)?;
    let _lock = lock_data_dir(dir).map_err(|e| format!("{e}; stop it before restoring"))?;
    let key = MasterKey::load(dir, false)?;
    {
        let src = rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("cannot open {}: {e}", from.display()))?;
        let check: String = src
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| format!("{}: {e}", from.display()))?;
        if check != "ok" {
            return Err(format!("{} fails integrity_check: {check}", from.display()));
        }
        let version = crate::db::migrate::current_version(&src)?;
        if version == 0 || version > crate::db::migrate::latest_version() {
            return Err(format!("{} is not a backup this binary can use (schema version {version})", from.display()));
        }
        let stored: Option<String> = src
            .query_row("SELECT value FROM settings WHERE key = ?1", [KEY_CHECK], |r| r.get(0))
            .optional()
            .map_err(|e| e.to_string())?;
        if stored.is_some_and(|v| v != key.check_value()) {
            return Err("the backup was made under another master key; restore that key first".into());
        }
    }
    let target = config.database_path();
    let staging = target.with_extension("db.restoring");
    std::fs::copy(from, &staging).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    File::open(&staging).and_then(|f| f.sync_all()).map_err(|e| e.to_string())?;
    let kept = if target.exists() {
        let kept = target.with_extension(format!("db.before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
        // Fold the old WAL in first so the kept copy is complete on its own.
        if let Ok(old) = rusqlite::Connection::open(&target) {
            let _ = old.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        std::fs::rename(&target, &kept).map_err(|e| e.to_string())?;
        Some(kept)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let side = std::path::PathBuf::from(format!("{}{suffix}", target.display()));
        let _ = std::fs::remove_file(side);
    }
    std::fs::rename(&staging, &target).map_err(|e| e.to_string())?;
    Ok(kept)
}
