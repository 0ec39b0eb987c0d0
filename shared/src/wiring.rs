//! Building services from configuration at init: configuration → AWS clients → adapters →
//! service. Each function's `main.rs` calls one of these once per container.

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::adapters::{DynamoStore, SesMailer, SsmParameters};
use crate::auth::{PasswordHasher, TokenIssuer};
use crate::config::{self, ConfigError, Env, SecretKey};
use crate::services::{AccountService, AuthLimits};

/// Shared pieces most functions need.
pub struct Core {
    pub env: Env,
    pub store: DynamoStore,
    pub secret: SecretKey,
    pub plans: crate::domain::PlanCatalog,
    pub sdk: SdkConfig,
}

impl Core {
    pub async fn load(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let env = Env::from_process();
        let parameters = SsmParameters::new(aws_sdk_ssm::Client::new(sdk));
        let secret = SecretKey::load(&env, &parameters).await?;
        let plans = config::plans(&env, &parameters).await?;
        let table = env.require("JOBMON_TABLE")?.to_owned();
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            table,
            secret.cursor_codec(),
        );
        Ok(Self {
            env,
            store,
            secret,
            plans,
            sdk: sdk.clone(),
        })
    }

    pub fn token_issuer(&self) -> TokenIssuer {
        TokenIssuer::new(&self.secret.derive("jwt")).expect("derived keys are 32 bytes")
    }

    pub fn account_service(&self) -> Result<AccountService, ConfigError> {
        let from = self.env.require("JOBMON_MAIL_FROM")?.to_owned();
        let app_url = self
            .env
            .get("JOBMON_APP_URL")
            .unwrap_or("http://127.0.0.1:3000")
            .to_owned();
        let store = Arc::new(self.store.clone());
        Ok(AccountService {
            accounts: store.clone(),
            sessions: store.clone(),
            tokens: store.clone(),
            limiter: store,
            mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&self.sdk), from)),
            passwords: PasswordHasher::owasp(),
            issuer: self.token_issuer(),
            plans: self.plans.clone(),
            app_url,
            limits: AuthLimits::default(),
        })
    }
}
