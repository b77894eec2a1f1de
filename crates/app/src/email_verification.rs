//! E-mail verification: a link mailed on registration, on a change of address, and on request proves the
//! address is the account's. Until it is opened the account works as usual — unless this Plaza requires a
//! verified address to create events, posts and comments ([`refuse_unverified`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use plaza_domain::Conflict;
use plaza_domain::email_verification::{EmailVerificationRepository, NewVerification, TOKEN_LIFETIME};
use plaza_domain::password_reset::Issued;
use plaza_domain::user::{Locale, User};

use crate::error::AppError;
use crate::letters;
use crate::mail::{Doorbell, MailSettings};
use crate::secret::{digest, new_secret, well_formed};
use crate::stored_now;

/// What every refusal of a verification token says.
pub const INVALID_TOKEN: &str = "this link is not valid: it was used already, has expired, or is for an address the account no longer has";

/// Whether this Plaza asks for a verified address before people write (`REQUIRE_VERIFIED_EMAIL`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifiedEmailRule {
    pub required: bool,
}

/// `403 email_unverified` when `rule` requires a verified address and `actor`'s is not.
pub(crate) fn refuse_unverified(rule: VerifiedEmailRule, actor: &User) -> Result<(), AppError> {
    if rule.required && actor.email_verified_at.is_none() {
        return Err(AppError::EmailUnverified);
    }
    Ok(())
}

/// A new link for `email`, greeting `name`, in `locale`: the token's digest and the mail with the link.
pub(crate) fn new_verification(
    settings: &MailSettings,
    name: &str,
    username: &str,
    locale: Locale,
    email: &str,
    now: DateTime<Utc>,
) -> Result<NewVerification, AppError> {
    let token = new_secret()?;
    let url = format!("{}/#/verify-email?token={token}", settings.origin);
    Ok(NewVerification {
        token_digest: digest(&token),
        email: email.to_owned(),
        created_at: now,
        expires_at: now + TOKEN_LIFETIME,
        mail: letters::email_verification(name, username, locale, &url)
            .into_mail(email, settings.message_id()?),
    })
}

#[derive(Clone)]
pub struct EmailVerificationService {
    verifications: Arc<dyn EmailVerificationRepository>,
    settings: Arc<MailSettings>,
    doorbell: Arc<Doorbell>,
}

impl EmailVerificationService {
    pub fn new(
        verifications: Arc<dyn EmailVerificationRepository>,
        settings: Arc<MailSettings>,
        doorbell: Arc<Doorbell>,
    ) -> Self {
        Self {
            verifications,
            settings,
            doorbell,
        }
    }

    /// Mails `actor` another link. `409 already_verified` when the address is verified; `429` past three
    /// links an hour.
    pub fn resend(&self, actor: &User) -> Result<(), AppError> {
        if actor.email_verified_at.is_some() {
            return Err(AppError::Conflict(Conflict::AlreadyVerified));
        }
        let verification = new_verification(
            &self.settings,
            actor.display_name(),
            &actor.username,
            actor.locale,
            &actor.email,
            stored_now(),
        )?;
        match self.verifications.issue(actor.id, verification)? {
            Issued::Sent => {
                self.doorbell.ring();
                Ok(())
            }
            // The window is an hour; a quarter of it is a fair first wait.
            Issued::Throttled => Err(AppError::RateLimited(15 * 60)),
            Issued::NoAccount => Err(AppError::NotFound("user")),
        }
    }

    /// Verifies the address the token was mailed to. `400 invalid_token` for a token unknown, spent,
    /// expired, or for an address the account no longer has.
    pub fn confirm(&self, token: &str) -> Result<(), AppError> {
        if !well_formed(token) {
            return Err(AppError::InvalidToken(INVALID_TOKEN));
        }
        let user = self
            .verifications
            .confirm(&digest(token), stored_now())?
            .ok_or(AppError::InvalidToken(INVALID_TOKEN))?;
        tracing::info!(user = user.get(), "e-mail address verified");
        Ok(())
    }
}
