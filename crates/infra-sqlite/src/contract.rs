//! The ports' contract (crates/port-contract) against SQLite, each test on a temporary file of its own.

use plaza_port_contract::{FreshStore, contract_tests};

fn fresh() -> Option<FreshStore> {
    let (dir, db) = crate::db::tests::temp_db();
    Some(FreshStore {
        stores: db.stores(),
        keep_alive: Box::new(dir),
    })
}

contract_tests!(fresh);
