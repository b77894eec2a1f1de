//! What the HTTP layer answers when storage is down: a stub storage behind the real routes.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use actix_web::test;
use plaza_app::live::InProcessBus;
use plaza_app::{
    BcryptHasher, Hub, JwtTokenCodec, Ports, ReencodedAvatars, Services, StreamLimits, WorkLimit,
};
use plaza_domain::RepoError;
use plaza_domain::Stores;
use plaza_domain::health::StorageHealth;
use plaza_infra_fs::FsAvatarStore;
use plaza_infra_sqlite::{Database, DatabaseConfig};

/// A mail server that is never reached (nothing here sends mail).
struct NoMail;

impl plaza_domain::mail::MailTransport for NoMail {
    fn send(&self, _: &plaza_domain::mail::Mail) -> Result<(), plaza_domain::mail::DeliveryError> {
        Err(plaza_domain::mail::DeliveryError::Retry(
            "no mail server in this test".into(),
        ))
    }
}

/// Storage that cannot be reached.
struct Unreachable;

impl StorageHealth for Unreachable {
    fn ping(&self) -> Result<(), RepoError> {
        Err(RepoError::Unavailable("disk detached".into()))
    }
}

#[actix_web::test]
async fn health_is_503_in_the_error_shape_when_the_database_does_not_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&DatabaseConfig::new(dir.path().join("p.db"))).unwrap();
    let hub = Hub::new(StreamLimits::default());
    let services = Services::new(Ports {
        stores: Stores {
            health: Arc::new(Unreachable),
            ..db.stores()
        },
        avatars: Arc::new(FsAvatarStore::open(dir.path().join("avatars")).unwrap()),
        avatar_images: Arc::new(ReencodedAvatars::bounded()),
        passwords: Arc::new(BcryptHasher::new(4, WorkLimit::for_this_machine()).unwrap()),
        tokens: Arc::new(JwtTokenCodec::new(&[1u8; 32], 30).unwrap()),
        bus: Arc::new(InProcessBus::new(hub.clone())),
        hub,
        mail: Arc::new(NoMail),
        mail_settings: plaza_app::MailSettings {
            origin: "http://localhost:8001".into(),
            domain: "localhost".into(),
        },
        verified_email: plaza_app::VerifiedEmailRule::default(),
        unsubscribe: plaza_app::UnsubscribeKey::new(&[1u8; 32]),
    });
    let app = test::init_service(plaza_http::app(plaza_http::AppState::new(services))).await;
    let response = test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await;
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["code"], "unavailable");
    assert!(
        !body["detail"].as_str().unwrap().contains("disk detached"),
        "causes stay in the log"
    );
}
