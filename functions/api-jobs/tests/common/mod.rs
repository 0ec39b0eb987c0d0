//! What the api-jobs test binaries share: the app as `main` wires it on a test stack, with
//! an account service to sign tenants up and the store to seed jobs.

use std::sync::Arc;

use api_jobs::{App, handle};
use jobmon_tests::TestStack;
use jobmon_tests::accounts::account_service;
use jobmon_tests::events::{HttpEvent, parts};
use jobmon_tests::seed;
use serde_json::Value;
use shared::adapters::DynamoStore;
use shared::domain::{PlanCatalog, TenantId};
use shared::services::{AccountService, AuthLimits};

pub struct Env {
    // Not every test binary reads it.
    #[allow(dead_code)]
    pub stack: TestStack,
    pub accounts: AccountService,
    pub store: Arc<DynamoStore>,
    pub app: App,
}

pub async fn env() -> Env {
    let stack = TestStack::new().await;
    let accounts = account_service(&stack, AuthLimits::default()).await;
    let store = Arc::new(seed::store(&stack));
    let app = App::wire(&stack.core(PlanCatalog::builtin(), &[])).expect("wired");
    Env {
        stack,
        accounts,
        store,
        app,
    }
}

/// A new tenant (unique e-mail); its access token and id.
pub async fn signup(env: &Env, name: &str) -> (String, TenantId) {
    jobmon_tests::accounts::signup(&env.accounts, name).await
}

/// The app's answer to `event`: status and JSON body.
pub async fn call(env: &Env, event: HttpEvent) -> (u16, Value) {
    parts(handle(&env.app, event.request()).await)
}
