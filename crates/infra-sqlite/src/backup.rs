//! Consistent copies of the live database, and checking a copy before it is trusted.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::{Database, OpenError, create_private_dir, create_private_file, read_only_uri};

/// What a backup holds, as read back from the copy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// Rows per table, in a fixed order.
    pub rows: Vec<(&'static str, i64)>,
}

/// The tables a report counts.
const TABLES: [&str; 6] = [
    "users",
    "events",
    "posts",
    "comments",
    "notifications",
    "event_participants",
];

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; a backup never overwrites a file")]
    Exists(PathBuf),
    #[error("cannot create the backup's directory {path}: {source}")]
    Directory { path: PathBuf, source: std::io::Error },
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: diesel::ConnectionError,
    },
    #[error("{path} failed its integrity check: {problems}")]
    Corrupt { path: PathBuf, problems: String },
    #[error("SQLite refused: {0}")]
    Sqlite(#[from] diesel::result::Error),
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot create {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Database(#[from] OpenError),
}

impl Database {
    /// Writes a consistent copy of the database to `target` with `VACUUM INTO`, on a connection of its
    /// own: it reads one snapshot while writers go on (WAL), streams pages rather than loading the
    /// database into memory, and never overwrites a file. The copy is private to the owner (mode 0600,
    /// and 0700 for a folder made for it), like the database. It is then checked (see [`verify`]).
    pub fn backup_into(&self, target: &Path) -> Result<BackupReport, BackupError> {
        if target.exists() {
            return Err(BackupError::Exists(target.to_path_buf()));
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|source| BackupError::Directory {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        // Created empty and private here (`VACUUM INTO` accepts an empty file, and keeps its mode):
        // SQLite itself would create it 0644 less the umask.
        create_private_file(target).map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => BackupError::Exists(target.to_path_buf()),
            _ => BackupError::Create {
                path: target.to_path_buf(),
                source,
            },
        })?;
        if let Err(error) = self.vacuum_into(target) {
            // Nothing but the empty file made above, or a partial copy: neither is a backup.
            let _ = std::fs::remove_file(target);
            return Err(error);
        }
        // A copy that does not check out is no backup either.
        verify(target).inspect_err(|_| {
            let _ = std::fs::remove_file(target);
        })
    }

    fn vacuum_into(&self, target: &Path) -> Result<(), BackupError> {
        let mut conn = self.dedicated_connection()?;
        conn.batch_execute("PRAGMA busy_timeout = 30000;")?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(target.to_string_lossy().into_owned())
            .execute(&mut conn)?;
        Ok(())
    }

    /// Moves everything in the write-ahead log into the database file and empties the log: the file
    /// alone then holds every committed write (done when the server stops).
    pub fn checkpoint(&self) -> Result<(), BackupError> {
        let mut conn = self.dedicated_connection()?;
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

/// Opens `path` on its own, runs `PRAGMA integrity_check`, and counts the rows of each table.
pub fn verify(path: &Path) -> Result<BackupReport, BackupError> {
    let bytes = std::fs::metadata(path)
        .map_err(|source| BackupError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    // A URI, read-only: checking a copy must never change it.
    let url = read_only_uri(path);
    let mut conn = SqliteConnection::establish(&url).map_err(|source| BackupError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let lines: Vec<String> = diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
        .load::<Line>(&mut conn)?
        .into_iter()
        .map(|line| line.line)
        .collect();
    if lines != ["ok"] {
        return Err(BackupError::Corrupt {
            path: path.to_path_buf(),
            problems: lines.join("; "),
        });
    }
    let mut rows = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let count = diesel::sql_query(format!("SELECT count(*) AS count FROM {table}"))
            .get_result::<Count>(&mut conn)?
            .count;
        rows.push((table, count));
    }
    Ok(BackupReport {
        path: path.to_path_buf(),
        bytes,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::temp_db;
    use crate::users::SqliteUserRepository;
    use crate::users::tests::new_user;
    use plaza_domain::user::UserRepository;

    #[test]
    fn a_backup_is_a_checked_copy_that_never_overwrites() {
        let (dir, db) = temp_db();
        let users = SqliteUserRepository::new(db.clone());
        for name in ["alice", "bobby", "carol"] {
            users.create(new_user(name)).unwrap();
        }
        let target = dir.path().join("backups/one.db");
        let report = db.backup_into(&target).unwrap();
        assert_eq!(report.rows[0], ("users", 3));
        assert!(report.bytes > 0);
        assert!(matches!(db.backup_into(&target), Err(BackupError::Exists(_))));
        users.create(new_user("dave")).unwrap();
        assert_eq!(
            verify(&target).unwrap().rows[0],
            ("users", 3),
            "a copy of its moment"
        );
        db.checkpoint().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_backup_and_the_folder_made_for_it_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, db) = temp_db();
        let target = dir.path().join("backups/one.db");
        db.backup_into(&target).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("backups")), 0o700);
        assert_eq!(mode(&target), 0o600);
    }

    #[test]
    fn a_damaged_copy_fails_its_check() {
        let (dir, db) = temp_db();
        let users = SqliteUserRepository::new(db.clone());
        for i in 0..200 {
            users.create(new_user(&format!("user{i}"))).unwrap();
        }
        let target = dir.path().join("copy.db");
        db.backup_into(&target).unwrap();
        let mut bytes = std::fs::read(&target).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle..middle + 4096].fill(0x5a);
        std::fs::write(&target, bytes).unwrap();
        assert!(verify(&target).is_err());
    }
}
