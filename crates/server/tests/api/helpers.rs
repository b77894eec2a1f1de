//! `TestApp`: a running Plaza on a temporary database, and a small HTTP client for it.

use std::collections::HashMap;
use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use plaza::Config;
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    client: Client,
    pub config: Config,
    pub handle: ServerHandle,
    pub lifecycle: std::sync::Arc<plaza_http::Lifecycle>,
    _dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is not JSON ({error}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// Asserts the status and the contract's error shape with `code`; returns the body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
        assert_eq!(
            body.get("errors").is_some(),
            code == "validation_failed",
            "{body}"
        );
        body
    }

    /// Asserts a `400 validation_failed` that names `field`.
    #[track_caller]
    pub fn assert_invalid(&self, field: &str) -> Value {
        let body = self.assert_error(400, "validation_failed");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "expected {field} among {fields:?}");
        body
    }

    #[track_caller]
    pub fn assert_ok(&self) -> Value {
        assert_eq!(self.status, 200, "body: {}", String::from_utf8_lossy(&self.body));
        self.json()
    }
}

/// Points `config` at a fresh PostgreSQL database (the throw-away cluster of the tests). Without
/// PostgreSQL here the tests stay on SQLite, after one line saying the PostgreSQL run was skipped (under CI
/// that fails instead).
fn on_postgres(config: &mut Config) {
    if let Some(url) = plaza_infra_postgres::testing::fresh_database() {
        config.database_url = url;
        config.jwt_secret = Some(secrecy::SecretString::from(
            "a-test-secret-shared-by-every-instance-0123",
        ));
    }
}

impl TestApp {
    pub fn spawn() -> Self {
        Self::spawn_with(|_| {})
    }

    /// Starts a server whose configuration `adjust` may change first.
    pub fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::in_dir(dir.path(), 4);
        config.port = 0;
        config.workers = Some(2);
        // Tests drive many requests from one address; the tests of the limits turn them back on.
        config.rate_limit_per_second = 0;
        config.rate_limit_auth_per_minute = 0;
        config.shutdown_drain_secs = 0;
        if crate::ON_POSTGRES {
            on_postgres(&mut config);
        }
        adjust(&mut config);
        let server_config = config.clone();
        let (ready, started) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let running = plaza::server(&server_config).expect("test server starts");
                ready
                    .send((running.port, running.server.handle(), running.lifecycle.clone()))
                    .unwrap();
                if let Some((redirect, _)) = running.redirect {
                    actix_web::rt::spawn(redirect);
                }
                let _ = running.server.await;
                drop(running.lock);
            })
        });
        let (port, handle, lifecycle) = started.recv().expect("test server reports its port");
        let scheme = if config.tls_cert_path.is_some() {
            "https"
        } else {
            "http"
        };
        Self {
            client: Client::new(&format!("{scheme}://127.0.0.1:{port}")),
            config,
            handle,
            lifecycle,
            _dir: dir,
        }
    }

    /// Runs `plaza admin ARGS…` (the real binary) on this server's database, as an operator would beside
    /// the running server.
    pub fn plaza_admin(&self, args: &[&str]) -> std::process::Output {
        use secrecy::ExposeSecret;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_plaza"));
        command
            .arg("admin")
            .args(args)
            .args(["--database-url", &self.config.database_url])
            .arg("--avatar-dir")
            .arg(&self.config.avatar_dir)
            .env("LOG_LEVEL", "warn")
            .env_remove("JWT_SECRET");
        if let Some(secret) = &self.config.jwt_secret {
            command.env("JWT_SECRET", secret.expose_secret());
        }
        command.output().expect("plaza admin runs")
    }

    /// Makes `username` an admin from the command line: how a community's first admin is made.
    pub fn make_admin(&self, username: &str) {
        let output = self.plaza_admin(&["set-role", username, "admin"]);
        assert!(
            output.status.success(),
            "plaza admin set-role failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// An HTTP client of one Plaza at `base`: an in-process [`TestApp`] (which derefs to it) or a `plaza`
/// binary the test started.
pub struct Client {
    pub base: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Self {
            base: base.to_owned(),
            agent,
        }
    }

    /// Any request: method, path, headers, raw body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Response {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = match body {
            Some(body) => self.agent.run(request.body(body).unwrap()),
            None => self.agent.run(request.body(()).unwrap()),
        }
        .unwrap_or_else(|error| panic!("{method} {path} failed: {error}"));
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        Response {
            status: response.status().as_u16(),
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], None)
    }

    pub fn get_as(&self, token: &str, path: &str) -> Response {
        let auth = format!("Bearer {token}");
        self.request("GET", path, &[("Authorization", &auth)], None)
    }

    /// A JSON request, with a bearer token when one is given.
    pub fn send_json(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Response {
        let auth = token.map(|token| format!("Bearer {token}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth));
        }
        self.request(method, path, &headers, Some(serde_json::to_vec(body).unwrap()))
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json("POST", path, token, body)
    }

    /// A request with a bearer token and no body.
    pub fn call_as(&self, method: &str, token: &str, path: &str) -> Response {
        let auth = format!("Bearer {token}");
        self.request(method, path, &[("Authorization", &auth)], None)
    }

    pub fn register(&self, username: &str) -> Value {
        let body =
            json!({"username": username, "email": format!("{username}@example.org"), "password": PASSWORD});
        self.post_json("/users/", None, &body).assert_ok()
    }

    pub fn login(&self, username: &str, password: &str) -> Response {
        let form = format!("username={username}&password={password}");
        self.request(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(form.into_bytes()),
        )
    }

    /// Registers `username` and logs in: the user's id and a token.
    pub fn user(&self, username: &str) -> (i64, String) {
        let id = self.register(username)["id"].as_i64().unwrap();
        let token = self.login(username, PASSWORD).assert_ok()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, token)
    }

    /// Creates an event: `overrides` replace fields of a valid default.
    pub fn create_event(&self, token: &str, overrides: Value) -> Value {
        let response = self.post_json("/events/", Some(token), &event_body(overrides));
        response.assert_ok()
    }
}

impl std::ops::Deref for TestApp {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

/// A valid event body with `overrides` applied.
pub fn event_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Rust meetup",
        "event_time": "2036-12-01T18:00:00Z",
        "description": "Talks and pizza",
        "duration_hours": 2,
        "duration_minutes": 30,
        "max_tickets": 50
    });
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the server thread ends on its own.
        drop(self.handle.stop(false));
    }
}
