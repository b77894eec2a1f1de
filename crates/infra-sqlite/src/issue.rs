//! Writing the tickets a sale makes: a purchase's, and a filled waitlist entry's.

use diesel::RunQueryDsl;
use plaza_domain::ticket::Sale;

use crate::conn::Conn;
use crate::error::StoreError;
use crate::sql::Sql;

/// Stores `sale`'s tickets, active and held by its buyer: inside the purchase's transaction, after its
/// count was taken.
pub(crate) fn issue(conn: &mut Conn, sale: &Sale) -> Result<(), StoreError> {
    let now = sale.now.naive_utc();
    for code in &sale.codes {
        Sql::new("INSERT INTO tickets (event_id, holder_id, code, created_at) VALUES (?, ?, ?, ?)")
            .int(sale.event.get())
            .int(sale.holder.get())
            .text(code.as_str())
            .timestamp(now)
            .execute(conn)?;
    }
    Ok(())
}
