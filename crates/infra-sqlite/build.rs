//! The migrations are embedded into the crate (`embed_migrations!`); a new or edited migration must
//! rebuild it, which cargo does not know without being told.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
}
