//! Writing the tickets a sale makes: a purchase's, and a filled waitlist entry's.

use diesel::RunQueryDsl;
use diesel::sql_types::{Array, BigInt, Text, Timestamp};
use plaza_domain::ticket::Sale;

use crate::db::Conn;
use crate::error::StoreError;

/// Stores `sale`'s tickets, active and held by its buyer, in one statement: inside the purchase's
/// transaction, after its count was taken.
pub(crate) fn issue(conn: &mut Conn, sale: &Sale) -> Result<(), StoreError> {
    let codes: Vec<&str> = sale.codes.iter().map(|code| code.as_str()).collect();
    diesel::sql_query(
        "INSERT INTO tickets (event_id, holder_id, code, created_at) \
         SELECT $1, $2, code, $4 FROM unnest($3::text[]) WITH ORDINALITY AS sold (code, n) ORDER BY n",
    )
    .bind::<BigInt, _>(sale.event.get())
    .bind::<BigInt, _>(sale.holder.get())
    .bind::<Array<Text>, _>(codes)
    .bind::<Timestamp, _>(sale.now.naive_utc())
    .execute(conn)?;
    Ok(())
}
