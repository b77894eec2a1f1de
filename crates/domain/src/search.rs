//! The search rule: how an event's text becomes index tokens, and how a user's search becomes the terms
//! that must all be found. Storage adapters only store and look up tokens; the rule lives here, so every
//! store behaves alike.
//!
//! - Text is folded first: compatibility forms unified (full-width `ｍｅｅｔ` is `meet`), lower-cased,
//!   and Latin diacritics removed (`Café` is `cafe`).
//! - Words are runs of letters, digits and marks; everything else separates them and is never syntax.
//! - In scripts written without spaces between words (Chinese and Japanese: Han, Hiragana, Katakana), a run
//!   is indexed as its overlapping pairs of characters (`周末音乐会` as `周末 末音 音乐 乐会`, the approach
//!   of Lucene's CJK analyzer) plus its last character, so any two or more consecutive characters of the
//!   text are found, and a single character is found wherever it stands.
//! - A search word in other scripts matches the start of a word (`meet` finds `Meetup`). A search run of
//!   two or more CJK characters needs each of its pairs (`音乐会` needs `音乐` and `乐会`); a single CJK
//!   character matches the start of a pair.
//! - Every term of a search must match (AND), in the name or the description; at most
//!   [`SearchTerms::MAX_TERMS`] terms count, which bounds the work one search can ask for.
//! - A word counts by its first [`MAX_WORD_CHARS`] characters, in the index and in a search alike (a
//!   search word is a prefix, so it still finds a longer word indexed whole before this rule): no store
//!   is handed a token it cannot hold (PostgreSQL refuses a lexeme over 2,046 bytes).

use unicode_normalization::UnicodeNormalization;

/// The characters of a word that count (see the module documentation): at most 400 bytes in UTF-8.
pub const MAX_WORD_CHARS: usize = 100;

/// One thing to look up in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    /// A folded token, as [`index_tokens`] produces them.
    pub token: String,
    /// Whether any token starting with `token` matches, or only `token` itself.
    pub prefix: bool,
}

/// What a search looks for: every term must be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(Vec<SearchTerm>);

impl SearchTerms {
    /// Bounds the work one request can ask of the index.
    pub const MAX_TERMS: usize = 16;

    /// `None` when the text holds no word at all (only punctuation, say).
    pub fn parse(raw: &str) -> Option<Self> {
        let mut terms: Vec<SearchTerm> = Vec::new();
        for run in runs(&fold(raw)) {
            match run {
                Run::Word(word) => terms.push(SearchTerm {
                    token: word,
                    prefix: true,
                }),
                Run::Cjk(chars) if chars.len() == 1 => terms.push(SearchTerm {
                    token: chars.iter().collect(),
                    prefix: true,
                }),
                Run::Cjk(chars) => terms.extend(chars.windows(2).map(|pair| SearchTerm {
                    token: pair.iter().collect(),
                    prefix: false,
                })),
            }
        }
        let mut unique: Vec<SearchTerm> = Vec::with_capacity(terms.len());
        for term in terms {
            if !unique.contains(&term) {
                unique.push(term);
            }
        }
        unique.truncate(Self::MAX_TERMS);
        (!unique.is_empty()).then_some(Self(unique))
    }

    /// The terms, each once, in the order of the search text; never empty, at most
    /// [`MAX_TERMS`](Self::MAX_TERMS).
    pub fn terms(&self) -> &[SearchTerm] {
        &self.0
    }
}

/// The tokens under which a text is indexed, in order.
pub fn index_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for run in runs(&fold(text)) {
        match run {
            Run::Word(word) => tokens.push(word),
            Run::Cjk(chars) => {
                tokens.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
                if let Some(last) = chars.last() {
                    tokens.push(last.to_string());
                }
            }
        }
    }
    tokens
}

/// An event's name and description as one string of index tokens separated by spaces.
pub fn index_text(name: &str, description: &str) -> String {
    let mut tokens = index_tokens(name);
    tokens.extend(index_tokens(description));
    tokens.join(" ")
}

/// Compatibility forms unified, lower case, Latin diacritics removed.
fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !matches!(c, '\u{0300}'..='\u{036F}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Chinese and Japanese characters: written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF66}'..='\u{FF9F}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{323AF}')
}

/// Part of a word: letters (with the vowel signs of scripts that attach them) and digits.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

enum Run {
    Word(String),
    Cjk(Vec<char>),
}

/// Splits folded text into words and CJK runs.
fn runs(text: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_word = |word: &mut String, runs: &mut Vec<Run>| {
        if !word.is_empty() {
            let mut word = std::mem::take(word);
            if let Some((cut, _)) = word.char_indices().nth(MAX_WORD_CHARS) {
                word.truncate(cut);
            }
            runs.push(Run::Word(word));
        }
    };
    let flush_cjk = |cjk: &mut Vec<char>, runs: &mut Vec<Run>| {
        if !cjk.is_empty() {
            runs.push(Run::Cjk(std::mem::take(cjk)));
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut runs);
            cjk.push(c);
        } else if is_word_char(c) {
            flush_cjk(&mut cjk, &mut runs);
            word.push(c);
        } else {
            flush_word(&mut word, &mut runs);
            flush_cjk(&mut cjk, &mut runs);
        }
    }
    flush_word(&mut word, &mut runs);
    flush_cjk(&mut cjk, &mut runs);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(raw: &str) -> Vec<(String, bool)> {
        SearchTerms::parse(raw)
            .map(|terms| terms.0.into_iter().map(|t| (t.token, t.prefix)).collect())
            .unwrap_or_default()
    }

    fn prefix(token: &str) -> (String, bool) {
        (token.to_owned(), true)
    }

    fn exact(token: &str) -> (String, bool) {
        (token.to_owned(), false)
    }

    #[test]
    fn latin_words_are_folded_prefixes_and_syntax_is_data() {
        assert_eq!(
            terms(r#"Rust "meet" AND 100% n_e*ar"#),
            [
                prefix("rust"),
                prefix("meet"),
                prefix("and"),
                prefix("100"),
                prefix("n"),
                prefix("e"),
                prefix("ar")
            ]
        );
        assert_eq!(
            terms("Café ÉCOLE ｍｅｅｔ"),
            [prefix("cafe"), prefix("ecole"), prefix("meet")]
        );
        assert!(SearchTerms::parse(r#" "% _ * - "#).is_none());
    }

    #[test]
    fn chinese_and_japanese_runs_become_pairs() {
        assert_eq!(terms("音乐会"), [exact("音乐"), exact("乐会")]);
        assert_eq!(terms("音"), [prefix("音")]);
        assert_eq!(terms("公园"), [exact("公园")]);
        assert_eq!(
            terms("東京タワー"),
            [exact("東京"), exact("京タ"), exact("タワ"), exact("ワー")]
        );
        assert_eq!(terms("Rust周末"), [prefix("rust"), exact("周末")]);
    }

    #[test]
    fn index_tokens_cover_every_pair_and_the_last_character() {
        assert_eq!(index_tokens("周末音乐会"), ["周末", "末音", "音乐", "乐会", "会"]);
        assert_eq!(
            index_tokens("在公园举行的户外活动 with Café"),
            [
                "在公", "公园", "园举", "举行", "行的", "的户", "户外", "外活", "活动", "动", "with", "cafe"
            ]
        );
        assert_eq!(index_text("Rust 周末", "Talks"), "rust 周末 末 talks");
    }

    #[test]
    fn every_cjk_search_term_is_found_in_the_tokens_of_its_text() {
        let text = "周末音乐会在公园举行";
        let tokens = index_tokens(text);
        let chars: Vec<char> = text.chars().collect();
        for start in 0..chars.len() {
            for end in start + 1..=chars.len() {
                let query: String = chars[start..end].iter().collect();
                for term in SearchTerms::parse(&query).unwrap().terms() {
                    let found = tokens.iter().any(|t| {
                        if term.prefix {
                            t.starts_with(&term.token)
                        } else {
                            *t == term.token
                        }
                    });
                    assert!(found, "{query}: {} not among {tokens:?}", term.token);
                }
            }
        }
    }

    #[test]
    fn a_word_counts_by_its_first_hundred_characters_in_the_index_and_in_a_search() {
        let long = "ж".repeat(3000);
        let tokens = index_tokens(&format!("a {long} b"));
        assert_eq!(
            tokens,
            ["a".to_owned(), "ж".repeat(MAX_WORD_CHARS), "b".to_owned()]
        );
        assert!(tokens[1].len() <= 2046, "within what PostgreSQL holds");
        assert_eq!(terms(&long), [prefix(&"ж".repeat(MAX_WORD_CHARS))]);
        assert_eq!(
            terms(&"x".repeat(99)),
            [prefix(&"x".repeat(99))],
            "a shorter word is whole"
        );
    }

    #[test]
    fn the_work_of_one_search_is_bounded() {
        let many = "w ".repeat(40) + &(0..40).map(|i| format!("x{i} ")).collect::<String>();
        assert_eq!(
            SearchTerms::parse(&many).unwrap().terms().len(),
            SearchTerms::MAX_TERMS
        );
        assert_eq!(terms("a a A"), [prefix("a")], "repeated words count once");
    }
}
