//! Test harness shared by the workspace's integration tests.
//!
//! [`aws_endpoint`] is a moto server for this test binary: the one named by
//! `AWS_ENDPOINT_URL` when that is set (e.g. LocalStack, or a moto the caller started),
//! otherwise one started here on a free loopback port from the project's `.venv`, killed
//! when the test process exits. [`TestStack::new`] then creates the template's table and
//! queues under a unique prefix, straight from `template.yaml`, so each test owns its data
//! and no key schema is written twice.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use jobmon_template::{Provisioned, Template, provision};
use serde_json::Value;

static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();

/// The workspace root (where `template.yaml` and `.venv` live).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives inside the workspace")
        .to_path_buf()
}

/// `JOBMON_MOTO_SERVER`, else `.venv/bin/jobmon-moto`, which `make` writes to run
/// infra/moto_serialized.py: plain moto's transactions are not isolated under concurrency
/// and it keeps a copy of the table per transaction.
fn moto_binary() -> PathBuf {
    std::env::var_os("JOBMON_MOTO_SERVER").map_or_else(
        || workspace_root().join(".venv/bin/jobmon-moto"),
        PathBuf::from,
    )
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts moto as a child that dies with the test process ([`jobmon_child::spawn_blocking`]),
/// whether the tests pass, fail or panic.
fn spawn_moto() -> Result<String, String> {
    let binary = moto_binary();
    if !binary.exists() {
        return Err(format!(
            "{} not found: run `make .venv/.installed` (or set AWS_ENDPOINT_URL)",
            binary.display()
        ));
    }
    let port = free_port().map_err(|e| format!("no free port: {e}"))?;
    let mut command = Command::new(&binary);
    command
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    listening(command, port, "moto").map_err(|e| format!("{e} ({})", binary.display()))
}

/// Runs `command`, which must listen on 127.0.0.1:`port` within 30 s, and returns its URL.
/// The child is reaped by a thread of its own once it exits.
fn listening(command: Command, port: u16, name: &str) -> Result<String, String> {
    let mut child =
        jobmon_child::spawn_blocking(command).map_err(|e| format!("cannot start {name}: {e}"))?;
    let waited = jobmon_child::wait_for_port_blocking(port, Duration::from_secs(30), || {
        child.try_wait().ok().flatten()
    });
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    match waited {
        Ok(()) => {
            std::thread::spawn(move || child.wait());
            Ok(format!("http://{addr}"))
        }
        Err(jobmon_child::NotListening::Exited(status)) => {
            Err(format!("{name} exited during start-up ({status})"))
        }
        Err(jobmon_child::NotListening::Timeout) => {
            Err(format!("{name} did not listen on {addr} within 30 s"))
        }
    }
}

/// A moto of the test's own, for tests that stop AWS and start it again (readiness):
/// [`OwnMoto::stop`] kills it, [`OwnMoto::start`] brings a fresh, empty one up on the
/// same port. Killed when dropped, and with the test process.
pub struct OwnMoto {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl OwnMoto {
    pub fn start_on_free_port() -> Result<Self, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let mut moto = OwnMoto { port, child: None };
        moto.start()?;
        Ok(moto)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn start(&mut self) -> Result<(), String> {
        let mut command = Command::new(moto_binary());
        command
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child =
            jobmon_child::spawn_blocking(command).map_err(|e| format!("cannot start moto: {e}"))?;
        jobmon_child::wait_for_port_blocking(self.port, Duration::from_secs(30), || {
            child.try_wait().ok().flatten()
        })
        .map_err(|_| format!("moto did not listen on port {}", self.port))?;
        self.child = Some(child);
        Ok(())
    }

    /// Kills moto (SIGKILL, as a crash would) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The AWS endpoint every client of this test binary talks to.
pub fn aws_endpoint() -> String {
    ENDPOINT
        .get_or_init(|| match std::env::var("AWS_ENDPOINT_URL") {
            Ok(url) if !url.is_empty() => Ok(url),
            _ => spawn_moto(),
        })
        .clone()
        .unwrap_or_else(|e| panic!("no AWS endpoint for tests: {e}"))
}

/// SDK configuration for the test endpoint, with dummy credentials.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"),
        ))
        .build()
}

/// A fresh, uniquely named set of the template's resources in the test endpoint.
/// Clients are built per stack: each `#[tokio::test]` has its own runtime, and SDK
/// connection pools must not outlive the runtime that created them.
pub struct TestStack {
    pub endpoint: String,
    pub config: SdkConfig,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub resources: Provisioned,
}

impl TestStack {
    pub async fn new() -> Self {
        Self::at(aws_endpoint()).await
    }

    /// The template's resources in the AWS endpoint `endpoint` (e.g. an [`OwnMoto`]).
    pub async fn at(endpoint: String) -> Self {
        let config = sdk_config(&endpoint);
        let dynamo = aws_sdk_dynamodb::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let prefix = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
        let resources = provision(template(), &dynamo, &sqs, &prefix)
            .await
            .unwrap_or_else(|e| panic!("provisioning from template.yaml: {e}"));
        Self {
            endpoint,
            config,
            dynamo,
            sqs,
            resources,
        }
    }

    /// Every item of the stack's table (a Scan, page by page), for a test that checks what
    /// was written or what was left.
    pub async fn all_items(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .dynamo
                .scan()
                .table_name(self.table())
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan of the test table");
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return items,
            }
        }
    }

    /// The physical name of the template's table `Table`.
    pub fn table(&self) -> &str {
        self.resources
            .tables
            .get("Table")
            .expect("template.yaml declares the table `Table`")
    }

    /// A [`shared::wiring::KeyedCore`] over this stack, as `KeyedCore::load` builds one in a
    /// function: the stack's table and queues, the fixed test secret of [`seed::store`],
    /// `plans`, and `vars` as the function's environment. It derefs to the keyless
    /// [`shared::wiring::Core`] that the workers' wiring takes. The services' wiring functions
    /// (`jobmon_scoring::wiring`, `jobmon_ingest::wiring`, `jobmon_billing::wiring`) take
    /// it, so tests build services exactly as the functions do.
    pub fn core(
        &self,
        plans: shared::domain::PlanCatalog,
        vars: &[(&str, &str)],
    ) -> shared::wiring::KeyedCore {
        let keys = shared::auth::SigningSecrets::new(seed::secret(), None);
        self.core_with_keys(plans, vars, keys)
    }

    /// [`Self::core`] holding `keys` instead of the fixed test secret: a function during or
    /// after a key rotation.
    pub fn core_with_keys(
        &self,
        plans: shared::domain::PlanCatalog,
        vars: &[(&str, &str)],
        keys: shared::auth::SigningSecrets,
    ) -> shared::wiring::KeyedCore {
        let mut pairs = vec![
            ("JOBMON_TABLE", self.table()),
            ("JOBMON_SCORING_QUEUE_URL", self.queue_url("ScoringQueue")),
            ("JOBMON_FETCH_QUEUE_URL", self.queue_url("FetchQueue")),
        ];
        pairs.extend_from_slice(vars);
        let core = shared::wiring::Core {
            env: shared::config::Env::from_pairs(pairs),
            store: shared::adapters::DynamoStore::without_cursors(
                self.dynamo.clone(),
                self.table(),
            ),
            plans,
            sdk: self.config.clone().into(),
            parameters: shared::adapters::SsmParameters::lazy(&self.config),
        };
        shared::wiring::KeyedCore::new(core, keys)
    }

    /// The template's queue `logical_id` in this stack, as a queue port.
    pub fn queue(&self, logical_id: &str) -> std::sync::Arc<shared::adapters::SqsQueue> {
        std::sync::Arc::new(shared::adapters::SqsQueue::new(
            self.sqs.clone(),
            self.queue_url(logical_id),
        ))
    }

    pub fn queue_url(&self, logical_id: &str) -> &str {
        &self
            .resources
            .queues
            .get(logical_id)
            .unwrap_or_else(|| panic!("template.yaml declares no queue {logical_id}"))
            .url
    }
}

/// GETs `path` (JSON) from the moto server at `endpoint`, such as `/moto-api/data.json`
/// (plain HTTP/1.0 on loopback).
pub fn moto_get(endpoint: &str, path: &str) -> Value {
    let addr = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).expect("moto is reachable");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request written");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).expect("moto answers JSON")
}

pub mod accounts;
pub mod contract;
pub mod events;
pub mod fixture;
pub mod list_contract;
pub mod localstripe;
pub mod mail;
pub mod requests;
pub mod scripted;
pub mod seed;
pub mod stripe_events;
pub mod tracking_contract;

/// The workspace's `template.yaml`, read once per test binary.
pub fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        Template::from_file(workspace_root().join("template.yaml"))
            .unwrap_or_else(|e| panic!("template.yaml: {e}"))
    })
}

/// `(METHOD, /path/{param})` of every `HttpApi` event of the template's function
/// `logical_id`: what API Gateway will route to it.
pub fn template_routes(logical_id: &str) -> Vec<(String, String)> {
    assert!(
        template().function(logical_id).is_some(),
        "template.yaml declares no function {logical_id}"
    );
    template()
        .http_routes()
        .iter()
        .filter(|r| r.function.logical_id == logical_id)
        .map(|r| {
            (
                r.event.method.clone().unwrap_or_else(|| "ANY".into()),
                r.event.path.clone().unwrap_or_else(|| "$default".into()),
            )
        })
        .collect()
}

/// Fails unless a function's dispatch table (its route keys, `routes::keys(ROUTES)`) and
/// its `HttpApi` routes in template.yaml are the same: every route API Gateway sends it has
/// a handler, and no handler waits for a route the template does not send.
pub fn assert_routes_match_template(logical_id: &str, dispatched: &[&str]) {
    assert!(
        template().function(logical_id).is_some(),
        "template.yaml declares no function {logical_id}"
    );
    let template: BTreeSet<String> = template().route_keys_of(logical_id).into_iter().collect();
    let code: BTreeSet<String> = dispatched.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(
        dispatched.len(),
        code.len(),
        "{logical_id}: a route key appears twice in the dispatch table"
    );
    let unhandled: Vec<_> = template.difference(&code).collect();
    let unrouted: Vec<_> = code.difference(&template).collect();
    assert!(
        unhandled.is_empty() && unrouted.is_empty(),
        "{logical_id}: template.yaml and the dispatch table disagree.\n\
         Routed by the template, no handler: {unhandled:?}\n\
         Handled, not routed by the template: {unrouted:?}"
    );
}
