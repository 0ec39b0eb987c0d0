//! Tests capture the EMF documents a flow emits, exactly as they would be printed, instead
//! of parsing stdout. The capture is per thread: `#[tokio::test]`'s runtime runs the whole
//! flow on the test's thread, and tests running in parallel do not see each other's lines.

use std::cell::RefCell;

use serde_json::Value;

thread_local! {
    static CAPTURED: RefCell<Option<Vec<Value>>> = const { RefCell::new(None) };
}

/// Captures every document emitted on this thread until dropped.
pub struct Capture(());

/// Starts capturing on this thread (replacing a capture already running).
pub fn capture() -> Capture {
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    Capture(())
}

impl Capture {
    /// The documents captured so far, in order, each as its printed line parsed back.
    pub fn documents(&self) -> Vec<Value> {
        CAPTURED.with(|c| c.borrow().clone().unwrap_or_default())
    }

    /// The captured documents that carry metric `name`.
    pub fn with_metric(&self, name: &str) -> Vec<Value> {
        self.documents()
            .into_iter()
            .filter(|d| d.get(name).is_some())
            .collect()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURED.with(|c| *c.borrow_mut() = None);
    }
}

/// Keeps `documents` if this thread captures; `false` when they should be printed.
pub(super) fn take(documents: &[Value]) -> bool {
    CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some(captured) => {
            // Through the printed text and back, so the test sees what CloudWatch would.
            captured.extend(
                documents
                    .iter()
                    .filter_map(|d| serde_json::from_str(&d.to_string()).ok()),
            );
            true
        }
        None => false,
    })
}
