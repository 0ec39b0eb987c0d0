//! Child processes (moto and every function instance): spawning, console logs, exit
//! notification, and making sure none outlives the gateway.
//!
//! Three layers keep "nothing left running" true:
//! - every child is started by [`jobmon_child::spawn`], so it gets `PR_SET_PDEATHSIG =
//!   SIGKILL` and the kernel kills it when the gateway dies for any reason (even SIGKILL).
//!   The signal fires when the *thread* that forked the child exits, so all children are
//!   forked by one dedicated thread that lives as long as the process (tokio's blocking
//!   threads come and go);
//! - every live child is in a registry that shutdown (Ctrl-C, SIGTERM, a startup error) kills
//!   with SIGTERM, then SIGKILL after a grace period.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::metrics::Metrics;

/// How a child ended, as text for messages ("exit code 3", "signal 9").
pub fn describe_exit(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("signal {s}"),
        _ => "unknown status".to_owned(),
    }
}

/// The registry of live children.
#[derive(Clone)]
pub struct Processes {
    live: Arc<Mutex<BTreeMap<u32, String>>>,
    /// Adds up the EMF metrics in the functions' output.
    pub metrics: Metrics,
}

/// A running child: its pid, and a channel that receives its exit status.
pub struct Spawned {
    pub pid: u32,
    pub exited: watch::Receiver<Option<ExitStatus>>,
}

impl Processes {
    pub fn new() -> Processes {
        Processes {
            live: Arc::new(Mutex::new(BTreeMap::new())),
            metrics: Metrics::default(),
        }
    }

    /// Spawns `cmd`; its stdout and stderr lines go to the console prefixed with `[label]`.
    pub async fn spawn(&self, mut cmd: Command, label: &str) -> std::io::Result<Spawned> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: setpgid is async-signal-safe and touches only the calling (child) process.
        #[allow(unsafe_code, reason = "setpgid in pre_exec")]
        unsafe {
            cmd.pre_exec(|| {
                // Own process group: Ctrl-C in the terminal reaches only the gateway, which
                // then stops moto and the functions in order (instead of each one dying
                // mid-request and reporting it).
                libc::setpgid(0, 0);
                Ok(())
            });
        }
        let mut child = jobmon_child::spawn(cmd).await?;
        let pid = child.id();
        if let Ok(mut live) = self.live.lock() {
            live.insert(pid, label.to_owned());
        }
        if let Some(out) = child.stdout.take() {
            pipe_lines(out, label.to_owned(), self.metrics.clone());
        }
        if let Some(err) = child.stderr.take() {
            pipe_lines(err, label.to_owned(), self.metrics.clone());
        }
        let (exit_tx, exit_rx) = watch::channel(None);
        let live = self.live.clone();
        std::thread::Builder::new()
            .name(format!("wait-{pid}"))
            .spawn(move || {
                let status = child.wait();
                if let Ok(mut l) = live.lock() {
                    l.remove(&pid);
                }
                if let Ok(status) = status {
                    let _ = exit_tx.send(Some(status));
                }
            })?;
        Ok(Spawned {
            pid,
            exited: exit_rx,
        })
    }

    /// SIGTERM to every live child, then SIGKILL to those still there after `grace`.
    pub fn kill_all(&self, grace: Duration) {
        let pids: Vec<u32> = match self.live.lock() {
            Ok(l) => l.keys().copied().collect(),
            Err(_) => return,
        };
        for pid in &pids {
            signal(*pid, libc::SIGTERM);
        }
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            if self.live.lock().map(|l| l.is_empty()).unwrap_or(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let left: Vec<u32> = match self.live.lock() {
            Ok(l) => l.keys().copied().collect(),
            Err(_) => return,
        };
        for pid in left {
            signal(pid, libc::SIGKILL);
        }
        // Give the waiter threads a moment to reap, so no zombie is reported as running.
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while std::time::Instant::now() < deadline
            && !self.live.lock().map(|l| l.is_empty()).unwrap_or(true)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Kills one child right away (a timed-out instance: Lambda discards the sandbox too).
pub fn kill(pid: u32) {
    signal(pid, libc::SIGKILL);
}

fn signal(pid: u32, sig: libc::c_int) {
    // pids come from our own registry of children that have not been reaped yet, so they
    // cannot have been reused by an unrelated process.
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: plain syscall on a pid we own.
        #[allow(unsafe_code, reason = "libc::kill: std can only SIGKILL a child")]
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// moto logs every successful request (SQS long polls included); only its warnings and
/// errors are worth a console line.
fn is_noise(label: &str, line: &str) -> bool {
    label == "moto" && (line.contains("HTTP/1.1\" 2") || line.contains("HTTP/1.1\" 3"))
}

/// Copies a child's output to our stdout line by line, each line prefixed with its label.
/// Lines are written whole under the stdout lock, so output of functions interleaves by line.
/// EMF documents go to `metrics` too (and are still printed, as CloudWatch Logs keeps them).
fn pipe_lines<R: Read + Send + 'static>(r: R, label: String, metrics: Metrics) {
    let _ = std::thread::Builder::new()
        .name(format!("log-{label}"))
        .spawn(move || {
            let mut reader = BufReader::new(r);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf);
                        let line = line.trim_end_matches(['\n', '\r']);
                        if is_noise(&label, line) {
                            continue;
                        }
                        if label != "moto" {
                            metrics.observe(&label, line);
                        }
                        let mut out = std::io::stdout().lock();
                        let _ = writeln!(out, "[{label}] {line}");
                        let _ = out.flush();
                    }
                }
            }
        });
}
