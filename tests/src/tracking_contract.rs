//! The tracking part of the store contract: stage changes conditional on the stage as
//! read and counted in the day's `sg_<stage>`, notes bounded per job, entries scoped by
//! tenant. Run against memory (`fast_store_contract.rs`) and moto (`store.rs`).

use chrono::{Duration, Utc};
use shared::domain::{NoteText, Stage, TenantId, TrackingEntry};
use shared::ports::{AnalyticsStore, JobStore, MAX_NOTES, NoteAdded, TrackingStore};

use crate::contract::job;

pub async fn tracking_is_conditional_counted_and_bounded<S>(store: &S)
where
    S: JobStore + TrackingStore + AnalyticsStore,
{
    let tenant = TenantId::new();
    let other = TenantId::new();
    let stored = job(
        tenant,
        "https://acme.example/jobs/track",
        shared::domain::JobStatus::New,
    );
    store.insert_job(&stored).await.unwrap();
    let id = stored.card.id;
    let t0 = Utc::now();

    let applied = store
        .set_stage(tenant, &stored.card, Stage::Applied, t0)
        .await
        .unwrap()
        .expect("the first stage is set");
    assert_eq!(applied.stage, Some(Stage::Applied));
    // A second writer that read the job before the first change loses.
    assert_eq!(
        store
            .set_stage(tenant, &stored.card, Stage::Saved, t0)
            .await
            .unwrap(),
        None
    );
    let later = t0 + Duration::seconds(1);
    let interviewing = store
        .set_stage(tenant, &applied, Stage::Interviewing, later)
        .await
        .unwrap()
        .expect("moved from the stage as read");
    let read = store.get_job(tenant, id).await.unwrap().unwrap();
    assert_eq!(read.card.stage, Some(Stage::Interviewing));
    assert_eq!(read.card.stage_changed_at, interviewing.stage_changed_at);
    // Another tenant cannot reach the card.
    assert_eq!(
        store
            .set_stage(other, &read.card, Stage::Offer, later)
            .await
            .unwrap(),
        None
    );

    let note = NoteText::parse("Ana, Monday 10:00").unwrap();
    assert_eq!(
        store.add_note(tenant, id, &note, later).await.unwrap(),
        NoteAdded::Added
    );
    assert_eq!(
        store.add_note(other, id, &note, later).await.unwrap(),
        NoteAdded::JobGone
    );
    let entries = store.tracking(tenant, id).await.unwrap();
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(matches!(
        entries[1],
        TrackingEntry::Stage {
            stage: Stage::Interviewing,
            from: Some(Stage::Applied),
            ..
        }
    ));
    assert!(matches!(&entries[2], TrackingEntry::Note { text, .. } if text == note.as_str()));
    assert!(store.tracking(other, id).await.unwrap().is_empty());

    let day = stored.card.created_at.date_naive();
    let counters = store.day_counters(tenant, day, day).await.unwrap();
    let by_stage = &counters[0].by_stage;
    assert_eq!(by_stage.get(&Stage::Interviewing), Some(&1));
    assert_eq!(by_stage.get(&Stage::Applied), Some(&0), "moved out again");

    for _ in 1..MAX_NOTES {
        assert_eq!(
            store.add_note(tenant, id, &note, later).await.unwrap(),
            NoteAdded::Added
        );
    }
    assert_eq!(
        store.add_note(tenant, id, &note, later).await.unwrap(),
        NoteAdded::Full
    );
}
