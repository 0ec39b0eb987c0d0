//! `jobmon-reindex` (`DynamoStore::reindex_job_cards`) against moto: cards written under
//! the earlier list-index layout (GSI4 by `SCORED`, GSI5 by source alone, no GSI6) are
//! missing from the lists that read the new keys until the run rewrites them; a second run
//! rewrites nothing, and a card it cannot read is counted and left.

use aws_sdk_dynamodb::types::AttributeValue;
use jobmon_tests::TestStack;
use jobmon_tests::contract::job;
use jobmon_tests::seed::store;
use shared::adapters::dynamo::keys;
use shared::domain::{JobStatus, Score, SourceId, TenantId};
use shared::ports::{JobQuery, JobSort, JobStore, PageRequest};

async fn count(store: &impl JobStore, tenant: TenantId, q: &JobQuery) -> usize {
    store
        .list_jobs(tenant, q, &PageRequest::first(100))
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn old_layout_cards_are_rewritten_once_and_listed_again() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let tenant = TenantId::new();
    let source = SourceId::new();
    let mut ids = Vec::new();
    for i in 0..12 {
        let status = if i % 3 == 0 {
            JobStatus::New
        } else {
            JobStatus::Scored
        };
        let mut j = job(tenant, &format!("https://jobs.example.com/r/{i}"), status);
        j.card.source_id = source;
        if status == JobStatus::Scored {
            j.card.score = Score::new(8).ok();
        }
        store.insert_job(&j).await.unwrap();
        ids.push((j.card.id, status));
    }
    let by_source = JobQuery {
        source: Some(source),
        ..JobQuery::default()
    };
    let best = JobQuery {
        sort: JobSort::Score,
        min_score: Score::new(7).ok(),
        ..JobQuery::default()
    };
    assert_eq!(count(&store, tenant, &by_source).await, 12);
    assert_eq!(count(&store, tenant, &best).await, 8);

    // Put the scored cards back to the layout before GSI6 and the status-keyed GSI4/5.
    for (id, status) in &ids {
        let mut update = stack
            .dynamo
            .update_item()
            .table_name(stack.table())
            .key("PK", AttributeValue::S(keys::tenant_pk(tenant)))
            .key("SK", AttributeValue::S(keys::job_sk(*id)))
            .expression_attribute_values(
                ":g5",
                AttributeValue::S(format!("T#{tenant}#SRC#{source}")),
            );
        update = if *status == JobStatus::Scored {
            update
                .update_expression("SET GSI5PK = :g5, GSI4PK = :g4 REMOVE GSI6PK, GSI6SK")
                .expression_attribute_values(":g4", AttributeValue::S(format!("T#{tenant}#SCORED")))
        } else {
            update.update_expression("SET GSI5PK = :g5")
        };
        update.send().await.unwrap();
    }
    assert_eq!(
        count(&store, tenant, &by_source).await,
        0,
        "old keys are not read"
    );
    assert_eq!(count(&store, tenant, &best).await, 0);

    let report = store.reindex_job_cards().await.unwrap();
    assert_eq!((report.cards, report.rewritten, report.moved), (12, 12, 0));
    assert_eq!(count(&store, tenant, &by_source).await, 12);
    assert_eq!(count(&store, tenant, &best).await, 8);
    let source_best = JobQuery {
        source: Some(source),
        ..best.clone()
    };
    assert_eq!(count(&store, tenant, &source_best).await, 8);

    let again = store.reindex_job_cards().await.unwrap();
    assert_eq!((again.cards, again.rewritten, again.current), (12, 0, 12));

    // A card that cannot be read is counted and left; the run goes on past it.
    stack
        .dynamo
        .put_item()
        .table_name(stack.table())
        .item("PK", AttributeValue::S(keys::tenant_pk(tenant)))
        .item("SK", AttributeValue::S("JOB#not-a-card".into()))
        .item("entity", AttributeValue::S("job".into()))
        .send()
        .await
        .unwrap();
    let third = store.reindex_job_cards().await.unwrap();
    assert_eq!(
        (
            third.cards,
            third.current,
            third.unreadable,
            third.rewritten
        ),
        (13, 12, 1, 0)
    );
}
