//! `jobmon-reindex`: rewrites every job card's list-index keys for the current layout
//! (docs/data-model.md, "Job list"), once after deploying a change of that layout. Reads
//! the table name from `JOBMON_TABLE` (or `--table NAME`) and AWS credentials, region and
//! `AWS_ENDPOINT_URL` the SDK's usual way. Idempotent: a second run rewrites nothing. A
//! card it cannot read is logged (JSON, stdout), counted, and left; the run then exits 1.

use std::process::ExitCode;

use shared::adapters::DynamoStore;

fn table() -> Option<String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (Some("--table"), Some(name)) => Some(name),
        (None, _) => std::env::var("JOBMON_TABLE").ok().filter(|t| !t.is_empty()),
        _ => None,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(table) = table() else {
        eprintln!("usage: jobmon-reindex [--table NAME]   (default: $JOBMON_TABLE)");
        return ExitCode::from(2);
    };
    shared::telemetry::init_logging();
    let sdk = shared::adapters::aws::sdk_config().await;
    let store = DynamoStore::without_cursors(aws_sdk_dynamodb::Client::new(&sdk), &table);
    match store.reindex_job_cards().await {
        Ok(r) => {
            println!(
                "{table}: {} job cards, {} rewritten, {} already current, {} moved meanwhile (left to that move), {} unreadable (left as they are, logged)",
                r.cards, r.rewritten, r.current, r.moved, r.unreadable
            );
            if r.unreadable == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{table}: {e}");
            ExitCode::FAILURE
        }
    }
}
