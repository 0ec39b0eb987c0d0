//! Shared AWS SDK configuration.
//!
//! Built for a short init (issue 21, point 5; measured by `make coldstart`). Two things the
//! SDK does by default cost most of a function's init, and neither is needed before its
//! first call:
//!
//! - Every SDK client's constructor validates the HTTP client, and the SDK's hyper client
//!   does that by building a whole connector: a rustls configuration with the operating
//!   system's root certificates, loaded from disk (once per process) and parsed into a root
//!   store (once per client). [`ConnectOnFirstUse`] skips that eager step, so a connector is
//!   built when the first request needs one and is then shared by every client of the
//!   process (the SDK's client caches it per timeout settings).
//! - The default credential chain constructs a web-identity provider with an STS client
//!   of its own (the same eager connector), SSO, ECS and IMDS providers. Lambda always puts
//!   the role's credentials in the environment, and so does `make dev`; where they are,
//!   they are what the chain would pick first, so they are taken directly. Without them
//!   (a developer's `AWS_PROFILE`) the full chain runs as before. `AWS_REGION` likewise.

use std::fmt;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use crate::config::Env;

use super::xray::{Daemon, TraceHeader, TracedHttpClient, default_https_client};

/// Loads the SDK configuration once per container. `AWS_ENDPOINT_URL` (moto, LocalStack)
/// and `AWS_PROFILE` are honoured by the SDK's own provider chain. Where an X-Ray daemon
/// listens (a function with `Tracing: Active`), every SDK call of a sampled invocation is
/// also sent to it as a subsegment (`xray`).
pub async fn sdk_config() -> aws_config::SdkConfig {
    let env = Env::from_process();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if credentials_in_environment(&env) {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    // Lambda always sets AWS_REGION; the default region chain (environment, profile,
    // IMDS) would find it first too, after constructing the other two.
    if let Some(region) = env.get("AWS_REGION") {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    let client = match Daemon::from_env() {
        Some(daemon) => SharedHttpClient::new(TracedHttpClient::new(
            default_https_client(),
            daemon,
            TraceHeader::from_env,
        )),
        None => default_https_client(),
    };
    loader
        .http_client(ConnectOnFirstUse::new(client))
        .load()
        .await
}

/// Whether the environment holds what `EnvironmentVariableCredentialsProvider` reads, by
/// its own rules: `AWS_ACCESS_KEY_ID` and a secret in `AWS_SECRET_ACCESS_KEY` or
/// `SECRET_ACCESS_KEY`, blank counting as unset (a session token is optional). Only then is
/// the chain skipped: otherwise the environment provider would fail where the chain goes
/// on to the profile or SSO, which must stay possible.
fn credentials_in_environment(env: &Env) -> bool {
    let set = |name: &str| env.get(name).is_some_and(|v| !v.trim().is_empty());
    set("AWS_ACCESS_KEY_ID") && (set("AWS_SECRET_ACCESS_KEY") || set("SECRET_ACCESS_KEY"))
}

/// The SDK's HTTP client without its eager validation: no connector (TLS configuration,
/// root certificates) is built when an SDK client is constructed, only when a request
/// asks for one. Everything else is the wrapped client's.
#[derive(Clone)]
pub struct ConnectOnFirstUse(SharedHttpClient);

impl ConnectOnFirstUse {
    pub fn new(inner: SharedHttpClient) -> Self {
        Self(inner)
    }
}

impl fmt::Debug for ConnectOnFirstUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConnectOnFirstUse").field(&self.0).finish()
    }
}

impl HttpClient for ConnectOnFirstUse {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    // `validate_base_client_config` is deliberately the trait's default (nothing): the
    // wrapped client's would build a connector per SDK client at construction.

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// Renders an SDK error with its full cause chain for logs.
pub fn describe<E: std::error::Error>(e: &E) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_dynamodb::config::{Credentials, Region, SharedCredentialsProvider};
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::config_bag::ConfigBag;

    /// Counts what the SDK asks of its HTTP client: eager validations (what the SDK's own
    /// client answers by building a connector) and connectors for requests.
    #[derive(Debug, Default)]
    struct Counting {
        validations: AtomicUsize,
        connectors: AtomicUsize,
    }

    #[derive(Debug, Clone)]
    struct CountingClient(Arc<Counting>);

    impl HttpClient for CountingClient {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.0.connectors.fetch_add(1, Ordering::SeqCst);
            SharedHttpConnector::new(EmptyTables)
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
            self.0.validations.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    /// Answers every request as DynamoDB answers `ListTables` on an empty account.
    #[derive(Debug)]
    struct EmptyTables;

    impl HttpConnector for EmptyTables {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::ready(Ok(HttpResponse::new(
                StatusCode::try_from(200).unwrap(),
                SdkBody::from(r#"{"TableNames":[]}"#),
            )))
        }
    }

    fn config(client: impl HttpClient + 'static) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDTEST", "secret", None, None, "test",
            )))
            .http_client(client)
            .build()
    }

    #[test]
    fn the_sdk_client_validates_its_http_client_when_a_client_is_constructed() {
        // What ConnectOnFirstUse is for: unwrapped, each SDK client's constructor asks.
        let counts = Arc::new(Counting::default());
        let sdk = config(CountingClient(counts.clone()));
        let _tables = aws_sdk_dynamodb::Client::new(&sdk);
        let _queues = aws_sdk_sqs::Client::new(&sdk);
        assert_eq!(counts.validations.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn no_connector_is_built_before_the_first_request_and_requests_still_get_one() {
        let counts = Arc::new(Counting::default());
        let sdk = config(ConnectOnFirstUse::new(SharedHttpClient::new(
            CountingClient(counts.clone()),
        )));
        let tables = aws_sdk_dynamodb::Client::new(&sdk);
        let _queues = aws_sdk_sqs::Client::new(&sdk);
        assert_eq!(counts.validations.load(Ordering::SeqCst), 0);
        assert_eq!(counts.connectors.load(Ordering::SeqCst), 0);

        let listed = tables.list_tables().send().await.expect("canned answer");
        assert_eq!(listed.table_names(), &[] as &[String]);
        assert_eq!(counts.validations.load(Ordering::SeqCst), 0);
        assert!(counts.connectors.load(Ordering::SeqCst) >= 1);
    }

    #[test]
    fn environment_credentials_need_a_key_id_and_its_secret() {
        let with = |names: &[&str]| {
            credentials_in_environment(&Env::from_pairs(names.iter().map(|n| (*n, "value"))))
        };
        assert!(with(&["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]));
        assert!(with(&["AWS_ACCESS_KEY_ID", "SECRET_ACCESS_KEY"]));
        // The SDK's provider has no ACCESS_KEY_ID fallback, only one for the secret.
        assert!(!with(&["ACCESS_KEY_ID", "SECRET_ACCESS_KEY"]));
        assert!(!with(&["AWS_ACCESS_KEY_ID"]));
        assert!(!with(&["AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"]));
        assert!(!with(&[]));
        // Blank counts as unset, as the provider reads it.
        let blank = Env::from_pairs([("AWS_ACCESS_KEY_ID", " "), ("AWS_SECRET_ACCESS_KEY", "s")]);
        assert!(!credentials_in_environment(&blank));
    }
}
