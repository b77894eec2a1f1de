//! The ports' contract (crates/port-contract) against SQLite, each test on a temporary file of its own.

use std::sync::Arc;

use plaza_port_contract::{Stores, contract_tests};

use crate::{
    SqliteCommentRepository, SqliteEventRepository, SqliteNotificationRepository, SqlitePostRepository,
    SqliteUserRepository,
};

fn fresh() -> Option<Stores> {
    let (dir, db) = crate::db::tests::temp_db();
    Some(Stores {
        users: Arc::new(SqliteUserRepository::new(db.clone())),
        events: Arc::new(SqliteEventRepository::new(db.clone())),
        posts: Arc::new(SqlitePostRepository::new(db.clone())),
        comments: Arc::new(SqliteCommentRepository::new(db.clone())),
        notifications: Arc::new(SqliteNotificationRepository::new(db.clone())),
        stream_tickets: Arc::new(crate::SqliteStreamTickets::new(db.clone())),
        health: Arc::new(db),
        keep_alive: Box::new(dir),
    })
}

contract_tests!(fresh);
