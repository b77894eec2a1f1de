//! Writing the tickets a sale makes: a purchase's, and a filled waitlist entry's.

use diesel::RunQueryDsl;
use plaza_domain::ticket::Sale;

use crate::db::Conn;
use crate::error::StoreError;
use crate::sql::Sql;

/// Stores `sale`'s tickets, active and held by its buyer, in one statement: inside the purchase's
/// transaction, after its count was taken.
pub(crate) fn issue(conn: &mut Conn, sale: &Sale) -> Result<(), StoreError> {
    let codes: Vec<String> = sale.codes.iter().map(|code| code.as_str().to_owned()).collect();
    Sql::new(
        "INSERT INTO tickets (event_id, holder_id, code, created_at) \
         SELECT $1, $2, code, $4 FROM unnest($3::text[]) WITH ORDINALITY AS sold (code, n) ORDER BY n",
    )
    .int(sale.event.get())
    .int(sale.holder.get())
    .texts(codes)
    .timestamp(sale.now.naive_utc())
    .execute(conn)?;
    Ok(())
}
