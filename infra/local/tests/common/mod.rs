//! Test harness: starts the real `jobmon-local` binary (which starts moto and the test
//! functions from `examples/`), talks to it over HTTP, and checks that stopping it leaves no
//! process behind. `cargo test -p jobmon-local` builds the examples before running tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `target/debug/examples`, where cargo put the test functions.
pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_jobmon-local"))
        .parent()
        .expect("target dir")
        .join("examples")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub struct Gateway {
    child: Option<Child>,
    pub port: u16,
    out: Arc<Mutex<String>>,
}

fn command(template: &str, port: u16, args: &[&str], env: &[(&str, &str)]) -> Command {
    stack_command(&fixture(template), &examples_dir(), port, args, env)
}

fn stack_command(
    template: &str,
    bin_dir: &std::path::Path,
    port: u16,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jobmon-local"));
    cmd.arg("--template")
        .arg(template)
        .arg("--bin-dir")
        .arg(bin_dir)
        .arg("--port")
        .arg(port.to_string())
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn collect<R: Read + Send + 'static>(r: R, out: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            let mut o = out.lock().unwrap();
            o.push_str(&line);
            o.push('\n');
        }
    });
}

impl Gateway {
    /// Starts the gateway and waits until it reports ready.
    pub fn start(template: &str, args: &[&str], env: &[(&str, &str)]) -> Gateway {
        let port = free_port();
        Self::spawn(command(template, port, args, env), port)
    }

    /// The whole of jobmon: the workspace's `template.yaml` with the real function
    /// binaries next to `jobmon-local` (`cargo build --workspace` builds them; `make test`
    /// does so before the tests).
    pub fn start_stack(env: &[(&str, &str)]) -> Gateway {
        let port = free_port();
        let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_jobmon-local"))
            .parent()
            .expect("target dir")
            .to_path_buf();
        let template = format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"));
        Self::spawn(stack_command(&template, &bin_dir, port, &[], env), port)
    }

    fn spawn(mut command: Command, port: u16) -> Gateway {
        let mut child = command.spawn().expect("spawn jobmon-local");
        let out = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().unwrap(), out.clone());
        collect(child.stderr.take().unwrap(), out.clone());
        let mut gw = Gateway {
            child: Some(child),
            port,
            out,
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        while !gw.output().contains("ready in") {
            if let Some(status) = gw.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("gateway exited ({status}) before ready:\n{}", gw.output());
            }
            assert!(
                Instant::now() < deadline,
                "gateway not ready:\n{}",
                gw.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        gw
    }

    pub fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Waits until the console output satisfies `pred`.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        while !pred(&self.output()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; output:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The AWS endpoint (moto) the gateway started, from its banner.
    pub fn aws_endpoint(&self) -> String {
        let out = self.output();
        let line = out
            .lines()
            .find(|l| l.contains("  AWS "))
            .expect("AWS endpoint line");
        line.split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("endpoint URL")
            .to_owned()
    }

    /// Sends `signal`, waits for the exit, and checks that every process the gateway
    /// reported starting (moto, each function instance) is gone.
    pub fn stop_with(mut self, signal: i32) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        #[allow(unsafe_code, reason = "libc::kill: std can only SIGKILL a child")]
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("gateway did not stop:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(100));
        let out = self.output();
        assert_no_survivors(&out);
        (status, out)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            #[allow(unsafe_code, reason = "libc::kill: std can only SIGKILL a child")]
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Every `(pid N)` the gateway logged must be gone (or at most a zombie being reaped).
pub fn assert_no_survivors(out: &str) {
    let pids: Vec<u32> = out
        .match_indices("(pid ")
        .filter_map(|(i, _)| {
            out[i + 5..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|p| p.parse().ok())
        })
        .collect();
    assert!(!pids.is_empty(), "no pids logged:\n{out}");
    // Signals are delivered asynchronously: allow a moment, never a pass by default.
    let deadline = Instant::now() + Duration::from_secs(5);
    for pid in pids {
        loop {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Field 3 is the state; Z (zombie) or X (dead) means it no longer runs.
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            if matches!(state, None | Some("Z") | Some("X")) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "process {pid} still running after the gateway stopped: {stat}\n{out}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs the gateway expecting it to fail at startup; returns its exit status and output.
pub fn start_failing(template: &str, port: u16, args: &[&str]) -> (ExitStatus, String) {
    let out = command(template, port, args, &[])
        .output()
        .expect("run jobmon-local");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, text)
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub async fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> HttpResponse {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the gateway");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{port}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = sender
        .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .expect("response");
    let (parts, body) = resp.into_parts();
    HttpResponse {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes().to_vec(),
    }
}

/// The gateway's HTTP API as a tenant's client sees it.
pub struct Api {
    pub port: u16,
}

impl Api {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let r = http(self.port, method, path, &headers, body).await;
        let json = if r.body.is_empty() {
            serde_json::Value::Null
        } else {
            r.json()
        };
        (r.status, json)
    }

    /// Registers a tenant; its access token.
    pub async fn signup(&self, name: &str) -> String {
        let (status, session) = self
            .call(
                "POST",
                "/v1/auth/register",
                None,
                Some(serde_json::json!({"email": format!("{}@example.com", ulid::Ulid::new()), "password": "correct horse battery", "tenantName": name})),
            )
            .await;
        assert_eq!(status, 201, "{session}");
        session["accessToken"].as_str().unwrap().to_owned()
    }
}
