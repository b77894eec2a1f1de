//! The published contract: the committed snapshot of the OpenAPI document, and the route table the
//! router is built from, compared with the document in both directions.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use plaza_http::{openapi, routes};
use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

fn document() -> Value {
    serde_json::from_str(openapi::json()).expect("the generated document is JSON")
}

/// `/users/` and `/users` are one route (the router trims the slash).
fn normalize(path: &str) -> String {
    match path.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

#[test]
fn the_committed_snapshot_is_the_generated_document() {
    let generated = format!("{}\n", openapi::json());
    if std::env::var_os("UPDATE_OPENAPI_SNAPSHOT").is_some() {
        std::fs::write(snapshot_path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(snapshot_path()).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .enumerate()
            .find(|(_, (old, new))| old != new)
            .map(|(line, (old, new))| format!("line {}:\n  committed: {old}\n  generated: {new}", line + 1))
            .unwrap_or_else(|| "one document is a prefix of the other".to_owned());
        panic!(
            "docs/openapi.json is not the document the code generates ({first_difference}).\n\
             If the contract change is intended, review it and run \
             `UPDATE_OPENAPI_SNAPSHOT=1 cargo test -p plaza-http --test openapi`."
        );
    }
}

#[test]
fn the_router_serves_exactly_the_documented_routes_and_methods() {
    let document = document();
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (normalize(path), method.to_ascii_uppercase()))
                .collect::<Vec<_>>()
        })
        .collect();
    let served: BTreeSet<(String, String)> = routes::endpoints()
        .iter()
        .map(|endpoint| (normalize(&endpoint.openapi_path()), endpoint.method.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the document: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in the document but not served: {unserved:?}"
    );
    assert!(
        served.len() > 40,
        "the comparison saw the whole table: {}",
        served.len()
    );
}

#[test]
fn protected_routes_and_only_they_require_a_token() {
    let document = document();
    let public = [
        "POST /token",
        "POST /token/refresh",
        "POST /password-reset",
        "POST /password-reset/confirm",
        "POST /email-verification/confirm",
        "POST /unsubscribe",
        "POST /users/",
        "GET /users/",
        "GET /users/{user_id}",
        "GET /users/{user_id}/events",
        "GET /events/",
        "GET /events/{event_id}",
        "GET /events/{event_id}/overview",
        "GET /events/calendar.ics",
        "GET /events/{event_id}/calendar.ics",
        // The secret in the path is the credential: calendar applications send no token.
        "GET /calendar/{secret}.ics",
        "GET /posts/",
        "GET /posts/{post_id}",
        "GET /comments/{event_id}",
        "GET /events/{event_id}/comments/{comment_id}",
        "GET /modlog",
        "GET /avatars/{name}",
        "GET /images/{name}",
        "GET /health",
        "GET /livez",
        "GET /readyz",
        "GET /openapi.json",
        "GET /docs",
        "GET /docs/{path}",
        "GET /",
        "GET /app/{path}",
    ];
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS.iter().filter(|method| item.get(**method).is_some()) {
            let operation = &item[*method];
            let name = format!("{} {path}", method.to_ascii_uppercase());
            let requirements = operation["security"].as_array().cloned().unwrap_or_default();
            let head_of_public = *method == "head" && public.contains(&format!("GET {path}").as_str());
            if public.contains(&name.as_str()) || head_of_public {
                let optional = requirements.is_empty()
                    || requirements
                        .iter()
                        .any(|r| r.as_object().is_some_and(|r| r.is_empty()));
                assert!(optional, "{name} is public but its security is {requirements:?}");
            } else {
                assert_eq!(requirements.len(), 2, "{name} needs a token: {requirements:?}");
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{name} documents its 401"
                );
            }
        }
    }
}

#[test]
fn every_error_code_is_an_enum_value_and_lists_carry_their_headers() {
    let document = document();
    let codes = &document["components"]["schemas"]["ErrorCode"]["enum"];
    for code in [
        "validation_failed",
        "not_found",
        "sold_out",
        "rate_limited",
        "method_not_allowed",
    ] {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code),
            "{code}: {codes}"
        );
    }
    for path in [
        "/events/",
        "/posts/",
        "/users/",
        "/comments/{event_id}",
        "/notifications/",
    ] {
        let responses = &document["paths"][path]["get"]["responses"];
        for status in ["200", "204"] {
            assert!(
                responses[status]["headers"].get("X-Total-Count").is_some(),
                "{path} {status}: {}",
                responses[status]
            );
        }
    }
    let notifications = &document["paths"]["/notifications/"]["get"]["responses"];
    assert!(notifications["204"]["headers"].get("X-Unread-Count").is_some());
    assert_eq!(document["openapi"], "3.1.0");
}

fn api_md() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The rows of docs/api.md's "Routes at a glance" table, as (path, method).
fn routes_at_a_glance(api_md: &str) -> BTreeSet<(String, String)> {
    let table = api_md
        .split("## Routes at a glance")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/api.md has a \"Routes at a glance\" section");
    table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .split('|')
                .map(|cell| cell.trim().trim_matches('`'))
                .collect();
            match cells.as_slice() {
                ["", method, path, ..] if path.starts_with('/') => {
                    Some((normalize(path), (*method).to_owned()))
                }
                _ => None,
            }
        })
        .collect()
}

/// A new route is written into docs/api.md too: the table of routes there and the document list the same
/// routes (`HEAD` twins aside, and the files under `/docs/…` and `/app/…`, which the rows of `/docs` and `/`
/// stand for).
#[test]
fn docs_api_md_lists_every_route_of_the_document() {
    let document = document();
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| !matches!(path.as_str(), "/docs/{path}" | "/app/{path}"))
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| **method != "head" && item.get(**method).is_some())
                .map(|method| (normalize(path), method.to_ascii_uppercase()))
                .collect::<Vec<_>>()
        })
        .collect();
    let written = routes_at_a_glance(&api_md());
    let unwritten: Vec<_> = documented.difference(&written).collect();
    let unknown: Vec<_> = written.difference(&documented).collect();
    assert!(
        unwritten.is_empty(),
        "in the document but not in docs/api.md's routes at a glance: {unwritten:?}"
    );
    assert!(
        unknown.is_empty(),
        "in docs/api.md's routes at a glance but not in the document: {unknown:?}"
    );
    assert!(written.len() > 25, "the table was read whole: {}", written.len());
}

#[test]
fn the_routes_at_a_glance_reader_sees_rows_and_skips_the_header() {
    let sample = "## Routes at a glance\n\n| method | path | auth |\n|---|---|---|\n\
                  | `GET` | `/events/` | public |\n| `POST` | `/token` | public |\n\n## Next\n| `PUT` | `/x` | |\n";
    let rows = routes_at_a_glance(sample);
    let expected: BTreeSet<(String, String)> = [("/events", "GET"), ("/token", "POST")]
        .into_iter()
        .map(|(path, method)| (path.to_owned(), method.to_owned()))
        .collect();
    assert_eq!(rows, expected);
}

/// The operation id of every handler under `crates/http/src` that carries a `#[utoipa::path]`: its
/// `operation_id`, or its function's name (utoipa's default).
fn annotated_handlers() -> BTreeSet<String> {
    let source_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(&source_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let mut lines = source.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if !line.starts_with("#[utoipa::path(") {
                continue;
            }
            let mut operation_id = None;
            for line in lines.by_ref() {
                if let Some(id) = line.strip_prefix("operation_id = \"") {
                    operation_id = id.split('"').next().map(str::to_owned);
                }
                let function = line
                    .split_once("fn ")
                    .filter(|(before, _)| matches!(before.trim(), "pub async" | "pub" | "async" | ""));
                if let Some((_, rest)) = function {
                    let name = rest.split(['(', '<']).next().unwrap().trim().to_owned();
                    ids.insert(operation_id.take().unwrap_or(name));
                    break;
                }
            }
        }
    }
    ids
}

/// A handler written with its `#[utoipa::path]` but left out of the route table would be neither served
/// nor documented; this finds it.
#[test]
fn every_annotated_handler_is_in_the_route_table() {
    let document = document();
    let registered: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| {
            METHODS
                .iter()
                .filter(|method| **method != "head")
                .filter_map(|method| item.get(*method)?["operationId"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect();
    let annotated = annotated_handlers();
    let unregistered: Vec<_> = annotated.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "handlers with #[utoipa::path] missing from routes::endpoints(): {unregistered:?}"
    );
    assert_eq!(
        annotated.len(),
        registered.len(),
        "the scan found every handler: {annotated:?}"
    );
}
