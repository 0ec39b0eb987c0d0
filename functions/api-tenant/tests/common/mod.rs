//! What the api-tenant test binaries share: the app as `main` wires it, on a test stack.

use jobmon_tests::TestStack;
use shared::domain::PlanCatalog;
use shared::services::AuthLimits;

pub use jobmon_tests::accounts::PASSWORD;

/// The app as `api-tenant`'s `main` wires it, on this stack.
pub async fn tenant_app(stack: &TestStack) -> api_tenant::App {
    let accounts = jobmon_tests::accounts::account_service(stack, AuthLimits::default()).await;
    let queue = stack.queue_url("ErasureQueue");
    let core = stack.core(
        PlanCatalog::builtin(),
        &[("JOBMON_ERASURE_QUEUE_URL", queue)],
    );
    api_tenant::App {
        accounts,
        privacy: core.privacy_service().expect("the erasure queue is set"),
    }
}
