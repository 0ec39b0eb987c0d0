//! The Sources API and manual fetch (`POST /v1/jobs/fetch`).

use std::sync::Arc;

use jobmon_connectors::{FetchOutcome, Posting, SourceConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::auth::{NotAdmin, Principal};
use shared::domain::{
    PlanCatalog, Source, SourceId, SourceKind, SourceName, SourceValidators, SourceView, StoredKind,
};
use shared::http::ApiError;
use shared::ports::{
    AccountStore, Clock, Conflict, RateLimiter, SourceStore, StoreError, TenantReader, WorkQueue,
};
use shared::services::caller::admin_now;
use shared::services::views::ListView;
use shared::services::{Invalid, RateLimited, rate_limited};

use shared::messages::{FetchTask, to_bodies};

use crate::connector::SourceConnector;

/// Manual fetches per tenant per hour.
pub const MANUAL_FETCHES_PER_HOUR: u32 = 30;
/// Postings a preview returns at most.
pub const PREVIEW_LIMIT: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSource {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub config: Value,
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateSource {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub config: Option<Value>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchRequest {
    pub source_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchQueued {
    pub queued_sources: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub items: Vec<Posting>,
    /// The source's error in words a user understands; `null` when the fetch worked.
    pub error: Option<String>,
}

/// Why a sources request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// The token's tenant no longer exists.
    #[error("authentication required")]
    Unauthenticated,
    #[error(transparent)]
    NotAdmin(#[from] NotAdmin),
    /// Missing, another tenant's, or an id that does not parse: one answer.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the {plan} plan allows {max} sources")]
    SourceLimit { plan: String, max: u32 },
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Queue(String),
}

impl From<SourcesError> for ApiError {
    fn from(e: SourcesError) -> Self {
        match e {
            SourcesError::Unauthenticated => ApiError::Unauthorized,
            SourcesError::NotAdmin(e) => e.into(),
            SourcesError::NotFound => ApiError::NotFound,
            SourcesError::Invalid(e) => e.into(),
            SourcesError::SourceLimit { .. } => ApiError::PlanLimit(e.to_string()),
            SourcesError::RateLimited(e) => e.into(),
            SourcesError::Store(e) => e.into(),
            SourcesError::Queue(reason) => ApiError::Internal(reason),
        }
    }
}

pub struct SourcesService {
    pub sources: Arc<dyn SourceStore>,
    /// The caller's role as it is now, for admin actions (a token's may be 15 min old).
    pub accounts: Arc<dyn AccountStore>,
    pub tenants: Arc<dyn TenantReader>,
    pub limiter: Arc<dyn RateLimiter>,
    pub fetch_queue: Arc<dyn WorkQueue>,
    pub fetcher: Arc<dyn SourceConnector>,
    pub plans: PlanCatalog,
    pub clock: Arc<dyn Clock>,
}

fn validated(kind: &str, config: &Value) -> Result<SourceConfig, Invalid> {
    SourceConfig::parse(kind, config).map_err(|e| Invalid::new(e.field, e.message))
}

/// The stored `(kind, config)` of a validated configuration, normalised.
pub(crate) fn stored(config: &SourceConfig) -> (SourceKind, Value) {
    let value = serde_json::to_value(config).unwrap_or(Value::Null);
    (
        config.kind(),
        value.get("config").cloned().unwrap_or(json!({})),
    )
}

fn source_name(raw: &str) -> Result<SourceName, Invalid> {
    SourceName::parse(raw).map_err(|e| Invalid::new("name", e))
}

fn source_id(raw: &str) -> Result<SourceId, SourcesError> {
    SourceId::parse(raw).map_err(|_| SourcesError::NotFound)
}

impl SourcesService {
    /// The caller is an admin of the tenant now, not only in their token.
    pub(crate) async fn admin(&self, principal: Principal) -> Result<(), SourcesError> {
        admin_now(&*self.accounts, principal, SourcesError::Unauthenticated).await?;
        Ok(())
    }

    async fn plan(&self, principal: &Principal) -> Result<shared::domain::Plan, SourcesError> {
        let tenant = self
            .tenants
            .get_tenant(principal.tenant)
            .await?
            .ok_or(SourcesError::Unauthenticated)?;
        Ok(self.plans.effective(&tenant, self.clock.now()).clone())
    }

    async fn own(&self, principal: &Principal, id: &str) -> Result<Source, SourcesError> {
        self.sources
            .get_source(principal.tenant, source_id(id)?)
            .await?
            .ok_or(SourcesError::NotFound)
    }

    pub async fn list(&self, principal: Principal) -> Result<ListView<SourceView>, SourcesError> {
        let mut sources = self.sources.list_sources(principal.tenant).await?;
        sources.sort_by_key(|s| s.id);
        Ok(ListView {
            items: sources.iter().map(SourceView::from).collect(),
            next_cursor: None,
        })
    }

    pub async fn get(&self, principal: Principal, id: &str) -> Result<SourceView, SourcesError> {
        Ok((&self.own(&principal, id).await?).into())
    }

    pub async fn create(
        &self,
        principal: Principal,
        req: CreateSource,
    ) -> Result<SourceView, SourcesError> {
        self.admin(principal).await?;
        let name = source_name(&req.name)?;
        let config = validated(&req.kind, &req.config)?;
        let (kind, config) = stored(&config);
        let plan = self.plan(&principal).await?;
        let now = self.clock.now();
        let enabled = req.enabled.unwrap_or(true);
        let source = Source {
            id: SourceId::new(),
            tenant_id: principal.tenant,
            name,
            kind: kind.into(),
            config,
            enabled,
            last_fetched_at: None,
            last_error: None,
            // Due at once: the first fetch should not wait a whole interval.
            next_fetch_at: enabled.then_some(now),
            jobs_found: 0,
            consecutive_failures: 0,
            validators: SourceValidators::default(),
            open_ids: Vec::new(),
            absences: Default::default(),
            created_at: now,
        };
        match self.sources.create_source(&source, plan.max_sources).await {
            Ok(()) => Ok((&source).into()),
            Err(StoreError::Conflict(Conflict::SourceLimit)) => Err(SourcesError::SourceLimit {
                plan: plan.name,
                max: plan.max_sources,
            }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update(
        &self,
        principal: Principal,
        id: &str,
        req: UpdateSource,
    ) -> Result<SourceView, SourcesError> {
        self.admin(principal).await?;
        let mut source = self.own(&principal, id).await?;
        if let Some(name) = &req.name {
            source.name = source_name(name)?;
        }
        if req.kind.is_some() || req.config.is_some() {
            let kind = req.kind.as_deref().unwrap_or(source.kind.as_str());
            let config = req.config.as_ref().unwrap_or(&source.config);
            let (kind, config) = stored(&validated(kind, config)?);
            let kind = StoredKind::from(kind);
            if (&kind, &config) != (&source.kind, &source.config) {
                source.kind = kind;
                source.config = config;
                // Another board: old validators and errors mean nothing for it.
                source.validators = SourceValidators::default();
                source.open_ids.clear();
                source.absences.clear();
                source.last_error = None;
                source.consecutive_failures = 0;
            }
        }
        if let Some(enabled) = req.enabled {
            if enabled && !source.enabled {
                source.consecutive_failures = 0;
                source.last_error = None;
                source.next_fetch_at = Some(self.clock.now());
            } else if !enabled {
                source.next_fetch_at = None;
            }
            source.enabled = enabled;
        }
        self.sources
            .put_source(&source)
            .await?
            .ok_or(SourcesError::NotFound)?;
        Ok((&source).into())
    }

    pub async fn delete(&self, principal: Principal, id: &str) -> Result<(), SourcesError> {
        self.admin(principal).await?;
        // Jobs found by the source stay: deleting a source never deletes history.
        if self
            .sources
            .delete_source(principal.tenant, source_id(id)?)
            .await?
        {
            Ok(())
        } else {
            Err(SourcesError::NotFound)
        }
    }

    pub async fn preview(&self, principal: Principal, id: &str) -> Result<Preview, SourcesError> {
        let source = self.own(&principal, id).await?;
        let config = validated(source.kind.as_str(), &source.config)?;
        Ok(self.preview_config(&config).await)
    }

    /// The first postings of a configuration, or its error in words; nothing is stored.
    pub(crate) async fn preview_config(&self, config: &SourceConfig) -> Preview {
        match self
            .fetcher
            .fetch(config, &SourceValidators::default())
            .await
        {
            Ok(FetchOutcome::Fetched { postings, .. }) => Preview {
                items: postings.into_iter().take(PREVIEW_LIMIT).collect(),
                error: None,
            },
            Ok(FetchOutcome::NotModified) => Preview {
                items: Vec::new(),
                error: None,
            },
            Err(e) => Preview {
                items: Vec::new(),
                error: Some(e.to_string()),
            },
        }
    }

    pub async fn fetch_now(
        &self,
        principal: Principal,
        req: FetchRequest,
    ) -> Result<FetchQueued, SourcesError> {
        rate_limited::check::<SourcesError>(
            &*self.limiter,
            &format!("fetch:tenant:{}", principal.tenant),
            MANUAL_FETCHES_PER_HOUR,
            3600,
            self.clock.now(),
        )
        .await?;
        let sources = match &req.source_id {
            Some(id) => vec![self.own(&principal, id).await?],
            None => self.sources.list_sources(principal.tenant).await?,
        };
        let tasks: Vec<FetchTask> = sources
            .iter()
            .filter(|s| s.enabled)
            .map(|s| FetchTask {
                tenant_id: principal.tenant,
                source_id: s.id,
                reason: "manual".into(),
            })
            .collect();
        self.fetch_queue
            .send_all(&to_bodies(&tasks))
            .await
            .map_err(|e| SourcesError::Queue(e.to_string()))?;
        Ok(FetchQueued {
            queued_sources: tasks.len(),
        })
    }
}
