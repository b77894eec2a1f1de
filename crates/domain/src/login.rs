//! Failed logins counted where every Plaza instance sees them. One process counts on its own (the app's
//! `LoginThrottle`); instances that share a database also count in it, through this port, so that N
//! instances do not give a guesser N times the attempts.

use chrono::{DateTime, Duration, Utc};

use crate::RepoError;

/// Longer names are cut: no account has one (user names are at most 32 characters), and a key must
/// not hold a 256 KiB "user name".
pub const MAX_NAME_CHARS: usize = 64;

/// The user name as failures are counted under it: cut to [`MAX_NAME_CHARS`], ASCII letters folded and
/// nothing else (the user-name lookup ignores the case of ASCII letters only), NUL written as U+FFFD so
/// that every store can keep the key as text.
pub fn name_key(name: &str) -> String {
    name.chars()
        .take(MAX_NAME_CHARS)
        .map(|c| {
            if c == '\0' {
                char::REPLACEMENT_CHARACTER
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// How many failures are allowed, and over what sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimits {
    /// Per (client address, user name).
    pub per_name: u64,
    /// Per client address, whatever the names.
    pub per_client: u64,
    /// How far back failures count: older ones are forgotten.
    pub window: Duration,
}

/// A failure recorded before the password is checked, to be given back if it was not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation(pub i64);

/// Failed logins in a store every instance shares.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait SharedLoginFailures: Send + Sync {
    /// Records one failure of `client` at `name` (a user name, compared without regard to case), unless
    /// either count within the window has reached its limit: then `Err` holds the seconds until the oldest
    /// failure that blocks leaves the window (at least 1). Atomic across instances: however many attempts
    /// race, no more than the limits are recorded.
    fn reserve(
        &self,
        client: &str,
        name: &str,
        limits: FailureLimits,
        now: DateTime<Utc>,
    ) -> Result<Result<Reservation, u64>, RepoError>;

    /// Takes a reservation back: the password could not be checked, or it was right — then
    /// `clear_name` also clears that name's failures from that client.
    fn release(
        &self,
        reservation: Reservation,
        clear_name: Option<(String, String)>,
    ) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_fold_ascii_letters_only() {
        assert_eq!(name_key("KiKi"), "kiki");
        assert_eq!(name_key("\u{212A}iki"), "\u{212A}iki", "KELVIN SIGN is not K");
        assert_eq!(name_key("\u{130}da"), "\u{130}da");
        assert_eq!(name_key("a\0b"), "a\u{FFFD}b");
        assert_eq!(name_key(&"x".repeat(100)).len(), MAX_NAME_CHARS);
    }
}
