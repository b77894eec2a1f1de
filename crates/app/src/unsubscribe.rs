//! One-click unsubscribe links (RFC 8058): a token naming the account, signed with a key derived from the
//! JWT secret — a different key, so such a token is never an access token, and nothing is stored.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use plaza_domain::UserId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// What an unsubscribe token says.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The account.
    sub: String,
    /// Always "unsubscribe".
    purpose: String,
}

const PURPOSE: &str = "unsubscribe";

/// Makes and reads unsubscribe tokens.
#[derive(Clone)]
pub struct UnsubscribeKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for UnsubscribeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeKey(..)")
    }
}

impl UnsubscribeKey {
    /// The key for `jwt_secret`'s links. Replacing the JWT secret ends every link sent before.
    pub fn new(jwt_secret: &[u8]) -> Self {
        let derived = Sha256::new()
            .chain_update(b"plaza one-click unsubscribe\0")
            .chain_update(jwt_secret)
            .finalize();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["sub"]);
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(&derived),
            decoding: DecodingKey::from_secret(&derived),
            validation,
        }
    }

    /// The token of `user`'s link: the same every time, until the JWT secret changes.
    pub fn token(&self, user: UserId) -> Result<String, AppError> {
        let claims = Claims {
            sub: user.get().to_string(),
            purpose: PURPOSE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// The account a genuine token names.
    pub fn user(&self, token: &str) -> Option<UserId> {
        if token.len() > 512 {
            return None;
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        (claims.purpose == PURPOSE)
            .then(|| claims.sub.parse::<i64>().ok())
            .flatten()
            .and_then(|id| UserId::parse(id).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// Not a token at all: what tests use to check that a forged one is refused.
    fn forged(user: UserId) -> String {
        let body = URL_SAFE_NO_PAD.encode(format!(
            "{{\"sub\":\"{}\",\"purpose\":\"unsubscribe\"}}",
            user.get()
        ));
        format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{body}.AAAA")
    }

    #[test]
    fn a_token_names_its_account_and_only_its_key_reads_it() {
        let key = UnsubscribeKey::new(&[7u8; 32]);
        let alice = UserId::from_stored(42);
        let token = key.token(alice).unwrap();
        assert_eq!(
            key.token(alice).unwrap(),
            token,
            "stable: every mail's link works"
        );
        assert_eq!(key.user(&token), Some(alice));
        assert_eq!(
            UnsubscribeKey::new(&[8u8; 32]).user(&token),
            None,
            "another secret"
        );
        assert_eq!(key.user(&forged(alice)), None);
        assert_eq!(key.user(""), None);
        assert_eq!(key.user(&"a".repeat(600)), None);
    }

    #[test]
    fn an_access_token_is_not_an_unsubscribe_token_nor_the_other_way() {
        use crate::token::{JwtTokenCodec, TokenCodec};
        let secret = [7u8; 32];
        let codec = JwtTokenCodec::new(&secret, 30).unwrap();
        let key = UnsubscribeKey::new(&secret);
        let alice = UserId::from_stored(42);
        let now = chrono::Utc::now();
        let access = codec
            .issue(alice, now - chrono::Duration::hours(1), None, now)
            .unwrap();
        assert_eq!(key.user(&access.access_token), None);
        assert!(codec.decode(&key.token(alice).unwrap()).is_err());
    }
}
