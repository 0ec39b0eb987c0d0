//! The SDK configuration and the SDK clients of a process, each made when the first call
//! needs it, once, and shared by every clone.
//!
//! A function's init is process start → its first Runtime API poll (issue 21, point 5;
//! `make coldstart`). Loading the SDK configuration (`aws_config`: environment, profile
//! files, retry and timeout settings) cost ~0.3 ms of it and constructing an SDK client
//! 0.1–0.25 ms (its configuration, runtime plugins and endpoint resolver; measured with
//! temporary timing logs in `api-jobs` that are not kept), while paths exist that make no
//! AWS call at all (`GET /v1/health`, a WebSocket `$default` message, a request refused
//! for its token) and most containers never take the routes that send, publish, mail or
//! push. So a function holds an [`Sdk`]
//! and adapters hold an [`SdkClient`]: the first request that calls AWS loads the
//! configuration and builds its client, every later one (and every clone) reuses them.
//! The one AWS call some functions still make at init is reading a secret from SSM where
//! a deployment keeps it there (`KeyedCore`, the unsubscribe key): that loads the
//! configuration and the SSM client then.
//!
//! Neither can fail where it is made: `aws_config`'s loader always returns a configuration
//! (a missing region or credentials fail the request that needs them, as they would have
//! at init), and an SDK client's constructor panics only without a behaviour version,
//! which [`super::aws::sdk_config`] always sets. So building on first use adds no new
//! failure to a request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

type Load = fn() -> Pin<Box<dyn Future<Output = SdkConfig> + Send>>;

struct Config {
    loaded: OnceCell<SdkConfig>,
    load: Load,
}

/// The process's SDK configuration, loaded ([`super::aws::sdk_config`]) by the first
/// [`Self::config`] of this value or any clone.
#[derive(Clone)]
pub struct Sdk(Arc<Config>);

impl Sdk {
    /// Loads nothing yet: the configuration is read from the environment on first use.
    pub fn from_environment() -> Self {
        Self::loaded_by(|| Box::pin(super::aws::sdk_config()))
    }

    fn loaded_by(load: Load) -> Self {
        Self(Arc::new(Config {
            loaded: OnceCell::new(),
            load,
        }))
    }

    /// A configuration made already (tests, benchmarks, local tools).
    pub fn ready(config: SdkConfig) -> Self {
        Self(Arc::new(Config {
            loaded: OnceCell::new_with(Some(config)),
            load: || unreachable!("a ready configuration is never loaded"),
        }))
    }

    pub async fn config(&self) -> &SdkConfig {
        self.0.loaded.get_or_init(self.0.load).await
    }

    /// Whether the configuration has been loaded (by this value or a clone).
    pub fn is_loaded(&self) -> bool {
        self.0.loaded.initialized()
    }
}

impl From<SdkConfig> for Sdk {
    fn from(config: SdkConfig) -> Self {
        Self::ready(config)
    }
}

impl From<&SdkConfig> for Sdk {
    fn from(config: &SdkConfig) -> Self {
        Self::ready(config.clone())
    }
}

impl From<&Sdk> for Sdk {
    fn from(sdk: &Sdk) -> Self {
        sdk.clone()
    }
}

impl fmt::Debug for Sdk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sdk")
            .field("loaded", &self.is_loaded())
            .finish()
    }
}

type Build<C> = Box<dyn Fn(&SdkConfig) -> C + Send + Sync>;

struct Lazy<C> {
    sdk: Sdk,
    client: OnceCell<C>,
    build: Build<C>,
}

pub struct SdkClient<C>(Arc<Lazy<C>>);

impl<C> SdkClient<C> {
    /// `build(config)` runs on the first [`Self::get`], at most once for this value and
    /// all its clones, after `sdk`'s configuration is loaded.
    pub fn lazy(
        sdk: impl Into<Sdk>,
        build: impl Fn(&SdkConfig) -> C + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(Lazy {
            sdk: sdk.into(),
            client: OnceCell::new(),
            build: Box::new(build),
        }))
    }

    /// A client built already (tests, benchmarks, a client with its own configuration).
    pub fn ready(client: C) -> Self {
        Self(Arc::new(Lazy {
            sdk: Sdk::from_environment(),
            client: OnceCell::new_with(Some(client)),
            build: Box::new(|_| unreachable!("a ready client is never built")),
        }))
    }

    pub async fn get(&self) -> &C {
        let lazy = &*self.0;
        lazy.client
            .get_or_init(|| async { (lazy.build)(lazy.sdk.config().await) })
            .await
    }

    /// Whether the client has been built (by this value or a clone).
    pub fn is_built(&self) -> bool {
        self.0.client.initialized()
    }
}

impl<C> Clone for SdkClient<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C> From<C> for SdkClient<C> {
    fn from(client: C) -> Self {
        Self::ready(client)
    }
}

impl<C> fmt::Debug for SdkClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkClient")
            .field("built", &self.is_built())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn sdk() -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    #[tokio::test]
    async fn nothing_is_built_until_first_use_then_exactly_once_for_all_clones() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = builds.clone();
        let client = SdkClient::lazy(&sdk(), move |sdk| {
            counted.fetch_add(1, Ordering::SeqCst);
            aws_sdk_sqs::Client::new(sdk)
        });
        let clone = client.clone();
        assert_eq!(builds.load(Ordering::SeqCst), 0);
        assert!(!clone.is_built());

        let first: *const aws_sdk_sqs::Client = client.get().await;
        let again: *const aws_sdk_sqs::Client = clone.get().await;
        let _ = client.get().await;
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert_eq!(first, again, "clones share the one client");
        assert!(clone.is_built());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_uses_build_once() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = builds.clone();
        let client = SdkClient::lazy(&sdk(), move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            7u32
        });
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let c = client.clone();
                tokio::spawn(async move { *c.get().await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 7);
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_ready_client_is_the_one_given() {
        let client = SdkClient::from(42u32);
        assert!(client.is_built());
        assert_eq!(*client.get().await, 42);
    }

    static LOADS: AtomicUsize = AtomicUsize::new(0);

    fn counted_load() -> Pin<Box<dyn Future<Output = SdkConfig> + Send>> {
        LOADS.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { sdk() })
    }

    #[tokio::test]
    async fn the_configuration_is_loaded_by_the_first_client_that_needs_it_once_for_all() {
        let sdk = Sdk::loaded_by(counted_load);
        let queues = SdkClient::lazy(&sdk, aws_sdk_sqs::Client::new);
        let tables = SdkClient::lazy(&sdk, aws_sdk_dynamodb::Client::new);
        assert!(!sdk.is_loaded(), "making clients loads nothing");

        let _ = queues.get().await;
        assert!(sdk.is_loaded(), "the first use loads the configuration");
        let loaded: *const SdkConfig = sdk.config().await;
        let _ = tables.get().await;
        assert_eq!(loaded, sdk.config().await as *const SdkConfig);
        assert_eq!(
            LOADS.load(Ordering::SeqCst),
            1,
            "loaded once for both clients"
        );
    }
}
