//! An SDK client built when it is first used, once, and shared by every clone.
//!
//! Constructing an SDK client costs 0.1–0.25 ms of a cold start (its configuration, runtime
//! plugins and endpoint resolver; measured with timing logs in `api-jobs`, issue 21), and
//! most functions construct clients for paths a given container may never take: the SSM
//! client when every parameter came from the environment, SQS, EventBridge, SES or the
//! WebSocket management API on the few routes that send, publish, mail or push. An
//! adapter holds an [`SdkClient`] instead, and the first request that needs the client
//! pays for it; every later one (and every clone of the adapter) reuses it.
//!
//! An SDK client's constructor cannot fail for a configuration made by
//! [`super::aws::sdk_config`] (it panics only without a behaviour version, which that
//! always sets), so building on first use adds no new failure to a request.

use std::fmt;
use std::sync::{Arc, LazyLock};

use aws_config::SdkConfig;

type Build<C> = Box<dyn FnOnce() -> C + Send>;

pub struct SdkClient<C>(Arc<LazyLock<C, Build<C>>>);

impl<C> SdkClient<C> {
    /// `build(sdk)` runs on the first [`Self::get`], at most once for this value and
    /// all its clones.
    pub fn lazy(sdk: &SdkConfig, build: impl FnOnce(&SdkConfig) -> C + Send + 'static) -> Self {
        let sdk = sdk.clone();
        Self(Arc::new(LazyLock::new(Box::new(move || build(&sdk)))))
    }

    /// A client built already (tests, benchmarks, a client with its own configuration).
    pub fn ready(client: C) -> Self
    where
        C: Send + 'static,
    {
        Self(Arc::new(LazyLock::new(Box::new(move || client))))
    }

    pub fn get(&self) -> &C {
        &self.0
    }
}

impl<C> Clone for SdkClient<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: Send + 'static> From<C> for SdkClient<C> {
    fn from(client: C) -> Self {
        Self::ready(client)
    }
}

impl<C> fmt::Debug for SdkClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SdkClient(..)")
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

    #[test]
    fn nothing_is_built_until_first_use_then_exactly_once_for_all_clones() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = builds.clone();
        let client = SdkClient::lazy(&sdk(), move |sdk| {
            counted.fetch_add(1, Ordering::SeqCst);
            aws_sdk_sqs::Client::new(sdk)
        });
        let clone = client.clone();
        assert_eq!(builds.load(Ordering::SeqCst), 0);

        let first: *const aws_sdk_sqs::Client = client.get();
        let again: *const aws_sdk_sqs::Client = clone.get();
        let _ = client.get();
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert_eq!(first, again, "clones share the one client");
    }

    #[test]
    fn concurrent_first_uses_build_once() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = builds.clone();
        let client = SdkClient::lazy(&sdk(), move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            7u32
        });
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let c = client.clone();
                std::thread::spawn(move || *c.get())
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), 7);
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_ready_client_is_the_one_given() {
        let client = SdkClient::from(42u32);
        assert_eq!(*client.get(), 42);
    }
}
