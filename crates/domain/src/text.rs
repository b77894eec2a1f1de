//! Length-bounded text values. Lengths count characters (Unicode scalar values), not bytes, as a person
//! would; a required text made only of white space counts as empty.
//!
//! Characters are checked too. No text may hold control characters other than line breaks and tabs (NUL
//! included). A *name* — what is shown as a person's, an event's or a post's name — is one line of visible
//! text: it may not hold line breaks, invisible characters (zero-width space, word joiner, soft hyphen,
//! filler characters) or characters that reorder what readers see (bidirectional overrides, isolates and
//! marks), and it needs at least one visible character. Joiners and variation selectors stay allowed inside
//! a name, for emoji and scripts that need them.

use crate::error::Invalid;

/// What a text is shown as, which decides the characters it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// One line shown as a name or title.
    Name,
    /// Free text: line breaks and tabs allowed.
    Prose,
}

/// Reorders the text around it (bidirectional embeddings, overrides, isolates and marks).
fn reorders(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Draws nothing by itself: format characters that take no space, fillers, and combining marks.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    ) || is_combining_mark(c)
}

fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// Allowed inside a name although invisible: they join or select the form of the characters around them.
fn joins(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0020}'..='\u{E007F}')
        || is_combining_mark(c)
}

/// Checks the characters of `raw` for a text of `kind`.
/// Invisible or reordering: what no one-line text shown to people may carry.
pub(crate) fn is_invisible_or_bidi(c: char) -> bool {
    reorders(c) || invisible(c)
}

pub(crate) fn check_characters(raw: &str, kind: TextKind) -> Result<(), Invalid> {
    let control = |c: char| c.is_control() && !(kind == TextKind::Prose && matches!(c, '\t' | '\n' | '\r'));
    if raw.chars().any(control) {
        return Err(Invalid::new(match kind {
            TextKind::Name => "must be one line without control characters",
            TextKind::Prose => "must not contain control characters other than line breaks and tabs",
        }));
    }
    if kind == TextKind::Name {
        if raw.chars().any(|c| reorders(c) || (invisible(c) && !joins(c))) {
            return Err(Invalid::new(
                "must not contain invisible or direction-changing characters",
            ));
        }
        if !raw.is_empty() && !raw.chars().any(|c| !c.is_whitespace() && !invisible(c)) {
            return Err(Invalid::new("must contain a visible character"));
        }
    }
    Ok(())
}

/// Refused anywhere in a name, as `[...]` class contents: controls, reordering marks, and the invisible
/// characters that are not joiners.
macro_rules! name_refused {
    () => {
        concat!(
            "\\u0000-\\u001F\\u007F-\\u009F",
            "\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069",
            "\\u00AD\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B",
            "\\u2060-\\u2064\\u206A-\\u206F\\u3164\\uFEFF\\uFFA0\\uFFF9-\\uFFFB"
        )
    };
}

/// Allowed in a name, but not its one visible character: joiners, variation selectors, combining marks.
macro_rules! invisible_allowed_in_names {
    () => {
        concat!(
            "\\u200C\\u200D\\uFE00-\\uFE0F",
            "\\u0300-\\u036F\\u1AB0-\\u1AFF\\u1DC0-\\u1DFF\\u20D0-\\u20FF\\uFE20-\\uFE2F"
        )
    };
}

/// Refused in free text: controls other than tab, line feed and carriage return.
macro_rules! prose_refused {
    () => {
        "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F"
    };
}

/// The character rules as JSON Schema `pattern`s (ECMA-262 and Python syntax alike), for the OpenAPI
/// document: generated clients and fuzzers learn the rules instead of guessing them. They say the same as
/// the text values' `parse` for every character of the Basic Multilingual Plane (a test checks that); the
/// invisible characters beyond it (musical format controls, tag characters) are left to the server.
///
/// A name: no control, invisible or reordering character, and, unless empty, one visible character.
pub const NAME_PATTERN: &str = concat!(
    "^(?:[^",
    name_refused!(),
    "]*",
    "[^\\s",
    name_refused!(),
    invisible_allowed_in_names!(),
    "]",
    "[^",
    name_refused!(),
    "]*)?$"
);
/// Free text that may be empty: no control character but line breaks and tabs.
pub const PROSE_PATTERN: &str = concat!("^[^", prose_refused!(), "]*$");
/// Free text that must not be empty or only white space.
pub const REQUIRED_PROSE_PATTERN: &str = concat!(
    "^[^",
    prose_refused!(),
    "]*[^\\s",
    prose_refused!(),
    "][^",
    prose_refused!(),
    "]*$"
);

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

/// Declares a text value that only exists within its length bounds and with the characters its kind
/// allows.
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $min:expr, $max:expr, $kind:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The fewest characters the value holds; `0` means it may be empty. A required text made
            /// only of white space counts as empty.
            pub const MIN_CHARS: usize = $min;
            /// The most characters (Unicode scalar values, not bytes) the value holds.
            pub const MAX_CHARS: usize = $max;

            /// Accepts `raw` as it is (nothing is trimmed or normalised) when its length is within
            /// [`MIN_CHARS`](Self::MIN_CHARS)`..=`[`MAX_CHARS`](Self::MAX_CHARS) and it holds only the
            /// characters its kind allows (see the [`text`](crate::text) module); otherwise says why not.
            pub fn parse(raw: impl Into<String>) -> Result<Self, $crate::error::Invalid> {
                let raw = raw.into();
                $crate::text::check_length(&raw, $min, $max)?;
                $crate::text::check_characters(&raw, $crate::text::TextKind::$kind)?;
                Ok(Self(raw))
            }

            /// The text as it was accepted.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text as it was accepted, taken out of the value (to store it, say).
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

    bounded_text!(Sample, 1, 3, Name);
    bounded_text!(Story, 0, 100, Prose);

    /// Every character of the Basic Multilingual Plane (less the surrogates) alone, between letters, and
    /// with a letter, against each pattern and the rule it describes.
    #[test]
    fn the_patterns_say_what_the_rules_say() {
        let name = regex::Regex::new(NAME_PATTERN).unwrap();
        let prose = regex::Regex::new(PROSE_PATTERN).unwrap();
        let required = regex::Regex::new(REQUIRED_PROSE_PATTERN).unwrap();
        let mut samples = vec![String::new(), " ".into(), "\t\n".into()];
        for c in (0u32..=0xFFFF).filter_map(char::from_u32) {
            samples.extend([
                c.to_string(),
                format!("a{c}b"),
                format!("{c}{c}"),
                format!(" {c}"),
            ]);
        }
        for text in &samples {
            let as_name = check_characters(text, TextKind::Name).is_ok();
            assert_eq!(
                name.is_match(text),
                as_name,
                "name {text:?} ({:?})",
                text.chars().collect::<Vec<_>>()
            );
            let as_prose = check_characters(text, TextKind::Prose).is_ok();
            assert_eq!(prose.is_match(text), as_prose, "prose {text:?}");
            let as_required = as_prose && check_length(text, 1, usize::MAX).is_ok();
            assert_eq!(required.is_match(text), as_required, "required prose {text:?}");
        }
    }

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
    fn names_are_visible_one_line_text() {
        for bad in [
            "a\u{0}",
            "a\nb",
            "\u{202E}evil",
            "ab\u{2066}",
            "\u{200B}",
            "\u{200B}\u{200B}",
            "a\u{200B}b",
            "\u{3164}",
            "\u{FEFF}x",
            "\u{0301}",
        ] {
            assert!(Sample::parse(bad).is_err(), "{bad:?}");
        }
        for good in ["Zoë", "李雷", "👨\u{200D}👩", "a b", "❤\u{FE0F}", "e\u{0301}"] {
            assert!(Sample::parse(good).is_ok(), "{good:?}");
        }
        assert_eq!(
            Sample::parse("\u{202E}ab").unwrap_err().0,
            "must not contain invisible or direction-changing characters"
        );
    }

    #[test]
    fn prose_keeps_lines_and_tabs_but_not_other_controls() {
        assert!(Story::parse("line one\nline two\tand a tab\r\n").is_ok());
        assert!(Story::parse("right-to-left \u{202B}text\u{202C} is fine in prose").is_ok());
        for bad in ["nul \u{0} byte", "bell \u{7}", "escape \u{1b}[31m"] {
            assert!(Story::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn optional_text_may_be_empty() {
        assert!(check_length("", 0, 5).is_ok());
    }
}
