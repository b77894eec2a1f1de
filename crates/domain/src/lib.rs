//! Plaza's domain: the entities of an events community, the values that can only be built valid, and the
//! ports (repository traits) that storage adapters implement.
//!
//! Nothing here knows HTTP, SQL or a framework. Entities read back from storage carry plain values (they
//! were validated on the way in); inputs to the ports carry validated values, so a repository can never be
//! asked to store something the rules forbid.
//!
//! Other Rust services can reuse it the same way: build the values, implement the ports over a store of
//! their own. `examples/in_memory_store.rs` does so with an in-memory
//! [`PostRepository`](post::PostRepository) (`cargo run -p plaza-domain --example in_memory_store`).

#![warn(missing_docs)]

pub mod avatar;
pub mod calendar;
pub mod comment;
pub mod count_memo;
pub mod email_verification;
pub mod error;
pub mod event;
pub mod health;
pub mod ids;
pub mod live;
pub mod login;
pub mod mail;
pub mod modlog;
pub mod notification;
pub mod notification_mail;
pub mod page;
pub mod password_reset;
pub mod place;
pub mod post;
pub mod removal;
pub mod report;
pub mod role;
pub mod search;
pub mod session;
pub mod stores;
pub mod text;
pub mod ticket;
pub mod time;
pub mod transfer;
pub mod user;
pub mod waitlist;

pub use error::{Conflict, FieldError, Invalid, RepoError, ValidationErrors};
pub use ids::{
    CommentId, EventId, MailId, ModLogId, NotificationId, PostId, ReportId, SessionId, TicketId, UserId,
};
pub use page::{Page, PageRequest};
pub use stores::Stores;
