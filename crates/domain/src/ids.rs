//! Newtype ids, so an event id can never be passed where a user id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw number, for adapters.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                Self(raw)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies an event.
    EventId
);
id_type!(
    /// Identifies a post.
    PostId
);
id_type!(
    /// Identifies a comment on an event.
    CommentId
);
id_type!(
    /// Identifies a notification.
    NotificationId
);
