//! The master key: 32 bytes from `ADMIN_APPLIANCE_MASTER_KEY` (base64) or `master.key` in the
//! data dir (created with mode 0600 on first start). A key check value kept in the database
//! (an HMAC of a fixed label) lets start-up refuse a wrong key instead of producing garbage.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub const KEY_FILE: &str = "master.key";
pub const KEY_ENV: &str = "ADMIN_APPLIANCE_MASTER_KEY";

/// The 32-byte master key. Its bytes never appear in logs or `Debug` output.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&super::random_bytes(32));
        Self { bytes }
    }

    pub fn from_base64(text: &str) -> Result<Self, String> {
        let raw = STANDARD.decode(text.trim()).map_err(|_| "the master key is not valid base64".to_string())?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| "the master key must be exactly 32 bytes".to_string())?;
        Ok(Self { bytes })
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.bytes)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// A value derived from the key that reveals nothing about it, stored to recognise the key.
    pub fn check_value(&self) -> String {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.bytes);
        hex::encode(&ring::hmac::sign(&key, b"admin-appliance key check v1").as_ref()[..16])
    }

    /// Loads the key from the environment, else from `<data_dir>/master.key`, creating the file
    /// (0600) when `create` is set and it does not exist.
    pub fn load(data_dir: &Path, create: bool) -> Result<Self, String> {
        if let Ok(text) = std::env::var(KEY_ENV) {
            return Self::from_base64(&text).map_err(|e| format!("{KEY_ENV}: {e}"));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = Self::generate();
                write_key_file(&path, &key)?;
                Ok(key)
            }
            Err(e) => Err(format!("cannot read master key {}: {e}", path.display())),
        }
    }
}

/// Writes the key file with mode 0600, refusing to overwrite an existing one.
pub fn write_key_file(path: &Path, key: &MasterKey) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| format!("cannot create master key {}: {e}", path.display()))?;
    file.write_all(format!("{}\n", key.to_base64()).as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| format!("cannot write master key {}: {e}", path.display()))
}
