//! A `reqwest` client built by the first request that needs it, once.
//!
//! Building a `reqwest` client with rustls loads the operating system's root certificates
//! (`rustls-platform-verifier` reads and parses the whole store, on every build): about
//! 4 ms on a Debian machine, the largest part of the init of every function that holds
//! one (`api-sources`, `api-notifications`, `worker-fetcher`, `worker-notifier`; issue 21,
//! point 5). Most requests of the API functions never send anything out, so the client
//! is built when a request first does, and kept for the container's life.
//!
//! A build that fails (no root certificates at all, say) fails that request with the
//! reason, and the next request tries again: nothing is cached but a working client.

use std::fmt;
use std::sync::Arc;

use tokio::sync::OnceCell;

type Build = dyn Fn() -> reqwest::Result<reqwest::Client> + Send + Sync;

#[derive(Clone)]
pub struct LazyClient {
    build: Arc<Build>,
    built: Arc<OnceCell<reqwest::Client>>,
}

impl LazyClient {
    /// `build` runs on the first [`Self::get`] (again after a failed one), at most once
    /// successfully for this value and all its clones, even when requests race.
    pub fn new(
        build: impl Fn() -> reqwest::Result<reqwest::Client> + Send + Sync + 'static,
    ) -> Self {
        Self {
            build: Arc::new(build),
            built: Arc::new(OnceCell::new()),
        }
    }

    /// The client, or why it could not be built (with its causes).
    pub async fn get(&self) -> Result<&reqwest::Client, String> {
        self.built
            .get_or_try_init(|| async { (self.build)() })
            .await
            .map_err(|e| shared::adapters::aws::describe(&e))
    }
}

impl fmt::Debug for LazyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.built.initialized())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting(
        builds: &Arc<AtomicUsize>,
        user_agent: &'static str,
    ) -> impl Fn() -> reqwest::Result<reqwest::Client> + Send + Sync + 'static {
        let builds = builds.clone();
        move || {
            builds.fetch_add(1, Ordering::SeqCst);
            reqwest::Client::builder().user_agent(user_agent).build()
        }
    }

    #[tokio::test]
    async fn built_on_first_use_once_for_all_clones_and_racing_requests() {
        let builds = Arc::new(AtomicUsize::new(0));
        let client = LazyClient::new(counting(&builds, "jobmon-test"));
        assert_eq!(builds.load(Ordering::SeqCst), 0);

        let clones: Vec<LazyClient> = (0..4).map(|_| client.clone()).collect();
        let got = futures_util::future::join_all(clones.iter().map(|c| c.get())).await;
        assert!(got.iter().all(Result::is_ok));
        client.get().await.unwrap();
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_build_is_an_error_with_its_reason_and_is_tried_again() {
        let builds = Arc::new(AtomicUsize::new(0));
        // A header value with a line break: reqwest refuses it when building.
        let client = LazyClient::new(counting(&builds, "bad\nagent"));
        let first = client.get().await.unwrap_err();
        assert!(first.contains("builder error"), "{first}");
        assert!(client.get().await.is_err());
        assert_eq!(builds.load(Ordering::SeqCst), 2, "a failure is not cached");
    }
}
