//! Instant and digest mail through SES v2: a Simple message with text and HTML parts and
//! the RFC 8058 headers, from the one sender identity the function may use.

use async_trait::async_trait;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};
use shared::adapters::SdkClient;
use shared::adapters::aws::describe;

use crate::deliver::SendOutcome;
use crate::email::{MailSender, OutgoingMail};

pub struct SesSender {
    client: SdkClient<aws_sdk_sesv2::Client>,
    from: String,
}

impl SesSender {
    pub fn new(
        client: impl Into<SdkClient<aws_sdk_sesv2::Client>>,
        from: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            from: from.into(),
        }
    }
}

fn content(data: &str) -> Result<Content, String> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| e.to_string())
}

fn header(name: &str, value: &str) -> Result<MessageHeader, String> {
    MessageHeader::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| e.to_string())
}

/// The Simple message: subject, text and HTML, and the one-click unsubscribe headers.
pub fn message(mail: &OutgoingMail) -> Result<Message, String> {
    let body = Body::builder()
        .text(content(&mail.text)?)
        .html(content(&mail.html)?)
        .build();
    Ok(Message::builder()
        .subject(content(&mail.subject)?)
        .body(body)
        .headers(header(
            "List-Unsubscribe",
            &format!("<{}>", mail.unsubscribe_url),
        )?)
        .headers(header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click",
        )?)
        .build())
}

/// SES's answers that say "nothing was sent, later may work" (throttling, a paused
/// account); any other service error is a refusal that a retry would repeat.
const RETRYABLE: &[&str] = &[
    "TooManyRequestsException",
    "LimitExceededException",
    "SendingPausedException",
    "Throttling",
];

#[async_trait]
impl MailSender for SesSender {
    async fn send(&self, mail: &OutgoingMail) -> SendOutcome {
        let message = match message(mail) {
            Ok(message) => message,
            Err(reason) => {
                return SendOutcome::NotDelivered {
                    reason,
                    retry: false,
                };
            }
        };
        let sent = self
            .client
            .get()
            .await
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        let Err(e) = sent else {
            return SendOutcome::Sent;
        };
        let reason = describe(&e);
        match &e {
            SdkError::ServiceError(s) => SendOutcome::NotDelivered {
                retry: s.err().code().is_some_and(|c| RETRYABLE.contains(&c)),
                reason,
            },
            // No connection: the request never reached SES.
            SdkError::DispatchFailure(d) if !d.is_timeout() => SendOutcome::NotDelivered {
                reason,
                retry: true,
            },
            _ => SendOutcome::Unknown { reason },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_has_both_parts_and_the_rfc_8058_headers() {
        let mail = OutgoingMail {
            to: "ann@example.com".into(),
            subject: "New match 9/10: Platform Engineer at Acme".into(),
            text: "plain".into(),
            html: "<p>html</p>".into(),
            unsubscribe_url: "https://app.example.com/v1/notifications/unsubscribe?token=t".into(),
        };
        let message = message(&mail).unwrap();
        let headers: Vec<(&str, &str)> = message
            .headers()
            .iter()
            .map(|h| (h.name(), h.value()))
            .collect();
        assert_eq!(
            headers,
            vec![
                (
                    "List-Unsubscribe",
                    "<https://app.example.com/v1/notifications/unsubscribe?token=t>"
                ),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
        );
        let body = message.body().unwrap();
        assert_eq!(body.text().unwrap().data(), "plain");
        assert_eq!(body.html().unwrap().data(), "<p>html</p>");
        assert_eq!(message.subject().unwrap().data(), mail.subject);
    }
}
