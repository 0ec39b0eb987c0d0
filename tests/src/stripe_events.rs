//! Stripe's sample events of `events/api-billing/`, with their placeholders filled in.

use shared::domain::TenantId;

/// What a sample event's placeholders become.
pub struct StripeFill<'a> {
    pub event: &'a str,
    pub created: i64,
    pub tenant: TenantId,
    pub customer: &'a str,
    pub subscription: &'a str,
    pub plan: &'a str,
}

/// The sample event `file` with `fill` (and first the `extra` replacements) applied; panics
/// when the result is not JSON, so a broken sample fails its test at once.
pub fn sample(file: &str, fill: &StripeFill<'_>, extra: &[(&str, &str)]) -> String {
    let path = crate::workspace_root()
        .join("events/api-billing")
        .join(file);
    let mut text = std::fs::read_to_string(path).expect("sample event exists");
    let created = fill.created.to_string();
    let tenant = fill.tenant.to_string();
    let pairs = [
        ("EVENT_ID", fill.event),
        ("CREATED", created.as_str()),
        ("TENANT_ID", tenant.as_str()),
        ("CUSTOMER_ID", fill.customer),
        ("SUBSCRIPTION_ID", fill.subscription),
        ("PLAN_ID", fill.plan),
        ("CANCEL_AT_PERIOD_END", "false"),
        ("PERIOD_END", "1769904000"),
        ("PRICE_ID", "price_pro_test"),
        ("STATUS", "active"),
    ];
    for (from, to) in extra.iter().chain(pairs.iter()) {
        text = text.replace(from, to);
    }
    serde_json::from_str::<serde_json::Value>(&text).expect("sample event is JSON");
    text
}
