//! The project's moto launcher (infra/moto_serialized.py) replaces moto's whole-table copy
//! in `TransactWriteItems` with a copy of the items the actions name. These tests hold it
//! to what DynamoDB promises: a transaction that fails for any reason leaves every item,
//! and the indexes read from them, exactly as before; one that succeeds applies all.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use jobmon_tests::TestStack;

type Item = HashMap<String, AttributeValue>;

const PK: &str = "TXTEST";

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn key(sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(PK)), ("SK".to_owned(), s(sk))])
}

/// An item that is also in the GSI3 index (as the active job list's cards are).
fn item(sk: &str, count: i64) -> Item {
    let mut item = key(sk);
    item.insert("GSI3PK".into(), s("TXTEST#ACTIVE"));
    item.insert("GSI3SK".into(), s(sk));
    item.insert("count".into(), AttributeValue::N(count.to_string()));
    item.insert("note".into(), s("as seeded"));
    item
}

async fn seed(stack: &TestStack) {
    for (sk, count) in [("KEEP", 1), ("UPDATE", 10), ("DELETE", 100)] {
        stack
            .dynamo
            .put_item()
            .table_name(stack.table())
            .set_item(Some(item(sk, count)))
            .send()
            .await
            .unwrap();
    }
}

/// Every item under the test's partition, by sort key, read strongly consistently.
async fn partition(stack: &TestStack) -> BTreeMap<String, Item> {
    let out = stack
        .dynamo
        .query()
        .table_name(stack.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", s(PK))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|i| (i["SK"].as_s().unwrap().clone(), i.clone()))
        .collect()
}

/// The sort keys the GSI3 index lists for the test's items.
async fn indexed(stack: &TestStack) -> Vec<String> {
    let out = stack
        .dynamo
        .query()
        .table_name(stack.table())
        .index_name("GSI3")
        .key_condition_expression("GSI3PK = :pk")
        .expression_attribute_values(":pk", s("TXTEST#ACTIVE"))
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|i| i["SK"].as_s().unwrap().clone())
        .collect()
}

fn put_new(table: &str) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item("NEW", 0)))
        .build()
        .unwrap();
    TransactWriteItem::builder().put(put).build()
}

/// SET and ADD on an existing item, and a new attribute.
fn update_existing(table: &str) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key("UPDATE")))
        .update_expression("SET note = :note, added = :one ADD #count :one REMOVE GSI3PK")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":note", s("changed"))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()
        .unwrap();
    TransactWriteItem::builder().update(update).build()
}

fn delete_existing(table: &str) -> TransactWriteItem {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key("DELETE")))
        .build()
        .unwrap();
    TransactWriteItem::builder().delete(delete).build()
}

fn check_missing(table: &str) -> TransactWriteItem {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key("MISSING")))
        .condition_expression("attribute_exists(PK)")
        .build()
        .unwrap();
    TransactWriteItem::builder().condition_check(check).build()
}

/// `actions` (given the stack's table name) as one transaction.
async fn transact(
    stack: &TestStack,
    actions: impl Fn(&str) -> Vec<TransactWriteItem>,
) -> Result<(), TransactWriteItemsError> {
    stack
        .dynamo
        .transact_write_items()
        .set_transact_items(Some(actions(stack.table())))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error())
}

#[tokio::test]
async fn a_transaction_cancelled_by_its_last_condition_writes_nothing() {
    let stack = TestStack::new().await;
    seed(&stack).await;
    let before = partition(&stack).await;
    let indexed_before = indexed(&stack).await;

    let err = transact(&stack, |t| {
        vec![
            put_new(t),
            update_existing(t),
            delete_existing(t),
            check_missing(t),
        ]
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("TransactionCanceledException"), "{err:?}");
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = &err else {
        panic!("not a cancellation: {err:?}");
    };
    let failed: Vec<usize> = cancelled
        .cancellation_reasons()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(failed, [3], "only the fourth action's condition failed");

    assert_eq!(partition(&stack).await, before, "an item changed");
    assert_eq!(indexed(&stack).await, indexed_before, "the index changed");
}

#[tokio::test]
async fn a_transaction_refused_as_invalid_writes_nothing() {
    let stack = TestStack::new().await;
    seed(&stack).await;
    let before = partition(&stack).await;

    // Two actions on one item: refused as a whole after moto applied the first.
    let err = transact(&stack, |t| {
        vec![
            put_new(t),
            update_existing(t),
            delete_existing(t),
            update_existing(t),
        ]
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    assert_eq!(partition(&stack).await, before, "an item changed");
}

#[tokio::test]
async fn after_a_cancelled_transaction_the_same_actions_apply_in_full() {
    let stack = TestStack::new().await;
    seed(&stack).await;
    transact(&stack, |t| {
        vec![put_new(t), update_existing(t), check_missing(t)]
    })
    .await
    .unwrap_err();

    transact(&stack, |t| {
        vec![put_new(t), update_existing(t), delete_existing(t)]
    })
    .await
    .unwrap();
    let after = partition(&stack).await;
    assert_eq!(
        after.keys().map(String::as_str).collect::<Vec<_>>(),
        ["KEEP", "NEW", "UPDATE"]
    );
    let updated = &after["UPDATE"];
    assert_eq!(updated["count"], AttributeValue::N("11".into()), "ADD once");
    assert_eq!(updated["note"], s("changed"));
    assert!(!updated.contains_key("GSI3PK"));
    assert_eq!(indexed(&stack).await, ["KEEP", "NEW"]);
}
