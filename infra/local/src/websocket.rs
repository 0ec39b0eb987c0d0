//! The WebSocket API at `/ws` (routes `$connect`, `$disconnect`, `$default` and custom keys
//! from the template's `AWS::ApiGatewayV2` resources) and the `@connections` management
//! endpoint that functions reach with the `apigatewaymanagementapi` SDK client.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};
use tokio::sync::mpsc;

use crate::functions::{Function, log};
use crate::http_api::{error_response, map_response};
use crate::ids;

enum Outgoing {
    Data(Bytes),
    Close,
}

struct Connection {
    tx: mpsc::UnboundedSender<Outgoing>,
    peer: Peer,
    last_active: Mutex<DateTime<Utc>>,
}

pub struct WsState {
    pub api_id: String,
    pub stage: String,
    /// Route key -> function.
    pub routes: BTreeMap<String, Arc<Function>>,
    /// `$request.body.action` style: the JSON path of the body field that picks the route.
    pub selection_path: Vec<String>,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
}

impl WsState {
    pub fn new(
        api_id: String,
        stage: String,
        routes: BTreeMap<String, Arc<Function>>,
        route_selection_expression: Option<&str>,
    ) -> WsState {
        let selection_path = route_selection_expression
            .and_then(|e| e.strip_prefix("$request.body."))
            .map(|p| p.split('.').map(str::to_owned).collect())
            .unwrap_or_default();
        WsState {
            api_id,
            stage,
            routes,
            selection_path,
            connections: Mutex::new(HashMap::new()),
        }
    }

    fn connection(&self, id: &str) -> Option<Arc<Connection>> {
        self.connections.lock().ok()?.get(id).cloned()
    }

    /// The route a message goes to: the selection expression's value if a route has that
    /// key, else `$default`.
    fn select_route(&self, body: &str) -> Option<(String, Arc<Function>)> {
        if !self.selection_path.is_empty()
            && let Ok(v) = serde_json::from_str::<Json>(body)
        {
            let mut cur = &v;
            for p in &self.selection_path {
                cur = &cur[p.as_str()];
            }
            if let Some(key) = cur.as_str()
                && !key.starts_with('$')
                && let Some(f) = self.routes.get(key)
            {
                return Some((key.to_owned(), f.clone()));
            }
        }
        self.routes
            .get("$default")
            .map(|f| ("$default".to_owned(), f.clone()))
    }

    fn context(&self, route_key: &str, event_type: &str, connection_id: &str, peer: &Peer) -> Json {
        let Peer {
            connected_at,
            source_ip,
            user_agent,
            host,
        } = peer;
        let now = Utc::now();
        json!({
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": ids::hex(16),
            "requestTime": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": connected_at.timestamp_millis(),
            "requestTimeEpoch": now.timestamp_millis(),
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "requestId": ids::request_id(),
            "domainName": host,
            "connectionId": connection_id,
            "apiId": self.api_id,
        })
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// `GET /ws`: runs `$connect` first; anything but a 2xx answer refuses the upgrade.
pub async fn upgrade(
    State(state): State<Arc<WsState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let connection_id = ids::connection_id();
    let peer = Peer {
        connected_at: Utc::now(),
        source_ip: addr.ip().to_string(),
        user_agent: header_str(&headers, header::USER_AGENT).to_owned(),
        host: header_str(&headers, header::HOST).to_owned(),
    };
    let mut protocol = None;
    if let Some(f) = state.routes.get("$connect") {
        let event = connect_event(&state, &uri, &headers, &connection_id, &peer);
        let out = match f.invoke(Bytes::from(event.to_string())).await {
            Ok(out) => out,
            Err(e) => {
                log(&format!("$connect refused: {e}"));
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                );
            }
        };
        // A $connect that returns nothing (or no statusCode) accepts, as API Gateway does.
        let v: Json = serde_json::from_slice(&out).unwrap_or(Json::Null);
        if v.get("statusCode").is_some() {
            let resp = map_response(&out);
            if !resp.status().is_success() {
                return resp;
            }
            protocol = resp
                .headers()
                .get(header::SEC_WEBSOCKET_PROTOCOL)
                .and_then(|p| p.to_str().ok())
                .map(str::to_owned);
        }
    }
    let ws = match protocol {
        Some(p) => ws.protocols([p]),
        None => ws,
    };
    let st = state.clone();
    ws.on_upgrade(
        move |socket| async move { run_connection(st, socket, connection_id, peer).await },
    )
}

/// The `$connect` event: the upgrade request's query string and headers.
fn connect_event(
    state: &WsState,
    uri: &Uri,
    headers: &HeaderMap,
    connection_id: &str,
    peer: &Peer,
) -> Json {
    let mut single = serde_json::Map::new();
    let mut multi: serde_json::Map<String, Json> = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        single.insert(k.to_string(), Json::String(v.to_string()));
        if let Json::Array(a) = multi
            .entry(k.to_string())
            .or_insert_with(|| Json::Array(Vec::new()))
        {
            a.push(Json::String(v.to_string()));
        }
    }
    let mut hs = serde_json::Map::new();
    let mut mhs: serde_json::Map<String, Json> = serde_json::Map::new();
    for (k, v) in headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        hs.insert(k.as_str().to_owned(), Json::String(v.clone()));
        if let Json::Array(a) = mhs
            .entry(k.as_str().to_owned())
            .or_insert_with(|| Json::Array(Vec::new()))
        {
            a.push(Json::String(v));
        }
    }
    let mut event = json!({
        "headers": hs,
        "multiValueHeaders": mhs,
        "requestContext": state.context("$connect", "CONNECT", connection_id, peer),
        "isBase64Encoded": false,
    });
    if !single.is_empty() {
        event["queryStringParameters"] = Json::Object(single);
        event["multiValueQueryStringParameters"] = Json::Object(multi);
    }
    event
}

struct Peer {
    connected_at: DateTime<Utc>,
    source_ip: String,
    user_agent: String,
    host: String,
}

/// One task per socket: it forwards @connections pushes to the socket and invokes the
/// message route for every frame, until either side closes.
async fn run_connection(state: Arc<WsState>, mut socket: WebSocket, id: String, peer: Peer) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn = Arc::new(Connection {
        tx,
        last_active: Mutex::new(peer.connected_at),
        peer,
    });
    if let Ok(mut c) = state.connections.lock() {
        c.insert(id.clone(), conn.clone());
    }
    let mut close_code = 1005i64;
    let mut close_reason = String::new();
    loop {
        let msg = tokio::select! {
            out = rx.recv() => {
                let sent = match out {
                    Some(Outgoing::Data(b)) => match std::str::from_utf8(&b) {
                        Ok(t) => socket.send(Message::Text(t.to_owned().into())).await,
                        Err(_) => socket.send(Message::Binary(b)).await,
                    },
                    Some(Outgoing::Close) | None => {
                        let _ = socket
                            .send(Message::Close(Some(CloseFrame { code: 1000, reason: "".into() })))
                            .await;
                        close_code = 1000;
                        close_reason = "deleted through @connections".into();
                        break;
                    }
                };
                if sent.is_err() {
                    close_code = 1006;
                    break;
                }
                continue;
            }
            msg = socket.recv() => msg,
        };
        let (body, b64) = match msg {
            Some(Ok(Message::Text(t))) => (t.to_string(), false),
            Some(Ok(Message::Binary(b))) => {
                (base64::engine::general_purpose::STANDARD.encode(&b), true)
            }
            Some(Ok(Message::Close(frame))) => {
                if let Some(f) = frame {
                    close_code = i64::from(f.code);
                    close_reason = f.reason.to_string();
                }
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => {
                close_code = 1006;
                break;
            }
        };
        if let Ok(mut t) = conn.last_active.lock() {
            *t = Utc::now();
        }
        dispatch_message(&state, &conn, &id, body, b64);
    }
    // Gone: further @connections calls answer 410, then $disconnect runs.
    if let Ok(mut c) = state.connections.lock() {
        c.remove(&id);
    }
    drop(socket);
    disconnect(&state, &id, &conn.peer, close_code, close_reason).await;
}

/// Invokes the route a frame selects (no route: API Gateway's `Forbidden` message back).
fn dispatch_message(state: &WsState, conn: &Connection, id: &str, body: String, b64: bool) {
    let Some((route_key, f)) = state.select_route(&body) else {
        let _ = conn.tx.send(Outgoing::Data(Bytes::from(
            json!({"message": "Forbidden", "connectionId": id, "requestId": ids::request_id()})
                .to_string(),
        )));
        return;
    };
    let mut ctx = state.context(&route_key, "MESSAGE", id, &conn.peer);
    ctx["messageId"] = Json::String(ids::hex(16));
    let event = json!({"requestContext": ctx, "body": body, "isBase64Encoded": b64});
    // API Gateway invokes message routes concurrently; replies are the function's job
    // (through @connections), since route responses are not configured here.
    let id2 = id.to_owned();
    tokio::spawn(async move {
        if let Err(e) = f.invoke(Bytes::from(event.to_string())).await {
            log(&format!("WebSocket {route_key} for {id2}: {e}"));
        }
    });
}

/// Runs `$disconnect` for a connection that is gone.
async fn disconnect(state: &WsState, id: &str, peer: &Peer, close_code: i64, close_reason: String) {
    if let Some(f) = state.routes.get("$disconnect") {
        let mut ctx = state.context("$disconnect", "DISCONNECT", id, peer);
        ctx["disconnectStatusCode"] = json!(close_code);
        ctx["disconnectReason"] = json!(close_reason);
        let event = json!({"requestContext": ctx, "isBase64Encoded": false});
        if let Err(e) = f.invoke(Bytes::from(event.to_string())).await {
            log(&format!("WebSocket $disconnect for {id}: {e}"));
        }
    }
}

fn gone(id: &str) -> Response {
    let mut resp = (
        StatusCode::GONE,
        axum::Json(json!({"message": format!("connection {id} is gone")})),
    )
        .into_response();
    // The SDK reads the error code from this header: GoneException.
    resp.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_static("GoneException"),
    );
    resp
}

/// `POST /@connections/{id}`: send the body to the socket.
pub async fn post(
    State(state): State<Arc<WsState>>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let id = params.get("id").map(String::as_str).unwrap_or("");
    match state.connection(id) {
        Some(c) if c.tx.send(Outgoing::Data(body)).is_ok() => StatusCode::OK.into_response(),
        _ => gone(id),
    }
}

/// `GET /@connections/{id}`: connection info in the management API's shape.
pub async fn get_info(
    State(state): State<Arc<WsState>>,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    let id = params.get("id").map(String::as_str).unwrap_or("");
    let Some(c) = state.connection(id) else {
        return gone(id);
    };
    let last = c
        .last_active
        .lock()
        .map(|t| *t)
        .unwrap_or(c.peer.connected_at);
    axum::Json(json!({
        "connectedAt": c.peer.connected_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "identity": {"sourceIp": c.peer.source_ip, "userAgent": c.peer.user_agent},
        "lastActiveAt": last.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }))
    .into_response()
}

/// `DELETE /@connections/{id}`: close the socket ($disconnect follows).
pub async fn delete(
    State(state): State<Arc<WsState>>,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    let id = params.get("id").map(String::as_str).unwrap_or("");
    match state.connection(id) {
        Some(c) => {
            if let Ok(mut conns) = state.connections.lock() {
                conns.remove(id);
            }
            let _ = c.tx.send(Outgoing::Close);
            StatusCode::NO_CONTENT.into_response()
        }
        None => gone(id),
    }
}
