//! Impersonation tokens: `aai_<claims>.<signature>`, the claims (tenant, operator, expiry) signed
//! with HMAC-SHA256 under a key derived from the master key. Valid for one tenant, read-only,
//! for 30 minutes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::master_key::MasterKey;

pub const PREFIX: &str = "aai_";
pub const LIFETIME_SECS: i64 = 30 * 60;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The tenant it opens.
    pub tid: String,
    /// The operator's user or token id.
    pub sub: Option<String>,
    /// The operator's label (email or token name), for the audit log.
    pub label: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// A unique id for this token.
    pub jti: String,
}

fn signing_key(master: &MasterKey) -> ring::hmac::Key {
    let derive = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, master.bytes());
    let derived = ring::hmac::sign(&derive, b"admin-appliance impersonation key v1");
    ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref())
}

pub fn issue(master: &MasterKey, claims: &Claims) -> String {
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let sig = ring::hmac::sign(&signing_key(master), body.as_bytes());
    format!("{PREFIX}{body}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

/// The claims of a genuine, unexpired token.
pub fn verify(master: &MasterKey, token: &str, now_unix: i64) -> Option<Claims> {
    let rest = token.strip_prefix(PREFIX)?;
    let (body, sig) = rest.split_once('.')?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    ring::hmac::verify(&signing_key(master), body.as_bytes(), &sig).ok()?;
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    (claims.exp > now_unix).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_unaltered_unexpired_and_under_their_key() {
        let key = MasterKey::generate();
        let claims = Claims { tid: "t".into(), sub: None, label: "ops".into(), exp: 1_000, jti: "j".into() };
        let token = issue(&key, &claims);
        assert_eq!(verify(&key, &token, 999), Some(claims.clone()));
        assert_eq!(verify(&key, &token, 1_000), None, "expired");
        assert_eq!(verify(&MasterKey::generate(), &token, 0), None, "another key");
        let forged = issue(&key, &Claims { tid: "other".into(), ..claims });
        let (body, _) = forged.split_once('.').unwrap();
        let (_, sig) = token.split_once('.').unwrap();
        assert_eq!(verify(&key, &format!("{body}.{sig}"), 0), None, "altered claims");
    }
}
