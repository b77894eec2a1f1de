//! Writing the tickets a sale makes: a purchase's, and a filled waitlist entry's.

use diesel::RunQueryDsl;
use plaza_domain::ticket::Sale;

use crate::db::Conn;
use crate::error::StoreError;
use crate::sql::Sql;

/// Stores the tickets of `sales`, active and each held by its sale's buyer, in one statement and in the
/// order given: inside the transaction that took their count.
pub(crate) fn issue(conn: &mut Conn, sales: &[&Sale]) -> Result<(), StoreError> {
    let tickets = sales
        .iter()
        .flat_map(|sale| sale.codes.iter().map(move |code| (sale, code)));
    let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (sale, code) in tickets {
        columns.0.push(sale.event.get());
        columns.1.push(sale.holder.get());
        columns.2.push(code.as_str().to_owned());
        columns.3.push(Some(sale.now.naive_utc()));
    }
    let (events, holders, codes, times) = columns;
    Sql::new(
        "INSERT INTO tickets (event_id, holder_id, code, created_at) \
         SELECT event, holder, code, at \
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamp[]) \
         WITH ORDINALITY AS sold (event, holder, code, at, n) ORDER BY n",
    )
    .ints(events)
    .ints(holders)
    .texts(codes)
    .nullable_timestamps(times)
    .execute(conn)?;
    Ok(())
}
