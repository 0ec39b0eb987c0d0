//! Implementations of the ports against AWS. Clients are built once, at init.

pub mod aws;
mod card_move;
pub mod dynamo;
pub mod eventbridge;
pub mod memory;
pub mod notifier;
pub mod ses;
pub mod sqs;
pub mod ssm;
pub mod xray;

pub use dynamo::DynamoStore;
pub use eventbridge::EventBridgePublisher;
pub use memory::MemoryStore;
pub use notifier::WebSocketNotifier;
pub use ses::SesMailer;
pub use sqs::SqsQueue;
pub use ssm::SsmParameters;
