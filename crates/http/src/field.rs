//! Body fields as sent, so that one request reports every invalid field at once: a missing field, a `null`
//! and a value of the wrong type are all recorded, instead of the first one ending deserialization.

use plaza_domain::{Invalid, ValidationErrors};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// One field of a JSON body. Use it with `#[serde(default)]` on the field (absent becomes
/// [`Field::Absent`]) and `#[schema(value_type = …)]` for the document.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
    /// The value sent, of the wrong type: serde's message says what was expected.
    WrongType(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(Self::Null);
        }
        Ok(match serde_json::from_value::<T>(value) {
            Ok(value) => Self::Value(value),
            Err(error) => Self::WrongType(error.to_string()),
        })
    }
}

pub const REQUIRED: &str = "field required";
const NOT_NULL: &str = "must not be null";

impl<T> Field<T> {
    /// A required field, checked by `parse`: absent or `null` is "field required".
    pub fn required<V>(
        self,
        name: &str,
        errors: &mut ValidationErrors,
        parse: impl FnOnce(T) -> Result<V, Invalid>,
    ) -> Option<V> {
        match self {
            Self::Value(value) => errors.check(name, parse(value)),
            Self::Absent | Self::Null => {
                errors.push(name, REQUIRED);
                None
            }
            Self::WrongType(message) => {
                errors.push(name, message);
                None
            }
        }
    }

    /// An optional field where `null` means "not given".
    pub fn optional<V>(
        self,
        name: &str,
        errors: &mut ValidationErrors,
        parse: impl FnOnce(T) -> Result<V, Invalid>,
    ) -> Optional<V> {
        match self {
            Self::Absent | Self::Null => Optional::Absent,
            other => other.optional_not_null(name, errors, parse),
        }
    }

    /// An optional field that may be left out but not set to `null` (a `PATCH` field).
    pub fn optional_not_null<V>(
        self,
        name: &str,
        errors: &mut ValidationErrors,
        parse: impl FnOnce(T) -> Result<V, Invalid>,
    ) -> Optional<V> {
        match self {
            Self::Absent => Optional::Absent,
            Self::Null => {
                errors.push(name, NOT_NULL);
                Optional::Invalid
            }
            Self::Value(value) => match errors.check(name, parse(value)) {
                Some(value) => Optional::Given(value),
                None => Optional::Invalid,
            },
            Self::WrongType(message) => {
                errors.push(name, message);
                Optional::Invalid
            }
        }
    }

    /// An optional field that a `PATCH` may clear: left out changes nothing (`None`), `null` clears it
    /// (`Some(None)`), a value is checked by `parse`, which may itself read it as clearing (a blank text).
    pub fn clearable<V>(
        self,
        name: &str,
        errors: &mut ValidationErrors,
        parse: impl FnOnce(T) -> Result<Option<V>, Invalid>,
    ) -> Option<Option<V>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(value) => errors.check(name, parse(value)),
            Self::WrongType(message) => {
                errors.push(name, message);
                None
            }
        }
    }

    /// Whether anything at all was sent for this field, `null` included.
    pub fn is_sent(&self) -> bool {
        !matches!(self, Self::Absent)
    }
}

/// What an optional field came to: left out, a valid value, or refused — and then the reason is recorded
/// in the [`ValidationErrors`] it was checked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Optional<V> {
    /// Not sent (or `null`, where that means the same).
    Absent,
    /// Sent and valid.
    Given(V),
    /// Sent and refused.
    Invalid,
}

impl<V> Optional<V> {
    /// The value when one was given. [`Optional::Invalid`] reads as `None` too: only for a caller that
    /// goes on only when no error was recorded (a `PATCH` whose changes are dropped if any field failed).
    pub fn given(self) -> Option<V> {
        match self {
            Self::Given(value) => Some(value),
            Self::Absent | Self::Invalid => None,
        }
    }
}

/// Accepts any value as it is: for fields whose only check is done by a domain parser.
pub fn accept<T>(value: T) -> Result<T, Invalid> {
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default)]
        name: Field<String>,
        #[serde(default)]
        count: Field<i64>,
        #[serde(default)]
        note: Field<String>,
    }

    fn body(json: &str) -> Body {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_problem_is_recorded_not_only_the_first() {
        let mut errors = ValidationErrors::default();
        let Body { name, count, note } = body(r#"{"count": "many", "note": null}"#);
        assert_eq!(name.required("name", &mut errors, accept), None);
        assert_eq!(count.required("count", &mut errors, accept), None);
        assert_eq!(
            note.optional_not_null("note", &mut errors, accept),
            Optional::Invalid
        );
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "count", "note"]);
        assert_eq!(errors.0[0].message, REQUIRED);
        assert!(
            errors.0[1].message.contains("expected i64"),
            "{}",
            errors.0[1].message
        );
    }

    #[test]
    fn optional_fields_treat_null_as_absent() {
        let mut errors = ValidationErrors::default();
        let Body { name, note, .. } = body(r#"{"name": "x", "note": null}"#);
        assert_eq!(
            name.optional("name", &mut errors, accept),
            Optional::Given("x".to_owned())
        );
        assert_eq!(note.optional("note", &mut errors, accept), Optional::Absent);
        assert!(errors.is_empty());
    }

    #[test]
    fn an_invalid_optional_field_is_not_taken_for_an_absent_one() {
        let mut errors = ValidationErrors::default();
        let non_negative = |n: i64| {
            if n < 0 {
                Err(Invalid::new("negative"))
            } else {
                Ok(n)
            }
        };
        let count = |json: &str| body(json).count;
        assert_eq!(
            count(r#"{"count": -1}"#).optional("count", &mut errors, non_negative),
            Optional::Invalid
        );
        assert_eq!(
            count(r#"{"count": "x"}"#).optional("count", &mut errors, non_negative),
            Optional::Invalid
        );
        assert_eq!(
            count("{}").optional("count", &mut errors, non_negative),
            Optional::Absent
        );
        assert_eq!(
            count(r#"{"count": 2}"#).optional("count", &mut errors, non_negative),
            Optional::Given(2)
        );
        assert_eq!(errors.0.len(), 2, "{errors:?}");
        assert_eq!(errors.0[0].message, "negative");
    }

    #[test]
    fn domain_rules_apply_to_present_values() {
        let mut errors = ValidationErrors::default();
        let too_big = |n: i64| {
            if n > 3 {
                Err(Invalid::new("too big"))
            } else {
                Ok(n)
            }
        };
        assert_eq!(
            body(r#"{"count": 9}"#)
                .count
                .required("count", &mut errors, too_big),
            None
        );
        assert_eq!(errors.0[0].message, "too big");
    }
}
