//! Sealing of secrets at rest: AES-256-GCM (ring) with a fresh random nonce per value and the
//! row's identity (table, column, id) as associated data, so a sealed value cannot be moved to
//! another row. The text form carries a version and the key id: `v1.<kid>.<base64(nonce|ct)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::master_key::MasterKey;

/// The identity of the cell a sealed value belongs to.
pub struct Cell<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub id: &'a str,
}

impl Cell<'_> {
    fn aad(&self) -> Vec<u8> {
        format!("{}\u{1f}{}\u{1f}{}", self.table, self.column, self.id).into_bytes()
    }
}

/// The short id of a key, stored in every value sealed with it.
pub fn key_id(key: &MasterKey) -> String {
    key.check_value()[..8].to_string()
}

fn aead_key(key: &MasterKey) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.bytes()).expect("32-byte AES key"))
}

/// Seals `plaintext` for `cell`.
pub fn seal(key: &MasterKey, cell: &Cell, plaintext: &[u8]) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&super::random_bytes(NONCE_LEN));
    let mut buf = plaintext.to_vec();
    aead_key(key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(cell.aad()), &mut buf)
        .expect("AES-GCM sealing cannot fail for in-memory buffers");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    format!("v1.{}.{}", key_id(key), STANDARD_NO_PAD.encode(out))
}

/// Opens a sealed value; fails for another key, another cell or tampered data.
pub fn open(key: &MasterKey, cell: &Cell, sealed: &str) -> Result<Vec<u8>, String> {
    let mut parts = sealed.splitn(3, '.');
    let (Some("v1"), Some(kid), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("not a sealed value".into());
    };
    if kid != key_id(key) {
        return Err(format!("sealed under key {kid}, not the current key"));
    }
    let raw = STANDARD_NO_PAD.decode(data).map_err(|_| "corrupt sealed value".to_string())?;
    if raw.len() < NONCE_LEN {
        return Err("corrupt sealed value".into());
    }
    let (nonce, ct) = raw.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "corrupt nonce".to_string())?;
    let mut buf = ct.to_vec();
    let plain = aead_key(key)
        .open_in_place(nonce, Aad::from(cell.aad()), &mut buf)
        .map_err(|_| "sealed value does not open with this key and row".to_string())?;
    Ok(plain.to_vec())
}

/// Every column that holds sealed values, as (table, column); `rotate-key` re-seals them all.
/// Each row's AAD is `(table, column, id)`.
pub const SEALED_COLUMNS: &[(&str, &str)] = &[
    ("variables", "value_sealed"),
    ("models", "token_sealed"),
    ("models", "client_key_sealed"),
    ("models", "secret_key_sealed"),
    ("llm_providers", "api_key_sealed"),
];

/// Seals a text secret for `table.column` of row `id`.
pub fn seal_text(key: &MasterKey, table: &str, column: &str, id: &str, plaintext: &str) -> String {
    seal(key, &Cell { table, column, id }, plaintext.as_bytes())
}

/// Opens a text secret sealed with [`seal_text`].
pub fn open_text(key: &MasterKey, table: &str, column: &str, id: &str, sealed: &str) -> Result<String, String> {
    let bytes = open(key, &Cell { table, column, id }, sealed)?;
    String::from_utf8(bytes).map_err(|_| "sealed value is not text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_are_bound_to_key_and_cell() {
        let key = MasterKey::generate();
        let cell = Cell { table: "t", column: "c", id: "1" };
        let sealed = seal(&key, &cell, b"hunter2");
        assert!(!sealed.contains("hunter2"));
        assert_eq!(open(&key, &cell, &sealed).unwrap(), b"hunter2");
        assert_ne!(seal(&key, &cell, b"hunter2"), sealed, "fresh nonce each time");
        let other = Cell { table: "t", column: "c", id: "2" };
        assert!(open(&key, &other, &sealed).is_err());
        assert!(open(&MasterKey::generate(), &cell, &sealed).is_err());
    }
}
