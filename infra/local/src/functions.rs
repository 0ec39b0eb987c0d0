//! Lambda-like execution of one function: a pool of instances (processes of the real binary),
//! each with its own Lambda Runtime API endpoint, one invocation at a time per instance,
//! extra instances up to a cap, the timeout enforced, crashed instances replaced.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use crate::ids;
use crate::process::{self, Processes, describe_exit};
use crate::runtime_api::{Api, Outcome, Pending, Phase, RuntimeApi};

#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// Logical id in the template; also the console label.
    pub logical_id: String,
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub function_name: String,
    pub binary: PathBuf,
    /// The complete environment of an instance, Runtime API address excepted.
    pub env: BTreeMap<String, String>,
    pub timeout: Duration,
    pub max_instances: usize,
    pub init_timeout: Duration,
    pub region: String,
    pub account_id: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    /// The handler reported an error through `/invocation/{id}/error`.
    #[error("{function} returned an error: {error_type}: {message}")]
    Function {
        function: String,
        error_type: String,
        message: String,
    },
    #[error(
        "{function} timed out after {seconds} s (instance stopped; the next invocation is a cold start)"
    )]
    Timeout { function: String, seconds: u64 },
    #[error(
        "{function} crashed during the invocation ({how}); the next invocation is a cold start"
    )]
    Crash { function: String, how: String },
    #[error("{function} could not start: {reason}")]
    Init { function: String, reason: String },
    #[error("{function} returned a response larger than Lambda's 6 MB limit")]
    ResponseTooLarge { function: String },
}

impl InvokeError {
    /// Short machine-readable kind, for the `x-jobmon-local-error` header and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            InvokeError::Function { .. } => "function_error",
            InvokeError::Timeout { .. } => "timeout",
            InvokeError::Crash { .. } => "crash",
            InvokeError::Init { .. } => "init_error",
            InvokeError::ResponseTooLarge { .. } => "response_too_large",
        }
    }
}

pub struct Function {
    pub cfg: FunctionConfig,
    processes: Processes,
    idle: Mutex<Vec<Arc<Instance>>>,
    /// Instances running an invocation now, by instance number: what `kill_busy` kills.
    busy: Mutex<BTreeMap<u64, Arc<Instance>>>,
    /// One permit per concurrently running invocation; instances never outnumber permits.
    permits: Semaphore,
    next_no: AtomicU64,
    shutting_down: Arc<AtomicBool>,
}

struct Instance {
    no: u64,
    pid: u32,
    queue: mpsc::Sender<Pending>,
    api: Arc<Api>,
    exited: watch::Receiver<Option<ExitStatus>>,
    server: tokio::task::JoinHandle<()>,
    /// Set when the gateway stops it on purpose (timeout, shutdown): no crash message then.
    retired: Arc<AtomicBool>,
}

impl Instance {
    fn is_alive(&self) -> bool {
        self.exited.borrow().is_none()
    }

    fn stop(&self) {
        self.retired.store(true, Ordering::SeqCst);
        process::kill(self.pid);
        self.server.abort();
    }
}

impl Function {
    pub fn new(
        cfg: FunctionConfig,
        processes: Processes,
        shutting_down: Arc<AtomicBool>,
    ) -> Function {
        Function {
            permits: Semaphore::new(cfg.max_instances.max(1)),
            cfg,
            processes,
            idle: Mutex::new(Vec::new()),
            busy: Mutex::new(BTreeMap::new()),
            next_no: AtomicU64::new(1),
            shutting_down,
        }
    }

    /// Starts one instance ahead of the first invocation. At startup this is also the check
    /// that the binary exists, initialises and polls the Runtime API.
    pub async fn prewarm(self: &Arc<Self>) -> Result<(), InvokeError> {
        let inst = self.start_instance().await?;
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(inst);
        }
        Ok(())
    }

    /// Invokes the function synchronously with a JSON payload; returns the response payload.
    pub async fn invoke(self: &Arc<Self>, payload: Bytes) -> Result<Bytes, InvokeError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| InvokeError::Init {
                function: self.cfg.logical_id.clone(),
                reason: "the gateway is shutting down".into(),
            })?;
        let inst = match self.take_idle() {
            Some(i) => i,
            None => self.start_instance().await?,
        };
        if let Ok(mut busy) = self.busy.lock() {
            busy.insert(inst.no, inst.clone());
        }
        let result = self.run(&inst, payload).await;
        if let Ok(mut busy) = self.busy.lock() {
            busy.remove(&inst.no);
        }
        match &result {
            Ok(_) | Err(InvokeError::Function { .. } | InvokeError::ResponseTooLarge { .. }) => {
                if inst.is_alive()
                    && let Ok(mut idle) = self.idle.lock()
                {
                    idle.push(inst);
                }
            }
            Err(_) => inst.stop(),
        }
        result
    }

    fn take_idle(&self) -> Option<Arc<Instance>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(i) = idle.pop() {
            if i.is_alive() {
                return Some(i);
            }
            i.server.abort();
        }
        None
    }

    /// SIGKILLs every instance that is running an invocation right now, as a crash would
    /// (not retired: the invocation fails as `crash` and its trigger handles that as in
    /// Lambda, e.g. SQS messages return after their visibility timeout). Idle instances
    /// are left alone. How many were killed.
    pub fn kill_busy(&self) -> usize {
        let Ok(busy) = self.busy.lock() else {
            return 0;
        };
        for inst in busy.values() {
            log(&format!(
                "{}: killing instance #{} (pid {}) mid-invocation on request",
                self.cfg.logical_id, inst.no, inst.pid
            ));
            process::kill(inst.pid);
        }
        busy.len()
    }

    pub fn stop_all(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            for i in idle.drain(..) {
                i.stop();
            }
        }
        self.permits.close();
    }

    async fn run(&self, inst: &Instance, payload: Bytes) -> Result<Bytes, InvokeError> {
        let name = &self.cfg.logical_id;
        let request_id = ids::request_id();
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let (tx, rx) = oneshot::channel();
        if let Ok(mut f) = inst.api.inflight.lock() {
            *f = Some((request_id.clone(), tx));
        }
        let pending = Pending {
            request_id: request_id.clone(),
            payload,
            deadline_ms: now_ms + self.cfg.timeout.as_millis(),
            trace_id: ids::trace_id(),
        };
        let crash = |how: String| InvokeError::Crash {
            function: name.clone(),
            how,
        };
        if inst.queue.send(pending).await.is_err() {
            return Err(crash("its Runtime API is gone".into()));
        }
        let mut exited = inst.exited.clone();
        tokio::select! {
            biased;
            outcome = rx => match outcome {
                Ok(Outcome::Success(body)) => Ok(body),
                Ok(Outcome::Error { error_type, message }) => Err(InvokeError::Function {
                    function: name.clone(),
                    error_type,
                    message,
                }),
                Ok(Outcome::TooLarge) => Err(InvokeError::ResponseTooLarge { function: name.clone() }),
                Err(_) => Err(crash("the invocation was dropped".into())),
            },
            status = exited.wait_for(|s| s.is_some()) => {
                let how = match status.as_deref() {
                    Ok(Some(s)) => describe_exit(s),
                    _ => "exited".into(),
                };
                log(&format!("{name}: instance #{} exited ({how}) during request {request_id}", inst.no));
                Err(crash(how))
            }
            _ = tokio::time::sleep(self.cfg.timeout) => {
                log(&format!(
                    "{name}: request {request_id} timed out after {} s; stopping instance #{}",
                    self.cfg.timeout.as_secs(), inst.no
                ));
                Err(InvokeError::Timeout { function: name.clone(), seconds: self.cfg.timeout.as_secs() })
            }
        }
    }

    async fn start_instance(&self) -> Result<Arc<Instance>, InvokeError> {
        let name = &self.cfg.logical_id;
        let init_err = |reason: String| InvokeError::Init {
            function: name.clone(),
            reason,
        };
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err(init_err("the gateway is shutting down".into()));
        }
        let no = self.next_no.fetch_add(1, Ordering::SeqCst);
        let RuntimeApi {
            port,
            api,
            server,
            queue,
            mut phase,
        } = RuntimeApi::open(&self.function_arn())
            .await
            .map_err(init_err)?;

        let cmd = self.instance_command(port);
        let label = if no == 1 {
            name.clone()
        } else {
            format!("{name}#{no}")
        };
        let spawn_started = std::time::Instant::now();
        let spawned = match self.processes.spawn(cmd, &label).await {
            Ok(s) => s,
            Err(e) => {
                server.abort();
                return Err(init_err(format!(
                    "cannot run {}: {e}",
                    self.cfg.binary.display()
                )));
            }
        };
        log(&format!(
            "{name}: instance #{no} starting (pid {}, Runtime API 127.0.0.1:{port})",
            spawned.pid
        ));
        let retired = Arc::new(AtomicBool::new(false));
        let inst = Arc::new(Instance {
            no,
            pid: spawned.pid,
            queue,
            api,
            exited: spawned.exited.clone(),
            server,
            retired: retired.clone(),
        });

        let ready = self
            .wait_until_ready(&mut phase, spawned.exited.clone())
            .await;
        if let Err(reason) = ready {
            inst.stop();
            return Err(init_err(reason));
        }
        // Lambda reports this as "Init Duration": process start to the first poll.
        log(&format!(
            "{name}: instance #{no} ready, init {} ms",
            spawn_started.elapsed().as_millis()
        ));

        self.report_unexpected_exit(no, spawned.exited, retired);
        Ok(inst)
    }

    fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.cfg.region, self.cfg.account_id, self.cfg.function_name
        )
    }

    /// The instance's command: only the function's environment, plus its Runtime API.
    fn instance_command(&self, port: u16) -> Command {
        let mut cmd = Command::new(&self.cfg.binary);
        cmd.env_clear()
            .envs(&self.cfg.env)
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!(
                    "{}/[$LATEST]{}",
                    chrono::Utc::now().format("%Y/%m/%d"),
                    ids::hex(16)
                ),
            );
        cmd
    }

    /// Waits for the instance's first poll of its Runtime API: ready, an init error, an exit,
    /// or the init timeout.
    async fn wait_until_ready(
        &self,
        phase_rx: &mut watch::Receiver<Phase>,
        mut exited: watch::Receiver<Option<ExitStatus>>,
    ) -> Result<(), String> {
        tokio::select! {
            p = phase_rx.wait_for(|p| *p != Phase::Starting) => match p.as_deref() {
                Ok(Phase::Ready) => Ok(()),
                Ok(Phase::InitError(m)) => Err(format!("init error reported to the Runtime API: {m}")),
                _ => Err("the Runtime API stopped".into()),
            },
            s = exited.wait_for(|s| s.is_some()) => Err(match s.as_deref() {
                Ok(Some(s)) => format!("the process exited during init ({})", describe_exit(s)),
                _ => "the process exited during init".into(),
            }),
            _ = tokio::time::sleep(self.cfg.init_timeout) => Err(format!(
                "it did not poll the Runtime API (GET /2018-06-01/runtime/invocation/next) within {} s; is it a Lambda function built with lambda_runtime?",
                self.cfg.init_timeout.as_secs()
            )),
        }
    }

    /// Report an exit that nobody asked for (a crash between invocations).
    fn report_unexpected_exit(
        &self,
        no: u64,
        mut exited: watch::Receiver<Option<ExitStatus>>,
        retired: Arc<AtomicBool>,
    ) {
        let name = &self.cfg.logical_id;
        let shutting_down = self.shutting_down.clone();
        let fname = name.clone();
        tokio::spawn(async move {
            if let Ok(s) = exited.wait_for(|s| s.is_some()).await {
                let quiet = retired.load(Ordering::SeqCst) || shutting_down.load(Ordering::SeqCst);
                if let (Some(s), false) = (s.as_ref(), quiet) {
                    log(&format!(
                        "{fname}: instance #{no} exited ({}); the next invocation starts a new one",
                        describe_exit(s)
                    ));
                }
            }
        });
    }
}

pub fn log(msg: &str) {
    println!("[jobmon-local] {msg}");
}
