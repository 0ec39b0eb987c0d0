//! Reading the mail that functions sent through SES v2 back out of moto, to finish
//! e-mail flows in tests the way a user would: by following the link.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::Value;

/// GETs `path` from the moto server at `endpoint` (plain HTTP/1.0 on loopback).
fn moto_get(endpoint: &str, path: &str) -> Value {
    let addr = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).expect("moto is reachable");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request written");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).expect("moto answers JSON")
}

#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// Every message sent to `recipient` (case-insensitive), oldest first.
pub fn sent_to(endpoint: &str, recipient: &str) -> Vec<SentMail> {
    let data = moto_get(endpoint, "/moto-api/data.json");
    data["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| SentMail {
            to: m["destinations"]["ToAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            subject: m["subject"].as_str().unwrap_or_default().to_owned(),
            body: m["body"].as_str().unwrap_or_default().to_owned(),
        })
        .filter(|m| m.to.iter().any(|a| a.eq_ignore_ascii_case(recipient)))
        .collect()
}

/// The `token` query parameter of the link to `page` in the newest mail to `recipient`.
pub fn token_from_last_mail(endpoint: &str, recipient: &str, page: &str) -> Option<String> {
    let mail = sent_to(endpoint, recipient).pop()?;
    let marker = format!("/{page}?token=");
    let start = mail.body.find(&marker)? + marker.len();
    let token: String = mail.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}
