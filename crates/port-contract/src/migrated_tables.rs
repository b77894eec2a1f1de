//! What `migrate-data` copies, held against what an adapter's migrations create: each adapter lists the
//! tables of its freshly migrated database and names the one each [`plaza_domain::transfer::Table`] is
//! kept in, and this says whether every table is copied or left behind with a reason.

/// Panics, naming the table, unless every table in `created` is `copied` or in `not_copied` (with the
/// reason it is left behind), every named table exists, and no table is both.
pub fn every_table_is_copied_or_said_why_not(
    created: &[String],
    copied: &[&str],
    not_copied: &[(&str, &str)],
) {
    let left_behind = |table: &str| not_copied.iter().any(|(name, _)| *name == table);
    for table in created {
        assert!(
            copied.contains(&table.as_str()) || left_behind(table),
            "migrate-data does not copy the table {table}: add it to the transfer \
             (plaza_domain::transfer::Table, export and import) or to NOT_COPIED with the reason"
        );
    }
    for name in copied.iter().chain(not_copied.iter().map(|(name, _)| name)) {
        assert!(
            created.iter().any(|table| table == name),
            "no table {name}: {created:?}"
        );
    }
    for name in copied {
        assert!(!left_behind(name), "{name} is both copied and left behind");
    }
}

#[cfg(test)]
mod tests {
    use super::every_table_is_copied_or_said_why_not;

    fn created(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn every_table_accounted_for_passes() {
        every_table_is_copied_or_said_why_not(
            &created(&["users", "stream_tickets"]),
            &["users"],
            &[("stream_tickets", "single use")],
        );
    }

    #[test]
    #[should_panic(expected = "does not copy the table reports")]
    fn a_table_neither_copied_nor_left_behind_fails() {
        every_table_is_copied_or_said_why_not(&created(&["users", "reports"]), &["users"], &[]);
    }

    #[test]
    #[should_panic(expected = "no table posts")]
    fn a_copied_table_the_migrations_lack_fails() {
        every_table_is_copied_or_said_why_not(&created(&["users"]), &["users", "posts"], &[]);
    }

    #[test]
    #[should_panic(expected = "both copied and left behind")]
    fn a_table_both_copied_and_left_behind_fails() {
        every_table_is_copied_or_said_why_not(&created(&["users"]), &["users"], &[("users", "why")]);
    }
}
