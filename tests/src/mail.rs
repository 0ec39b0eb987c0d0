//! Reading the mail that functions sent through SES v2 back out of moto, to finish
//! e-mail flows in tests the way a user would: by following the link.

use crate::moto_get;

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
