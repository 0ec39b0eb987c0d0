//! The local gateway end to end: the real binary, real moto, and small real Lambda
//! functions (infra/local/examples) built with lambda_runtime / lambda_http.

mod common;

use std::time::Duration;

use common::{Gateway, fixture, free_port, http, start_failing};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// The route settings of the template's HTTP API, with a parameter overridden as a
/// deployment would (`JOBMON_PARAM_*`): over the burst a route answers 429 with
/// `Retry-After` before any function runs; other routes are not counted with it.
#[tokio::test(flavor = "multi_thread")]
async fn throttling_from_the_template_answers_429_with_retry_after() {
    // One token every ten seconds: the refill cannot hide the limit however slow the
    // machine is (refilling is the bucket's unit test).
    let gw = Gateway::start(
        "template.yaml",
        &[],
        &[
            ("JOBMON_PARAM_LimitedBurst", "3"),
            ("JOBMON_PARAM_LimitedRate", "0.1"),
        ],
    );
    let p = gw.port;
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..5 {
        let r = http(p, "GET", "/limited", &[], vec![]).await;
        statuses.push(r.status);
        if r.status == 429 {
            refused = Some(r);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let refused = refused.unwrap();
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.json()["error"]["code"], "rate_limited");
    let r = http(p, "GET", "/echo/static", &[], vec![]).await;
    assert_eq!(r.status, 200, "an unthrottled route is not affected");
}

/// The dashboard carries the headers of the template's response headers policy, resolved
/// like everything else; API routes do not get them from the gateway.
#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_is_served_with_the_templates_response_headers_policy() {
    let web = fixture("web");
    let gw = Gateway::start("template.yaml", &["--web-dir", &web], &[]);
    let r = http(gw.port, "GET", "/", &[], vec![]).await;
    assert_eq!(r.status, 200);
    let h = &r.headers;
    assert_eq!(
        h["content-security-policy"],
        "default-src 'self'; connect-src 'self' wss://httpapi.example"
    );
    assert_eq!(
        h["strict-transport-security"],
        "max-age=600; includeSubDomains"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["permissions-policy"], "camera=()");
    let api = http(gw.port, "GET", "/echo/static", &[], vec![]).await;
    assert!(api.headers.get("content-security-policy").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn http_round_trip_and_dashboard() {
    let web = fixture("web");
    let gw = Gateway::start(
        "template.yaml",
        &["--web-dir", &web],
        &[("JOBMON_OVERRIDE_ME", "from-gateway")],
    );
    let p = gw.port;

    // Path parameters, query string, headers, cookies, request context.
    let r = http(
        p,
        "GET",
        "/echo/a%20b?x=1&y=two",
        &[("cookie", "c1=1; c2=2"), ("x-custom", "v")],
        vec![],
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["method"], "GET");
    assert_eq!(j["pathParameters"]["id"], "a b");
    assert_eq!(j["query"]["y"], "two");
    assert_eq!(j["headers"]["x-custom"], "v");
    assert_eq!(j["headers"]["x-forwarded-for"], "127.0.0.1");
    let cookie = j["headers"]["cookie"].as_str().unwrap();
    assert!(
        cookie.contains("c1=1") && cookie.contains("c2=2"),
        "{cookie}"
    );
    assert_eq!(j["sourceIp"], "127.0.0.1");
    assert!(j["requestId"].as_str().is_some_and(|s| s.len() == 36));
    assert!(j["timeEpoch"].as_i64().unwrap() > 0);
    // Runtime API headers reached the function through lambda_runtime.
    assert!(j["lambdaRequestId"].as_str().is_some_and(|s| s.len() == 36));
    assert!(j["deadlineMs"].as_u64().unwrap() > 0);
    assert!(
        j["functionArn"]
            .as_str()
            .unwrap()
            .ends_with(":function:jobmon-local-EchoFunction")
    );
    // Response headers and cookies mapped back.
    assert_eq!(r.headers["x-echo"], "yes");
    let set: Vec<_> = r.headers.get_all("set-cookie").iter().collect();
    assert_eq!(set.len(), 2, "{set:?}");

    // A static route beats a {param} route.
    let r = http(p, "GET", "/echo/static", &[], vec![]).await;
    assert_eq!(r.json()["pathParameters"], serde_json::json!({}));

    // Body and status code.
    let r = http(
        p,
        "POST",
        "/echo/x?status=201",
        &[("content-type", "application/json")],
        br#"{"a":1}"#.to_vec(),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["body"], r#"{"a":1}"#);

    // Binary request and response, base64 on both legs.
    let bytes: Vec<u8> = vec![0, 159, 146, 150, 255, 1];
    let r = http(
        p,
        "PUT",
        "/bin",
        &[("content-type", "application/octet-stream")],
        bytes.clone(),
    )
    .await;
    assert_eq!(r.status, 200);
    let mut reversed = bytes.clone();
    reversed.reverse();
    assert_eq!(r.body, reversed);

    // Environment: Globals merged with the function's, !Ref/!GetAtt/!Sub resolved locally,
    // JOBMON_* from the gateway's environment winning over the template.
    let r = http(
        p,
        "GET",
        "/env?names=TABLE_NAME,GREETING,QUEUE_URL,QUEUE_ARN,QUEUE_SUB,API_URL,JOBMON_OVERRIDE_ME,AWS_LAMBDA_FUNCTION_NAME,AWS_ENDPOINT_URL",
        &[],
        vec![],
    )
    .await;
    let env = r.json();
    assert_eq!(env["TABLE_NAME"], "jobmon-local-Table");
    assert_eq!(env["GREETING"], "overridden-by-function");
    assert_eq!(env["QUEUE_SUB"], "jobmon-local-WorkQueue@us-east-1");
    assert!(
        env["QUEUE_URL"]
            .as_str()
            .unwrap()
            .ends_with("/jobmon-local-WorkQueue")
    );
    assert_eq!(
        env["QUEUE_ARN"],
        "arn:aws:sqs:us-east-1:123456789012:jobmon-local-WorkQueue"
    );
    assert_eq!(env["API_URL"], format!("http://127.0.0.1:{p}"));
    assert_eq!(env["JOBMON_OVERRIDE_ME"], "from-gateway");
    assert_eq!(env["AWS_ENDPOINT_URL"], gw.aws_endpoint());

    // A handler error is a 500 in the project's error shape; the instance stays warm.
    let before = http(p, "GET", "/echo/1", &[], vec![]).await.json()["instance"].clone();
    let r = http(p, "GET", "/fail", &[], vec![]).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["code"], "internal");
    assert_eq!(r.headers["x-jobmon-local-error"], "function_error");
    let after = http(p, "GET", "/echo/1", &[], vec![]).await.json()["instance"].clone();
    assert_eq!(
        before, after,
        "a handled error must not replace the instance"
    );

    // Unknown routes: JSON 404, also under an API prefix when a dashboard is served.
    for path in ["/v1/nope", "/echo/a/b"] {
        let r = http(p, "GET", path, &[], vec![]).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["error"]["code"], "not_found");
    }
    let r = http(p, "DELETE", "/echo/x", &[], vec![]).await;
    assert_eq!(r.status, 404);

    // Dashboard: files, SPA fallback for extension-less paths only.
    let r = http(p, "GET", "/", &[], vec![]).await;
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("jobmon test dashboard"));
    let r = http(p, "GET", "/jobs/123", &[], vec![]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let r = http(p, "GET", "/assets/app.js", &[], vec![]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let r = http(p, "GET", "/assets/missing.js", &[], vec![]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "not_found");
    let r = http(p, "GET", "/../Cargo.toml", &[], vec![]).await;
    assert_eq!(r.status, 404);

    // Console: each function's lines carry its name.
    assert!(gw.output().contains("[EchoFunction] echo instance"));

    // SIGINT stops everything, exit 0.
    let (status, _) = gw.stop_with(libc::SIGINT);
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_and_crash_restart_the_instance() {
    let gw = Gateway::start("template.yaml", &[], &[]);
    let p = gw.port;
    let first = http(p, "GET", "/echo/1", &[], vec![]).await.json()["instance"].clone();

    // Timeout: 2 s in the template; the handler sleeps 30 s.
    let r = http(p, "GET", "/slow?ms=30000", &[], vec![]).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.headers["x-jobmon-local-error"], "timeout");
    let second = http(p, "GET", "/echo/1", &[], vec![]).await;
    assert_eq!(second.status, 200);
    let second = second.json()["instance"].clone();
    assert_ne!(
        first, second,
        "after a timeout the next invocation is a cold start"
    );

    // Crash mid-invocation: reported as an error, instance restarted.
    let r = http(p, "GET", "/crash", &[], vec![]).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.headers["x-jobmon-local-error"], "crash");
    let third = http(p, "GET", "/echo/1", &[], vec![]).await;
    assert_eq!(third.status, 200);
    assert_ne!(third.json()["instance"], second);
    let out = gw.output();
    assert!(out.contains("timed out after 2 s"), "{out}");
    assert!(out.contains("exited (exit code 3) during request"), "{out}");
    assert!(out.contains("[EchoFunction#3] echo instance"), "{out}");
    gw.stop_with(libc::SIGTERM);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_use_extra_instances_up_to_the_cap() {
    let gw = Gateway::start("template.yaml", &["--max-instances", "2"], &[]);
    let p = gw.port;
    let mut handles = Vec::new();
    for _ in 0..4 {
        handles.push(tokio::spawn(async move {
            http(p, "GET", "/slow?ms=700", &[], vec![]).await.status
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 200);
    }
    let out = gw.output();
    assert!(out.contains("EchoFunction: instance #2 starting"), "{out}");
    assert!(
        !out.contains("EchoFunction: instance #3 starting"),
        "cap of 2 exceeded:\n{out}"
    );
    gw.stop_with(libc::SIGTERM);
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_connect_push_disconnect_gone() {
    let gw = Gateway::start("template.yaml", &[], &[]);
    let p = gw.port;

    // $connect answering 403 refuses the upgrade.
    let refused = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{p}/ws?deny=1")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 403),
        other => panic!("expected a refused upgrade, got {other:?}"),
    }

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{p}/ws?ticket=t-1"))
        .await
        .expect("connect");
    gw.wait_for(
        "$connect with its query string",
        Duration::from_secs(10),
        |o| o.contains("connected ") && o.contains("ticket=t-1"),
    );

    // $default → function → @connections (SDK client) → this socket.
    ws.send(Message::text("hello")).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(msg.into_text().unwrap().as_str(), "echo:hello");

    // GetConnection through the SDK parses our answer; the function tells us its id.
    ws.send(Message::text("whoami")).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = msg.into_text().unwrap().to_string();
    let rest = text.strip_prefix("me:").expect(&text);
    let (id, ip) = rest.rsplit_once(':').unwrap();
    assert_eq!(ip, "127.0.0.1");

    // The management endpoint directly: POST reaches the socket, GET describes it.
    let enc = id
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let r = http(
        p,
        "POST",
        &format!("/live/@connections/{enc}"),
        &[],
        b"pushed".to_vec(),
    )
    .await;
    assert_eq!(r.status, 200);
    let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(msg.into_text().unwrap().as_str(), "pushed");
    let r = http(p, "GET", &format!("/@connections/{enc}"), &[], vec![]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["identity"]["sourceIp"], "127.0.0.1");

    // Close → $disconnect runs → the connection is gone: 410 everywhere.
    ws.close(None).await.unwrap();
    gw.wait_for("$disconnect", Duration::from_secs(10), |o| {
        o.contains(&format!("disconnected {id}"))
    });
    for method in ["POST", "GET", "DELETE"] {
        let r = http(
            p,
            method,
            &format!("/@connections/{enc}"),
            &[],
            b"x".to_vec(),
        )
        .await;
        assert_eq!(r.status, 410, "{method}");
        assert_eq!(r.headers["x-amzn-errortype"], "GoneException");
    }

    // DELETE on a live connection closes it from the server side.
    let (mut ws2, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{p}/ws"))
        .await
        .expect("connect");
    ws2.send(Message::text("whoami")).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(10), ws2.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = msg.into_text().unwrap().to_string();
    let id2 = text
        .strip_prefix("me:")
        .unwrap()
        .rsplit_once(':')
        .unwrap()
        .0
        .to_owned();
    let enc2 = id2
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let r = http(p, "DELETE", &format!("/@connections/{enc2}"), &[], vec![]).await;
    assert_eq!(r.status, 204);
    let next = tokio::time::timeout(Duration::from_secs(10), ws2.next())
        .await
        .unwrap();
    assert!(
        matches!(next, Some(Ok(Message::Close(_))) | None),
        "{next:?}"
    );
    gw.wait_for("$disconnect after DELETE", Duration::from_secs(10), |o| {
        o.contains(&format!("disconnected {id2}"))
    });
    gw.stop_with(libc::SIGTERM);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqs_partial_batch_failure_redelivers_only_the_failed_message_then_dlq() {
    let gw = Gateway::start("template.yaml", &[], &[]);
    let endpoint = gw.aws_endpoint();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region("us-east-1")
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = |name: &str| format!("{endpoint}/123456789012/jobmon-local-{name}");
    for body in ["ok-1", "fail-1", "ok-2"] {
        sqs.send_message()
            .queue_url(url("WorkQueue"))
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    // maxReceiveCount is 2: two failed attempts, then the queue's redrive moves it.
    gw.wait_for("two failed attempts", Duration::from_secs(60), |o| {
        o.contains("failing fail-1 receive=1") && o.contains("failing fail-1 receive=2")
    });
    let mut in_dlq = None;
    for _ in 0..30 {
        let r = sqs
            .receive_message()
            .queue_url(url("WorkDeadLetterQueue"))
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(m) = r.messages().first() {
            in_dlq = m.body().map(str::to_owned);
            break;
        }
    }
    assert_eq!(in_dlq.as_deref(), Some("fail-1"), "{}", gw.output());
    let out = gw.output();
    // Successes were deleted: processed once, never redelivered.
    assert_eq!(out.matches("processed ok-1").count(), 1, "{out}");
    assert_eq!(out.matches("processed ok-2").count(), 1, "{out}");
    assert!(!out.contains("failing fail-1 receive=3"), "{out}");
    gw.stop_with(libc::SIGTERM);
}

#[tokio::test(flavor = "multi_thread")]
async fn schedules_fire_with_a_speedup() {
    // rate(1 hour) at 3600x fires every second; cron every 6 hours every 6 seconds.
    let gw = Gateway::start("template.yaml", &["--schedule-speedup", "3600"], &[]);
    gw.wait_for("rate and cron schedules", Duration::from_secs(30), |o| {
        // Overlapping firings may run on a second instance ([TickFunction#2]).
        o.matches("] tick Scheduled Event aws.events").count() >= 2
            && o.contains(r#"] tick input {"kind":"cron"}"#)
    });
    gw.stop_with(libc::SIGTERM);
}

#[test]
fn malformed_template_is_a_clear_error() {
    let (status, out) = start_failing("malformed.yaml", free_port(), &[]);
    assert!(!status.success());
    assert!(
        out.contains("Fn") && out.contains("rate(15 minute)"),
        "{out}"
    );
    assert!(!out.contains("moto starting"), "nothing may start: {out}");
}

#[test]
fn missing_binary_is_a_clear_error() {
    let (status, out) = start_failing("missing-binary.yaml", free_port(), &[]);
    assert!(!status.success());
    assert!(
        out.contains("GhostFunction") && out.contains("no-such-binary"),
        "{out}"
    );
    assert!(!out.contains("moto starting"), "nothing may start: {out}");
}

#[test]
fn port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (status, out) = start_failing("template.yaml", port, &[]);
    assert!(!status.success());
    assert!(
        out.contains(&format!("port {port}")) && out.contains("not available"),
        "{out}"
    );
    assert!(!out.contains("moto starting"), "nothing may start: {out}");
}

#[test]
fn function_that_never_polls_is_a_clear_error_and_nothing_survives() {
    let (status, out) = start_failing("never-polls.yaml", free_port(), &["--init-timeout", "2"]);
    assert!(!status.success());
    assert!(
        out.contains("SilentFunction") && out.contains("did not poll the Runtime API"),
        "{out}"
    );
    // moto and the silent function were started, and must both be gone.
    assert!(out.contains("moto starting"), "{out}");
    common::assert_no_survivors(&out);
}

#[test]
fn sigint_during_startup_stops_what_was_started() {
    let port = free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jobmon-local"))
        .args(["--template", &fixture("never-polls.yaml")])
        .arg("--bin-dir")
        .arg(common::examples_dir())
        .args(["--port", &port.to_string(), "--init-timeout", "60"])
        .env_remove("AWS_ENDPOINT_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    for pipe in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let out = out.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                out.lock().unwrap().push_str(&(line + "\n"));
            }
        });
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !out.lock().unwrap().contains("[SilentFunction] silent") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            out.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    #[allow(unsafe_code, reason = "libc::kill: std can only SIGKILL a child")]
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let text = out.lock().unwrap().clone();
    assert!(status.success(), "{status}\n{text}");
    assert!(text.contains("SIGINT during startup"), "{text}");
    common::assert_no_survivors(&text);
}

#[tokio::test(flavor = "multi_thread")]
async fn children_die_with_a_killed_gateway() {
    // SIGKILL gives the gateway no chance to clean up: PR_SET_PDEATHSIG must do it.
    let gw = Gateway::start("template.yaml", &[], &[]);
    let out = gw.output();
    assert!(out.contains("moto starting"), "{out}");
    let (status, out) = gw.stop_with(libc::SIGKILL);
    assert!(!status.success());
    assert!(
        !out.contains("stopped"),
        "the gateway cannot have cleaned up: {out}"
    );
}
