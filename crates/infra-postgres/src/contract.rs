//! The ports' contract (crates/port-contract) against PostgreSQL, each test on a database of its own.

use std::sync::Arc;
use std::time::Duration;

use plaza_port_contract::{Stores, contract_tests};

use crate::{
    Database, PgCommentRepository, PgConfig, PgEventRepository, PgNotificationRepository, PgPostRepository,
    PgUserRepository,
};

fn fresh() -> Option<Stores> {
    let url = crate::testing::fresh_database()?;
    let db = Database::open(&PgConfig {
        url,
        pool_size: 10,
        connection_timeout: Duration::from_secs(10),
    })
    .unwrap_or_else(|error| panic!("opening the test database: {error}"));
    Some(Stores {
        users: Arc::new(PgUserRepository::new(db.clone())),
        events: Arc::new(PgEventRepository::new(db.clone())),
        posts: Arc::new(PgPostRepository::new(db.clone())),
        comments: Arc::new(PgCommentRepository::new(db.clone())),
        notifications: Arc::new(PgNotificationRepository::new(db.clone())),
        stream_tickets: Arc::new(crate::PgStreamTickets::new(db.clone())),
        health: Arc::new(db),
        keep_alive: Box::new(()),
    })
}

contract_tests!(fresh);
