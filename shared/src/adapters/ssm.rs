//! SSM Parameter Store as a configuration source.

use async_trait::async_trait;

use crate::adapters::aws::describe;
use crate::adapters::{Sdk, SdkClient};
use crate::config::{ConfigError, ParameterSource};

pub use aws_sdk_ssm::Client;

/// Clones share one client (built on the first read of any of them).
#[derive(Clone)]
pub struct SsmParameters {
    client: SdkClient<aws_sdk_ssm::Client>,
}

impl SsmParameters {
    pub fn new(client: impl Into<SdkClient<aws_sdk_ssm::Client>>) -> Self {
        Self {
            client: client.into(),
        }
    }

    /// The client is built by the first parameter read: none when every value came from
    /// the environment.
    pub fn lazy(sdk: impl Into<Sdk>) -> Self {
        Self::new(SdkClient::lazy(sdk, aws_sdk_ssm::Client::new))
    }
}

#[async_trait]
impl ParameterSource for SsmParameters {
    async fn get(&self, name: &str) -> Result<String, ConfigError> {
        let out = self
            .client
            .get()
            .await
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| ConfigError::Parameter {
                name: name.into(),
                reason: describe(&e),
            })?;
        out.parameter
            .and_then(|p| p.value)
            .ok_or_else(|| ConfigError::Parameter {
                name: name.into(),
                reason: "parameter has no value".into(),
            })
    }
}
