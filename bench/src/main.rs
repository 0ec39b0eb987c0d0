//! jobmon benchmarks. Each prints its figures; none asserts a time.
//!
//! `cargo run -p jobmon-bench --release -- ingest` — writes and sends of a fetch grow with
//! the new postings, not with the board: a 2,000-posting board first fetched from scratch,
//! then refetched by a tenant who knows 1,990 of them.
//! `cargo run -p jobmon-bench --release -- argon2` — the cost of one password hash.
//! `cargo run -p jobmon-bench --release -- list` — the job list of a 10,000-job tenant:
//! first page, filtered page and search through the indexes, against a naive read.
//! `cargo run -p jobmon-bench --release -- scoring` — what the scoring worker adds to a
//! scorer call (time and AWS requests per job, without live updates, and with the
//! WebSocket notifier for a tenant with no socket and with one open), how fast 1,000
//! queued jobs drain in batches of 10, with a 50 ms scorer and with the built-in profile
//! scorer, and whether scoring slows as the table grows from 1,000 to 20,000 items
//! (that part alone: `-- scoring-growth`).
//! `cargo run -p jobmon-bench -- cost` (`make cost`) — the cost model: measured requests,
//! capacity and time priced per 1,000 postings and per tenant per month on each plan.
//! `cargo run -p jobmon-bench --release -- coldstart` — every function's init (process
//! start → first Runtime API `/next`) against a hello-world `lambda_runtime` binary of the
//! same profile; needs the function binaries built in release first (`make bench` does).

mod argon2;
mod coldstart;
mod cost;
mod counting;
mod ingest;
mod list;
mod list_combinations;
mod scoring;

#[tokio::main]
async fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "ingest".into());
    match which.as_str() {
        "ingest" => ingest::run().await,
        "argon2" => argon2::run().await,
        "list" => list::run().await,
        "scoring" => scoring::run().await,
        "scoring-growth" => scoring::growth_only().await,
        "cost" => cost::run().await,
        "coldstart" => coldstart::run().await,
        other => {
            eprintln!(
                "unknown benchmark `{other}`; available: ingest, argon2, list, scoring, scoring-growth, cost, coldstart"
            );
            std::process::exit(2);
        }
    }
}
