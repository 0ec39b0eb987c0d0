//! `worker-dispatcher`: fired by the schedule; the event's content does not matter.

use jobmon_ingest::dispatch::{DispatchError, Dispatcher};
use serde_json::{Value, json};

pub async fn handle(dispatcher: &Dispatcher, _event: Value) -> Result<Value, DispatchError> {
    let sent = dispatcher.run(chrono::Utc::now()).await?;
    tracing::info!(dispatched = sent, "dispatched due sources");
    Ok(json!({ "dispatched": sent }))
}
