//! Where AWS is for the functions and the gateway: the endpoint given in `AWS_ENDPOINT_URL`,
//! the real account, or a moto started here.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};

use crate::config::Config;
use crate::functions::log;
use crate::process::{self, Processes};
use crate::startup::StartError;

/// The AWS the stack runs against.
pub struct Aws {
    /// `None` against real AWS.
    pub endpoint: Option<String>,
    pub config: SdkConfig,
    /// Variables forwarded so that functions can reach real AWS (`AWS_PROFILE`, keys, ...).
    pub credentials: BTreeMap<String, String>,
}

/// AWS endpoint: given, real AWS, or our own moto.
pub async fn connect(processes: &Processes, cfg: &Config) -> Result<Aws, StartError> {
    let given = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.is_empty());
    let endpoint = match (&given, cfg.real_aws) {
        (Some(e), _) => Some(e.clone()),
        (None, true) => None,
        (None, false) => Some(start_moto(processes, cfg).await?),
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(cfg.region.clone()));
    let mut aws_credentials = BTreeMap::new();
    for k in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "HOME",
    ] {
        if let Ok(v) = std::env::var(k) {
            // Against moto the dummies are enough; a profile must not leak into it.
            if endpoint.is_none() || k.starts_with("AWS_ACCESS") || k.starts_with("AWS_SECRET") {
                aws_credentials.insert(k.to_owned(), v);
            }
        }
    }
    if let Some(e) = &endpoint {
        loader = loader.endpoint_url(e);
        if !aws_credentials.contains_key("AWS_ACCESS_KEY_ID") {
            loader = loader.credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "static",
            ));
        }
    }
    Ok(Aws {
        endpoint,
        config: loader.load().await,
        credentials: aws_credentials,
    })
}

/// Starts moto on a free loopback port and waits until it answers.
async fn start_moto(processes: &Processes, cfg: &Config) -> Result<String, StartError> {
    if !cfg.moto.is_file() {
        return Err(StartError::Moto(format!(
            "{} not found; `make dev` creates it (the virtualenv with moto and the launcher of infra/moto_serialized.py), or set AWS_ENDPOINT_URL to a running endpoint",
            cfg.moto.display()
        )));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| StartError::Moto(format!("no free port: {e}")))?
        .port();
    let mut cmd = std::process::Command::new(&cfg.moto);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    let spawned = processes
        .spawn(cmd, "moto")
        .await
        .map_err(|e| StartError::Moto(format!("cannot run {}: {e}", cfg.moto.display())))?;
    log(&format!(
        "moto starting on port {port} (pid {})",
        spawned.pid
    ));
    let exited = spawned.exited.clone();
    match jobmon_child::wait_for_port(port, Duration::from_secs(30), || *exited.borrow()).await {
        Ok(()) => Ok(format!("http://127.0.0.1:{port}")),
        Err(jobmon_child::NotListening::Exited(status)) => Err(StartError::Moto(format!(
            "moto_server exited during start-up ({}); see its output above",
            process::describe_exit(&status)
        ))),
        Err(jobmon_child::NotListening::Timeout) => Err(StartError::Moto(
            "moto_server did not listen within 30 s".into(),
        )),
    }
}
