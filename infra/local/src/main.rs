//! `jobmon-local`: all of jobmon on one machine, driven by template.yaml. See README.md.

mod environment;
mod functions;
mod http_api;
mod ids;
mod process;
mod schedule;
mod sqs;
mod websocket;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use jobmon_template::{EventKind, Template};

use crate::environment::Local;
use crate::functions::{Function, FunctionConfig, log};
use crate::process::Processes;

const USAGE: &str = "\
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
AWS_ENDPOINT_URL set: use that endpoint (LocalStack, a running moto) instead of starting moto.
JOBMON_PARAM_<Name>: value of template parameter <Name>. Every JOBMON_* variable is passed to
every function and overrides the template's value.
";

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("{0}\n\n{USAGE}")]
    Usage(String),
    #[error("{0}")]
    Template(#[from] jobmon_template::TemplateError),
    #[error("{0}")]
    Config(String),
    #[error(
        "port {port} on 127.0.0.1 is not available ({source}); stop what uses it or set JOBMON_PORT"
    )]
    PortInUse {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("moto: {0}")]
    Moto(String),
    #[error("creating the template's resources: {0}")]
    Provision(#[from] jobmon_template::ProvisionError),
    #[error("{0}")]
    Function(String),
}

struct Config {
    template: PathBuf,
    root: PathBuf,
    port: u16,
    bin_dir: PathBuf,
    web_dir: PathBuf,
    moto: PathBuf,
    prefix: String,
    max_instances: usize,
    speedup: f64,
    init_timeout: Duration,
    real_aws: bool,
    region: String,
}

fn parse_config() -> Result<Config, StartError> {
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
    ];
    if let Some(k) = args.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(StartError::Usage(format!("unknown option --{k}")));
    }
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
        real_aws: opt("real-aws", "JOBMON_REAL_AWS").is_some_and(|v| v != "0" && v != "false"),
        region: std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "us-east-1".into()),
        template,
        root,
    })
}

#[derive(Clone)]
struct AppState {
    http: Arc<http_api::HttpState>,
    ws: Arc<websocket::WsState>,
}
impl FromRef<AppState> for Arc<http_api::HttpState> {
    fn from_ref(s: &AppState) -> Self {
        s.http.clone()
    }
}
impl FromRef<AppState> for Arc<websocket::WsState> {
    fn from_ref(s: &AppState) -> Self {
        s.ws.clone()
    }
}

/// Everything that must be stopped on the way out.
struct Running {
    processes: Processes,
    functions: Vec<Arc<Function>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    shutting_down: Arc<AtomicBool>,
}

impl Running {
    fn stop(&mut self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        for t in self.tasks.drain(..) {
            t.abort();
        }
        for f in &self.functions {
            f.stop_all();
        }
        self.processes.kill_all(Duration::from_secs(2));
    }
}

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("jobmon-local: error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(async_main());
    // Do not wait for tasks stuck in long polls: everything that matters is stopped.
    runtime.shutdown_timeout(Duration::from_millis(200));
    std::process::exit(code);
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handlers PDEATHSIG still takes the children down with us.
        std::future::pending::<()>().await;
        return "";
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

async fn async_main() -> i32 {
    let started = Instant::now();
    let mut running = Running {
        processes: Processes::new(),
        functions: Vec::new(),
        tasks: Vec::new(),
        shutting_down: Arc::new(AtomicBool::new(false)),
    };
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let server = tokio::select! {
        r = start(&mut running, started) => r,
        s = &mut signal => {
            log(&format!("{s} during startup: stopping"));
            running.stop();
            return 0;
        }
    };
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jobmon-local: error: {e}");
            running.stop();
            return 1;
        }
    };
    let code = tokio::select! {
        s = &mut signal => {
            log(&format!("{s}: stopping functions and moto"));
            0
        }
        r = server => {
            eprintln!("jobmon-local: error: the HTTP server stopped: {r:?}");
            1
        }
    };
    running.stop();
    log("stopped");
    code
}

type Server = tokio::task::JoinHandle<std::io::Result<()>>;

async fn start(running: &mut Running, started: Instant) -> Result<Server, StartError> {
    let cfg = parse_config()?;
    let template = Template::from_file(&cfg.template)?;

    // Every cause that needs no process is checked before any process starts.
    let mut missing = Vec::new();
    for f in template.functions() {
        match &f.binary {
            None => {
                return Err(StartError::Config(format!(
                    "function {} has no Metadata.BuildProperties.Binary, so the local stack cannot know which binary runs it",
                    f.logical_id
                )));
            }
            Some(b) if !cfg.bin_dir.join(b).is_file() => missing.push(format!(
                "  {} -> {} not found",
                f.logical_id,
                cfg.bin_dir.join(b).display()
            )),
            Some(_) => {}
        }
        if let Some(rt) = &f.runtime
            && !rt.starts_with("provided")
        {
            return Err(StartError::Config(format!(
                "function {} uses runtime {rt}; the local stack runs custom-runtime (provided.*) binaries only",
                f.logical_id
            )));
        }
    }
    if !missing.is_empty() {
        return Err(StartError::Config(format!(
            "function binaries are missing (build them with `cargo build --workspace`, or point --bin-dir / JOBMON_BIN_DIR at them):\n{}",
            missing.join("\n")
        )));
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port))
        .await
        .map_err(|source| StartError::PortInUse {
            port: cfg.port,
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| StartError::PortInUse {
            port: cfg.port,
            source,
        })?
        .port();

    // AWS endpoint: given, real AWS, or our own moto.
    let given = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.is_empty());
    let endpoint = match (&given, cfg.real_aws) {
        (Some(e), _) => Some(e.clone()),
        (None, true) => None,
        (None, false) => Some(start_moto(&running.processes, &cfg).await?),
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
    let aws = loader.load().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    let sqs_client = aws_sdk_sqs::Client::new(&aws);
    let provisioned =
        jobmon_template::provision(&template, &dynamo, &sqs_client, &cfg.prefix).await?;

    let passthrough: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("JOBMON_"))
        .collect();
    let parameters = passthrough
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("JOBMON_PARAM_")?.to_owned(), v.clone())))
        .collect();
    let local = Local {
        region: cfg.region.clone(),
        account_id: "123456789012".into(),
        port,
        aws_endpoint: endpoint.clone(),
        prefix: cfg.prefix.clone(),
        parameters,
        passthrough,
        aws_credentials,
    };
    let bindings = environment::bindings(&template, &provisioned, &local);
    let identities = jobmon_template::provision_email_identities(
        &template,
        &aws_sdk_sesv2::Client::new(&aws),
        &bindings,
    )
    .await?;

    let mut by_id: BTreeMap<String, Arc<Function>> = BTreeMap::new();
    for f in template.functions() {
        let env = environment::function_env(&template, f, &bindings, &local, &cfg.bin_dir)
            .map_err(|e| StartError::Function(format!("function {}: {e}", f.logical_id)))?;
        let fc = FunctionConfig {
            logical_id: f.logical_id.clone(),
            function_name: environment::function_name(&template, f, &bindings, &cfg.prefix),
            binary: cfg.bin_dir.join(f.binary.as_deref().unwrap_or_default()),
            env,
            timeout: f.timeout,
            max_instances: f
                .reserved_concurrency
                .map(|r| (r as usize).clamp(1, cfg.max_instances))
                .unwrap_or(cfg.max_instances),
            init_timeout: cfg.init_timeout,
            region: cfg.region.clone(),
            account_id: local.account_id.clone(),
        };
        let func = Arc::new(Function::new(
            fc,
            running.processes.clone(),
            running.shutting_down.clone(),
        ));
        running.functions.push(func.clone());
        by_id.insert(f.logical_id.clone(), func);
    }

    // One warm instance each: proves every binary starts and polls its Runtime API.
    let mut warmups = Vec::new();
    for f in by_id.values() {
        let f = f.clone();
        warmups.push(tokio::spawn(async move { f.prewarm().await }));
    }
    let mut failures = Vec::new();
    for w in warmups {
        match w.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e.to_string()),
            Err(e) => failures.push(format!("a start-up task failed: {e}")),
        }
    }
    if !failures.is_empty() {
        return Err(StartError::Function(failures.join("\n")));
    }

    // HTTP routes.
    let mut routes = http_api::Routes::default();
    for f in template.functions() {
        for e in &f.events {
            if let EventKind::HttpApi(h) = &e.kind {
                routes
                    .add(
                        h.method.as_deref(),
                        h.path.as_deref(),
                        by_id[&f.logical_id].clone(),
                        &h.payload_format_version,
                    )
                    .map_err(|e| StartError::Config(format!("function {}: {e}", f.logical_id)))?;
            }
        }
    }
    let route_list = routes.route_keys();
    let api_prefixes = routes.first_segments();
    let http_api_id = template
        .resources()
        .values()
        .find(|r| r.resource_type == jobmon_template::types::HTTP_API)
        .map(|r| environment::api_id(&r.logical_id))
        .unwrap_or_else(|| environment::api_id("ServerlessHttpApi"));
    let web_dir = cfg.web_dir.is_dir().then(|| cfg.web_dir.clone());

    // WebSocket API: the template's first WEBSOCKET API is served at /ws.
    let ws_apis = template.websocket_apis();
    if ws_apis.len() > 1 {
        log(&format!(
            "{} WebSocket APIs declared; serving {} at /ws only",
            ws_apis.len(),
            ws_apis[0].logical_id
        ));
    }
    let ws_state = match ws_apis.first() {
        Some(api) => websocket::WsState::new(
            environment::api_id(&api.logical_id),
            api.stages
                .first()
                .cloned()
                .unwrap_or_else(|| "$default".into()),
            api.routes
                .iter()
                .map(|r| (r.route_key.clone(), by_id[&r.function].clone()))
                .collect(),
            api.route_selection_expression.as_deref(),
        ),
        None => websocket::WsState::new(String::new(), String::new(), BTreeMap::new(), None),
    };
    let state = AppState {
        http: Arc::new(http_api::HttpState {
            routes,
            api_prefixes,
            web_dir: web_dir.clone(),
            api_id: http_api_id,
        }),
        ws: Arc::new(ws_state),
    };
    let connections = get(websocket::get_info)
        .post(websocket::post)
        .delete(websocket::delete);
    let mut app = Router::new()
        .route("/@connections/{id}", connections.clone())
        .route("/{stage}/@connections/{id}", connections);
    if !ws_apis.is_empty() {
        app = app.route("/ws", get(websocket::upgrade));
    }
    let app = app
        .fallback(http_api::handle)
        .with_state(state)
        .into_make_service_with_connect_info::<SocketAddr>();

    // SQS event source mappings and schedules.
    for f in template.functions() {
        let func = &by_id[&f.logical_id];
        for e in &f.events {
            match &e.kind {
                EventKind::Sqs(s) if s.enabled => {
                    let q = &provisioned.queues[&s.queue];
                    let mapping = Arc::new(sqs::Mapping {
                        function: func.clone(),
                        event_name: e.name.clone(),
                        spec: s.clone(),
                        queue_url: q.url.clone(),
                        queue_arn: q.arn.clone(),
                        region: cfg.region.clone(),
                    });
                    // Lambda scales pollers with the backlog; a fixed number up to the
                    // function's instance cap (or ScalingConfig) is close enough locally.
                    let pollers = s
                        .maximum_concurrency
                        .map(|m| m as usize)
                        .unwrap_or(2)
                        .min(func.cfg.max_instances)
                        .max(1);
                    for _ in 0..pollers {
                        running
                            .tasks
                            .push(tokio::spawn(sqs::poll(sqs_client.clone(), mapping.clone())));
                    }
                }
                EventKind::Schedule(s) if s.enabled => {
                    running
                        .tasks
                        .push(tokio::spawn(schedule::run(Arc::new(schedule::Schedule {
                            function: func.clone(),
                            event_name: e.name.clone(),
                            spec: s.clone(),
                            speedup: cfg.speedup,
                            region: cfg.region.clone(),
                            account_id: local.account_id.clone(),
                        }))));
                }
                _ => {}
            }
        }
    }

    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://127.0.0.1:{port}");
    log(&format!(
        "ready in {} ms ({} functions, template {})",
        started.elapsed().as_millis(),
        by_id.len(),
        cfg.template.display()
    ));
    log(&format!("  HTTP API    {base}/v1"));
    for r in &route_list {
        log(&format!("      {r}"));
    }
    if !ws_apis.is_empty() {
        log(&format!(
            "  WebSocket   ws://127.0.0.1:{port}/ws   (@connections at {base}/@connections/{{id}})"
        ));
    }
    match &web_dir {
        Some(_) => log(&format!("  dashboard   {base}/")),
        None => log(&format!(
            "  dashboard   not built ({} missing)",
            cfg.web_dir.display()
        )),
    }
    match &endpoint {
        Some(e) => log(&format!(
            "  AWS         {e}   (AWS_ENDPOINT_URL={e} to reach it from a shell)"
        )),
        None => log("  AWS         real account (default credential chain)"),
    }
    for (id, name) in &provisioned.tables {
        log(&format!("      table {id}: {name}"));
    }
    for (id, q) in &provisioned.queues {
        log(&format!("      queue {id}: {}", q.url));
    }
    for i in &identities {
        log(&format!(
            "      SES identity {i} (sent mail: GET <AWS endpoint>/moto-api/data.json)"
        ));
    }
    log("Ctrl-C stops everything");
    let _ = cfg.root;
    Ok(server)
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
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = *spawned.exited.borrow() {
            return Err(StartError::Moto(format!(
                "moto_server exited during start-up ({}); see its output above",
                process::describe_exit(&status)
            )));
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(format!("http://127.0.0.1:{port}"));
        }
        if Instant::now() > deadline {
            return Err(StartError::Moto(
                "moto_server did not listen within 30 s".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
