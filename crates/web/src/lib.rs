//! Plaza's web client. The files under `client/` — plain HTML, CSS and JavaScript modules, no build step —
//! are embedded into the binary by `rust-embed`: a release binary serves them with no file beside it, while
//! a debug build reads them from disk at each request, so a browser reload shows an edit at once.
//!
//! This crate only hands out the files; the HTTP adapter decides how they are served.

use std::borrow::Cow;

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "client/"]
struct Client;

/// The page every client route starts from.
pub const INDEX: &str = "index.html";

/// Where the translations live: one module per language, named by its BCP 47 tag (`en.js`, `zh-CN.js`).
const LOCALE_DIR: &str = "src/i18n/";

/// One file of the client.
#[derive(Debug, Clone)]
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    /// The `Content-Type` to serve it with.
    pub content_type: String,
    /// A strong validator derived from the content, quoted for an `ETag` header.
    pub etag: String,
}

/// The file at `path` (relative to the client's root, e.g. `src/main.js`), or `None` when there is no
/// such file. Paths that try to leave the root are never looked up.
pub fn asset(path: &str) -> Option<Asset> {
    // The page is served only as `index()`, with its placeholder filled in.
    if path == INDEX {
        return None;
    }
    file(path)
}

fn file(path: &str) -> Option<Asset> {
    if path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return None;
    }
    let file = Client::get(path)?;
    let etag = etag_of(&file.metadata.sha256_hash());
    let mut content_type = file.metadata.mimetype().to_owned();
    if content_type.starts_with("text/") || content_type == "application/json" {
        content_type.push_str("; charset=utf-8");
    }
    Some(Asset {
        bytes: file.data,
        content_type,
        etag,
    })
}

/// A quoted strong validator from a SHA-256 digest.
fn etag_of(digest: &[u8]) -> String {
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    format!("\"{hex}\"")
}

/// The client's page, with the languages it ships written into its `plaza-locales` meta tag (the page
/// may run no inline script, and this saves a request before the first render). Its validator is the
/// digest of the page as served, so adding a language changes it.
pub fn index() -> Option<Asset> {
    use sha2::Digest;
    let page = file(INDEX)?;
    let html = String::from_utf8_lossy(&page.bytes).replace(LOCALES_PLACEHOLDER, &locales().join(","));
    Some(Asset {
        etag: etag_of(&sha2::Sha256::digest(html.as_bytes())),
        bytes: Cow::Owned(html.into_bytes()),
        content_type: page.content_type,
    })
}

/// Stands in `index.html` for the list of languages.
const LOCALES_PLACEHOLDER: &str = "%PLAZA_LOCALES%";

/// The languages the client ships, by tag, sorted: one per module in `src/i18n/`, so that adding a
/// language is adding one file.
pub fn locales() -> Vec<String> {
    let mut tags: Vec<String> = Client::iter()
        .filter_map(|path| {
            let name = path.strip_prefix(LOCALE_DIR)?.strip_suffix(".js")?;
            (!name.contains('/') && !name.starts_with('_')).then(|| name.to_owned())
        })
        .collect();
    tags.sort();
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_the_index_with_a_content_type_and_a_validator() {
        let index = index().expect("the client has an index page");
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert!(
            index.etag.starts_with('"') && index.etag.len() == 34,
            "{}",
            index.etag
        );
        let html = String::from_utf8_lossy(&index.bytes);
        assert!(
            html.contains("type=\"module\""),
            "the client starts from a module script"
        );
        assert!(
            html.contains("content=\"en,zh-CN\""),
            "the page names its languages: {html}"
        );
    }

    #[test]
    fn the_page_is_served_only_filled_in_and_its_validator_covers_the_filling() {
        assert!(asset(INDEX).is_none());
        let raw = file(INDEX).unwrap();
        assert_ne!(index().unwrap().etag, raw.etag);
    }

    #[test]
    fn never_looks_outside_the_client() {
        for path in [
            "",
            "/etc/passwd",
            "../Cargo.toml",
            "src/../../Cargo.toml",
            "src//main.js",
            "a\\b",
        ] {
            assert!(asset(path).is_none(), "{path}");
        }
        assert!(asset("no-such-file.js").is_none());
    }

    #[test]
    fn ships_english_and_simplified_chinese() {
        let tags = locales();
        assert!(tags.contains(&"en".to_owned()), "{tags:?}");
        assert!(tags.contains(&"zh-CN".to_owned()), "{tags:?}");
    }
}
