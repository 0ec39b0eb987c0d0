//! Implementations of the ports against AWS. The SDK configuration ([`Sdk`]) and every
//! client ([`SdkClient`]) are made by the first call that needs them, once per process
//! (see `lazy_client`): a function's init builds none, unless it reads a secret from SSM.

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
pub use lazy_client::{Sdk, SdkClient};
pub use memory::MemoryStore;
pub use notifier::WebSocketNotifier;
pub use ses::SesMailer;
pub use sqs::SqsQueue;
pub use ssm::SsmParameters;
