//! Access tokens: `om_<id>_<secret>`. The id is public and looked up in the store; only an
//! argon2id hash of the secret is stored, so a copy of the store signs nobody in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::{RngCore, SeedableRng};

use super::TokenRecord;
use crate::model::UnixTime;

/// What every token starts with (lets secret scanners and people recognise one).
pub const PREFIX: &str = "om_";

/// Bytes of randomness in a token's public id.
const ID_BYTES: usize = 8;
/// Bytes of randomness in a token's secret (256 bits).
const SECRET_BYTES: usize = 32;

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The hasher refused (it does not for the parameters used; kept typed, not unwrapped).
    #[error("cannot hash the token: {0}")]
    Hash(String),
}

/// A freshly issued token: the text shown once to the user, and the record to store.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The whole token, `om_<id>_<secret>`; never stored.
    pub token: String,
    /// What the store keeps.
    pub record: TokenRecord,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Issues a new token for `user`, labelled `label` ("cli", "web login", "gps device 12").
///
/// # Errors
/// [`TokenError::Hash`] if argon2 refuses (not expected with its default parameters).
pub fn issue(user: &str, label: &str, now: UnixTime) -> Result<Issued, TokenError> {
    // The OS seeds a CSPRNG once per token: tokens are rare, so no shared generator.
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut id = [0u8; ID_BYTES];
    let mut secret = [0u8; SECRET_BYTES];
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    rng.fill_bytes(&mut salt);
    let id = hex(&id);
    let secret = hex(&secret);
    let salt = SaltString::encode_b64(&salt).map_err(|e| TokenError::Hash(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| TokenError::Hash(e.to_string()))?
        .to_string();
    Ok(Issued {
        token: format!("{PREFIX}{id}_{secret}"),
        record: TokenRecord {
            id,
            user: user.to_owned(),
            hash,
            created_at: now,
            expires_at: None,
            revoked: false,
            label: label.to_owned(),
        },
    })
}

/// Splits a token into its public id and its secret; `None` if it is not shaped like one.
#[must_use]
pub fn parse(token: &str) -> Option<(&str, &str)> {
    let rest = token.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hexish =
        |s: &str| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hexish(id) && hexish(secret)).then_some((id, secret))
}

/// Whether `secret` matches the record's hash and the record is still usable at `now`.
#[must_use]
pub fn verify(record: &TokenRecord, secret: &str, now: UnixTime) -> bool {
    if record.revoked || record.expires_at.is_some_and(|e| now >= e) {
        return false;
    }
    let Ok(hash) = PasswordHash::new(&record.hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(secret.as_bytes(), &hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_token_verifies_and_is_not_stored_in_clear() {
        let issued = issue("ana", "cli", 100).expect("issue");
        let (id, secret) = parse(&issued.token).expect("shape");
        assert_eq!(id, issued.record.id);
        assert!(
            !issued.record.hash.contains(secret),
            "secret stored in clear"
        );
        assert!(issued.record.hash.starts_with("$argon2id$"));
        assert!(verify(&issued.record, secret, 101));
        assert!(!verify(&issued.record, "00", 101));
        let mut revoked = issued.record.clone();
        revoked.revoked = true;
        assert!(!verify(&revoked, secret, 101));
        let mut expired = issued.record;
        expired.expires_at = Some(101);
        assert!(!verify(&expired, secret, 101));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for t in [
            "", "om_", "om_abc", "xx_ab_cd", "om__cd", "om_ab_", "om_zz_cd",
        ] {
            assert!(parse(t).is_none(), "{t}");
        }
    }
}
