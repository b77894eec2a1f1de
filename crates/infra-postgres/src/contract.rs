//! The ports' contract (crates/port-contract) against PostgreSQL, each test on a database of its own.

use std::time::Duration;

use plaza_port_contract::{FreshStore, contract_tests};

use crate::{Database, PgConfig};

fn fresh() -> Option<FreshStore> {
    let url = crate::testing::fresh_database()?;
    let db = Database::open(&PgConfig {
        url,
        pool_size: 10,
        connection_timeout: Duration::from_secs(10),
    })
    .unwrap_or_else(|error| panic!("opening the test database: {error}"));
    Some(FreshStore {
        stores: db.stores(),
        keep_alive: Box::new(()),
    })
}

contract_tests!(fresh);
