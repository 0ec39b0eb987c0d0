//! Recorders of what leaves the process: queue messages and mail. Each can be told to
//! fail, so the services' error paths can be tested.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use crate::ports::{
    MAX_SEND_DELAY, MAX_VISIBILITY_DELAY, Mail, MailError, Mailer, QueueError, WorkQueue,
};

fn take<T: Clone>(m: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner()))
}

fn push<T>(m: &Mutex<Vec<T>>, items: impl IntoIterator<Item = T>) {
    m.lock().unwrap_or_else(|e| e.into_inner()).extend(items);
}

/// A work queue that keeps what is sent: bodies sent now, bodies sent with a delay, and
/// receipt handles put back for later (with the delay, capped as SQS caps them).
#[derive(Default)]
pub struct MemoryQueue {
    sent: Mutex<Vec<String>>,
    delayed: Mutex<Vec<(String, Duration)>>,
    retried: Mutex<Vec<(String, Duration)>>,
    unavailable: AtomicBool,
}

impl MemoryQueue {
    /// Takes the bodies sent since the last call.
    pub fn take_sent(&self) -> Vec<String> {
        take(&self.sent)
    }

    /// Takes the delayed bodies (with their delays) sent since the last call.
    pub fn take_delayed(&self) -> Vec<(String, Duration)> {
        take(&self.delayed)
    }

    /// Takes the receipt handles put back (with their delays) since the last call.
    pub fn take_retried(&self) -> Vec<(String, Duration)> {
        take(&self.retried)
    }

    /// From now on every call fails as an unreachable queue does (or works again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), QueueError> {
        if self.unavailable.load(Ordering::SeqCst) {
            Err(QueueError::Unavailable(
                "memory queue set unavailable".into(),
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl WorkQueue for MemoryQueue {
    async fn send_all(&self, bodies: &[String]) -> Result<(), QueueError> {
        self.check()?;
        push(&self.sent, bodies.iter().cloned());
        Ok(())
    }

    async fn send_delayed(&self, body: &str, delay: Duration) -> Result<(), QueueError> {
        self.check()?;
        push(
            &self.delayed,
            [(body.to_owned(), delay.min(MAX_SEND_DELAY))],
        );
        Ok(())
    }

    async fn retry_later(&self, receipt_handle: &str, delay: Duration) -> Result<(), QueueError> {
        self.check()?;
        push(
            &self.retried,
            [(receipt_handle.to_owned(), delay.min(MAX_VISIBILITY_DELAY))],
        );
        Ok(())
    }
}

/// A mailer that keeps every mail it was given.
#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Mail>>,
    unavailable: AtomicBool,
}

impl MemoryMailer {
    /// Takes the mails sent since the last call.
    pub fn take_sent(&self) -> Vec<Mail> {
        take(&self.sent)
    }

    /// From now on every send fails (or works again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(MailError("memory mailer set unavailable".into()));
        }
        push(&self.sent, [mail.clone()]);
        Ok(())
    }
}
