//! Export and erasure rules on the in-memory store: admin rights are read from the store
//! (a demoted admin's token, still saying admin, neither exports nor erases), and an
//! export part ends on time as well as on size.

mod support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;
use serde_json::json;
use shared::adapters::memory::MemoryQueue;
use shared::domain::{Role, TenantId};
use shared::http::CursorCodec;
use shared::ports::{
    Clock, ErasedPage, ErasureTarget, FixedClock, RawItem, RawPage, StoreError, TenantArchive,
    TenantEraser,
};
use shared::services::PrivacyService;
use shared::services::accounts::{PasswordConfirmation, RoleRequest};
use shared::services::privacy::archive::{PART_BYTES, PART_TIME};
use shared::services::views::SessionView;
use support::*;

/// A tenant partition of `jobs` job cards; reading a job's own partition takes
/// `per_job` on the clock (a slow Query).
struct SlowArchive {
    jobs: usize,
    per_job: Duration,
    clock: Arc<FixedClock>,
    reads: Mutex<usize>,
}

impl SlowArchive {
    fn sort_keys(&self) -> Vec<String> {
        (0..self.jobs).map(|i| format!("JOB#{i:05}")).collect()
    }

    fn reads(&self) -> usize {
        *self.reads.lock().unwrap()
    }
}

#[async_trait]
impl TenantArchive for SlowArchive {
    async fn tenant_items(
        &self,
        _tenant: TenantId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<RawPage, StoreError> {
        *self.reads.lock().unwrap() += 1;
        let keys = self.sort_keys();
        let rest: Vec<&String> = keys
            .iter()
            .filter(|sk| after.is_none_or(|a| sk.as_str() > a))
            .collect();
        let items = rest
            .iter()
            .take(limit)
            .map(|sk| json!({"SK": sk, "id": sk}).as_object().cloned().unwrap())
            .collect();
        Ok(RawPage {
            items,
            more: rest.len() > limit,
        })
    }

    async fn job_items(&self, _tenant: TenantId, _job: &str) -> Result<Vec<RawItem>, StoreError> {
        *self.reads.lock().unwrap() += 1;
        self.clock.advance(self.per_job);
        Ok(Vec::new())
    }
}

/// Erasure pages are never reached by these tests; e-mail releases are recorded.
#[derive(Default)]
struct RecordingEraser {
    released: Mutex<Vec<String>>,
}

#[async_trait]
impl TenantEraser for RecordingEraser {
    async fn erase_page(
        &self,
        _target: &ErasureTarget,
        _start: Option<&str>,
        _page_size: u32,
    ) -> Result<ErasedPage, StoreError> {
        Ok(ErasedPage {
            deleted: 0,
            next: None,
        })
    }

    async fn release_emails(&self, emails: &[String]) -> Result<(), StoreError> {
        self.released.lock().unwrap().extend_from_slice(emails);
        Ok(())
    }
}

struct Privacy {
    service: PrivacyService,
    archive: Arc<SlowArchive>,
    eraser: Arc<RecordingEraser>,
    queue: Arc<MemoryQueue>,
}

fn privacy(a: &Accounts, jobs: usize, per_job: Duration) -> Privacy {
    let store = Arc::new(a.store.clone());
    let archive = Arc::new(SlowArchive {
        jobs,
        per_job,
        clock: a.clock.clone(),
        reads: Mutex::new(0),
    });
    let eraser = Arc::new(RecordingEraser::default());
    let queue = Arc::new(MemoryQueue::default());
    let service = PrivacyService {
        accounts: store.clone(),
        billing: store.clone(),
        sessions: store.clone(),
        archive: archive.clone(),
        eraser: eraser.clone(),
        queue: queue.clone(),
        limiter: store,
        passwords: a.service.passwords.clone(),
        cursors: CursorCodec::new(&[7u8; 32]).unwrap(),
        clock: a.clock.clone(),
        part_bytes: PART_BYTES,
    };
    Privacy {
        service,
        archive,
        eraser,
        queue,
    }
}

fn confirmation() -> PasswordConfirmation {
    PasswordConfirmation {
        password: PASSWORD.into(),
    }
}

/// An owner and a second admin whom the owner has just demoted; the deputy's session
/// (its access token still says admin).
async fn demoted_deputy(a: &Accounts) -> (SessionView, SessionView) {
    let owner = register_verified(a, "owner@example.com").await;
    let deputy = invite_and_accept(a, &owner, "deputy@example.com", Role::Admin).await;
    a.service
        .change_role(
            principal(&owner),
            &deputy.user.id.to_string(),
            RoleRequest { role: Role::Member },
        )
        .await
        .unwrap();
    (owner, deputy)
}

#[tokio::test]
async fn a_demoted_admins_old_token_can_neither_export_nor_erase() {
    let a = accounts();
    let p = privacy(&a, 3, Duration::zero());
    let (owner, deputy) = demoted_deputy(&a).await;
    let stale = principal(&deputy);
    assert_eq!(stale.role, Role::Admin, "the token still says admin");

    assert_eq!(code(p.service.export(stale, None).await), "forbidden");
    assert_eq!(p.archive.reads(), 0, "nothing of the tenant was read");
    assert_eq!(
        code(p.service.erase_tenant(stale, confirmation()).await),
        "forbidden"
    );
    assert!(p.queue.take_sent().is_empty(), "no erasure was queued");
    assert!(p.eraser.released.lock().unwrap().is_empty());

    // The owner, still an admin in the store, may do both.
    let part = p.service.export(principal(&owner), None).await.unwrap();
    assert_eq!(part.part.jobs.len(), 3);
    p.service
        .erase_tenant(principal(&owner), confirmation())
        .await
        .unwrap();
    assert_eq!(p.queue.take_sent().len(), 1);
}

#[tokio::test]
async fn a_removed_admins_old_token_can_neither_export_nor_erase() {
    let a = accounts();
    let p = privacy(&a, 1, Duration::zero());
    let owner = register_verified(&a, "owner@example.com").await;
    let deputy = invite_and_accept(&a, &owner, "deputy@example.com", Role::Admin).await;
    a.service
        .remove_member(principal(&owner), &deputy.user.id.to_string())
        .await
        .unwrap();
    let stale = principal(&deputy);
    assert_eq!(code(p.service.export(stale, None).await), "unauthorized");
    assert_eq!(
        code(p.service.erase_tenant(stale, confirmation()).await),
        "unauthorized"
    );
    assert!(p.queue.take_sent().is_empty());
}

#[tokio::test]
async fn an_export_part_ends_on_time_and_the_parts_hold_every_job_once() {
    let a = accounts();
    // Each job's Query takes a second: a part may read PART_TIME's worth of them.
    let p = privacy(&a, 25, Duration::seconds(1));
    let owner = register_verified(&a, "owner@example.com").await;
    let per_part = PART_TIME.num_seconds() as usize;

    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut parts = 0;
    loop {
        let started = a.clock.now();
        let part = p
            .service
            .export(principal(&owner), cursor.as_deref())
            .await
            .unwrap();
        parts += 1;
        let jobs = part.part.jobs.len();
        assert!(jobs <= per_part, "part {parts} read {jobs} jobs");
        assert!(a.clock.now() - started <= PART_TIME);
        ids.extend(
            part.part
                .jobs
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_owned()),
        );
        match part.next_cursor {
            Some(next) => {
                assert_eq!(jobs, per_part, "a part ends early only on time");
                cursor = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(parts, 25usize.div_ceil(per_part));
    let expected: Vec<String> = (0..25).map(|i| format!("JOB#{i:05}")).collect();
    assert_eq!(ids, expected, "every job once, in key order");
}
