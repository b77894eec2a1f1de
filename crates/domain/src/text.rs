//! Length-bounded text values. Lengths count characters (Unicode scalar values), not bytes, as a person
//! would; a required text made only of white space counts as empty.

use crate::error::Invalid;

/// Checks `raw` against a `min..=max` character count.
pub(crate) fn check_length(raw: &str, min: usize, max: usize) -> Result<(), Invalid> {
    if min > 0 && raw.trim().is_empty() {
        return Err(Invalid::new("must not be empty"));
    }
    let chars = raw.chars().count();
    if chars < min {
        return Err(Invalid::new(format!("must be at least {min} characters")));
    }
    if chars > max {
        return Err(Invalid::new(format!("must be at most {max} characters")));
    }
    Ok(())
}

/// Declares a text value that only exists within its length bounds.
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MIN_CHARS: usize = $min;
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: impl Into<String>) -> Result<Self, $crate::error::Invalid> {
                let raw = raw.into();
                $crate::text::check_length(&raw, $min, $max)?;
                Ok(Self(raw))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use bounded_text;

#[cfg(test)]
mod tests {
    #![allow(dead_code)]
    use super::*;

    bounded_text!(Sample, 1, 3);

    #[test]
    fn counts_characters_not_bytes() {
        assert!(Sample::parse("ééé").is_ok());
        assert_eq!(
            Sample::parse("abcd").unwrap_err().0,
            "must be at most 3 characters"
        );
    }

    #[test]
    fn white_space_only_is_empty() {
        assert_eq!(Sample::parse("  ").unwrap_err().0, "must not be empty");
        assert_eq!(Sample::parse("").unwrap_err().0, "must not be empty");
        assert_eq!(Sample::parse(" a ").unwrap().as_str(), " a ");
    }

    #[test]
    fn optional_text_may_be_empty() {
        assert!(check_length("", 0, 5).is_ok());
    }
}
