//! Building services from configuration at init: configuration → AWS clients → adapters →
//! service. Each function's `main.rs` calls one of these once per container.
//!
//! Two shapes, so a function holds only the keys it needs: [`Core`] carries no signing key
//! at all (the workers, which parse untrusted input, the webhooks and `api-ws`), and
//! [`KeyedCore`] adds the operator's signing secrets for the API functions that issue or
//! verify access tokens or sign pagination cursors. Only `KeyedCore` has a token issuer,
//! the account and privacy services, and a store that pages lists; a worker cannot reach
//! them without loading a `KeyedCore`, which its IAM role refuses (template.yaml grants
//! `ssm:GetParameter` on the secret only to the functions listed in `docs/security.md`).

use std::sync::{Arc, OnceLock};

use crate::adapters::{
    DynamoStore, EventBridgePublisher, Sdk, SdkClient, SesMailer, SqsQueue, SsmParameters,
    WebSocketNotifier,
};
use crate::auth::{PasswordHasher, SigningSecrets, TokenIssuer};
use crate::config::{self, ConfigError, Env};
use crate::ports::{
    EventPublisher, LiveNotifier, NoLiveUpdates, SocketCloser, SubscriptionCanceller, SystemClock,
};
use crate::services::privacy::ErasureWorker;
use crate::services::{AccountService, AuthLimits, PrivacyService};

/// The one password hasher of this process, so that its dummy hash (the unknown-user
/// timing path, made on first need) is made at most once.
fn passwords() -> PasswordHasher {
    static HASHER: OnceLock<PasswordHasher> = OnceLock::new();
    HASHER.get_or_init(PasswordHasher::owasp).clone()
}

/// Shared pieces most functions need, and no signing key: its store cannot page lists.
///
/// A function wired from a `Core` cannot reach a signing key; neither of these compiles:
///
/// ```compile_fail
/// fn mint(core: &shared::wiring::Core) -> shared::auth::TokenIssuer {
///     core.token_issuer()
/// }
/// ```
///
/// ```compile_fail
/// fn keys(core: &shared::wiring::Core) -> &shared::auth::SigningSecrets {
///     &core.keys
/// }
/// ```
///
/// while the same from a [`KeyedCore`] does:
///
/// ```no_run
/// fn mint(core: &shared::wiring::KeyedCore) -> shared::auth::TokenIssuer {
///     core.token_issuer()
/// }
/// fn keys(core: &shared::wiring::KeyedCore) -> &shared::auth::SigningSecrets {
///     &core.keys
/// }
/// ```
pub struct Core {
    pub env: Env,
    pub store: DynamoStore,
    pub plans: crate::domain::PlanCatalog,
    /// Loaded by the first AWS call of any client made from it, not at init.
    pub sdk: Sdk,
    /// SSM Parameter Store for the `<VARIABLE>_PARAMETER` settings; its client is built by
    /// the first read, once for every reader of this `Core`.
    pub parameters: SsmParameters,
}

impl Core {
    /// `sdk`: [`Sdk::from_environment`] in a function (nothing is loaded or built until
    /// a request calls AWS), a configuration made already in tests and tools.
    pub async fn load(sdk: impl Into<Sdk>) -> Result<Self, ConfigError> {
        let sdk = sdk.into();
        let env = Env::from_process();
        let parameters = SsmParameters::lazy(&sdk);
        let plans = config::plans(&env, &parameters).await?;
        let table = env.require("JOBMON_TABLE")?.to_owned();
        let store = DynamoStore::without_cursors(
            SdkClient::lazy(&sdk, aws_sdk_dynamodb::Client::new),
            table,
        );
        Ok(Self {
            env,
            store,
            plans,
            sdk,
            parameters,
        })
    }

    /// The WebSocket API's management endpoint `JOBMON_WS_ENDPOINT`, if set.
    fn websockets(&self) -> Option<Arc<WebSocketNotifier>> {
        let endpoint = self.env.get("JOBMON_WS_ENDPOINT")?;
        Some(Arc::new(WebSocketNotifier::new(
            &self.sdk,
            endpoint,
            Arc::new(self.store.clone()),
        )))
    }

    /// Pushes to the tenant's WebSockets through [`Self::websockets`]; without the
    /// endpoint, live updates are off.
    pub fn live_notifier(&self) -> Arc<dyn LiveNotifier> {
        match self.websockets() {
            Some(sockets) => sockets,
            None => Arc::new(NoLiveUpdates),
        }
    }

    /// Closes WebSockets through the same endpoint; without it there are none to close.
    pub fn socket_closer(&self) -> Arc<dyn SocketCloser> {
        match self.websockets() {
            Some(sockets) => sockets,
            None => Arc::new(NoLiveUpdates),
        }
    }

    /// Domain events on the EventBridge bus `JOBMON_EVENT_BUS` (default: `default`).
    pub fn event_publisher(&self) -> Arc<dyn EventPublisher> {
        let bus = self
            .env
            .get("JOBMON_EVENT_BUS")
            .unwrap_or("default")
            .to_owned();
        Arc::new(EventBridgePublisher::new(
            SdkClient::lazy(&self.sdk, aws_sdk_eventbridge::Client::new),
            bus,
        ))
    }

    /// The erasure queue `JOBMON_ERASURE_QUEUE_URL`.
    fn erasure_queue(&self) -> Result<Arc<SqsQueue>, ConfigError> {
        let url = self.env.require("JOBMON_ERASURE_QUEUE_URL")?.to_owned();
        Ok(Arc::new(SqsQueue::new(
            SdkClient::lazy(&self.sdk, aws_sdk_sqs::Client::new),
            url,
        )))
    }

    /// Pages of 1,000 items and a 60 s budget within the function's 120 s timeout, which
    /// leaves room for a Stripe call that hangs to its 10 s timeout on each of 3 tries.
    pub fn erasure_worker(
        &self,
        canceller: Option<Arc<dyn SubscriptionCanceller>>,
    ) -> Result<ErasureWorker, ConfigError> {
        Ok(ErasureWorker {
            eraser: Arc::new(self.store.clone()),
            queue: self.erasure_queue()?,
            canceller,
            page_size: 1000,
            budget: std::time::Duration::from_secs(60),
        })
    }
}

/// [`Core`] and the operator's signing secrets (current and, during a rotation, previous),
/// for the functions that issue or verify access tokens or sign cursors. Loading it fails
/// at init when the secret is not configured or not readable, never at a first request.
pub struct KeyedCore {
    core: Core,
    pub keys: SigningSecrets,
}

impl std::ops::Deref for KeyedCore {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl KeyedCore {
    pub async fn load(sdk: impl Into<Sdk>) -> Result<Self, ConfigError> {
        let core = Core::load(sdk).await?;
        let keys = SigningSecrets::load(&core.env, &core.parameters).await?;
        Ok(Self::new(core, keys))
    }

    /// `core` with `keys`; its store now seals and opens cursors with them.
    pub fn new(mut core: Core, keys: SigningSecrets) -> Self {
        core.store = core.store.with_cursors(keys.cursor_codec());
        Self { core, keys }
    }

    pub fn token_issuer(&self) -> TokenIssuer {
        self.keys.token_issuer()
    }

    pub fn account_service(&self) -> Result<AccountService, ConfigError> {
        let from = self.env.require("JOBMON_MAIL_FROM")?.to_owned();
        let app_url = self.env.app_url().to_owned();
        let store = Arc::new(self.store.clone());
        Ok(AccountService {
            accounts: store.clone(),
            tenants: store.clone(),
            usage: store.clone(),
            sessions: store.clone(),
            tokens: store.clone(),
            invitations: store.clone(),
            connections: store.clone(),
            sockets: self.socket_closer(),
            limiter: store.clone(),
            failures: store,
            mailer: Arc::new(SesMailer::new(
                SdkClient::lazy(&self.sdk, aws_sdk_sesv2::Client::new),
                from,
            )),
            passwords: passwords(),
            issuer: self.token_issuer(),
            plans: self.plans.clone(),
            app_url,
            limits: AuthLimits {
                // The template's InvitationsPerDay bounds.
                invitations_per_day: self.env.number_in(
                    "JOBMON_INVITATIONS_PER_DAY",
                    AuthLimits::default().invitations_per_day,
                    1..=1000,
                )?,
                ..AuthLimits::default()
            },
            clock: SystemClock::shared(),
        })
    }

    pub fn privacy_service(&self) -> Result<PrivacyService, ConfigError> {
        let store = Arc::new(self.store.clone());
        Ok(PrivacyService {
            accounts: store.clone(),
            billing: store.clone(),
            sessions: store.clone(),
            archive: store.clone(),
            eraser: store.clone(),
            queue: self.erasure_queue()?,
            limiter: store,
            passwords: passwords(),
            cursors: self.keys.cursor_codec(),
            clock: SystemClock::shared(),
            part_bytes: crate::services::privacy::archive::PART_BYTES,
        })
    }
}
