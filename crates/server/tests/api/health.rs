use crate::helpers::TestApp;

#[test]
fn health_reports_a_reachable_database() {
    let app = TestApp::spawn();
    let body = app.get("/health").assert_ok();
    assert_eq!(body, serde_json::json!({"status": "ok", "database": "ok"}));
    assert_eq!(
        app.get("/health/").status,
        200,
        "the trailing slash answers directly"
    );
}
