//! Backups and restores of a whole Plaza: the database (a consistent copy, see
//! `plaza_infra_sqlite::Database::backup_into`), the avatars, and the generated JWT secret.
//!
//! A backup `NAME.db` is three things side by side: `NAME.db` (mode 0600), the directory `NAME.db.avatars/`,
//! and `NAME.db.jwt_secret` (mode 0600, only when the secret is generated rather than set in `JWT_SECRET`).
//!
//! What holds accounts and messages is private to the owner whatever the umask: the database and a
//! backup or restored copy of it are created 0600, and the folders Plaza creates for them 0700.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use plaza_infra_sqlite::{BackupReport, Database, verify_backup};

use crate::config::Config;
use crate::private_dir::create_private_dir;

/// The avatars of backup `db`.
pub fn avatars_of(db: &Path) -> PathBuf {
    with_suffix(db, ".avatars")
}

/// The JWT secret of backup `db`.
pub fn secret_of(db: &Path) -> PathBuf {
    with_suffix(db, ".jwt_secret")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes a backup of the live Plaza to `target` (see the module documentation) and reports what the
/// copy holds. The server may keep running and writing meanwhile.
/// A backup that fails (a full disk, say) leaves nothing behind: no part of it could be taken for a
/// backup, or counted as one when old ones are rotated away.
pub fn backup(database: &Database, config: &Config, target: &Path) -> anyhow::Result<BackupReport> {
    let report = database
        .backup_into(target)
        .with_context(|| format!("backing up the database to {}", target.display()))?;
    let rest = copy_dir(&config.avatar_dir, &avatars_of(target))
        .context("backing up the avatars")
        .and_then(|()| {
            let secret = config.secret_file();
            if config.jwt_secret.is_none() && secret.exists() {
                copy_private(&secret, &secret_of(target)).context("backing up the JWT secret")?;
            }
            Ok(())
        });
    if let Err(error) = rest {
        let _ = fs::remove_file(target);
        let _ = fs::remove_dir_all(avatars_of(target));
        let _ = fs::remove_file(secret_of(target));
        return Err(error);
    }
    Ok(report)
}

/// Copies every regular file of `from` into a new directory `to` (avatars are written once and never
/// change, so a copy of each file is a copy of the directory).
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let Ok(entries) = fs::read_dir(from) else {
        return Ok(()); // no avatars yet
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_file() && !entry.file_name().to_string_lossy().starts_with('.') {
            fs::copy(entry.path(), to.join(entry.file_name()))
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Copies `from` to `to` (replacing it), readable by the owner only from the first byte written: mode
/// 0600 whatever the umask and whatever the mode of `from` or of a file `to` already was.
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut source = fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut copy = options
        .open(to)
        .with_context(|| format!("cannot write {}", to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        copy.set_permissions(fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", to.display()))?;
    }
    std::io::copy(&mut source, &mut copy)
        .and_then(|_| copy.sync_all())
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Restores backup `source` into the configured (stopped) data directory: checks the copy, then replaces
/// the database, its avatars and (when the backup has one) the generated secret. Refuses while a server
/// holds the database.
pub fn restore(config: &Config, source: &Path) -> anyhow::Result<BackupReport> {
    let report = verify_backup(source).with_context(|| format!("checking {}", source.display()))?;
    let database = config.database()?.path;
    let _lock = DataLock::acquire(&database).context("restoring")?;
    if let Some(dir) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Written beside, then renamed over: a crash mid-copy leaves the old database whole.
    let partial = with_suffix(&database, ".restoring");
    copy_private(source, &partial)?;
    for stale in [with_suffix(&database, "-wal"), with_suffix(&database, "-shm")] {
        match fs::remove_file(&stale) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("cannot remove {}", stale.display()));
            }
            _ => {}
        }
    }
    fs::rename(&partial, &database).with_context(|| format!("cannot replace {}", database.display()))?;
    let avatars = avatars_of(source);
    if avatars.is_dir() {
        if config.avatar_dir.exists() {
            fs::remove_dir_all(&config.avatar_dir)
                .with_context(|| format!("cannot clear {}", config.avatar_dir.display()))?;
        }
        copy_dir(&avatars, &config.avatar_dir).context("restoring the avatars")?;
    }
    let secret = secret_of(source);
    if secret.exists() {
        copy_private(&secret, &config.secret_file()).context("restoring the JWT secret")?;
    }
    Ok(report)
}

/// Held by a serving Plaza for as long as it runs: a second server on the same database, or a restore
/// under a running one, is refused.
#[derive(Debug)]
pub struct DataLock {
    _file: fs::File,
}

/// How many more times a busy data lock is tried, `LOCK_RETRY` apart (see [`DataLock::acquire`]).
const LOCK_ATTEMPTS: u32 = 20;
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(50);

impl DataLock {
    pub fn acquire(database: &Path) -> anyhow::Result<Self> {
        let path = with_suffix(database, ".lock");
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        // A lock just released can still be held for an instant: a process that started a child while it
        // held the lock shares the lock's descriptor with that child until the child's program starts
        // (and closes it). So a busy lock is tried again for a moment before another process is blamed;
        // a server that holds it holds it for much longer.
        let mut attempts = 0;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(fs::TryLockError::WouldBlock) if attempts < LOCK_ATTEMPTS => {
                    attempts += 1;
                    std::thread::sleep(LOCK_RETRY);
                }
                Err(fs::TryLockError::WouldBlock) => bail!(
                    "another Plaza process is using {} (it holds {}); stop it first",
                    database.display(),
                    path.display()
                ),
                Err(fs::TryLockError::Error(error)) => {
                    return Err(error).with_context(|| format!("cannot lock {}", path.display()));
                }
            }
        }
    }
}

/// Writes a backup into `config.backup_dir()` every `config.backup_interval_minutes`, keeping the newest
/// `config.backup_keep`; runs on a thread of its own, so requests never wait for it.
pub fn schedule(database: Database, config: Config) -> Option<std::thread::JoinHandle<()>> {
    if config.backup_interval_minutes == 0 {
        return None;
    }
    let every = Duration::from_secs(config.backup_interval_minutes * 60);
    let spawned = std::thread::Builder::new()
        .name("scheduled-backups".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                // Logged and counted inside.
                run_scheduled(&database, &config);
            }
        });
    match spawned {
        Ok(handle) => Some(handle),
        Err(error) => {
            tracing::error!(%error, "cannot start the backup schedule");
            None
        }
    }
}

/// Scheduled backups by outcome (`ok`, `failed`), for the metrics.
const BACKUPS: &str = "plaza_backups_total";

/// Says what the backup series means.
pub fn describe_metrics() {
    metrics::describe_counter!(
        BACKUPS,
        "Scheduled backups by outcome: ok, failed (the log says why; older backups are kept)"
    );
    for outcome in ["ok", "failed"] {
        metrics::counter!(BACKUPS, "outcome" => outcome).absolute(0);
    }
}

/// One scheduled backup, then the rotation; failures are logged and counted, never fatal. A failed
/// backup rotates nothing away: the older ones are all there is. Whether the backup was written.
pub fn run_scheduled(database: &Database, config: &Config) -> bool {
    let dir = config.backup_dir();
    let target = dir.join(format!("plaza-{}.db", Utc::now().format("%Y%m%dT%H%M%SZ")));
    match backup(database, config, &target) {
        Ok(report) => {
            metrics::counter!(BACKUPS, "outcome" => "ok").increment(1);
            tracing::info!(
                backup = %target.display(),
                bytes = report.bytes,
                rows = ?report.rows,
                "scheduled backup written and checked"
            );
        }
        Err(error) => {
            metrics::counter!(BACKUPS, "outcome" => "failed").increment(1);
            tracing::error!(
                backup = %target.display(),
                cause = format!("{error:#}"),
                "scheduled backup failed; the older backups are kept"
            );
            return false;
        }
    }
    if let Err(error) = rotate(&dir, config.backup_keep) {
        tracing::error!(cause = format!("{error:#}"), "cannot remove old backups");
    }
    true
}

/// Deletes all but the newest `keep` scheduled backups (`plaza-*.db`, with their avatars and secret).
fn rotate(dir: &Path, keep: usize) -> anyhow::Result<()> {
    let mut backups: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("plaza-") && name.ends_with(".db"))
        })
        .collect();
    backups.sort(); // the names sort by time
    let excess = backups.len().saturating_sub(keep.max(1));
    for old in backups.into_iter().take(excess) {
        fs::remove_file(&old)?;
        let avatars = avatars_of(&old);
        if avatars.exists() {
            fs::remove_dir_all(avatars)?;
        }
        let _ = fs::remove_file(secret_of(&old));
        tracing::info!(backup = %old.display(), "old backup removed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for stamp in ["20260101T000000Z", "20260102T000000Z", "20260103T000000Z"] {
            let db = dir.path().join(format!("plaza-{stamp}.db"));
            fs::write(&db, "x").unwrap();
            fs::create_dir(avatars_of(&db)).unwrap();
            fs::write(secret_of(&db), "s").unwrap();
        }
        fs::write(dir.path().join("manual.db"), "kept: not a scheduled backup").unwrap();
        rotate(dir.path(), 2).unwrap();
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "manual.db",
                "plaza-20260102T000000Z.db",
                "plaza-20260102T000000Z.db.avatars",
                "plaza-20260102T000000Z.db.jwt_secret",
                "plaza-20260103T000000Z.db",
                "plaza-20260103T000000Z.db.avatars",
                "plaza-20260103T000000Z.db.jwt_secret",
            ]
        );
    }

    #[test]
    fn a_locked_database_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("plaza.db");
        let held = DataLock::acquire(&db).unwrap();
        let error = DataLock::acquire(&db).unwrap_err().to_string();
        assert!(error.contains("another Plaza process"), "{error}");
        drop(held);
        DataLock::acquire(&db).unwrap();
    }
}
