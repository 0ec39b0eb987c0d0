//! AWS SDK calls as X-Ray subsegments.
//!
//! The Rust SDK sends nothing to X-Ray and there is no X-Ray SDK for Rust, so with
//! `Tracing: Active` a trace showed each invocation as one opaque bar. Lambda starts the
//! invocation's segment itself and tells the function its id in `_X_AMZN_TRACE_ID`
//! (`Root=…;Parent=…;Sampled=…`, set per invocation by `lambda_runtime`); the X-Ray daemon
//! of the Lambda environment listens on UDP at `AWS_XRAY_DAEMON_ADDRESS`. Every HTTP request
//! an SDK client makes goes through [`TracedHttpClient`], which, when the invocation is
//! sampled, sends one subsegment per attempt: the service and operation, start and end,
//! the HTTP status, the AWS request id, and the error (4xx), throttle (429) and fault (5xx
//! or no answer) flags — the document the X-Ray SDKs of other languages send, so the trace
//! map shows DynamoDB, SQS, SES, … under each function.
//!
//! Tracing never fails or delays a call: a subsegment is one non-blocking UDP datagram whose
//! errors are ignored. Nothing is wrapped when `AWS_XRAY_DAEMON_ADDRESS` is unset (the local
//! stack, tests), and nothing is sent for an invocation X-Ray did not sample.

use std::fmt;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use serde_json::{Value, json};

/// The environment variable Lambda sets to the daemon's address.
const DAEMON_ADDRESS_ENV: &str = "AWS_XRAY_DAEMON_ADDRESS";
/// The environment variable holding the current invocation's trace header.
pub const TRACE_ID_ENV: &str = "_X_AMZN_TRACE_ID";

/// The parts of a trace header (`Root=1-…;Parent=…;Sampled=1`) a subsegment needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    pub root: String,
    pub parent: String,
    pub sampled: bool,
}

impl TraceHeader {
    /// `None` without a root or a parent: a subsegment must name both.
    pub fn parse(header: &str) -> Option<Self> {
        let (mut root, mut parent, mut sampled) = (None, None, false);
        for part in header.split(';') {
            match part.trim().split_once('=') {
                Some(("Root", v)) if !v.is_empty() => root = Some(v.to_string()),
                Some(("Parent", v)) if !v.is_empty() => parent = Some(v.to_string()),
                Some(("Sampled", v)) => sampled = v == "1",
                _ => {}
            }
        }
        Some(Self {
            root: root?,
            parent: parent?,
            sampled,
        })
    }

    /// The current invocation's header, as `lambda_runtime` set it.
    pub fn from_env() -> Option<Self> {
        std::env::var(TRACE_ID_ENV)
            .ok()
            .and_then(|h| Self::parse(&h))
    }
}

/// The daemon's UDP address from `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or the
/// `tcp:… udp:…` pair form, of which the UDP one.
fn daemon_address(value: &str) -> Option<SocketAddr> {
    let udp = value
        .split_whitespace()
        .find_map(|part| part.strip_prefix("udp:"))
        .unwrap_or(value.trim());
    udp.parse().ok()
}

/// Where subsegments go: one unconnected, non-blocking UDP socket.
#[derive(Debug)]
pub struct Daemon {
    socket: UdpSocket,
    address: SocketAddr,
}

impl Daemon {
    pub fn at(address: SocketAddr) -> std::io::Result<Self> {
        let local: SocketAddr = if address.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.set_nonblocking(true)?;
        Ok(Self { socket, address })
    }

    /// The daemon named by `AWS_XRAY_DAEMON_ADDRESS`; `None` when it is unset or unusable.
    pub fn from_env() -> Option<Self> {
        let value = std::env::var(DAEMON_ADDRESS_ENV).ok()?;
        let Some(address) = daemon_address(&value) else {
            tracing::warn!(
                value,
                "{DAEMON_ADDRESS_ENV} is not an address; no SDK subsegments"
            );
            return None;
        };
        Self::at(address)
            .inspect_err(|e| tracing::warn!(error = %e, "no X-Ray socket; no SDK subsegments"))
            .ok()
    }

    fn send(&self, document: &Value) {
        let mut datagram = br#"{"format":"json","version":1}"#.to_vec();
        datagram.push(b'\n');
        if serde_json::to_writer(&mut datagram, document).is_ok() {
            // A lost subsegment costs a trace some detail, never the call.
            let _ = self.socket.send_to(&datagram, self.address);
        }
    }
}

/// The X-Ray service name and operation of an SDK request. JSON protocols (DynamoDB, SQS,
/// EventBridge, SSM) name both in `X-Amz-Target`; the REST ones jobmon calls are told by
/// their path.
fn call_name(request: &HttpRequest) -> (String, String) {
    if let Some((prefix, operation)) = request
        .headers()
        .get("x-amz-target")
        .and_then(|t| t.split_once('.'))
    {
        let service = match prefix {
            p if p.starts_with("DynamoDB") => "DynamoDB",
            "AmazonSQS" => "SQS",
            "AWSEvents" => "EventBridge",
            "AmazonSSM" => "SSM",
            other => other,
        };
        return (service.to_string(), operation.to_string());
    }
    let path = request
        .uri()
        .split_once("://")
        .map_or(request.uri(), |(_, rest)| {
            rest.find('/').map_or("/", |i| &rest[i..])
        });
    let method = request.method();
    if path.starts_with("/v2/email/outbound-emails") {
        return ("SESv2".into(), "SendEmail".into());
    }
    if path.contains("/@connections/") {
        let operation = match method {
            "POST" => "PostToConnection",
            "DELETE" => "DeleteConnection",
            _ => "GetConnection",
        };
        return ("ApiGatewayManagementApi".into(), operation.into());
    }
    ("AWS".into(), method.to_string())
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    // An id that is not random only risks a clash between two subsegments of one trace.
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}

fn epoch_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// The subsegment document of one finished attempt.
fn subsegment(
    trace: &TraceHeader,
    (service, operation): (String, String),
    start: SystemTime,
    end: SystemTime,
    outcome: Result<&HttpResponse, String>,
) -> Value {
    let mut doc = json!({
        "name": service,
        "id": new_id(),
        "trace_id": trace.root,
        "parent_id": trace.parent,
        "type": "subsegment",
        "namespace": "aws",
        "start_time": epoch_seconds(start),
        "end_time": epoch_seconds(end),
        "aws": { "operation": operation },
    });
    match outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            doc["http"] = json!({ "response": { "status": status } });
            if let Some(id) = response
                .headers()
                .get("x-amzn-requestid")
                .or_else(|| response.headers().get("x-amz-request-id"))
            {
                doc["aws"]["request_id"] = json!(id);
            }
            match status {
                429 => {
                    doc["error"] = json!(true);
                    doc["throttle"] = json!(true);
                }
                400..=499 => doc["error"] = json!(true),
                500.. => doc["fault"] = json!(true),
                _ => {}
            }
        }
        Err(message) => {
            doc["fault"] = json!(true);
            doc["cause"] = json!({ "exceptions": [{ "id": new_id(), "message": message }] });
        }
    }
    doc
}

type TraceSource = Arc<dyn Fn() -> Option<TraceHeader> + Send + Sync>;

/// An HTTP client that sends a subsegment per request of a sampled invocation.
#[derive(Clone)]
pub struct TracedHttpClient {
    inner: SharedHttpClient,
    daemon: Arc<Daemon>,
    trace: TraceSource,
}

impl fmt::Debug for TracedHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedHttpClient")
            .field("inner", &self.inner)
            .field("daemon", &self.daemon.address)
            .finish()
    }
}

impl TracedHttpClient {
    /// `trace` tells the current invocation's header ([`TraceHeader::from_env`] in a
    /// function).
    pub fn new(
        inner: SharedHttpClient,
        daemon: Daemon,
        trace: impl Fn() -> Option<TraceHeader> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            daemon: Arc::new(daemon),
            trace: Arc::new(trace),
        }
    }
}

impl HttpClient for TracedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(TracedConnector {
            inner: self.inner.http_connector(settings, components),
            daemon: self.daemon.clone(),
            trace: self.trace.clone(),
        })
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

struct TracedConnector {
    inner: SharedHttpConnector,
    daemon: Arc<Daemon>,
    trace: TraceSource,
}

impl fmt::Debug for TracedConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedConnector")
            .field("inner", &self.inner)
            .finish()
    }
}

impl HttpConnector for TracedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Some(trace) = (self.trace)().filter(|t| t.sampled) else {
            return self.inner.call(request);
        };
        let name = call_name(&request);
        let daemon = self.daemon.clone();
        let start = SystemTime::now();
        let call = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let result = call.await;
            let outcome = result.as_ref().map_err(|e| e.to_string());
            daemon.send(&subsegment(&trace, name, start, SystemTime::now(), outcome));
            result
        })
    }
}

/// The SDK's default HTTPS client (hyper 1 with rustls and aws-lc), built the way the SDK
/// builds it when none is given, for [`TracedHttpClient`] to wrap.
pub fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::{Builder, tls};
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn a_trace_header_needs_a_root_and_a_parent() {
        let header = TraceHeader::parse(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .unwrap();
        assert_eq!(header.root, "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(header.parent, "53995c3f42cd8ad8");
        assert!(header.sampled);
        assert!(
            !TraceHeader::parse("Root=1-a-b;Parent=c;Sampled=0")
                .unwrap()
                .sampled
        );
        assert!(!TraceHeader::parse("Root=1-a-b;Parent=c").unwrap().sampled);
        assert_eq!(TraceHeader::parse("Root=1-a-b;Sampled=1"), None);
        assert_eq!(TraceHeader::parse("Parent=c;Sampled=1"), None);
        assert_eq!(TraceHeader::parse(""), None);
    }

    #[test]
    fn the_daemon_address_is_the_plain_or_the_udp_one() {
        assert_eq!(
            daemon_address("169.254.79.129:2000"),
            Some("169.254.79.129:2000".parse().unwrap())
        );
        assert_eq!(
            daemon_address("tcp:127.0.0.1:2001 udp:127.0.0.1:2002"),
            Some("127.0.0.1:2002".parse().unwrap())
        );
        assert_eq!(daemon_address("localhost"), None);
    }

    fn request(method: &str, uri: &str, target: Option<&str>) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::empty());
        request.set_uri(uri).unwrap();
        request.set_method(method).unwrap();
        if let Some(target) = target {
            request
                .headers_mut()
                .insert("x-amz-target", target.to_string());
        }
        request
    }

    #[test]
    fn calls_are_named_by_service_and_operation() {
        let cases = [
            (
                request(
                    "POST",
                    "https://dynamodb.eu-west-1.amazonaws.com/",
                    Some("DynamoDB_20120810.TransactWriteItems"),
                ),
                ("DynamoDB", "TransactWriteItems"),
            ),
            (
                request(
                    "POST",
                    "https://sqs.eu-west-1.amazonaws.com/",
                    Some("AmazonSQS.SendMessageBatch"),
                ),
                ("SQS", "SendMessageBatch"),
            ),
            (
                request(
                    "POST",
                    "https://events.eu-west-1.amazonaws.com/",
                    Some("AWSEvents.PutEvents"),
                ),
                ("EventBridge", "PutEvents"),
            ),
            (
                request(
                    "POST",
                    "https://ssm.eu-west-1.amazonaws.com/",
                    Some("AmazonSSM.GetParameter"),
                ),
                ("SSM", "GetParameter"),
            ),
            (
                request(
                    "POST",
                    "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails",
                    None,
                ),
                ("SESv2", "SendEmail"),
            ),
            (
                request(
                    "POST",
                    "https://abc.execute-api.eu-west-1.amazonaws.com/live/@connections/Zx%3D",
                    None,
                ),
                ("ApiGatewayManagementApi", "PostToConnection"),
            ),
            (
                request("DELETE", "http://127.0.0.1:5000/@connections/Zx%3D", None),
                ("ApiGatewayManagementApi", "DeleteConnection"),
            ),
            (
                request("GET", "https://example.amazonaws.com/other", None),
                ("AWS", "GET"),
            ),
        ];
        for (request, (service, operation)) in cases {
            assert_eq!(
                call_name(&request),
                (service.to_string(), operation.to_string())
            );
        }
    }

    fn response(status: u16, request_id: Option<&str>) -> HttpResponse {
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        if let Some(id) = request_id {
            response
                .headers_mut()
                .insert("x-amzn-requestid", id.to_string());
        }
        response
    }

    #[test]
    fn a_subsegment_carries_the_trace_the_timing_and_the_outcome() {
        let trace = TraceHeader::parse("Root=1-a-b;Parent=0123456789abcdef;Sampled=1").unwrap();
        let name = || ("DynamoDB".to_string(), "Query".to_string());
        let start = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_250);
        let end = start + std::time::Duration::from_millis(12);

        let ok = subsegment(&trace, name(), start, end, Ok(&response(200, Some("R1"))));
        assert_eq!(ok["trace_id"], "1-a-b");
        assert_eq!(ok["parent_id"], "0123456789abcdef");
        assert_eq!(ok["type"], "subsegment");
        assert_eq!(ok["namespace"], "aws");
        assert_eq!(ok["name"], "DynamoDB");
        assert_eq!(ok["aws"]["operation"], "Query");
        assert_eq!(ok["aws"]["request_id"], "R1");
        assert_eq!(ok["http"]["response"]["status"], 200);
        assert_eq!(ok["start_time"], 1_700_000_000.25);
        assert!((ok["end_time"].as_f64().unwrap() - 1_700_000_000.262).abs() < 1e-6);
        let id = ok["id"].as_str().unwrap();
        assert!(id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()));
        for flag in ["error", "throttle", "fault"] {
            assert!(ok.get(flag).is_none(), "{flag} on a 200");
        }

        let refused = subsegment(&trace, name(), start, end, Ok(&response(400, None)));
        assert_eq!(refused["error"], true);
        assert!(refused.get("throttle").is_none() && refused.get("fault").is_none());
        let throttled = subsegment(&trace, name(), start, end, Ok(&response(429, None)));
        assert_eq!(
            (throttled["error"].clone(), throttled["throttle"].clone()),
            (json!(true), json!(true))
        );
        let failed = subsegment(&trace, name(), start, end, Ok(&response(503, None)));
        assert_eq!(failed["fault"], true);
        let unanswered = subsegment(
            &trace,
            name(),
            start,
            end,
            Err("io: connection refused".into()),
        );
        assert_eq!(unanswered["fault"], true);
        assert_eq!(
            unanswered["cause"]["exceptions"][0]["message"],
            "io: connection refused"
        );
        assert!(unanswered.get("http").is_none());
    }
}
