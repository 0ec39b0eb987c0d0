//! The gateway's options: command line, `JOBMON_*` variables and workspace defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jobmon_template::Template;

use crate::startup::StartError;

pub const USAGE: &str = "\
jobmon-local: runs every function of template.yaml locally, behind a Lambda Runtime API,
with the HTTP API, the WebSocket API, SQS triggers and schedules, against moto.

Usage: jobmon-local [options]

Options (each also an environment variable):
  --template PATH         JOBMON_TEMPLATE          template.yaml (default: the workspace's)
  --port N                JOBMON_PORT              gateway port on 127.0.0.1 (default 3000)
  --bin-dir DIR           JOBMON_BIN_DIR           where function binaries are (default target/debug)
  --web-dir DIR           JOBMON_WEB_DIR           dashboard build (default web/dist)
  --moto PATH             JOBMON_MOTO_SERVER       moto launcher (default .venv/bin/jobmon-moto)
  --prefix NAME           JOBMON_PREFIX            resource name prefix (default jobmon-local)
  --max-instances N       JOBMON_MAX_INSTANCES     instances per function (default 4)
  --schedule-speedup X    JOBMON_SCHEDULE_SPEEDUP  schedule clock speed-up (default 1)
  --init-timeout SECS     JOBMON_INIT_TIMEOUT      time for a function to poll its Runtime API (default 10)
  --real-aws              JOBMON_REAL_AWS=1        use the default AWS credential chain, no moto
  --metrics-interval SECS JOBMON_METRICS_INTERVAL  print the functions' EMF metrics this often
                                                   (default 60; 0: never; always at /_local/metrics)
AWS_ENDPOINT_URL set: use that endpoint (LocalStack, a running moto) instead of starting moto.
JOBMON_PARAM_<Name>: value of template parameter <Name>. Every JOBMON_* variable is passed to
every function and overrides the template's value. Against moto, JOBMON_SECRET_KEY and
JOBMON_UNSUBSCRIBE_KEY default to public local-only keys, JOBMON_ALLOW_PRIVATE_SOURCES to 1
and JOBMON_SEMANTIC_MODEL_DIR (JOBMON_PARAM_Scorer=hybrid) to semantic/minilm/.model.
";

pub struct Config {
    pub template: PathBuf,
    pub root: PathBuf,
    pub port: u16,
    pub bin_dir: PathBuf,
    pub web_dir: PathBuf,
    pub moto: PathBuf,
    pub prefix: String,
    pub max_instances: usize,
    pub speedup: f64,
    pub init_timeout: Duration,
    pub real_aws: bool,
    pub region: String,
    /// How often the EMF summary is printed; zero: never.
    pub metrics_interval: Duration,
}

/// The command line as `option -> value` (`--real-aws` as `real-aws -> 1`); `--help` prints
/// the usage and exits.
fn parse_args() -> Result<BTreeMap<String, String>, StartError> {
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            "--real-aws" => {
                args.insert("real-aws".into(), "1".into());
            }
            flag if flag.starts_with("--") => {
                let (k, v) = match flag.split_once('=') {
                    Some((k, v)) => (k.to_owned(), v.to_owned()),
                    None => (
                        flag.to_owned(),
                        it.next()
                            .ok_or_else(|| StartError::Usage(format!("{flag} needs a value")))?,
                    ),
                };
                args.insert(k.trim_start_matches("--").to_owned(), v);
            }
            other => return Err(StartError::Usage(format!("unexpected argument {other:?}"))),
        }
    }
    let known = [
        "template",
        "port",
        "bin-dir",
        "web-dir",
        "moto",
        "prefix",
        "max-instances",
        "schedule-speedup",
        "init-timeout",
        "real-aws",
        "metrics-interval",
    ];
    if let Some(k) = args.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(StartError::Usage(format!("unknown option --{k}")));
    }
    Ok(args)
}

pub fn parse_config() -> Result<Config, StartError> {
    let args = parse_args()?;
    let opt = |flag: &str, env: &str| -> Option<String> {
        args.get(flag)
            .cloned()
            .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
    };
    let num = |flag: &str, env: &str, default: f64| -> Result<f64, StartError> {
        match opt(flag, env) {
            None => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or_else(|| {
                    StartError::Usage(format!("--{flag} / {env}: {v:?} is not a positive number"))
                }),
        }
    };
    let template = match opt("template", "JOBMON_TEMPLATE") {
        Some(p) => PathBuf::from(p),
        None => Template::locate()?,
    };
    let template = std::path::absolute(&template).unwrap_or(template);
    // Defaults (target/, .venv/, web/) are relative to the workspace, even when a test
    // template elsewhere is used.
    let root = Template::locate()
        .ok()
        .as_deref()
        .and_then(Path::parent)
        .or_else(|| template.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let port = num("port", "JOBMON_PORT", 3000.0)?;
    if port.fract() != 0.0 || port > 65535.0 {
        return Err(StartError::Usage(format!("port {port} is not a TCP port")));
    }
    let max_instances = num("max-instances", "JOBMON_MAX_INSTANCES", 4.0)?;
    let metrics_interval = match opt("metrics-interval", "JOBMON_METRICS_INTERVAL").as_deref() {
        Some("0") => Duration::ZERO,
        _ => Duration::from_secs_f64(num("metrics-interval", "JOBMON_METRICS_INTERVAL", 60.0)?),
    };
    Ok(Config {
        port: port as u16,
        bin_dir: opt("bin-dir", "JOBMON_BIN_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/debug")),
        web_dir: opt("web-dir", "JOBMON_WEB_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("web/dist")),
        moto: opt("moto", "JOBMON_MOTO_SERVER")
            .map(PathBuf::from)
            // infra/moto_serialized.py, which `make` installs as this launcher: plain
            // moto's transactions are not isolated and it leaks a table copy per call.
            .unwrap_or_else(|| root.join(".venv/bin/jobmon-moto")),
        prefix: opt("prefix", "JOBMON_PREFIX").unwrap_or_else(|| "jobmon-local".into()),
        max_instances: max_instances.max(1.0) as usize,
        speedup: num("schedule-speedup", "JOBMON_SCHEDULE_SPEEDUP", 1.0)?,
        init_timeout: Duration::from_secs_f64(num("init-timeout", "JOBMON_INIT_TIMEOUT", 10.0)?),
        metrics_interval,
        real_aws: opt("real-aws", "JOBMON_REAL_AWS").is_some_and(|v| v != "0" && v != "false"),
        region: std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "us-east-1".into()),
        template,
        root,
    })
}
