//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and the DTOs'
//! `ToSchema` derives, served at `/openapi.json` and snapshotted in `docs/openapi.json`.
//!
//! Its paths come from the route table ([`routes::endpoints`]): each entry registers a handler with the
//! router and its `#[utoipa::path]` with this document, so neither can gain a route the other lacks.
//! Routes are not registered by utoipa's route macros: the table keeps one `resource` per path (so a wrong
//! method is `405` with `Allow`).

use std::sync::LazyLock;

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::openapi::{RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorCode, FieldErrorBody};
use crate::live;
use crate::responses::{
    AccountBanned, BadRequest, Forbidden, Internal, NotFound, PayloadTooLarge, RateLimited, RequestTimeout,
    Unauthorized, Unavailable, UnsupportedMediaType,
};
use crate::routes;

/// The OAuth2 password flow against `/token`: Swagger UI's *Authorize* asks for a user name and password.
pub const OAUTH2: &str = "OAuth2PasswordBearer";
/// The same token pasted by hand.
pub const BEARER: &str = "bearerAuth";

/// What the document says besides its paths: the title, the shared components, the tags. [`document`]
/// adds the paths from the route table, then applies [`MODIFIERS`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Plaza",
        description = "A self-hosted backend for a community around events: people register, log in, \
            publish and search events, buy tickets up to capacity, write posts, comment on events, and are \
            notified when someone comments where they take part.\n\nThe human-readable contract, with every \
            rule this document cannot express, is `docs/api.md` in the repository. Paths with a trailing \
            slash answer the same without it. Every `GET` route also answers `HEAD`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(
        schemas(ErrorBody, ErrorCode, FieldErrorBody, live::UnreadEvent, live::EndEvent),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            AccountBanned,
            NotFound,
            PayloadTooLarge,
            UnsupportedMediaType,
            RateLimited,
            Unavailable,
            RequestTimeout,
            Internal
        )
    ),
    tags(
        (name = "auth", description = "Tokens: the OAuth2 password flow"),
        (name = "users", description = "Accounts, profiles and avatars"),
        (name = "events", description = "Events, search and ticket sales"),
        (name = "tickets", description = "The tickets people hold: listing, showing and giving them back"),
        (name = "calendar", description = "Calendar feeds (iCalendar): one event, upcoming events, a private feed"),
        (name = "posts", description = "Posts"),
        (name = "comments", description = "Comments on events; each notifies the people involved"),
        (name = "notifications", description = "The caller's inbox"),
        (name = "moderation", description = "Roles, bans, reports and removals, and the public moderation log"),
        (name = "service", description = "Health, this document, the interactive docs"),
        (name = "web", description = "The web client"),
    )
)]
struct ApiDoc;

/// The two ways to send a token. Protected operations name both (either works); public ones name none.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            OAUTH2,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new("/token", Scopes::new()))],
                "Log in with a user name and password; the token is then sent as `Authorization: Bearer`.",
            )),
        );
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An `access_token` from `POST /token`."))
                    .build(),
            ),
        );
    }
}

/// Answers any route can give: `500` (a bug), `429` (a client over its connection cap), `408` wherever a
/// body is read, `503` wherever storage is involved, and `403 account_banned` wherever a token or a
/// password is checked.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let touches_storage = !is_static(path);
            for operation in operations_mut(item) {
                add_response(operation, "500", "Internal");
                add_response(operation, "429", "RateLimited");
                if operation.request_body.is_some() {
                    add_response(operation, "408", "RequestTimeout");
                }
                if touches_storage {
                    add_response(operation, "503", "Unavailable");
                }
                // Whatever checks a token or a password refuses a banned account.
                if operation.responses.responses.contains_key("401") {
                    add_response(operation, "403", "AccountBanned");
                }
            }
        }
    }
}

/// The web client, Swagger UI and this document are files in the binary.
fn is_static(path: &str) -> bool {
    path == "/"
        || path.starts_with("/app/")
        || path.starts_with("/docs")
        || path == "/openapi.json"
        || path == "/livez"
}

fn add_response(operation: &mut Operation, status: &str, component: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(utoipa::openapi::Ref::from_response_name(component)));
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// A registration needs `password` or `hashed_password`, which a struct's `required` list cannot say.
struct RegistrationNeedsAPassword;

impl Modify for RegistrationNeedsAPassword {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(fields) = components.schemas.remove("RegisterBody") else {
            return;
        };
        let one_of_them = AnyOfBuilder::new()
            .item(ObjectBuilder::new().required("password"))
            .item(ObjectBuilder::new().required("hashed_password"));
        components.schemas.insert(
            "RegisterBody".to_owned(),
            AllOfBuilder::new()
                .description(Some(
                    "A registration: the profile and a password, as `password` or `hashed_password`.",
                ))
                .item(fields)
                .item(one_of_them)
                .into(),
        );
    }
}

/// Every `GET` also answers `HEAD`: the same operation, with the same headers and no body.
struct HeadOperations;

impl Modify for HeadOperations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let Some(get) = item.get.as_ref() else { continue };
            let mut head = get.clone();
            head.operation_id = head.operation_id.map(|id| format!("{id}_head"));
            head.summary = head.summary.map(|summary| format!("{summary} (headers only)"));
            for response in head.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    *response = without_content(response);
                }
            }
            item.head = Some(head);
        }
    }
}

fn without_content(response: &Response) -> Response {
    let mut response = response.clone();
    response.content.clear();
    response
}

/// What annotations cannot say, applied once every path is in, in this order.
const MODIFIERS: [&dyn Modify; 4] = [
    &Security,
    &CommonResponses,
    &HeadOperations,
    &RegistrationNeedsAPassword,
];

/// The document as served: utoipa's, with the paths of every endpoint of the route table and what its
/// types cannot say written in. Each event of `GET /notifications/stream` is described with its own data
/// schema (`contentMediaType` + `contentSchema`, JSON Schema 2020-12 keywords that utoipa's schema types do
/// not carry), so clients and fuzzers can check every event, not only that the stream is text.
pub fn document() -> serde_json::Value {
    let mut openapi = ApiDoc::openapi();
    for endpoint in routes::endpoints() {
        endpoint.document(&mut openapi);
    }
    for modifier in MODIFIERS {
        modifier.modify(&mut openapi);
    }
    let mut document = serde_json::to_value(openapi).unwrap_or_else(
        |error| serde_json::json!({"error": format!("the OpenAPI document cannot be rendered: {error}")}),
    );
    describe_stream_events(&mut document);
    describe_text_rules(&mut document);
    document
}

/// [`document`] as pretty-printed JSON, rendered once: what `GET /openapi.json` serves and
/// `docs/openapi.json` holds.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        serde_json::to_string_pretty(&document()).unwrap_or_else(|error| {
            format!("{{\"error\":\"the OpenAPI document cannot be rendered: {error}\"}}")
        })
    });
    &JSON
}

/// Which body fields follow which character rule (`plaza_domain::text`) or time shape: written into the
/// document as `pattern`s, so that generated clients and fuzzers send what the server accepts.
const TEXT_RULES: &[(&str, &str, &str)] = {
    use plaza_domain::text::{NAME_PATTERN, PROSE_PATTERN, REQUIRED_PROSE_PATTERN};
    const TIME: &str = crate::respond::TIME_PATTERN;
    &[
        ("CreateEventBody", "name", NAME_PATTERN),
        ("CreateEventBody", "event_time", TIME),
        ("CreateEventBody", "description", PROSE_PATTERN),
        ("PatchEventBody", "name", NAME_PATTERN),
        ("PatchEventBody", "event_time", TIME),
        ("PatchEventBody", "description", PROSE_PATTERN),
        ("CreatePostBody", "title", NAME_PATTERN),
        ("CreatePostBody", "content", REQUIRED_PROSE_PATTERN),
        ("PatchPostBody", "title", NAME_PATTERN),
        ("PatchPostBody", "content", REQUIRED_PROSE_PATTERN),
        ("CreateCommentBody", "content", REQUIRED_PROSE_PATTERN),
        ("CreateNotificationBody", "sender", NAME_PATTERN),
        ("CreateNotificationBody", "message", REQUIRED_PROSE_PATTERN),
        ("RegisterBody", "full_name", NAME_PATTERN),
        ("UpdateUserBody", "full_name", NAME_PATTERN),
        ("SetRoleBody", "reason", PROSE_PATTERN),
        ("BanUserBody", "reason", REQUIRED_PROSE_PATTERN),
        ("BanUserBody", "until", TIME),
        ("CreateReportBody", "note", PROSE_PATTERN),
        ("ResolveReportBody", "note", PROSE_PATTERN),
        ("ResolveReportBody", "until", TIME),
    ]
};

fn describe_text_rules(document: &mut serde_json::Value) {
    for (schema, field, pattern) in TEXT_RULES {
        let Some(schema) = document.pointer_mut(&format!("/components/schemas/{schema}")) else {
            continue;
        };
        // A plain object, or (RegisterBody) an `allOf` whose first part holds the fields.
        let property = if schema.get("properties").is_some() {
            schema.pointer_mut(&format!("/properties/{field}"))
        } else {
            schema.pointer_mut(&format!("/allOf/0/properties/{field}"))
        };
        if let Some(property) = property.and_then(serde_json::Value::as_object_mut) {
            property.insert("pattern".to_owned(), serde_json::Value::from(*pattern));
        }
    }
}

fn describe_stream_events(document: &mut serde_json::Value) {
    use serde_json::json;
    let event = |name: &str, data: &str, with_id: bool| {
        let mut properties = json!({
            "event": {"const": name},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": format!("#/components/schemas/{data}")},
            },
            "retry": {"type": "integer", "minimum": 0},
        });
        let mut required = vec!["event", "data"];
        if with_id {
            properties["id"] = json!({"type": "string", "pattern": "^[1-9][0-9]*$"});
            required.push("id");
        }
        json!({
            "type": "object",
            "description": format!("`{name}`: `data` holds a `{data}` as JSON"),
            "required": required,
            "properties": properties,
        })
    };
    let stream_event = json!({
        "description": "One event of the notification stream; `: keep-alive` comments carry no event.",
        "oneOf": [
            event("notification", "NotificationResponse", true),
            event("unread", "UnreadEvent", false),
            event("end", "EndEvent", false),
        ],
    });
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        schemas.insert("StreamEvent".to_owned(), stream_event);
    }
    let reference = json!({"$ref": "#/components/schemas/StreamEvent"});
    for method in ["get", "head"] {
        let pointer = format!(
            "/paths/~1notifications~1stream/{method}/responses/200/content/text~1event-stream/schema"
        );
        if let Some(schema) = document.pointer_mut(&pointer) {
            *schema = reference.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_rule_lands_on_a_field_of_the_document() {
        let document = document();
        for (schema, field, pattern) in TEXT_RULES {
            let schema_value = &document["components"]["schemas"][schema];
            let property = if schema_value.get("properties").is_some() {
                &schema_value["properties"][field]
            } else {
                &schema_value["allOf"][0]["properties"][field]
            };
            assert_eq!(property["pattern"], *pattern, "{schema}.{field}");
        }
    }

    #[test]
    fn each_stream_event_has_its_data_schema() {
        let document = document();
        let events = document["components"]["schemas"]["StreamEvent"]["oneOf"]
            .as_array()
            .expect("StreamEvent is a oneOf");
        let names: Vec<&str> = events
            .iter()
            .map(|event| event["properties"]["event"]["const"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["notification", "unread", "end"]);
        for event in events {
            let reference = event["properties"]["data"]["contentSchema"]["$ref"]
                .as_str()
                .unwrap_or_default();
            let target = reference.trim_start_matches('#');
            assert!(document.pointer(target).is_some(), "{reference} resolves");
        }
        assert_eq!(
            document.pointer(
                "/paths/~1notifications~1stream/get/responses/200/content/text~1event-stream/schema/$ref"
            ),
            Some(&serde_json::json!("#/components/schemas/StreamEvent"))
        );
    }
}
