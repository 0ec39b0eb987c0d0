//! The scoring benchmark's harness: a fresh stack, the worker on counted clients, queued
//! jobs and their messages, the event source mapping's receive and delete, and moto's own
//! latency as the yardstick.

use super::*;

/// A fresh set of the template's resources (its own table and queues, so every run starts
/// from the same size), the worker's store
/// and queue on counted clients, and a tenant on the enterprise plan (20,000 scored jobs a
/// month). The harness's own receives, sends and deletes go through `stack.sqs`, uncounted:
/// on Lambda they are the event source mapping's, not the function's.
pub(super) struct Rig {
    pub(super) stack: TestStack,
    pub(super) store: Arc<DynamoStore>,
    pub(super) counter: Counter,
    pub(super) tenant: TenantId,
}

pub(super) async fn rig() -> Rig {
    let stack = TestStack::new().await;
    let counter = Counter::default();
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&stack.config)
            .interceptor(counter.clone())
            .build(),
    );
    let store = Arc::new(DynamoStore::new(
        dynamo,
        stack.table(),
        SecretKey::new(&[5u8; 32]).expect("32 bytes").cursor_codec(),
    ));
    let tenant = seed::tenant(&store, "enterprise").await.id;
    Rig {
        stack,
        store,
        counter,
        tenant,
    }
}

/// The message id and receipt handle of each record of a received batch.
pub(super) type Receipts = Vec<(String, String)>;

impl Rig {
    /// The worker as `worker-scorer` wires it, with no live updates and no events.
    pub(super) fn worker(&self, scorer: ConfiguredScorer) -> ScoringWorker {
        self.worker_pushing(scorer, Arc::new(NoLiveUpdates))
    }

    /// The worker with the production notifier: the tenant's connections listed through
    /// the counted store, pushes sent to moto's management API (which takes any id).
    pub(super) fn worker_with_sockets(&self, scorer: ConfiguredScorer) -> ScoringWorker {
        let live =
            WebSocketNotifier::new(&self.stack.config, &self.stack.endpoint, self.store.clone());
        self.worker_pushing(scorer, Arc::new(live))
    }

    /// An open dashboard tab of the tenant's.
    pub(super) async fn open_socket(&self) {
        let now = chrono::Utc::now();
        let connection = Connection {
            id: "bench-socket".into(),
            tenant: self.tenant,
            user: UserId::new(),
            connected_at: now,
            expires_at: now + Connection::MAX_LIFETIME,
        };
        self.store
            .put_connection(&connection)
            .await
            .expect("connection stored");
    }

    fn worker_pushing(
        &self,
        scorer: ConfiguredScorer,
        live: Arc<dyn LiveNotifier>,
    ) -> ScoringWorker {
        let counted_sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&self.stack.config)
                .interceptor(self.counter.clone())
                .build(),
        );
        let queue = Arc::new(SqsQueue::new(
            counted_sqs,
            self.stack.queue_url("ScoringQueue"),
        ));
        let recorder = jobmon_scoring::wiring::recorder_over(
            self.store.clone(),
            Listeners {
                live,
                events: Arc::new(NoEvents),
            },
            PlanCatalog::builtin(),
            shared::ports::SystemClock::shared(),
        );
        let rescorer = jobmon_scoring::wiring::rescorer_over(
            self.store.clone(),
            recorder.clone(),
            queue.clone(),
        );
        ScoringWorker {
            recorder,
            jobs: self.store.clone(),
            rescorer,
            queue,
            scorer,
            defer_limit: jobmon_scoring::pipeline::deferral::DEFAULT_DEFER_LIMIT,
        }
    }

    /// `n` queued jobs (attempt 1, quota reserved) stored as the fetcher would, a few
    /// chunks at a time, and their `ScoreTask` messages on the scoring queue. Not timed.
    pub(super) async fn backlog(&self, n: usize) -> (Vec<Job>, Duration) {
        let started = Instant::now();
        let titles = vec![("Senior Rust Engineer", "Rust services on AWS Lambda."); n];
        let jobs: Vec<Job> = stream::iter(titles.chunks(SEED_CHUNK))
            .map(|chunk| seed::queued_jobs(&self.store, self.tenant, chunk))
            .buffer_unordered(SEED_PARALLEL)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        let tasks: Vec<ScoreTask> = jobs
            .iter()
            .map(|job| ScoreTask {
                tenant_id: self.tenant,
                job_id: job.card.id,
                attempt: job.attempt,
                reserved_at: None,
            })
            .collect();
        SqsQueue::new(self.stack.sqs.clone(), self.stack.queue_url("ScoringQueue"))
            .send_all(&to_bodies(&tasks))
            .await
            .expect("score tasks sent");
        (jobs, started.elapsed())
    }

    /// Items in the table, as `DescribeTable` reports them (moto counts them live).
    pub(super) async fn items(&self) -> usize {
        self.stack
            .dynamo
            .describe_table()
            .table_name(self.stack.table())
            .send()
            .await
            .expect("describe table")
            .table()
            .and_then(|t| t.item_count())
            .map_or(0, |n| usize::try_from(n).unwrap_or(0))
    }

    /// Grows the table to `total` items with other tenants' card-sized items (uncounted,
    /// not timed): what a shared table holds besides the tenant being scored.
    pub(super) async fn fill_to(&self, total: usize) {
        let missing = total.saturating_sub(self.items().await);
        let batches: Vec<Vec<usize>> = (0..missing)
            .collect::<Vec<_>>()
            .chunks(FILL_BATCH)
            .map(<[usize]>::to_vec)
            .collect();
        stream::iter(batches)
            .map(|batch| self.write_filler(batch))
            .buffer_unordered(SEED_PARALLEL)
            .collect::<Vec<()>>()
            .await;
    }

    async fn write_filler(&self, batch: Vec<usize>) {
        let requests = batch.into_iter().map(|i| {
            let item = std::collections::HashMap::from([
                (
                    keys::PK.to_owned(),
                    AttributeValue::S(format!("TENANT#filler-{}", i % 100)),
                ),
                (
                    keys::SK.to_owned(),
                    AttributeValue::S(format!("JOB#{i:08}")),
                ),
                ("entity".to_owned(), AttributeValue::S("filler".into())),
                ("text".to_owned(), AttributeValue::S("x".repeat(FILL_BYTES))),
            ]);
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("item set"),
                )
                .build()
        });
        let out = self
            .stack
            .dynamo
            .batch_write_item()
            .request_items(self.stack.table(), requests.collect())
            .send()
            .await
            .expect("filler written");
        assert!(
            out.unprocessed_items().is_none_or(|u| u.is_empty()),
            "moto left filler items unprocessed"
        );
    }

    /// Up to `max` visible messages with their system attributes, as the event source
    /// mapping hands them to the function.
    async fn receive(&self, max: i32) -> (SqsEvent, Receipts) {
        let out = self
            .stack
            .sqs
            .receive_message()
            .queue_url(self.stack.queue_url("ScoringQueue"))
            .max_number_of_messages(max)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        let mut event = SqsEvent::default();
        let mut receipts = Vec::new();
        for m in out.messages() {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id().map(str::to_owned);
            record.receipt_handle = m.receipt_handle().map(str::to_owned);
            record.body = m.body().map(str::to_owned);
            for (k, v) in m.attributes().into_iter().flatten() {
                record.attributes.insert(k.as_str().to_owned(), v.clone());
            }
            record.event_source = Some("aws:sqs".into());
            receipts.push((
                m.message_id().unwrap_or_default().to_owned(),
                m.receipt_handle().unwrap_or_default().to_owned(),
            ));
            event.records.push(record);
        }
        (event, receipts)
    }

    /// Deletes the messages the response does not list as failures, in one
    /// `DeleteMessageBatch` as Lambda does; returns how many.
    pub(super) async fn delete_done(
        &self,
        receipts: &Receipts,
        response: &SqsBatchResponse,
    ) -> usize {
        let entries: Vec<DeleteMessageBatchRequestEntry> = receipts
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| {
                !response
                    .batch_item_failures
                    .iter()
                    .any(|f| &f.item_identifier == id)
            })
            .map(|(i, (_, receipt))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .build()
                    .expect("id and receipt handle set")
            })
            .collect();
        if entries.is_empty() {
            return 0;
        }
        let out = self
            .stack
            .sqs
            .delete_message_batch()
            .queue_url(self.stack.queue_url("ScoringQueue"))
            .set_entries(Some(entries))
            .send()
            .await
            .expect("delete");
        assert!(
            out.failed().is_empty(),
            "deletes failed: {:?}",
            out.failed()
        );
        out.successful().len()
    }

    /// The next batch of up to `max` messages, polling while none is visible; `None` once
    /// `finished` says so (another loop took the last ones). Panics after [`IDLE_LIMIT`]
    /// without a message.
    pub(super) async fn next_batch(
        &self,
        max: i32,
        finished: impl Fn() -> bool,
    ) -> Option<(SqsEvent, Receipts)> {
        let idle_since = Instant::now();
        loop {
            if finished() {
                return None;
            }
            let (event, receipts) = self.receive(max).await;
            if !receipts.is_empty() {
                return Some((event, receipts));
            }
            assert!(
                idle_since.elapsed() < IDLE_LIMIT,
                "no scoring message for {} s while jobs are unscored",
                IDLE_LIMIT.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// moto's own time for a `GetItem` and for a one-action `TransactWriteItems` (a
    /// condition check, which plain moto deep-copies the table for all the same) on the table as
    /// it is now, medians of [`PROBES`], with the table's item count: the yardstick for the
    /// times above. Through the uncounted client.
    pub(super) async fn moto_latency(&self) -> String {
        let dynamo = &self.stack.dynamo;
        let table = self.stack.table();
        let pk = AttributeValue::S(keys::tenant_pk(self.tenant));
        let sk = AttributeValue::S(keys::TENANT_SK.into());
        let mut gets = Vec::with_capacity(PROBES);
        let mut transactions = Vec::with_capacity(PROBES);
        for _ in 0..PROBES {
            let started = Instant::now();
            dynamo
                .get_item()
                .table_name(table)
                .key(keys::PK, pk.clone())
                .key(keys::SK, sk.clone())
                .send()
                .await
                .expect("get item");
            gets.push(started.elapsed());
            let check = ConditionCheck::builder()
                .table_name(table)
                .key(keys::PK, pk.clone())
                .key(keys::SK, sk.clone())
                .condition_expression("attribute_exists(PK)")
                .build()
                .expect("condition check");
            let started = Instant::now();
            dynamo
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().condition_check(check).build())
                .send()
                .await
                .expect("transaction");
            transactions.push(started.elapsed());
        }
        let items = dynamo
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("describe table")
            .table()
            .and_then(|t| t.item_count())
            .unwrap_or(0);
        format!(
            "moto on this table ({items} items): GetItem {:.1} ms, TransactWriteItems {:.1} ms (medians)",
            percentile(&sorted_ms(&gets), 0.5),
            percentile(&sorted_ms(&transactions), 0.5),
        )
    }

    /// How many of `jobs` are not `scored` (read after the timed part, uncounted).
    pub(super) async fn unscored(&self, jobs: &[Job]) -> usize {
        let scored: Vec<bool> = stream::iter(jobs)
            .map(|job| async move {
                let stored = self
                    .store
                    .get_job(self.tenant, job.card.id)
                    .await
                    .expect("job readable")
                    .expect("job stored");
                stored.card.status == JobStatus::Scored
            })
            .buffer_unordered(16)
            .collect()
            .await;
        self.counter.take();
        scored.iter().filter(|s| !**s).count()
    }
}
