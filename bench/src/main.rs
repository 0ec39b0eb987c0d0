//! jobmon benchmarks. Each prints its figures; none asserts a time.
//!
//! `cargo run -p jobmon-bench --release -- ingest` — writes and sends of a fetch grow with
//! the new postings, not with the board: a 2,000-posting board first fetched from scratch,
//! then refetched by a tenant who knows 1,990 of them.
//! `cargo run -p jobmon-bench --release -- argon2` — the cost of one password hash.

mod argon2;
mod counting;
mod ingest;

#[tokio::main]
async fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "ingest".into());
    match which.as_str() {
        "ingest" => ingest::run().await,
        "argon2" => argon2::run().await,
        other => {
            eprintln!("unknown benchmark `{other}`; available: ingest, argon2");
            std::process::exit(2);
        }
    }
}
