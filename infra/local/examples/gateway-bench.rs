//! Benchmark: what the local gateway adds per HTTP request.
//!
//! Runs the same handler (`common/echo.rs`) two ways and prints p50/p95/p99:
//! - in process: deserialise the API Gateway v2 event, call the handler, serialise the
//!   response (what a unit test or `cargo lambda invoke` would measure);
//! - through the gateway: HTTP request → route → v2 event → Runtime API long poll →
//!   `lambda_http` in the function process → response → HTTP response.
//!
//! The difference is the gateway's added latency. It also prints the time from starting
//! `jobmon-local` (moto included) to the first 200 from `/v1/health`.
//!
//!   cargo run -p jobmon-local --release --example gateway-bench [-- --requests N]
//!
//! It builds the gateway and the echo function with the same profile first (through
//! `$CARGO`), so the two sides are compiled alike.

#[path = "common/echo.rs"]
mod echo;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// The gateway's added latency the issue asks for at the median (issue 21).
const GOAL_P50_MICROS: f64 = 2000.0;

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        #[allow(unsafe_code, reason = "libc::kill: std can only SIGKILL a child")]
        unsafe {
            libc::kill(self.0.id() as i32, libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)].as_secs_f64() * 1e6;
    (at(0.50), at(0.95), at(0.99))
}

fn event(port: u16) -> String {
    serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /echo/{id}",
        "rawPath": "/echo/1",
        "rawQueryString": "",
        "headers": {"host": format!("127.0.0.1:{port}")},
        "pathParameters": {"id": "1"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "httpapi", "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {"method": "GET", "path": "/echo/1", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": "00000000-0000-4000-8000-000000000000", "routeKey": "GET /echo/{id}",
            "stage": "$default", "time": "28/Nov/2026:10:00:00 +0000", "timeEpoch": 0
        },
        "isBase64Encoded": false
    })
    .to_string()
}

async fn in_process(n: usize) -> Vec<Duration> {
    let ev = event(0);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let req = lambda_http::request::from_str(&ev).expect("event");
        let resp = echo::handle(req).await.expect("handler");
        // Serialise the way the runtime does before POSTing it.
        let (parts, body) = resp.into_parts();
        let headers: serde_json::Map<String, serde_json::Value> = parts
            .headers
            .iter()
            .filter(|(k, _)| k.as_str() != "set-cookie")
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
            .collect();
        let json = serde_json::json!({
            "statusCode": parts.status.as_u16(),
            "headers": headers,
            "body": match body { lambda_http::Body::Text(t) => t, _ => String::new() },
            "isBase64Encoded": false,
        });
        std::hint::black_box(serde_json::to_vec(&json).expect("json"));
        out.push(t.elapsed());
    }
    out
}

/// Builds jobmon-local and the test functions of the fixture template when run by cargo.
fn build_gateway_and_functions(release: bool) {
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        // The fixture template runs all the test functions.
        build.args([
            "build",
            "-p",
            "jobmon-local",
            "--bin",
            "jobmon-local",
            "--examples",
        ]);
        if release {
            build.arg("--release");
        }
        assert!(
            build.status().expect("cargo build").success(),
            "build failed"
        );
    }
}

/// Runs jobmon-local on the fixture template (one instance per function) and connects.
async fn start_gateway(
    profile_dir: &std::path::Path,
    port: u16,
    started: Instant,
) -> (KillOnDrop, tokio::net::TcpStream) {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let mut gateway = KillOnDrop(
        Command::new(profile_dir.join("jobmon-local"))
            .args([
                "--template",
                &format!("{manifest}/tests/fixtures/template.yaml"),
            ])
            .arg("--bin-dir")
            .arg(profile_dir.join("examples"))
            .args(["--port", &port.to_string(), "--max-instances", "1"])
            .env_remove("AWS_ENDPOINT_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start jobmon-local"),
    );
    let stream = loop {
        if let Ok(s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            break s;
        }
        if let Ok(Some(status)) = gateway.0.try_wait() {
            panic!("jobmon-local exited ({status}); its error is above");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gateway did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    (gateway, stream)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .skip_while(|a| a != "--requests")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let exe = std::env::current_exe().expect("own path");
    let profile_dir = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target/<profile>");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    build_gateway_and_functions(release);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let (gateway, stream) = start_gateway(profile_dir, port, started).await;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let get = |path: &str| {
        hyper::Request::get(path)
            .header("host", format!("127.0.0.1:{port}"))
            .body(Empty::<Bytes>::new())
            .unwrap()
    };
    let health = sender
        .send_request(get("/v1/health"))
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    let _ = health.into_body().collect().await;
    let startup = started.elapsed();

    // Warm-up both sides, then measure.
    let _ = in_process(200).await;
    for _ in 0..200 {
        sender.ready().await.expect("connection");
        let r = sender.send_request(get("/echo/1")).await.expect("request");
        let _ = r.into_body().collect().await;
    }
    let local = in_process(n).await;
    let mut through = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        sender.ready().await.expect("connection");
        let r = sender.send_request(get("/echo/1")).await.expect("request");
        assert_eq!(r.status(), 200);
        let _ = r.into_body().collect().await.expect("body");
        through.push(t.elapsed());
    }
    drop(gateway);

    let (l50, l95, l99) = percentiles(local);
    let (g50, g95, g99) = percentiles(through);
    println!(
        "gateway-bench ({} build, {n} sequential requests, 1 instance)",
        if release { "release" } else { "debug" }
    );
    println!(
        "  start-up to first 200 from /v1/health: {} ms (moto + provisioning + 4 functions)",
        startup.as_millis()
    );
    println!("  in-process handler     p50 {l50:8.1} µs  p95 {l95:8.1} µs  p99 {l99:8.1} µs");
    println!("  through the gateway    p50 {g50:8.1} µs  p95 {g95:8.1} µs  p99 {g99:8.1} µs");
    println!(
        "  added by the gateway   p50 {:8.1} µs  p95 {:8.1} µs   (goal: p50 <= {GOAL_P50_MICROS} µs)",
        g50 - l50,
        g95 - l95
    );
}
