//! Access tokens: the [`TokenCodec`] port, and [`JwtTokenCodec`], HS256 JWTs with `sub`, `iat` and `exp` and
//! nothing else accepted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use plaza_domain::{SessionId, UserId};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The least secret length accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

const INVALID_TOKEN: &str = "invalid or expired token";

/// How far the clocks of whoever issued a token and of this server may disagree: `exp` and `nbf` are read
/// with this leeway, and an `iat` further in the future is refused.
pub const CLOCK_SKEW_SECONDS: i64 = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// Not before: optional, but honoured when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The session the token belongs to: when it ends, so does the token. Tokens from before sessions
    /// existed have none, and live out their (short) lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<i64>,
}

/// A freshly issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Issues access tokens and checks them: the port the use cases see, so that they do not depend on the
/// token format. [`JwtTokenCodec`] is Plaza's.
#[cfg_attr(test, mockall::automock)]
pub trait TokenCodec: Send + Sync {
    /// A token for `user`. Its `iat` is never at or before the second of the user's token epoch, so a
    /// token taken right after a password change is accepted while every older one is refused, even within
    /// the same second.
    fn issue(
        &self,
        user: UserId,
        token_epoch: DateTime<Utc>,
        session: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, AppError>;

    /// The token's claims when it is genuine and current; `Unauthorized` otherwise.
    fn decode(&self, token: &str) -> Result<Claims, AppError>;
}

impl Claims {
    /// The user a valid token names.
    pub fn subject(&self) -> Result<UserId, AppError> {
        self.sub
            .parse::<i64>()
            .ok()
            .and_then(|raw| UserId::parse(raw).ok())
            .ok_or(AppError::Unauthorized(INVALID_TOKEN))
    }

    /// The session a valid token belongs to, if it names one.
    pub fn session(&self) -> Result<Option<SessionId>, AppError> {
        self.sid
            .map(|raw| SessionId::parse(raw).map_err(|_| AppError::Unauthorized(INVALID_TOKEN)))
            .transpose()
    }
}

/// Whether a token issued at `iat` predates the token epoch `token_epoch` (it was issued before the
/// password change that moved the epoch there), and so is refused.
pub fn predates(iat: i64, token_epoch: DateTime<Utc>) -> bool {
    iat <= token_epoch.timestamp()
}

/// The `iat` of a token issued at `now`: never at or before the token epoch's second, so that a token
/// taken right after a password change is accepted.
pub fn first_valid_second(now: DateTime<Utc>, token_epoch: DateTime<Utc>) -> i64 {
    now.timestamp().max(token_epoch.timestamp() + 1)
}

/// [`TokenCodec`] as HS256 JWTs with one secret.
pub struct JwtTokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: i64,
}

impl std::fmt::Debug for JwtTokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtTokenCodec")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl JwtTokenCodec {
    /// Refuses secrets shorter than [`MIN_SECRET_BYTES`] and lifetimes under a minute.
    pub fn new(secret: &[u8], ttl_minutes: i64) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"));
        }
        if !(1..=60 * 24 * 366).contains(&ttl_minutes) {
            return Err("ACCESS_TOKEN_EXPIRE_MINUTES must be between 1 and 527040".into());
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_SKEW_SECONDS.unsigned_abs();
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds: ttl_minutes * 60,
        })
    }
}

impl TokenCodec for JwtTokenCodec {
    fn issue(
        &self,
        user: UserId,
        token_epoch: DateTime<Utc>,
        session: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, AppError> {
        let iat = first_valid_second(now, token_epoch);
        let claims = Claims {
            sub: user.to_string(),
            iat,
            exp: now.timestamp() + self.ttl_seconds,
            nbf: None,
            sid: session.map(SessionId::get),
        };
        let access_token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.ttl_seconds,
        })
    }

    /// The token's claims when its signature, algorithm, expiry and `nbf` hold, its `iat` is not in the
    /// future, and its header asks for no extension this codec does not implement (`crit`).
    fn decode(&self, token: &str) -> Result<Claims, AppError> {
        let invalid = || AppError::Unauthorized(INVALID_TOKEN);
        if header_is_critical(token) {
            return Err(invalid());
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| invalid())?;
        // A token from the future would outlive every password change made before that moment.
        if claims.iat > Utc::now().timestamp() + CLOCK_SKEW_SECONDS {
            return Err(invalid());
        }
        Ok(claims)
    }
}

/// Whether the token's header lists `crit` extensions: none is implemented here, and RFC 7515 says a
/// token that requires one must be refused. (The JWT library ignores header fields it does not know.)
fn header_is_critical(token: &str) -> bool {
    let Some(header) = token.split('.').next() else {
        return true;
    };
    let Ok(json) = URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')) else {
        return false; // not a JWT at all: the decoder refuses it
    };
    match serde_json::from_slice::<serde_json::Value>(&json) {
        Ok(serde_json::Value::Object(fields)) => fields.contains_key("crit"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn codec() -> JwtTokenCodec {
        JwtTokenCodec::new(SECRET, 30).unwrap()
    }

    #[test]
    fn round_trips_a_token() {
        let now = Utc::now();
        let issued = codec()
            .issue(UserId::from_stored(7), now - Duration::hours(1), None, now)
            .unwrap();
        assert_eq!(issued.expires_in, 1800);
        let claims = codec().decode(&issued.access_token).unwrap();
        assert_eq!(claims.subject().unwrap(), UserId::from_stored(7));
        assert_eq!(claims.iat, now.timestamp());
        assert_eq!(claims.exp, now.timestamp() + 1800);
    }

    #[test]
    fn refuses_short_secrets_and_silly_lifetimes() {
        assert!(JwtTokenCodec::new(b"short", 30).is_err());
        assert!(JwtTokenCodec::new(SECRET, 0).is_err());
    }

    #[test]
    fn a_token_after_a_change_in_the_same_second_is_valid_and_older_ones_are_not() {
        let changed = Utc::now();
        let issued = codec()
            .issue(UserId::from_stored(1), changed, None, changed)
            .unwrap();
        let claims = codec().decode(&issued.access_token).unwrap();
        assert!(!predates(claims.iat, changed));
        assert!(predates(changed.timestamp(), changed));
        assert!(predates(changed.timestamp() - 5, changed));
    }

    #[test]
    fn quick_successive_changes_still_refuse_every_older_token() {
        use plaza_domain::user::token_epoch;
        let registered = Utc::now();
        let epoch = token_epoch::at_registration(registered);
        let first_login = codec()
            .issue(UserId::from_stored(1), epoch, None, registered)
            .unwrap();
        let first_iat = codec().decode(&first_login.access_token).unwrap().iat;
        assert!(
            !predates(first_iat, epoch),
            "a token from the second of registration works"
        );
        // The password changes within the same second as registration and login.
        let changed = token_epoch::after_password_change(epoch, registered);
        assert!(
            predates(first_iat, changed),
            "the token from before the change is refused"
        );
        let second_login = codec()
            .issue(UserId::from_stored(1), changed, None, registered)
            .unwrap();
        let second_iat = codec().decode(&second_login.access_token).unwrap().iat;
        assert!(
            !predates(second_iat, changed),
            "the token from after the change works"
        );
    }

    fn signed(claims: &serde_json::Value, header: &Header) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(SECRET)).unwrap()
    }

    #[test]
    fn refuses_future_nbf_far_future_iat_and_critical_headers() {
        let now = Utc::now().timestamp();
        let hs256 = Header::new(Algorithm::HS256);
        let valid = serde_json::json!({"sub": "1", "iat": now, "exp": now + 600});
        assert!(codec().decode(&signed(&valid, &hs256)).is_ok());
        let skewed = serde_json::json!({"sub": "1", "iat": now + 3, "exp": now + 600, "nbf": now + 3});
        assert!(
            codec().decode(&signed(&skewed, &hs256)).is_ok(),
            "a small clock skew is fine"
        );
        let not_yet = serde_json::json!({"sub": "1", "iat": now, "exp": now + 600, "nbf": now + 300});
        assert!(
            codec().decode(&signed(&not_yet, &hs256)).is_err(),
            "nbf in the future"
        );
        let from_the_future = serde_json::json!({"sub": "1", "iat": now + 86_400 * 365, "exp": now + 600});
        assert!(
            codec().decode(&signed(&from_the_future, &hs256)).is_err(),
            "iat far ahead"
        );

        let header = base64_url(r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#);
        let payload = base64_url(&valid.to_string());
        let mac = jsonwebtoken::crypto::sign(
            format!("{header}.{payload}").as_bytes(),
            &EncodingKey::from_secret(SECRET),
            Algorithm::HS256,
        )
        .unwrap();
        let critical = format!("{header}.{payload}.{mac}");
        let plain_header = base64_url(r#"{"alg":"HS256","typ":"JWT"}"#);
        assert!(codec().decode(&critical).is_err(), "crit is refused");
        assert!(header_is_critical(&critical));
        assert!(!header_is_critical(&format!("{plain_header}.{payload}.{mac}")));
    }

    #[test]
    fn rejects_tampered_foreign_and_expired_tokens() {
        let now = Utc::now();
        let token = codec()
            .issue(UserId::from_stored(1), now - Duration::days(1), None, now)
            .unwrap()
            .access_token;
        let other = JwtTokenCodec::new(b"another secret of thirty-two bytes!!", 30).unwrap();
        assert!(other.decode(&token).is_err(), "bad signature");
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(codec().decode(&tampered).is_err());
        assert!(codec().decode("not a token").is_err());

        let expired = Claims {
            sub: "1".into(),
            iat: now.timestamp() - 100,
            exp: now.timestamp() - CLOCK_SKEW_SECONDS - 1,
            nbf: None,
            sid: None,
        };
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &expired,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(codec().decode(&expired).is_err(), "expired");

        let hs512 = Claims {
            sub: "1".into(),
            iat: now.timestamp(),
            exp: now.timestamp() + 60,
            nbf: None,
            sid: None,
        };
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &hs512,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(codec().decode(&hs512).is_err(), "another algorithm");
    }

    #[test]
    fn rejects_unsigned_tokens() {
        use base64_url as b64;
        let header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        let exp = Utc::now().timestamp() + 600;
        let payload = b64(&format!("{{\"sub\":\"1\",\"iat\":1,\"exp\":{exp}}}"));
        assert!(codec().decode(&format!("{header}.{payload}.")).is_err());
    }

    #[test]
    fn rejects_tokens_without_iat() {
        #[derive(Serialize)]
        struct NoIat {
            sub: String,
            exp: i64,
        }
        let claims = NoIat {
            sub: "1".into(),
            exp: Utc::now().timestamp() + 600,
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(codec().decode(&token).is_err());
    }

    /// Unpadded URL-safe base64, enough to forge a test token by hand.
    fn base64_url(input: &str) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = input.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
