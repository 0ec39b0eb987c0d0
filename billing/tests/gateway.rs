//! The Stripe calls through async-stripe: customers against localstripe (a stateful fake
//! Stripe); Checkout and portal sessions, which localstripe does not implement, against a
//! local server that records the exact requests.

use std::io::{Read, Write};

use jobmon_billing::{BillingGateway, CheckoutRequest, StripeGateway};
use jobmon_tests::scripted::{FakeServer, Reply};
use shared::domain::{PlanId, TenantId};

/// `GET <path>` on localstripe, as JSON.
fn localstripe_get(base: &str, path: &str) -> serde_json::Value {
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer sk_test_jobmon\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap()
}

/// Form fields of a recorded request, decoded.
fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

#[tokio::test]
async fn customers_are_created_in_localstripe_with_the_tenant_in_their_metadata() {
    let base = jobmon_tests::localstripe::endpoint();
    let gateway = StripeGateway::new("sk_test_jobmon", Some(&base)).unwrap();
    let tenant = TenantId::new();
    let id = gateway
        .create_customer(tenant, "owner@example.com", "Acme")
        .await
        .unwrap();
    assert!(id.starts_with("cus_"), "{id}");
    let stored = localstripe_get(&base, &format!("/v1/customers/{id}"));
    assert_eq!(stored["email"], "owner@example.com");
    assert_eq!(stored["name"], "Acme");
    assert_eq!(stored["metadata"]["tenantId"], tenant.to_string());
    // A second tenant gets its own customer.
    let other = gateway
        .create_customer(TenantId::new(), "b@example.com", "B")
        .await
        .unwrap();
    assert_ne!(other, id);
}

#[tokio::test]
async fn checkout_sessions_are_subscriptions_for_the_tenant_and_plan() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        include_str!("../../events/api-billing/stripe-checkout-session-response.json"),
    )])
    .await;
    let gateway =
        StripeGateway::new("sk_test_jobmon", Some(&format!("{}/", server.base_url))).unwrap();
    let tenant = TenantId::new();
    let url = gateway
        .create_checkout_session(&CheckoutRequest {
            tenant,
            plan: PlanId::parse("pro").unwrap(),
            price_id: "price_pro_monthly".into(),
            customer: "cus_known".into(),
            success_url: "http://app.test/billing?checkout=success".into(),
            cancel_url: "http://app.test/billing?checkout=cancelled".into(),
        })
        .await
        .unwrap();
    assert_eq!(url, "https://checkout.stripe.com/c/pay/cs_test_a1");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/checkout/sessions");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sk_test_jobmon")
    );
    let mut fields = form(&request.body);
    fields.sort();
    let tenant = tenant.to_string();
    let mut expected: Vec<(String, String)> = [
        ("cancel_url", "http://app.test/billing?checkout=cancelled"),
        ("client_reference_id", tenant.as_str()),
        ("customer", "cus_known"),
        ("line_items[0][price]", "price_pro_monthly"),
        ("line_items[0][quantity]", "1"),
        ("metadata[plan]", "pro"),
        ("metadata[tenantId]", tenant.as_str()),
        ("mode", "subscription"),
        ("subscription_data[metadata][plan]", "pro"),
        ("subscription_data[metadata][tenantId]", tenant.as_str()),
        ("success_url", "http://app.test/billing?checkout=success"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    expected.sort();
    assert_eq!(fields, expected);
}

#[tokio::test]
async fn portal_sessions_are_for_the_customer_and_return_to_the_app() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        include_str!("../../events/api-billing/stripe-portal-session-response.json"),
    )])
    .await;
    let gateway =
        StripeGateway::new("sk_test_jobmon", Some(&format!("{}/", server.base_url))).unwrap();
    let url = gateway
        .create_portal_session("cus_known", "http://app.test/billing")
        .await
        .unwrap();
    assert_eq!(url, "https://billing.stripe.com/p/session/test_YWNjdF8x");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/billing_portal/sessions");
    let mut fields = form(&requests[0].body);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("customer".to_owned(), "cus_known".to_owned()),
            (
                "return_url".to_owned(),
                "http://app.test/billing".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn a_stripe_error_is_an_error() {
    let server = FakeServer::start(vec![Reply::json(
        400,
        r#"{"error":{"type":"invalid_request_error","message":"No such price: 'price_x'"}}"#,
    )])
    .await;
    let gateway =
        StripeGateway::new("sk_test_jobmon", Some(&format!("{}/", server.base_url))).unwrap();
    let result = gateway
        .create_portal_session("cus_x", "http://app.test/")
        .await;
    assert!(result.is_err());
}
