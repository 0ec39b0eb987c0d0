//! One cold start: a Runtime API of its own on 127.0.0.1, the binary started against it,
//! the time until its first `/next` (its init) and, when an event is given, until it posts
//! that event's answer (its first invocation); then the process killed by its PID.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;
use tokio::sync::mpsc;

/// Longer than any init should take, even on a loaded machine.
const INIT_LIMIT: Duration = Duration::from_secs(30);
const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const REQUEST_ID: &str = "coldstart-0001";

/// What one launch measured.
pub struct Launch {
    /// Process start → first `/next`.
    pub init: Duration,
    /// Page faults the process had taken when its first `/next` arrived (minor and major,
    /// every thread); `None` where `/proc` cannot tell.
    pub init_faults: Option<u64>,
    /// Process start → the answer to the event (`None` without an event); `ok` is false
    /// when the runtime reported the invocation as an error.
    pub first: Option<(Duration, bool)>,
}

/// What the binary asked of the Runtime API, in the order it arrived.
enum Call {
    /// With the page faults read at that moment, before any event is answered.
    Next(Instant, Option<u64>),
    Answer {
        at: Instant,
        ok: bool,
    },
    Other(String),
}

/// Start → first `/next` (and → the event's answer), or why the binary did not get there
/// (its stderr included).
pub async fn launch(
    binary: &Path,
    env: &BTreeMap<String, String>,
    event: Option<&[u8]>,
) -> Result<Launch, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("no port for the Runtime API: {e}"))?;
    let api = listener
        .local_addr()
        .map_err(|e| format!("Runtime API address: {e}"))?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let (calls, mut seen) = mpsc::unbounded_channel();
    let pid = child.id();
    let serving = tokio::spawn(serve(listener, event.map(<[u8]>::to_vec), calls, pid));
    let outcome = tokio::select! {
        measured = measure(&mut seen, started, event.is_some()) => measured,
        status = child.wait() => Err(format!("exited before it was measured ({status:?})")),
        () = tokio::time::sleep(INIT_LIMIT) => Err(format!("not measured within {INIT_LIMIT:?}")),
    };
    // SIGKILL to this child's PID, and reaped; aborting the server drops its connection
    // tasks, so the held connections close with it.
    let _ = child.kill().await;
    serving.abort();
    match outcome {
        Ok(launch) => Ok(launch),
        Err(why) => {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr).await;
            }
            let tail: String = stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            Err(format!(
                "{}: {why}; stderr (last lines, newest first): {tail}",
                binary.display()
            ))
        }
    }
}

/// The first `/next`, then (with an event) its answer; anything else fails the launch.
async fn measure(
    seen: &mut mpsc::UnboundedReceiver<Call>,
    started: Instant,
    with_event: bool,
) -> Result<Launch, String> {
    let (init, init_faults) = match seen.recv().await {
        Some(Call::Next(at, faults)) => (at - started, faults),
        Some(Call::Answer { .. }) => return Err("answered before asking for an event".into()),
        Some(Call::Other(line)) => return Err(format!("first call was `{line}`, not /next")),
        None => return Err("the Runtime API stopped".into()),
    };
    if !with_event {
        return Ok(Launch {
            init,
            init_faults,
            first: None,
        });
    }
    loop {
        match seen.recv().await {
            Some(Call::Answer { at, ok }) => {
                return Ok(Launch {
                    init,
                    init_faults,
                    first: Some((at - started, ok)),
                });
            }
            Some(Call::Next(..)) => {}
            Some(Call::Other(line)) => return Err(format!("unexpected call `{line}`")),
            None => return Err("the Runtime API stopped".into()),
        }
    }
}

/// Accepts the runtime's connections; each is read by a task of its own, since the
/// runtime's client may answer on a new connection while the first is still open. The
/// tasks belong to this future: aborting it drops them and closes their sockets (one holds
/// a `/next` for ever).
async fn serve(
    listener: TcpListener,
    event: Option<Vec<u8>>,
    calls: mpsc::UnboundedSender<Call>,
    pid: Option<u32>,
) {
    let event = Arc::new(Mutex::new(event));
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        connections.spawn(connection(stream, event.clone(), calls.clone(), pid));
    }
}

/// Reads requests off one connection: the first `/next` gets the event (once per launch),
/// later ones are held unanswered; an invocation's answer is acknowledged.
async fn connection(
    mut stream: TcpStream,
    event: Arc<Mutex<Option<Vec<u8>>>>,
    calls: mpsc::UnboundedSender<Call>,
    pid: Option<u32>,
) {
    let mut buffered = Vec::new();
    while let Ok(head) = read_head(&mut stream, &mut buffered).await {
        let at = Instant::now();
        let line = head.lines().next().unwrap_or_default().to_owned();
        if line.starts_with("GET ") && line.contains(NEXT) {
            // Read while the runtime waits for this answer, so the count is init's alone.
            let _ = calls.send(Call::Next(at, pid.and_then(page_faults)));
            let Some(body) = event.lock().ok().and_then(|mut e| e.take()) else {
                // Held: the process is killed while it waits.
                std::future::pending::<()>().await;
                return;
            };
            let _ = stream.write_all(&invocation(&body)).await;
        } else if line.starts_with("POST ") && line.contains(REQUEST_ID) {
            let ok = line.contains("/response");
            let _ = calls.send(Call::Answer { at, ok });
            let _ = stream
                .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                .await;
            // Its body (with content-length) is left unread: nothing follows it here.
            buffered.clear();
        } else {
            let _ = calls.send(Call::Other(line));
            let _ = stream
                .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    }
}

/// Minor plus major page faults of process `pid` so far, all its threads together
/// (`/proc/<pid>/stat`, fields 10 and 12).
fn page_faults(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    faults_in_stat(&stat)
}

/// The fields after the command name, which is in parentheses and may itself hold spaces
/// or parentheses: the state is field 3, minflt field 10, majflt field 12.
fn faults_in_stat(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let minor: u64 = fields.get(7)?.parse().ok()?;
    let major: u64 = fields.get(9)?.parse().ok()?;
    Some(minor + major)
}

/// The Runtime API's answer to `/next`: the event and the headers `lambda_runtime` reads.
fn invocation(body: &[u8]) -> Vec<u8> {
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() + 30_000)
        .unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         lambda-runtime-aws-request-id: {REQUEST_ID}\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
         lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:coldstart\r\n\
         lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// The request line and headers of the next request on `stream`; bytes read past them
/// stay in `buffered`.
async fn read_head(stream: &mut TcpStream, buffered: &mut Vec<u8>) -> Result<String, String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffered[..end]).into_owned();
            buffered.drain(..end + 4);
            return Ok(head);
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("Runtime API read: {e}"))?;
        if n == 0 {
            return Err("the runtime closed its connection".into());
        }
        buffered.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (api (x) y) S 1 4242 4242 0 -1 4194560 317 0 2 0 1 0 0 0 20 0 3 0";
        assert_eq!(faults_in_stat(stat), Some(319));
        assert_eq!(faults_in_stat("4242 (short) S 1"), None);
        assert_eq!(faults_in_stat("no parenthesis"), None);
    }

    #[test]
    fn this_process_has_taken_page_faults() {
        let faults = page_faults(std::process::id()).expect("/proc/<pid>/stat is readable");
        assert!(faults > 0);
    }
}
