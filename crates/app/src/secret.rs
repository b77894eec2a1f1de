//! Bearer secrets handed to clients (stream tickets, refresh tokens) and the digests stores keep of them:
//! a copy of the table opens nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// 256 random bits from the operating system, URL-safe base64 without padding (43 characters).
pub fn new_secret() -> Result<String, AppError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|error| AppError::internal(error.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(secret))
}

/// Whether `token` has the shape [`new_secret`] gives (43 URL-safe base64 characters): anything else is
/// refused before a store is asked.
pub fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh ticket admission code: 256 random bits (see [`new_secret`]).
pub fn new_ticket_code() -> Result<plaza_domain::ticket::TicketCode, AppError> {
    plaza_domain::ticket::TicketCode::parse(&new_secret()?)
        .map_err(|_| AppError::internal("a new secret is not a valid ticket code"))
}

/// What is stored for `secret`: its SHA-256 digest, in lower-case hex. (A fast digest is enough: the
/// secrets are random, not chosen by people, so there is nothing to guess.)
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_differ_and_digests_are_stable_hex() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
