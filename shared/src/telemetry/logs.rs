//! JSON logs. Every line written inside a request carries, through the span list, the
//! Lambda request id, the correlation id and — once the token is verified — the tenant id.

use std::io;

use tracing::Span;
use tracing::field::Empty;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::domain::TenantId;

/// The subscriber every function uses, writing to `writer`. Exposed so tests can capture
/// exactly what production prints.
pub fn json_subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(true)
        .with_ansi(false)
        .with_writer(writer);
    Registry::default().with(filter).with(layer)
}

/// Installs JSON logging to stdout, filtered by `RUST_LOG` (default `info`). Call once at
/// init; a second call is a no-op.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = json_subscriber(io::stdout, filter).try_init();
}

/// The span a request runs in. `tenant_id` is filled in by [`record_tenant`] once known.
pub fn request_span(request_id: &str, correlation_id: &str) -> Span {
    tracing::info_span!(
        "request",
        request_id = %request_id,
        correlation_id = %correlation_id,
        tenant_id = Empty
    )
}

pub fn record_tenant(span: &Span, tenant: TenantId) {
    span.record("tenant_id", tracing::field::display(tenant));
}

/// The caller's correlation id if it is a sane token, else `fallback` (the request id).
/// Bounded and restricted so a header cannot inject into log lines.
pub fn correlation_id(header: Option<&str>, fallback: &str) -> String {
    match header {
        Some(id)
            if !id.is_empty()
                && id.len() <= 128
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')) =>
        {
            id.to_owned()
        }
        _ => fallback.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A log writer for tests: keeps everything written, for the test to read.
    #[derive(Clone, Default)]
    pub(crate) struct Capture(pub Arc<Mutex<Vec<u8>>>);

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn every_line_of_a_request_carries_request_tenant_and_correlation_ids() {
        let capture = Capture::default();
        let subscriber = json_subscriber(capture.clone(), EnvFilter::new("info"));
        let tenant = TenantId::new();
        tracing::subscriber::with_default(subscriber, || {
            let span = request_span("req-1", "corr-9");
            let _guard = span.enter();
            record_tenant(&span, tenant);
            tracing::info!(jobs = 3, "fetched");
            tracing::warn!("slow source");
        });
        let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 2);
        for line in &lines {
            let span = &line["spans"][0];
            assert_eq!(span["request_id"], "req-1");
            assert_eq!(span["correlation_id"], "corr-9");
            assert_eq!(span["tenant_id"], tenant.to_string());
        }
        assert_eq!(lines[0]["message"], "fetched");
        assert_eq!(lines[0]["jobs"], 3);
        assert_eq!(lines[1]["level"], "WARN");
    }

    /// lambda_runtime runs each invocation in a span carrying `xrayTraceId` (when Lambda
    /// passes one, i.e. with `Tracing: Active`): every line below it carries the trace id.
    #[test]
    fn every_line_of_an_invocation_carries_the_xray_trace_id() {
        let capture = Capture::default();
        let subscriber = json_subscriber(capture.clone(), EnvFilter::new("info"));
        tracing::subscriber::with_default(subscriber, || {
            let invoke = tracing::info_span!(
                "Lambda runtime invoke",
                requestId = "req-1",
                xrayTraceId = "Root=1-5759e988-bd862e3fe1be46a994272793"
            );
            let _invoke = invoke.enter();
            let request = request_span("req-1", "corr-1");
            let _request = request.enter();
            tracing::info!("inside");
        });
        let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(
            line["spans"][0]["xrayTraceId"],
            "Root=1-5759e988-bd862e3fe1be46a994272793"
        );
        assert_eq!(line["spans"][1]["correlation_id"], "corr-1");
    }

    #[test]
    fn correlation_ids_are_sanitised() {
        assert_eq!(correlation_id(Some("abc-123"), "req"), "abc-123");
        assert_eq!(correlation_id(Some("bad\nline"), "req"), "req");
        assert_eq!(correlation_id(Some(&"x".repeat(200)), "req"), "req");
        assert_eq!(correlation_id(None, "req"), "req");
    }
}
