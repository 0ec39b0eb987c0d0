//! The DynamoDB adapter against moto, on a table created from template.yaml.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use jobmon_tests::TestStack;
use jobmon_tests::contract::{job, source, tenant, user};
use jobmon_tests::requests::Dying;
use jobmon_tests::seed::store;
use shared::adapters::DynamoStore;
use shared::adapters::dynamo::keys;
use shared::domain::{
    Email, JobId, JobStatus, Role, SourceKind, StoredKind, Tenant, TenantId, User,
};
use shared::http::CursorCodec;
use shared::ports::{
    AccountStore, AnalyticsStore, Conflict, IngestStore, JobQuery, JobStore, KnownCheck,
    PageRequest, SourceStore, StoreError, TenantReader,
};

fn admin(tenant: &Tenant, email: &str) -> User {
    user(tenant, email, Role::Admin)
}

async fn item_exists(stack: &TestStack, pk: String, sk: &str) -> bool {
    stack
        .dynamo
        .get_item()
        .table_name(stack.table())
        .key("PK", AttributeValue::S(pk))
        .key("SK", AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .is_some()
}

#[tokio::test]
async fn duplicate_email_is_a_conflict_in_any_letter_case_and_writes_nothing() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let first = tenant("First");
    store
        .create_account(&first, &admin(&first, "ann@example.com"))
        .await
        .unwrap();

    for email in ["ann@example.com", "ANN@Example.COM"] {
        let second = tenant("Second");
        let second_admin = admin(&second, email);
        let err = store
            .create_account(&second, &second_admin)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict(Conflict::EmailTaken)),
            "{email}: {err:?}"
        );
        // The transaction is all or nothing: no tenant, no user of the refused account.
        assert!(store.get_tenant(second.id).await.unwrap().is_none());
        assert!(
            !item_exists(
                &stack,
                keys::tenant_pk(second.id),
                &keys::user_sk(second_admin.id)
            )
            .await
        );
    }

    let found = store
        .find_user_by_email(&Email::parse("Ann@EXAMPLE.com").unwrap())
        .await
        .unwrap()
        .expect("look-up ignores case");
    assert_eq!(found.tenant_id, first.id);
    assert_eq!(store.get_tenant(first.id).await.unwrap().unwrap(), first);
    assert!(
        store
            .find_user_by_email(&Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn duplicate_job_url_is_refused_within_a_tenant_and_allowed_across_tenants() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let (a, b) = (TenantId::new(), TenantId::new());
    let original = job(a, "https://boards.example.com/acme/jobs/1", JobStatus::New);
    store.insert_job(&original).await.unwrap();

    // Same posting, different spelling of its URL: canonicalisation makes it the same key.
    let repost = job(
        a,
        "HTTPS://Boards.Example.com:443/acme/jobs/1/?utm_source=x#apply",
        JobStatus::New,
    );
    let err = store.insert_job(&repost).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(Conflict::DuplicateJobUrl)),
        "{err:?}"
    );
    // Nothing of the refused job was written: neither card nor body.
    assert!(store.get_job(a, repost.card.id).await.unwrap().is_none());
    assert!(!item_exists(&stack, keys::job_pk(a, repost.card.id), keys::JOB_BODY_SK).await);

    let other_tenant = job(b, "https://boards.example.com/acme/jobs/1", JobStatus::New);
    store.insert_job(&other_tenant).await.unwrap();

    let stored = store.get_job(a, original.card.id).await.unwrap().unwrap();
    assert_eq!(stored, original);
    // Tenant isolation: B cannot read A's job by id.
    assert!(store.get_job(b, original.card.id).await.unwrap().is_none());
}

#[tokio::test]
async fn paging_returns_every_job_exactly_once_newest_first() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let tenant = TenantId::new();
    let mut inserted = Vec::new();
    for i in 0..23 {
        let status = if i % 3 == 0 {
            JobStatus::Scored
        } else {
            JobStatus::New
        };
        let j = job(tenant, &format!("https://jobs.example.com/{i}"), status);
        store.insert_job(&j).await.unwrap();
        inserted.push(j);
    }
    // Noise in another tenant must not show up.
    store
        .insert_job(&job(
            TenantId::new(),
            "https://jobs.example.com/x",
            JobStatus::New,
        ))
        .await
        .unwrap();

    for (query, expected) in [
        (JobQuery::default(), 23),
        (
            JobQuery {
                status: Some(JobStatus::Scored),
                ..JobQuery::default()
            },
            8,
        ),
        (
            JobQuery {
                status: Some(JobStatus::New),
                ..JobQuery::default()
            },
            15,
        ),
        (
            JobQuery {
                status: Some(JobStatus::Archived),
                ..JobQuery::default()
            },
            0,
        ),
    ] {
        let mut seen = Vec::new();
        let mut page = PageRequest::first(5);
        let mut pages = 0;
        loop {
            let got = store.list_jobs(tenant, &query, &page).await.unwrap();
            assert!(got.items.len() <= 5);
            seen.extend(got.items.iter().map(|c| c.id));
            pages += 1;
            assert!(pages <= 10, "paging does not terminate");
            match got.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(seen.len(), expected, "{query:?}");
        assert_eq!(unique.len(), expected, "{query:?}: an item came twice");
        let mut sorted = seen.clone();
        sorted.sort_by(|x, y| y.cmp(x));
        assert_eq!(seen, sorted, "{query:?}: newest first");
        for id in &seen {
            let original = inserted
                .iter()
                .find(|j| j.card.id == *id)
                .expect("own tenant's job");
            if let Some(status) = query.status {
                assert_eq!(original.card.status, status);
            }
        }
    }
}

#[tokio::test]
async fn a_cursor_is_refused_for_another_tenant_or_query_or_when_forged() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let (a, b) = (TenantId::new(), TenantId::new());
    for i in 0..4 {
        store
            .insert_job(&job(
                a,
                &format!("https://jobs.example.com/a{i}"),
                JobStatus::New,
            ))
            .await
            .unwrap();
        store
            .insert_job(&job(
                b,
                &format!("https://jobs.example.com/b{i}"),
                JobStatus::New,
            ))
            .await
            .unwrap();
    }
    let first = store
        .list_jobs(a, &JobQuery::default(), &PageRequest::first(2))
        .await
        .unwrap();
    let cursor = first.next_cursor.expect("more than one page");
    let next = PageRequest {
        limit: 2,
        cursor: Some(cursor.clone()),
    };

    assert!(matches!(
        store.list_jobs(b, &JobQuery::default(), &next).await,
        Err(StoreError::InvalidCursor)
    ));
    assert!(matches!(
        store
            .list_jobs(
                a,
                &JobQuery {
                    status: Some(JobStatus::New),
                    ..JobQuery::default()
                },
                &next
            )
            .await,
        Err(StoreError::InvalidCursor)
    ));
    let mut forged = cursor.clone();
    forged.insert(0, 'x');
    assert!(matches!(
        store
            .list_jobs(
                a,
                &JobQuery::default(),
                &PageRequest {
                    limit: 2,
                    cursor: Some(forged)
                }
            )
            .await,
        Err(StoreError::InvalidCursor)
    ));
    // A store with another signing key refuses it too.
    let other_key = DynamoStore::new(
        stack.dynamo.clone(),
        stack.table(),
        CursorCodec::new(&[1u8; 32]).unwrap(),
    );
    assert!(matches!(
        other_key.list_jobs(a, &JobQuery::default(), &next).await,
        Err(StoreError::InvalidCursor)
    ));
    // The rightful owner continues.
    assert_eq!(
        store
            .list_jobs(a, &JobQuery::default(), &next)
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

#[tokio::test]
async fn a_corrupt_item_is_a_typed_error_not_a_panic() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let tenant = TenantId::new();
    let id = JobId::new();
    stack
        .dynamo
        .put_item()
        .table_name(stack.table())
        .item("PK", AttributeValue::S(keys::tenant_pk(tenant)))
        .item("SK", AttributeValue::S(keys::job_sk(id)))
        // In the default list's index, as every card that is not archived.
        .item("GSI3PK", AttributeValue::S(keys::active_gsi_pk(tenant)))
        .item("GSI3SK", AttributeValue::S(keys::job_sk(id)))
        .item("title", AttributeValue::N("12".into()))
        .send()
        .await
        .unwrap();
    let err = store.get_job(tenant, id).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let err = store
        .list_jobs(tenant, &JobQuery::default(), &PageRequest::first(10))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

/// A row written by another version of jobmon may name a kind this build does not know: it
/// loads (one such source must not fail the tenant's list), and a fetch's record keeps the
/// kind as stored.
#[tokio::test]
async fn a_source_of_an_unknown_kind_loads_and_keeps_its_stored_kind() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let t = tenant("Kinds");
    store
        .create_account(&t, &admin(&t, "kinds@example.com"))
        .await
        .unwrap();
    let created = source(
        t.id,
        SourceKind::Greenhouse,
        serde_json::json!({"board": "acme"}),
    );
    store.create_source(&created, 10).await.unwrap();
    let pk = AttributeValue::S(keys::tenant_pk(t.id));
    let sk = AttributeValue::S(keys::source_sk(created.id));
    stack
        .dynamo
        .update_item()
        .table_name(stack.table())
        .key("PK", pk.clone())
        .key("SK", sk.clone())
        .update_expression("SET kind = :kind")
        .expression_attribute_values(":kind", AttributeValue::S("workday".into()))
        .send()
        .await
        .unwrap();

    let read = store.get_source(t.id, created.id).await.unwrap().unwrap();
    assert_eq!(read.kind, StoredKind::Unknown("workday".into()));
    let listed = store.list_sources(t.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind.as_str(), "workday");

    let mut fetched = read.clone();
    fetched.last_error = Some("invalid configuration".into());
    fetched.consecutive_failures = 1;
    assert!(store.record_fetch(&fetched, &read).await.unwrap());
    let item = stack
        .dynamo
        .get_item()
        .table_name(stack.table())
        .key("PK", pk)
        .key("SK", sk)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["kind"], AttributeValue::S("workday".into()));
    assert_eq!(item["name"], AttributeValue::S("greenhouse".into()));
    assert_eq!(
        item["lastError"],
        AttributeValue::S("invalid configuration".into())
    );
}

/// moto lists every model object it ever created on its dashboard, and its
/// TransactWriteItems deep-copies the table first: unless the harness's moto
/// (infra/moto_serialized.py) leaves DynamoDB's objects untracked, every transaction keeps
/// a copy of the table alive, and a long local stack or benchmark grows by gigabytes.
#[tokio::test]
async fn moto_keeps_no_copy_of_the_table_per_transaction() {
    let stack = TestStack::new().await;
    let item = |sk: String| {
        HashMap::from([
            ("PK".to_owned(), AttributeValue::S("LEAK".into())),
            ("SK".to_owned(), AttributeValue::S(sk)),
            ("body".to_owned(), AttributeValue::S("x".repeat(200))),
        ])
    };
    for i in 0..20 {
        stack
            .dynamo
            .put_item()
            .table_name(stack.table())
            .set_item(Some(item(format!("ITEM#{i:02}"))))
            .send()
            .await
            .unwrap();
    }
    for i in 0..10 {
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(stack.table())
            .set_item(Some(item(format!("TX#{i:02}"))))
            .build()
            .unwrap();
        stack
            .dynamo
            .transact_write_items()
            .transact_items(
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .put(put)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let data = jobmon_tests::moto_get(&stack.endpoint, "/moto-api/data.json");
    let tracked: usize = data["dynamodb"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, instances)| instances.as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        tracked, 0,
        "moto keeps {tracked} DynamoDB objects (20 items and 10 transactions here would keep \
         at least 200 copies): is the harness running infra/moto_serialized.py?"
    );
}

/// 112 filter combinations, each paged 5 at a time through merged index ranges, against
/// the order and contents computed from the jobs (the fast tier runs the same).
#[tokio::test]
async fn every_list_filter_combination_pages_through_its_jobs_in_order() {
    let stack = TestStack::new().await;
    jobmon_tests::list_contract::lists_answer_every_filter_combination(&store(&stack)).await;
    jobmon_tests::list_contract::wide_score_filters_page_with_every_range_open(&store(&stack))
        .await;
}

/// The store contract that the in-memory store also passes (`tests/fast_store_contract.rs`),
/// here against DynamoDB: the fast tier's store answers like this one.
#[tokio::test]
async fn the_store_contract_holds_against_dynamodb() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    use jobmon_tests::contract;
    contract::email_is_unique_in_any_case(&store).await;
    contract::job_url_is_unique_per_tenant(&store).await;
    contract::member_rules_hold_in_the_transaction(&store).await;
    contract::quota_is_conditional(&store).await;
    contract::moves_and_scorings_are_conditional(&store).await;
    contract::scorings_are_conditional_on_the_profile_version(&store).await;
    contract::billing_events_apply_once_and_in_order(&store).await;
    contract::admissions_reserve_with_their_marker(&store).await;
    jobmon_tests::tracking_contract::tracking_is_conditional_counted_and_bounded(&store).await;
}

/// An enterprise tenant has any number of members; DynamoDB caps a filter expression at
/// 4 KB, so the erasure walk must not name each member in its Scan (moto enforces no such
/// cap: the adapter's unit test holds the filter's size fixed). Here: 150 members' e-mail
/// look-ups and address-keyed rate windows are erased, a stranger's are kept.
#[tokio::test]
async fn erasing_a_tenant_with_150_members_deletes_their_keys_and_keeps_others() {
    use shared::ports::{ErasureTarget, TenantEraser};
    let stack = TestStack::new().await;
    let store = store(&stack);
    let tenant = TenantId::new();
    let stranger = TenantId::new();
    let emails: Vec<String> = (0..150).map(|i| format!("member{i}@big.example")).collect();
    let put = |pk: String| {
        stack
            .dynamo
            .put_item()
            .table_name(stack.table())
            .item("PK", AttributeValue::S(pk))
            .item("SK", AttributeValue::S("X".into()))
            .send()
    };
    for email in &emails {
        put(format!("EMAIL#{email}")).await.unwrap();
        put(format!("RATE#reset:email:{email}#1700000000"))
            .await
            .unwrap();
    }
    put(keys::tenant_pk(tenant)).await.unwrap();
    put(format!("RATE#invite:tenant:{tenant}#1700000000"))
        .await
        .unwrap();
    let kept = [
        "EMAIL#outsider@big.example".to_owned(),
        "RATE#reset:email:outsider@big.example#1700000000".to_owned(),
        keys::tenant_pk(stranger),
        format!("RATE#invite:tenant:{stranger}#1700000000"),
    ];
    for pk in &kept {
        put(pk.clone()).await.unwrap();
    }

    let target = ErasureTarget {
        tenant,
        emails: emails.clone(),
    };
    let (mut deleted, mut start) = (0, None);
    loop {
        let page = store
            .erase_page(&target, start.as_deref(), 100)
            .await
            .unwrap();
        deleted += page.deleted;
        match page.next {
            Some(next) => start = Some(next),
            None => break,
        }
    }

    assert_eq!(deleted, 2 * emails.len() + 2);
    for email in &emails {
        assert!(!item_exists(&stack, format!("EMAIL#{email}"), "X").await);
        assert!(!item_exists(&stack, format!("RATE#reset:email:{email}#1700000000"), "X").await);
    }
    assert!(!item_exists(&stack, keys::tenant_pk(tenant), "X").await);
    for pk in kept {
        assert!(item_exists(&stack, pk.clone(), "X").await, "{pk} kept");
    }
}

/// Concurrent first failed logins of one key each count: the write that starts a run is
/// conditional, so the loser of the race adds to the winner's run instead of resetting it
/// to 1. A run older than `forget_after` still starts afresh.
#[tokio::test]
async fn concurrent_first_failures_all_count_and_a_forgotten_run_restarts() {
    use shared::ports::FailureCounter;
    let stack = TestStack::new().await;
    let store = store(&stack);
    let now = chrono::Utc::now();
    let forget = chrono::Duration::minutes(15);
    let key = format!("login:{}", ulid::Ulid::new());
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move { store.record_failure(&key, now, forget).await })
        })
        .collect();
    for racer in racers {
        racer.await.unwrap().unwrap();
    }
    assert_eq!(store.failures(&key, now, forget).await.unwrap().count, 8);

    let later = now + forget + chrono::Duration::seconds(1);
    let run = store.record_failure(&key, later, forget).await.unwrap();
    assert_eq!(run.count, 1);
}

/// Jobs the day counters of `tenant` say were created (today and either side of it).
async fn counted(store: &DynamoStore, tenant: TenantId) -> i64 {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let days = store.day_counters(tenant, from, to).await.unwrap();
    days.iter().map(|d| d.created).sum()
}

fn three_jobs(tenant: TenantId, batch: &str) -> Vec<shared::domain::Job> {
    (0..3)
        .map(|n| {
            job(
                tenant,
                &format!("https://example.com/{batch}/{n}"),
                JobStatus::Queued,
            )
        })
        .collect()
}

/// An insert whose counting transaction fails while its process lives on keeps its
/// record through the release, and the next lease holder counts those jobs once. An
/// insert without the lease counts a record nobody holds; while a live holder is on the
/// lease item it is refused rather than count a record that may be mid-write.
#[tokio::test]
async fn an_insert_left_uncounted_is_counted_once_by_whoever_comes_next() {
    let stack = TestStack::new().await;
    let store = store(&stack);
    let t = TenantId::new();
    let lease = keys::tenant_pk(t);

    // Requests: lease (1), record (2), jobs (3), counting transaction (4: fails).
    let flaky = Dying::fails_once(3).store(&stack);
    assert!(flaky.acquire_ingest_lease(t, "a", 120).await.unwrap());
    assert!(flaky.insert_jobs(&three_jobs(t, "a")).await.is_err());
    flaky.release_ingest_lease(t, "a").await.unwrap();
    assert_eq!(counted(&store, t).await, 0, "written, not yet counted");
    let found = store
        .known_postings(t, &[], KnownCheck::BeforeLease)
        .await
        .unwrap();
    assert!(found.unfinished, "the record outlived the release");
    assert!(store.acquire_ingest_lease(t, "b", 120).await.unwrap());
    assert_eq!(counted(&store, t).await, 3, "the next holder counted them");
    store.release_ingest_lease(t, "b").await.unwrap();
    assert!(!item_exists(&stack, lease.clone(), keys::INGEST_LEASE_SK).await);

    // Without the lease: record (1), jobs (2), counting transaction (3: fails).
    let flaky = Dying::fails_once(2).store(&stack);
    assert!(flaky.insert_jobs(&three_jobs(t, "c")).await.is_err());
    store.insert_jobs(&three_jobs(t, "d")).await.unwrap();
    assert_eq!(
        counted(&store, t).await,
        9,
        "the leftover and its own, once each"
    );

    let flaky = Dying::fails_once(2).store(&stack);
    assert!(store.acquire_ingest_lease(t, "e", 120).await.unwrap());
    assert!(flaky.insert_jobs(&three_jobs(t, "e")).await.is_err());
    let refused = store.insert_jobs(&three_jobs(t, "f")).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    assert_eq!(counted(&store, t).await, 9, "a held record is not counted");
    store.release_ingest_lease(t, "e").await.unwrap();
    assert!(store.acquire_ingest_lease(t, "g", 120).await.unwrap());
    assert_eq!(counted(&store, t).await, 12);
    let found = store
        .known_postings(t, &[], KnownCheck::BeforeLease)
        .await
        .unwrap();
    assert!(!found.unfinished);
}
