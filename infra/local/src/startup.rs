//! Start-up: everything between reading the options and serving the first request, in the
//! order that makes failures cheap (checks that need no process come first).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use jobmon_template::{Bindings, Provisioned, Template};

use crate::aws::Aws;
use crate::config::{Config, USAGE, parse_config};
use crate::environment::{self, Local};
use crate::functions::{Function, FunctionConfig, log};
use crate::gateway::Gateway;
use crate::{Running, Server, aws, gateway, triggers};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
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
pub async fn start(running: &mut Running, started: Instant) -> Result<Server, StartError> {
    let cfg = parse_config()?;
    let template = Template::from_file_with(&cfg.template, &parameter_overrides())?;
    check_functions(&template, &cfg)?;
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

    let aws = aws::connect(&running.processes, &cfg).await?;
    let dynamo = aws_sdk_dynamodb::Client::new(&aws.config);
    let sqs_client = aws_sdk_sqs::Client::new(&aws.config);
    let provisioned =
        jobmon_template::provision(&template, &dynamo, &sqs_client, &cfg.prefix).await?;
    let local = local_environment(&cfg, port, &aws);
    let bindings = environment::bindings(&template, &provisioned, &local);
    let identities = jobmon_template::provision_email_identities(
        &template,
        &aws_sdk_sesv2::Client::new(&aws.config),
        &bindings,
    )
    .await?;
    // Domain events reach their queues through the template's rules, as in AWS.
    jobmon_template::provision_event_rules(
        &template,
        &aws_sdk_eventbridge::Client::new(&aws.config),
        &provisioned.queues,
        &cfg.prefix,
    )
    .await?;

    let by_id = create_functions(&template, &cfg, &bindings, &local, running)?;
    prewarm(&by_id).await?;
    let gateway = gateway::router(
        &template,
        &bindings,
        &cfg,
        &by_id,
        running.processes.metrics.clone(),
    )?;
    let app = gateway
        .app
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    running.tasks.extend(triggers::start(
        &template,
        &by_id,
        &provisioned,
        &sqs_client,
        &cfg,
        &local.account_id,
    ));

    if !cfg.metrics_interval.is_zero() {
        running
            .tasks
            .push(running.processes.metrics.print_every(cfg.metrics_interval));
    }
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    log(&format!(
        "ready in {} ms ({} functions, template {})",
        started.elapsed().as_millis(),
        by_id.len(),
        cfg.template.display()
    ));
    announce(&cfg, port, &gateway, &aws, &provisioned, &identities);
    Ok(server)
}

/// Every cause that needs no process is checked before any process starts.
fn check_functions(template: &Template, cfg: &Config) -> Result<(), StartError> {
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
    Ok(())
}

/// `JOBMON_PARAM_<Name>=value`: the template parameters the stack is given.
fn parameter_overrides() -> BTreeMap<String, String> {
    std::env::vars()
        .filter_map(|(k, v)| Some((k.strip_prefix("JOBMON_PARAM_")?.to_owned(), v)))
        .collect()
}

/// What the functions see of the stack: region, account, ports, endpoint and variables.
fn local_environment(cfg: &Config, port: u16, aws: &Aws) -> Local {
    let passthrough = environment::passthrough(std::env::vars(), cfg.real_aws);
    Local {
        region: cfg.region.clone(),
        account_id: "123456789012".into(),
        port,
        aws_endpoint: aws.endpoint.clone(),
        prefix: cfg.prefix.clone(),
        passthrough,
        aws_credentials: aws.credentials.clone(),
    }
}

fn create_functions(
    template: &Template,
    cfg: &Config,
    bindings: &Bindings,
    local: &Local,
    running: &mut Running,
) -> Result<BTreeMap<String, Arc<Function>>, StartError> {
    let mut by_id: BTreeMap<String, Arc<Function>> = BTreeMap::new();
    for f in template.functions() {
        let env = environment::function_env(template, f, bindings, local, &cfg.bin_dir)
            .map_err(|e| StartError::Function(format!("function {}: {e}", f.logical_id)))?;
        let fc = FunctionConfig {
            logical_id: f.logical_id.clone(),
            function_name: environment::function_name(template, f, bindings, &cfg.prefix),
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

    Ok(by_id)
}

/// One warm instance each: proves every binary starts and polls its Runtime API.
async fn prewarm(by_id: &BTreeMap<String, Arc<Function>>) -> Result<(), StartError> {
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

    Ok(())
}

/// The start-up banner: where everything is.
fn announce(
    cfg: &Config,
    port: u16,
    gateway: &Gateway,
    aws: &Aws,
    provisioned: &Provisioned,
    identities: &[String],
) {
    let base = format!("http://127.0.0.1:{port}");
    log(&format!("  HTTP API    {base}/v1"));
    for r in &gateway.route_list {
        log(&format!("      {r}"));
    }
    if gateway.websocket {
        log(&format!(
            "  WebSocket   ws://127.0.0.1:{port}/ws   (@connections at {base}/@connections/{{id}})"
        ));
    }
    match &gateway.web_dir {
        Some(_) => log(&format!("  dashboard   {base}/")),
        None => log(&format!(
            "  dashboard   not built ({} missing)",
            cfg.web_dir.display()
        )),
    }
    match &aws.endpoint {
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
    for i in identities {
        log(&format!("      SES identity {i}"));
    }
    // Every mail the functions send (sign-up verification, password resets, notifications)
    // stays in moto; this is where a person reads it.
    if let (Some(e), false) = (&aws.endpoint, identities.is_empty()) {
        log(&format!(
            "  sent mail   {}/moto-api/data.json   (\"ses\" → \"Message\": to, subject, body)",
            e.trim_end_matches('/')
        ));
    }
    log("Ctrl-C stops everything");
    let _ = cfg.root;
}
