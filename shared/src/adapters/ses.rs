//! Mail through SES v2 (moto locally and in tests).

use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use crate::adapters::SdkClient;
use crate::adapters::aws::describe;
use crate::ports::{Mail, MailError, Mailer};

pub struct SesMailer {
    client: SdkClient<aws_sdk_sesv2::Client>,
    from: String,
}

impl SesMailer {
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

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.text)?).build())
            .build();
        self.client
            .get()
            .await
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(mail.to.as_str())
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| MailError(describe(&e)))?;
        Ok(())
    }
}
