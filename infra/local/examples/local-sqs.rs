//! Test function: an SQS worker with partial batch responses. Messages whose body starts
//! with "fail" are reported as failed; the others succeed.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

async fn handle(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for r in event.payload.records {
        let body = r.body.unwrap_or_default();
        let receives = r
            .attributes
            .get("ApproximateReceiveCount")
            .cloned()
            .unwrap_or_default();
        if body.starts_with("fail") {
            println!("failing {body} receive={receives}");
            let mut f = BatchItemFailure::default();
            f.item_identifier = r.message_id.unwrap_or_default();
            response.batch_item_failures.push(f);
        } else {
            println!("processed {body} receive={receives}");
        }
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
