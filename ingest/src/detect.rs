//! `POST /v1/sources/detect`: which source a pasted careers URL is, with a preview, before
//! anything is stored.

use jobmon_connectors::{DetectError, Detected};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::auth::Principal;
use shared::domain::SourceKind;
use shared::services::{Invalid, rate_limited};

use crate::sources::{Preview, SourcesError, SourcesService};

/// Detections per tenant per hour: each may fetch a page and a board.
pub const DETECTIONS_PER_HOUR: u32 = 30;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DetectRequest {
    pub url: String,
}

/// What `POST /v1/sources` would need (`kind`, `config`, a suggested `name`) and what the
/// source holds now.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedSource {
    pub kind: SourceKind,
    pub config: Value,
    pub name: String,
    pub preview: Preview,
}

/// Every cause is about the pasted URL: the form shows it beside that field.
fn url_problem(e: DetectError) -> SourcesError {
    Invalid::new("url", e).into()
}

impl SourcesService {
    pub async fn detect(
        &self,
        principal: Principal,
        req: DetectRequest,
    ) -> Result<DetectedSource, SourcesError> {
        self.admin(principal).await?;
        if req.url.trim().is_empty() {
            return Err(Invalid::new("url", "is required").into());
        }
        rate_limited::check::<SourcesError>(
            &*self.limiter,
            &format!("detect:tenant:{}", principal.tenant),
            DETECTIONS_PER_HOUR,
            3600,
            self.clock.now(),
        )
        .await?;
        let Detected { config, name } = self.fetcher.detect(&req.url).await.map_err(url_problem)?;
        let preview = self.preview_config(&config).await;
        let (kind, config) = crate::sources::stored(&config);
        Ok(DetectedSource {
            kind,
            config,
            name,
            preview,
        })
    }
}
