//! Job-source connectors: fetch one tenant source (a career board or a feed) and normalise
//! what it sends into [`Posting`]s.
//!
//! - [`SourceConfig`]: the validated `{kind, config}` a tenant stores.
//! - [`Fetcher`]: one HTTP client built at init; [`Fetcher::fetch`] runs one source with
//!   conditional GET, retries, size and time limits and the SSRF guard.
//! - [`SourceError`]: what went wrong, in words a tenant can read, and whether to retry.
//!
//! One module per provider holds its endpoint and its parser; `http`, `ssrf`, `html`,
//! `xml` and `dates` hold what they share.

mod ashby;
mod config;
mod dates;
mod detect;
mod error;
mod feed;
mod fetcher;
mod greenhouse;
mod html;
mod http;
mod jsonfeed;
mod lazy_client;
mod lever;
mod personio;
mod posting;
mod recruitee;
mod settings;
mod smartrecruiters;
mod ssrf;
mod workable;
mod xml;

pub use config::{ConfigError, FeedUrl, LeverRegion, Slug, SourceConfig};
pub use detect::{DetectError, Detected};
pub use error::SourceError;
pub use fetcher::{FetchOutcome, Fetcher};
pub use lazy_client::LazyClient;
pub use posting::{Posting, Salary};
pub use settings::{BaseUrls, FetchSettings, SettingsError};
pub use ssrf::{
    AddressClass, AddressPolicy, check_destination, classify_ip, guarded_client, is_guard_refusal,
};
