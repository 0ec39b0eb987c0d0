//! The store contract (`jobmon_tests::contract`) against the in-memory store: fast tier,
//! no moto. `tests/store.rs` runs the same contract against DynamoDB on moto.

use jobmon_tests::contract;
use shared::adapters::MemoryStore;

#[tokio::test]
async fn email_is_unique_in_any_case() {
    contract::email_is_unique_in_any_case(&MemoryStore::new()).await;
}

#[tokio::test]
async fn job_url_is_unique_per_tenant() {
    contract::job_url_is_unique_per_tenant(&MemoryStore::new()).await;
}

#[tokio::test]
async fn member_rules_hold_in_the_transaction() {
    contract::member_rules_hold_in_the_transaction(&MemoryStore::new()).await;
}

#[tokio::test]
async fn quota_is_conditional() {
    contract::quota_is_conditional(&MemoryStore::new()).await;
}

#[tokio::test]
async fn moves_and_scorings_are_conditional() {
    contract::moves_and_scorings_are_conditional(&MemoryStore::new()).await;
}

#[tokio::test]
async fn billing_events_apply_once_and_in_order() {
    contract::billing_events_apply_once_and_in_order(&MemoryStore::new()).await;
}

#[tokio::test]
async fn admissions_reserve_with_their_marker() {
    contract::admissions_reserve_with_their_marker(&MemoryStore::new()).await;
}

#[tokio::test]
async fn scorings_are_conditional_on_the_profile_version() {
    contract::scorings_are_conditional_on_the_profile_version(&MemoryStore::new()).await;
}

#[tokio::test]
async fn tracking_is_conditional_counted_and_bounded() {
    jobmon_tests::tracking_contract::tracking_is_conditional_counted_and_bounded(
        &MemoryStore::new(),
    )
    .await;
}

#[tokio::test]
async fn lists_answer_every_filter_combination() {
    jobmon_tests::list_contract::lists_answer_every_filter_combination(&MemoryStore::new()).await;
    jobmon_tests::list_contract::wide_score_filters_page_with_every_range_open(&MemoryStore::new())
        .await;
}
