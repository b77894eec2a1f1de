//! Plaza's web client. The files under `client/` — plain HTML, CSS and JavaScript modules, and the bundle
//! `bundler/` makes of them (`client/dist/`) — are embedded into the binary by `rust-embed`: a release
//! binary serves them with no file beside it, while a debug build reads them from disk at each request,
//! so a browser reload shows an edit at once.
//!
//! This crate hands out the files and fills in the page (with the bundle written in while it matches the
//! sources); the HTTP adapter decides how they are served.

use std::borrow::Cow;
use std::sync::OnceLock;

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
    match path {
        // The page is served only as `index()`, with its placeholders filled in, and the boot script only
        // inside it.
        INDEX | BOOT => None,
        SERVICE_WORKER => service_worker(),
        _ => file(path),
    }
}

/// The service worker's script, with this build's version written in: a new release is a new worker.
fn service_worker() -> Option<Asset> {
    let script = file(SERVICE_WORKER)?;
    let text = String::from_utf8_lossy(&script.bytes).replace(VERSION_PLACEHOLDER, &version());
    Some(filled(text, script.content_type))
}

/// An asset made from a file with its placeholders filled; its validator is the digest of what is served.
fn filled(text: String, content_type: String) -> Asset {
    use sha2::Digest;
    Asset {
        etag: etag_of(&sha2::Sha256::digest(text.as_bytes())),
        bytes: Cow::Owned(text.into_bytes()),
        content_type,
    }
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

/// The client's page: the languages it ships written into its `plaza-locales` meta tag (listing them
/// costs no request), its files named under this build's [`asset_prefix`], the boot script
/// ([`boot_script`]) written in, and the client's code and styles. When the bundle is built from the
/// current sources ([`bundle_is_current`]), both are written into the page too: a first visit gets
/// everything the first screen needs in one answer, while the link would otherwise sit idle waiting for
/// the next round trip (a service worker keeps the page for later visits). Without a current bundle, the
/// page names the modules, with a `modulepreload` link for every module the first render needs. Its
/// validator is the digest of the page as served, so any change of the client changes it.
pub fn index() -> Option<Asset> {
    static PAGE: OnceLock<Option<Asset>> = OnceLock::new();
    once_per_build(&PAGE, || page(bundle().as_ref()))
}

/// Every inline script and style of [`index`] as Content-Security-Policy sources (`'sha256-…'`,
/// space-separated): the only inline code the page may run.
pub fn inline_sources() -> InlineSources {
    static SOURCES: OnceLock<InlineSources> = OnceLock::new();
    once_per_build(&SOURCES, compute_inline_sources)
}

fn compute_inline_sources() -> InlineSources {
    let mut scripts = vec![hash_source(&boot_script())];
    let mut styles = Vec::new();
    if let Some(bundle) = bundle() {
        scripts.push(hash_source(&bundle.script));
        styles.push(hash_source(&bundle.style));
    }
    InlineSources {
        scripts: scripts.join(" "),
        styles: styles.join(" "),
    }
}

/// What [`inline_sources`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineSources {
    /// For `script-src`.
    pub scripts: String,
    /// For `style-src` (empty when the page has no inline style).
    pub styles: String,
}

/// The page, with the bundle written in or (`None`) naming the modules.
fn page(bundle: Option<&Bundle>) -> Option<Asset> {
    let page = file(INDEX)?;
    let prefix = asset_prefix();
    let (style, code) = match bundle {
        Some(bundle) => (
            format!("<style>{}</style>", bundle.style),
            format!("<script type=\"module\">{}</script>", bundle.script),
        ),
        None => {
            let preload: String = static_imports(ENTRY)
                .iter()
                .map(|module| format!("  <link rel=\"modulepreload\" href=\"{prefix}/{module}\">\n"))
                .collect();
            (
                format!("<link rel=\"stylesheet\" href=\"{prefix}/{STYLE}\">"),
                format!(
                    "{}\n  <script type=\"module\" src=\"{prefix}/{ENTRY}\"></script>",
                    preload.trim()
                ),
            )
        }
    };
    // The bundle goes in last: nothing in it is taken for a placeholder.
    let html = String::from_utf8_lossy(&page.bytes)
        .replace(BOOT_PLACEHOLDER, &boot_script())
        .replace(LOCALE_NAMES_PLACEHOLDER, &locale_names().join(","))
        .replace(LOCALES_PLACEHOLDER, &locales().join(","))
        .replace(ASSETS_PLACEHOLDER, &prefix);
    let html = html
        .replacen(STYLE_PLACEHOLDER, &style, 1)
        .replacen(CODE_PLACEHOLDER, &code, 1);
    Some(filled(html, page.content_type))
}

/// The script the page runs first, inline (`boot.js`): it picks the language and starts the first
/// screen's reads while the client's code loads. Empty if the file is missing.
pub fn boot_script() -> String {
    file(BOOT)
        .map(|script| String::from_utf8_lossy(&script.bytes).trim_end().to_owned())
        .unwrap_or_default()
}

/// `text`'s Content-Security-Policy hash source.
fn hash_source(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The client in two files made by `crates/web/bundler`: its code and its styles.
#[derive(Debug, Clone)]
struct Bundle {
    script: String,
    style: String,
}

/// The bundle, when it was built from the sources as they are (the first line of each file names the
/// [`sources_digest`] it was built from) and can be written into the page as it is. A stale bundle is
/// never served: the page falls back to the modules, so an edit shows at once in development, and a test
/// keeps a release from shipping one.
fn bundle() -> Option<Bundle> {
    let digest = sources_digest();
    let read = |path: &str, header: &str| {
        let file = file(path)?;
        let text = String::from_utf8_lossy(&file.bytes).into_owned();
        let (first, rest) = text.split_once('\n')?;
        let built_from = first.strip_prefix(header)?.trim_end_matches(" */").trim();
        (built_from == digest).then(|| rest.to_owned())
    };
    let bundle = Bundle {
        script: read(SCRIPT_BUNDLE, "// plaza-bundle sources=")?,
        style: read(STYLE_BUNDLE, "/* plaza-bundle sources=")?,
    };
    // Text that would end the element early, or change how the HTML parser reads a script, stays out.
    let lower = |text: &str| text.to_ascii_lowercase();
    let script = lower(&bundle.script);
    let safe =
        !script.contains("</script") && !script.contains("<!--") && !lower(&bundle.style).contains("</style");
    safe.then_some(bundle)
}

/// Whether the page carries the bundle (see [`bundle`]).
pub fn bundle_is_current() -> bool {
    bundle().is_some()
}

/// A digest of the sources the bundle is made of (every file under `src/` and `assets/`, names and
/// contents): SHA-256 over each path in byte order followed by the SHA-256 of its content, in hex. The
/// bundler computes the same.
pub fn sources_digest() -> String {
    hex(&files_digest(|path| {
        SOURCES.iter().any(|folder| path.starts_with(folder))
    }))
}

/// SHA-256 over the path and content digest of each file of the client `wanted` keeps, in path order.
fn files_digest(wanted: impl Fn(&str) -> bool) -> Vec<u8> {
    use sha2::Digest;
    let mut paths: Vec<_> = Client::iter().filter(|path| wanted(path)).collect();
    paths.sort();
    let mut digest = sha2::Sha256::new();
    for path in paths {
        if let Some(file) = Client::get(&path) {
            digest.update(path.as_bytes());
            digest.update(file.metadata.sha256_hash());
        }
    }
    digest.finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Stands in `index.html` for the list of languages.
const LOCALES_PLACEHOLDER: &str = "%PLAZA_LOCALES%";
/// Stands in `index.html` for each language's own name, in the order of the list.
const LOCALE_NAMES_PLACEHOLDER: &str = "%PLAZA_LOCALE_NAMES%";
/// Stands in `index.html` for where the files are served from ([`asset_prefix`]).
const ASSETS_PLACEHOLDER: &str = "%PLAZA_ASSETS%";
/// Stands in `index.html` for the boot script.
const BOOT_PLACEHOLDER: &str = "%PLAZA_BOOT%";
/// Stands in `index.html` for the styles: the bundle's, or a link to the stylesheet.
const STYLE_PLACEHOLDER: &str = "%PLAZA_STYLE%";
/// Stands in `index.html` for the code: the bundle, or the first module and its preload links.
const CODE_PLACEHOLDER: &str = "%PLAZA_CODE%";
/// Stands in `sw.js` for this build's version.
const VERSION_PLACEHOLDER: &str = "%PLAZA_VERSION%";
/// The module the page starts.
const ENTRY: &str = "src/main.js";
/// The stylesheet.
const STYLE: &str = "assets/style.css";
/// Where the bundle's sources live.
const SOURCES: [&str; 2] = ["src/", "assets/"];
/// The client's code in one module, made from [`ENTRY`] by `crates/web/bundler`.
const SCRIPT_BUNDLE: &str = "dist/plaza.js";
/// The client's styles in one sheet, made from [`STYLE`] by `crates/web/bundler`.
const STYLE_BUNDLE: &str = "dist/plaza.css";
/// The inline script the page starts with.
const BOOT: &str = "boot.js";
/// The service worker, served as `/app/sw.js` for the whole site.
pub const SERVICE_WORKER: &str = "sw.js";

/// A digest of every file of the client (names and contents), 12 hex digits: it changes whenever any file
/// does. A release binary computes it once; a debug build, which reads the files from disk, at each call.
pub fn version() -> String {
    static VERSION: OnceLock<String> = OnceLock::new();
    once_per_build(&VERSION, || hex(&files_digest(|_| true)[..6]))
}

/// `compute`'s answer, kept in `cell` by a release binary, whose files are built in; a debug build reads
/// them from disk, so it computes again at each call and shows an edit at once.
fn once_per_build<T: Clone>(cell: &OnceLock<T>, compute: impl FnOnce() -> T) -> T {
    if cfg!(debug_assertions) {
        return compute();
    }
    cell.get_or_init(compute).clone()
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
    fn the_page_names_its_files_under_the_version_and_preloads_what_main_imports_without_a_bundle() {
        let html = String::from_utf8(page(None).unwrap().bytes.into_owned()).unwrap();
        let prefix = asset_prefix();
        assert!(!html.contains('%'), "every placeholder filled: {html}");
        assert!(html.contains(&format!("src=\"{prefix}/src/main.js\"")), "{html}");
        assert!(
            html.contains(&format!(
                "<link rel=\"stylesheet\" href=\"{prefix}/assets/style.css\">"
            )),
            "{html}"
        );
        assert!(html.contains(&format!("<meta name=\"plaza-assets\" content=\"{prefix}\">")));
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
    fn the_bundle_is_built_from_the_current_sources_and_written_into_the_page() {
        let bundle = bundle().unwrap_or_else(|| {
            panic!(
                "client/dist/ was not built from the sources as they are ({}): run \
                 `npm ci --prefix crates/web/bundler && npm run bundle --prefix crates/web/bundler`",
                sources_digest()
            )
        });
        assert!(bundle.script.len() > 10_000 && bundle.style.len() > 1_000);
        let html = String::from_utf8(index().unwrap().bytes.into_owned()).unwrap();
        assert!(html.contains(&format!("<script type=\"module\">{}</script>", bundle.script)));
        assert!(html.contains(&format!("<style>{}</style>", bundle.style)));
        assert!(
            !html.contains("<link rel=\"modulepreload\""),
            "nothing to preload: {}",
            &html[..2000]
        );
        assert!(!html.contains("plaza-bundle"), "the digests stay out of the page");
        let sources = inline_sources();
        assert_eq!(sources.scripts.split(' ').count(), 2, "{sources:?}");
        assert_eq!(sources.styles, hash_source(&bundle.style));
        assert!(sources.scripts.contains(&hash_source(&bundle.script)));
    }

    #[test]
    fn the_boot_script_is_written_into_the_page_and_allowed_by_its_hash() {
        let html = String::from_utf8(index().unwrap().bytes.into_owned()).unwrap();
        let boot = boot_script();
        assert!(boot.contains("plazaBoot"), "{boot}");
        assert!(html.contains(&format!("<script>{boot}</script>")), "{html}");
        assert!(
            !boot.contains("</script"),
            "the script cannot end the element early"
        );
        let source = hash_source(&boot);
        assert!(
            source.starts_with("'sha256-") && source.ends_with('\'') && source.len() == 53,
            "{source}"
        );
        assert!(inline_sources().scripts.starts_with(&source));
        assert!(asset(BOOT).is_none(), "served only inside the page");
    }

    #[test]
    fn the_service_worker_carries_the_version() {
        let worker = asset(SERVICE_WORKER).expect("the client has a service worker");
        let text = String::from_utf8(worker.bytes.into_owned()).unwrap();
        assert!(text.contains(&format!("'{}'", version())), "{text}");
        assert!(!text.contains('%'), "{text}");
        assert!(
            worker.content_type.starts_with("text/javascript"),
            "{}",
            worker.content_type
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
