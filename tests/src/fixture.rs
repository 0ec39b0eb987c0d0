//! A tiny HTTP server on 127.0.0.1 that plays a job board: each path answers a fixed status
//! and body, changeable while it runs. Used by ingestion tests and the local demo.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

type Routes = Arc<Mutex<HashMap<String, (u16, String)>>>;

pub struct FixtureServer {
    pub base_url: String,
    routes: Routes,
    hits: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FixtureServer {
    /// The function environment that points the Greenhouse connector at this board, with
    /// private addresses allowed (it listens on loopback): pass it to [`TestStack::core`].
    ///
    /// [`TestStack::core`]: crate::TestStack::core
    pub fn connector_vars(&self) -> [(&'static str, &str); 2] {
        [
            ("JOBMON_GREENHOUSE_BASE_URL", &self.base_url),
            ("JOBMON_ALLOW_PRIVATE_SOURCES", "1"),
        ]
    }

    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let routes: Routes = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, h) = (routes.clone(), hits.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (routes, hits) = (r.clone(), h.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut read = 0;
                    // Read until the end of the headers (requests here have no body).
                    while read < buf.len() {
                        match stream.read(&mut buf[read..]).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => read += n,
                        }
                        if buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let head = String::from_utf8_lossy(&buf[..read]).to_string();
                    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let path = target.split('?').next().unwrap_or("/").to_owned();
                    hits.lock().expect("lock").push(target);
                    let (status, body) = routes
                        .lock()
                        .expect("lock")
                        .get(&path)
                        .cloned()
                        .unwrap_or((404, r#"{"status":404,"error":"Not found"}"#.to_owned()));
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            base_url,
            routes,
            hits,
            task,
        }
    }

    pub fn set(&self, path: &str, status: u16, body: impl Into<String>) {
        self.routes
            .lock()
            .expect("lock")
            .insert(path.to_owned(), (status, body.into()));
    }

    /// How many requests reached `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .expect("lock")
            .iter()
            .filter(|t| t.split('?').next() == Some(path))
            .count()
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A source that answers every request at once with 200 and then a body of one byte per
/// `every`, for ever: each read makes progress, so only a deadline over the whole fetch
/// stops it. The slow tenant of the fairness tests.
pub struct TrickleServer {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl TrickleServer {
    pub async fn start(every: std::time::Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf).await;
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/feed+json\r\ntransfer-encoding: chunked\r\n\r\n";
                    if stream.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    while stream.write_all(b"1\r\n \r\n").await.is_ok() {
                        tokio::time::sleep(every).await;
                    }
                });
            }
        });
        Self { base_url, task }
    }
}

impl Drop for TrickleServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Greenhouse job-board response (`GET /v1/boards/{board}/jobs?content=true`) with jobs
/// numbered `range`, in the real API's shape.
pub fn greenhouse_board(board: &str, range: std::ops::Range<u32>) -> String {
    let jobs: Vec<Value> = range
        .map(|i| {
            json!({
                "id": 4_000_000 + i,
                "internal_job_id": 100 + i,
                "title": format!("Software Engineer {i}"),
                "company_name": "Acme",
                "absolute_url": format!("https://boards.greenhouse.io/{board}/jobs/{}?gh_src=feed", 4_000_000 + i),
                "location": {"name": if i % 2 == 0 { "Berlin" } else { "Remote" }},
                "updated_at": "2026-11-20T10:00:00-05:00",
                "first_published": "2026-11-01T09:00:00-05:00",
                "requisition_id": format!("R{i}"),
                "metadata": null,
                "data_compliance": [],
                "content": format!("&lt;p&gt;Build &lt;strong&gt;Rust&lt;/strong&gt; services #{i}.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
                "departments": [{"id": 1, "name": "Engineering", "parent_id": null, "child_ids": []}],
                "offices": [{"id": 2, "name": "Berlin", "location": "Berlin, Germany"}]
            })
        })
        .collect();
    let total = jobs.len();
    json!({"jobs": jobs, "meta": {"total": total}}).to_string()
}
