//! Implementations of the ports against AWS. Clients are built once: DynamoDB's at init
//! (every path uses it), the others on first use ([`SdkClient`], see `lazy_client`).

pub mod aws;
mod card_move;
pub mod dynamo;
pub mod eventbridge;
mod lazy_client;
pub mod memory;
pub mod notifier;
pub mod ses;
pub mod sqs;
pub mod ssm;
pub mod xray;

pub use dynamo::DynamoStore;
pub use eventbridge::EventBridgePublisher;
pub use lazy_client::SdkClient;
pub use memory::MemoryStore;
pub use notifier::WebSocketNotifier;
pub use ses::SesMailer;
pub use sqs::SqsQueue;
pub use ssm::SsmParameters;
