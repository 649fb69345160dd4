// The migrations are embedded at compile time: a file added to or removed from their
// directories must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
