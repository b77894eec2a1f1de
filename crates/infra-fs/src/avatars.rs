//! Avatars as files in one directory, under names the store chooses.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use plaza_domain::RepoError;
use plaza_domain::avatar::{AvatarFile, AvatarStore, ImageKind};

/// Hex digits in a stored name: 128 random bits.
const NAME_HEX_LEN: usize = 32;

/// [`AvatarStore`] over a local directory. Names are `<32 hex digits>.<ext>`; any other name, and
/// anything that is not a regular file (a symlink, a directory), is treated as absent, so the store can
/// never be made to read outside its directory.
#[derive(Debug, Clone)]
pub struct FsAvatarStore {
    dir: PathBuf,
}

impl FsAvatarStore {
    /// Creates the directory when missing.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path and kind of a well-formed name; `None` for anything else.
    fn locate(&self, name: &str) -> Option<(PathBuf, ImageKind)> {
        let (stem, extension) = name.split_once('.')?;
        let well_formed =
            stem.len() == NAME_HEX_LEN && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let kind = ImageKind::from_extension(extension)?;
        well_formed.then(|| (self.dir.join(name), kind))
    }
}

fn random_stem() -> Result<String, RepoError> {
    let mut bytes = [0u8; NAME_HEX_LEN / 2];
    getrandom::fill(&mut bytes).map_err(|error| RepoError::internal(error.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn io_error(error: std::io::Error) -> RepoError {
    match error.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            RepoError::StorageFull(error.to_string())
        }
        _ => RepoError::internal(error),
    }
}

impl AvatarStore for FsAvatarStore {
    fn save(&self, kind: ImageKind, bytes: &[u8]) -> Result<String, RepoError> {
        let name = format!("{}.{}", random_stem()?, kind.extension());
        // Written under a temporary name and renamed, so a reader never sees half a file.
        let partial = self.dir.join(format!(".{name}.partial"));
        let written = fs::File::create_new(&partial).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        if let Err(error) = written.and_then(|()| fs::rename(&partial, self.dir.join(&name))) {
            let _ = fs::remove_file(&partial);
            return Err(io_error(error));
        }
        Ok(name)
    }

    fn open(&self, name: &str) -> Result<Option<AvatarFile>, RepoError> {
        let Some((path, kind)) = self.locate(name) else {
            return Ok(None);
        };
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() => {}
            Ok(_) => return Ok(None),
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(error)),
        }
        match fs::File::open(&path) {
            Ok(file) => Ok(Some(AvatarFile { kind, file, path })),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error(error)),
        }
    }

    fn delete(&self, name: &str) -> Result<(), RepoError> {
        let Some((path, _)) = self.locate(name) else {
            return Ok(());
        };
        match fs::remove_file(path) {
            Err(error) if error.kind() != ErrorKind::NotFound => Err(io_error(error)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\nimage data";

    /// The kind and bytes stored under `name`, if any.
    fn load(store: &FsAvatarStore, name: &str) -> Option<(ImageKind, Vec<u8>)> {
        store.open(name).unwrap().map(|avatar| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut &avatar.file, &mut bytes).unwrap();
            assert!(avatar.path.starts_with(store.dir()));
            (avatar.kind, bytes)
        })
    }

    fn store() -> (tempfile::TempDir, FsAvatarStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FsAvatarStore::open(dir.path().join("avatars")).unwrap();
        (dir, store)
    }

    #[test]
    fn saves_loads_and_deletes_under_chosen_names() {
        let (_dir, store) = store();
        let name = store.save(ImageKind::Png, PNG).unwrap();
        assert!(name.ends_with(".png") && name.len() == NAME_HEX_LEN + 4, "{name}");
        assert_eq!(load(&store, &name), Some((ImageKind::Png, PNG.to_vec())));
        let other = store.save(ImageKind::Png, PNG).unwrap();
        assert_ne!(name, other);
        store.delete(&name).unwrap();
        assert_eq!(load(&store, &name), None);
        store.delete(&name).unwrap();
        assert_eq!(
            fs::read_dir(store.dir()).unwrap().count(),
            1,
            "no partial files left behind"
        );
    }

    #[test]
    fn names_it_did_not_choose_are_absent() {
        let (dir, store) = store();
        fs::write(dir.path().join("secret.txt"), "top secret").unwrap();
        for name in [
            "../secret.txt",
            "..%2fsecret.txt",
            "/etc/passwd",
            "secret.txt",
            "",
            ".",
            "..",
            "a.png",
        ] {
            assert_eq!(load(&store, name), None, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed() {
        let (dir, store) = store();
        let outside = dir.path().join("outside.png");
        fs::write(&outside, PNG).unwrap();
        let name = format!("{}.png", "a".repeat(NAME_HEX_LEN));
        std::os::unix::fs::symlink(&outside, store.dir().join(&name)).unwrap();
        assert_eq!(load(&store, &name), None);
    }
}
