//! Plaza's file-system adapters.

mod avatars;

pub use avatars::FsAvatarStore;
