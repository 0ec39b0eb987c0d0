//! One cold start: a Runtime API of its own on 127.0.0.1, the binary started against it,
//! the time until its first `/next`, then the process killed by its PID.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

/// Longer than any init should take, even on a loaded machine.
const INIT_LIMIT: Duration = Duration::from_secs(30);
const NEXT: &str = "/2018-06-01/runtime/invocation/next";

/// Start → first `/next`, or why the binary did not get there (its stderr included).
pub async fn init_time(binary: &Path, env: &BTreeMap<String, String>) -> Result<Duration, String> {
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
    let outcome = tokio::select! {
        polled = first_next(&listener) => polled.map(|(at, held)| (at - started, held)),
        status = child.wait() => Err(format!("exited before polling /next ({status:?})")),
        () = tokio::time::sleep(INIT_LIMIT) => Err(format!("no /next within {INIT_LIMIT:?}")),
    };
    // SIGKILL to this child's PID, and reaped; the held connection closes after it.
    let _ = child.kill().await;
    match outcome {
        Ok((init, _held)) => Ok(init),
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

/// Waits for the first `/next`; an init error the runtime reports fails the launch.
async fn first_next(listener: &TcpListener) -> Result<(Instant, TcpStream), String> {
    let (mut stream, _) = listener
        .accept()
        .await
        .map_err(|e| format!("Runtime API accept: {e}"))?;
    let head = read_head(&mut stream).await?;
    let at = Instant::now();
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    if request_line.starts_with("GET ") && request_line.contains(NEXT) {
        return Ok((at, stream));
    }
    let _ = stream
        .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
        .await;
    Err(format!(
        "first call was `{request_line}`, not /next: {head}"
    ))
}

/// The request line and headers (and whatever body arrived with them).
async fn read_head(stream: &mut TcpStream) -> Result<String, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("Runtime API read: {e}"))?;
        if n == 0 {
            return Err("the runtime closed its connection mid-request".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
