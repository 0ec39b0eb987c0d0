//! Reads jobmon's `template.yaml` (AWS SAM, CloudFormation short-form tags included) into a
//! typed model, and creates its DynamoDB tables and SQS queues in an AWS endpoint such as
//! moto. The test harness and the local gateway both use it, so the key schema, indexes,
//! queues and redrive policies are declared once: in the template.
//!
//! ```no_run
//! # async fn demo(dynamo: aws_sdk_dynamodb::Client, sqs: aws_sdk_sqs::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use jobmon_template::{Template, provision};
//! let template = Template::from_file(Template::locate()?)?;
//! let created = provision(&template, &dynamo, &sqs, "test-run-42").await?;
//! println!("table: {}", created.tables["Table"]);
//! # Ok(()) }
//! ```

mod error;
mod expr;
mod model;
mod provision;
mod resolve;
mod routes;
mod rules;
mod schedule;

pub use error::{ProvisionError, ResolveError, TemplateError};
pub use expr::Expr;
pub use model::{
    AttributeDefinition, BillingMode, EventKind, EventSpec, FunctionSpec, HttpApiEvent, IndexSpec,
    KeyElement, KeyType, Parameter, Projection, QueueSpec, Redrive, Resource, ScheduleEvent,
    SqsEvent, TableSpec, Template, Throughput, TtlSpec, WebSocketApiSpec, WebSocketRoute,
};
pub use provision::{
    Provisioned, ProvisionedQueue, provision, provision_email_identities, queue_name, table_name,
};
pub use resolve::{Bindings, to_env_string};
pub use routes::{HttpRoute, RouteMatch, RoutePattern, percent_decode, select};
pub use rules::provision_event_rules;
pub use schedule::{Cron, ScheduleExpression};

/// Resource type names, for callers that walk [`Template::resources`].
pub mod types {
    pub use crate::model::{
        API_V2, FUNCTION, HTTP_API, INTEGRATION_V2, QUEUE, ROUTE_V2, STAGE_V2, TABLE,
    };
}
