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
/// may run no inline script, and this saves a request before the first render), its files named under
/// this build's [`asset_prefix`], and a `modulepreload` link for every module the first render needs, so
/// the browser fetches them at once instead of one import after another. Its validator is the digest of
/// the page as served, so any change of the client changes it.
pub fn index() -> Option<Asset> {
    use sha2::Digest;
    let page = file(INDEX)?;
    let prefix = asset_prefix();
    let preload: String = static_imports(ENTRY)
        .iter()
        .map(|module| format!("  <link rel=\"modulepreload\" href=\"{prefix}/{module}\">\n"))
        .collect();
    let html = String::from_utf8_lossy(&page.bytes)
        .replace(LOCALE_NAMES_PLACEHOLDER, &locale_names().join(","))
        .replace(LOCALES_PLACEHOLDER, &locales().join(","))
        .replace(PRELOAD_PLACEHOLDER, preload.trim_end())
        .replace(ASSETS_PLACEHOLDER, &prefix);
    Some(Asset {
        etag: etag_of(&sha2::Sha256::digest(html.as_bytes())),
        bytes: Cow::Owned(html.into_bytes()),
        content_type: page.content_type,
    })
}

/// Stands in `index.html` for the list of languages.
const LOCALES_PLACEHOLDER: &str = "%PLAZA_LOCALES%";
/// Stands in `index.html` for each language's own name, in the order of the list.
const LOCALE_NAMES_PLACEHOLDER: &str = "%PLAZA_LOCALE_NAMES%";
/// Stands in `index.html` for where the files are served from ([`asset_prefix`]).
const ASSETS_PLACEHOLDER: &str = "%PLAZA_ASSETS%";
/// Stands in `index.html` for the `modulepreload` links.
const PRELOAD_PLACEHOLDER: &str = "%PLAZA_PRELOAD%";
/// The module the page starts.
const ENTRY: &str = "src/main.js";

/// A digest of every file of the client (names and contents), 12 hex digits: it changes whenever any file
/// does. A release binary computes it once; a debug build, which reads the files from disk, at each call.
pub fn version() -> String {
    fn compute() -> String {
        use sha2::Digest;
        let mut paths: Vec<_> = Client::iter().collect();
        paths.sort();
        let mut digest = sha2::Sha256::new();
        for path in paths {
            if let Some(file) = Client::get(&path) {
                digest.update(path.as_bytes());
                digest.update(file.metadata.sha256_hash());
            }
        }
        digest
            .finalize()
            .iter()
            .take(6)
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
    if cfg!(debug_assertions) {
        return compute();
    }
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(compute).clone()
}

/// Where the page names the client's files: `/app/v-<version>`. Every release that changes a file changes
/// every address, so the files under it may be cached for good.
pub fn asset_prefix() -> String {
    format!("/app/v-{}", version())
}

/// A path under `/app/` without its version (`v-1a2b3c4d5e6f/src/main.js` is `src/main.js`), and whether
/// it named this build's version (only then may the answer be cached for good). A path without a version
/// is left as it is.
pub fn unversioned(path: &str) -> (&str, bool) {
    match path.strip_prefix("v-").and_then(|rest| rest.split_once('/')) {
        Some((version, rest)) => (rest, version == self::version()),
        None => (path, false),
    }
}

/// Every module `entry` imports statically, directly or through others, `entry` first: what the first
/// render needs before it can run. Imports are read as the client writes them, one `import … from
/// './x.js'` (or `import './x.js'`) per statement with a relative path; dynamic `import()` is left out.
pub fn static_imports(entry: &str) -> Vec<String> {
    let mut found = vec![entry.to_owned()];
    let mut next = 0;
    while let Some(module) = found.get(next).cloned() {
        next += 1;
        let Some(file) = file(&module) else { continue };
        let text = String::from_utf8_lossy(&file.bytes);
        let directory = module.rsplit_once('/').map_or("", |(directory, _)| directory);
        for specifier in import_specifiers(&text) {
            if let Some(path) = resolve(directory, specifier)
                && !found.contains(&path)
            {
                found.push(path);
            }
        }
    }
    found
}

/// The relative specifiers of a module's static `import` statements.
fn import_specifiers(text: &str) -> Vec<&str> {
    let mut specifiers = Vec::new();
    let mut in_import = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("import ") || line.starts_with("import{") {
            in_import = true;
        }
        if !in_import {
            continue;
        }
        let quoted = line
            .split_once(" from ")
            .map(|(_, rest)| rest)
            .or_else(|| line.strip_prefix("import "))
            .map(str::trim)
            .and_then(|rest| {
                let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
                rest[1..].split_once(quote).map(|(specifier, _)| specifier)
            });
        if let Some(specifier) = quoted {
            if specifier.starts_with("./") || specifier.starts_with("../") {
                specifiers.push(specifier);
            }
            in_import = false;
        } else if line.ends_with(';') {
            in_import = false;
        }
    }
    specifiers
}

/// `specifier` relative to `directory`, both inside the client; `None` when it would leave it.
fn resolve(directory: &str, specifier: &str) -> Option<String> {
    let mut parts: Vec<&str> = directory.split('/').filter(|part| !part.is_empty()).collect();
    for part in specifier.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

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

/// Each language's own name (its `'meta.name'` message), in the order of [`locales`], for the language
/// switcher: written into the page so that listing the languages loads none of them. Commas, quotes and
/// markup are left out of a name; a language without one is named by its tag.
pub fn locale_names() -> Vec<String> {
    locales()
        .into_iter()
        .map(|tag| {
            let name = file(&format!("{LOCALE_DIR}{tag}.js")).and_then(|module| {
                let text = String::from_utf8_lossy(&module.bytes).into_owned();
                let rest = text
                    .split_once("'meta.name':")?
                    .1
                    .trim_start()
                    .strip_prefix('\'')?;
                Some(rest.split_once('\'')?.0.to_owned())
            });
            name.map(|name| {
                name.chars()
                    .filter(|c| !matches!(c, ',' | '"' | '<' | '>' | '&' | '\''))
                    .collect::<String>()
            })
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(tag)
        })
        .collect()
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
    fn the_page_names_its_files_under_the_version_and_preloads_what_main_imports() {
        let html = String::from_utf8(index().unwrap().bytes.into_owned()).unwrap();
        let prefix = asset_prefix();
        assert!(!html.contains('%'), "every placeholder filled: {html}");
        assert!(html.contains(&format!("src=\"{prefix}/src/main.js\"")), "{html}");
        assert!(
            html.contains(&format!("href=\"{prefix}/assets/style.css\"")),
            "{html}"
        );
        for module in [
            "src/api.js",
            "src/i18n.js",
            "src/router.js",
            "src/components/header.js",
        ] {
            assert!(
                html.contains(&format!(
                    "<link rel=\"modulepreload\" href=\"{prefix}/{module}\">"
                )),
                "{module} preloaded: {html}"
            );
        }
        assert!(
            !html.contains("pages/events.js"),
            "pages are imported when visited, not preloaded"
        );
        assert!(
            !html.contains("i18n/zh-CN.js"),
            "languages are chosen in the browser"
        );
    }

    #[test]
    fn every_static_import_is_a_file_of_the_client() {
        let modules = static_imports(ENTRY);
        assert!(modules.len() > 10, "{modules:?}");
        for module in &modules {
            assert!(asset(module).is_some(), "{module} does not exist");
        }
        assert_eq!(
            import_specifiers(
                "import { a,\n  b } from './x.js';\nimport * as y from \"../y.js\";\nimport './z.js';\nconst c = import('./lazy.js');"
            ),
            ["./x.js", "../y.js", "./z.js"]
        );
        assert_eq!(resolve("src/pages", "../api.js").as_deref(), Some("src/api.js"));
        assert_eq!(resolve("src", "../../etc/passwd"), None);
    }

    #[test]
    fn versioned_paths_name_the_same_files() {
        let current = format!("v-{}/src/main.js", version());
        assert_eq!(unversioned(&current), ("src/main.js", true));
        assert_eq!(unversioned("v-000000000000/src/main.js"), ("src/main.js", false));
        assert_eq!(unversioned("src/main.js"), ("src/main.js", false));
        assert_eq!(version().len(), 12);
    }

    #[test]
    fn ships_english_and_simplified_chinese() {
        assert_eq!(locale_names(), ["English", "简体中文"]);
        let tags = locales();
        assert!(tags.contains(&"en".to_owned()), "{tags:?}");
        assert!(tags.contains(&"zh-CN".to_owned()), "{tags:?}");
    }
}
