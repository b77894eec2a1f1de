//! Avatars: which images are accepted, recognised by their bytes, and the avatar store port.

use crate::error::RepoError;

/// The image formats an avatar may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// PNG, recognised by its 8-byte signature.
    Png,
    /// JPEG, recognised by `FF D8 FF`.
    Jpeg,
    /// GIF, version 87a or 89a.
    Gif,
    /// WebP: a RIFF container of `WEBP` data.
    Webp,
}

impl ImageKind {
    /// The largest avatar accepted: 2 MiB.
    pub const MAX_BYTES: usize = 2 * 1024 * 1024;

    /// Recognises the format by its magic bytes; what a client claims is not evidence.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Self::Gif),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::Webp),
            _ => None,
        }
    }

    /// The file name extension the avatar store gives the format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    /// The format stored under `extension` (as given by [`extension`](Self::extension)), or `None`.
    pub fn from_extension(extension: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::Gif, Self::Webp]
            .into_iter()
            .find(|kind| kind.extension() == extension)
    }

    /// The `Content-Type` the format is served with.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }
}

/// A stored avatar, opened for reading: served from the file, never read whole into memory.
#[derive(Debug)]
pub struct AvatarFile {
    /// The image's format, which decides its `Content-Type`.
    pub kind: ImageKind,
    /// The file, open for reading from its start.
    pub file: std::fs::File,
    /// Where the file lives, for serving it by path.
    pub path: std::path::PathBuf,
}

/// Where avatar images live. Names are chosen by the store, never by a client.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait AvatarStore: Send + Sync {
    /// Stores the image under a new unguessable name and returns the name.
    fn save(&self, kind: ImageKind, bytes: &[u8]) -> Result<String, RepoError>;
    /// The image stored under `name`, or `None` for any name the store did not hand out.
    fn open(&self, name: &str) -> Result<Option<AvatarFile>, RepoError>;
    /// Removes an image; removing one that is already gone is not an error.
    fn delete(&self, name: &str) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_images_by_their_bytes() {
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\n rest"), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(b"\xff\xd8\xff\xe0"), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"GIF89a..."), Some(ImageKind::Gif));
        assert_eq!(ImageKind::sniff(b"GIF87a..."), Some(ImageKind::Gif));
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
    }

    #[test]
    fn text_and_truncated_headers_are_not_images() {
        assert_eq!(ImageKind::sniff(b"this is not a png"), None);
        assert_eq!(ImageKind::sniff(b"\x89PNG"), None);
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn extensions_round_trip() {
        for kind in [ImageKind::Png, ImageKind::Jpeg, ImageKind::Gif, ImageKind::Webp] {
            assert_eq!(ImageKind::from_extension(kind.extension()), Some(kind));
        }
        assert_eq!(ImageKind::from_extension("svg"), None);
    }
}
