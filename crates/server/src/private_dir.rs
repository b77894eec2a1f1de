//! Folders only Plaza's own user may enter, for what holds accounts and messages (the database, its
//! backups, the JWT secret).

use std::fs;
use std::path::Path;

/// Creates `dir` and its missing parents with mode 0700, whatever the umask. A folder that exists keeps
/// its mode.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
