//! `jobmon-local`: all of jobmon on one machine, driven by template.yaml. See README.md.

mod aws;
mod config;
mod functions;
mod gateway;
mod http_api;
mod ids;
mod metrics;
mod process;
mod runtime_api;
mod schedule;
mod sqs;
mod startup;
mod triggers;
mod websocket;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jobmon_local::environment;

use crate::functions::{Function, log};
use crate::process::Processes;
use crate::startup::start;

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
