use super::*;
use serde_json::json;

fn input(value: serde_json::Value) -> SettingsInput {
    serde_json::from_value(value).unwrap()
}

fn settings(min_score: i64, hour: i64, zone: &str) -> SettingsInput {
    input(json!({"email": {
        "instant": {"enabled": true, "minScore": min_score},
        "digest": {"enabled": true, "hour": hour, "timeZone": zone}
    }}))
}

#[test]
fn valid_settings_parse_and_keep_the_canonical_zone_name() {
    let parsed = settings(7, 8, "Europe/Berlin").parse().unwrap();
    assert_eq!(parsed.email.instant.min_score.value(), 7);
    assert_eq!(parsed.email.digest.hour, 8);
    assert_eq!(parsed.email.digest.time_zone, "Europe/Berlin");
}

#[test]
fn each_bad_settings_field_is_named() {
    let field = |i: SettingsInput| i.parse().unwrap_err().field;
    assert_eq!(field(settings(0, 8, "UTC")), "email.instant.minScore");
    assert_eq!(field(settings(11, 8, "UTC")), "email.instant.minScore");
    assert_eq!(field(settings(5, 24, "UTC")), "email.digest.hour");
    assert_eq!(field(settings(5, -1, "UTC")), "email.digest.hour");
    assert_eq!(
        field(settings(5, 8, "Mars/Olympus")),
        "email.digest.timeZone"
    );
    assert_eq!(field(settings(5, 8, "")), "email.digest.timeZone");
}

#[test]
fn defaults_send_nothing() {
    let d = MemberSettings::default();
    assert!(!d.email.instant.enabled && !d.email.digest.enabled);
}

#[test]
fn channel_urls_pass_the_ssrf_guard() {
    let public = AddressPolicy::PublicOnly;
    assert!(parse_channel_url("https://hooks.slack.com/services/T/B/x", public).is_ok());
    for refused in [
        "http://hooks.slack.com/services/T/B/x",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        let e = parse_channel_url(refused, public).unwrap_err();
        assert_eq!(e.field, "url", "{refused}");
    }
}

#[test]
fn the_local_stack_may_post_to_private_addresses_but_never_metadata() {
    let local = AddressPolicy::AllowPrivate;
    assert!(parse_channel_url("http://127.0.0.1:9000/hook", local).is_ok());
    assert!(parse_channel_url("http://169.254.169.254/", local).is_err());
}

#[test]
fn unknown_kind_is_refused() {
    assert_eq!(ChannelKind::parse("teams").unwrap_err().field, "kind");
    assert_eq!(ChannelKind::parse("slack").unwrap(), ChannelKind::Slack);
}

#[test]
fn an_invalid_update_changes_nothing() {
    let now = chrono::Utc::now();
    let mut channel = Channel {
        id: "01J0000000000000000000000A".into(),
        tenant_id: TenantId::new(),
        kind: ChannelKind::Slack,
        url: "https://hooks.example.com/a".into(),
        min_score: Score::new(7).unwrap(),
        enabled: false,
        signing_secret: None,
        last_error: Some("HTTP 404".into()),
        consecutive_failures: 3,
        created_at: now,
        updated_at: now,
    };
    let before = channel.clone();
    let bad = UpdateChannel {
        url: Some("https://hooks.example.com/b".into()),
        min_score: Some(12),
        enabled: Some(true),
    };
    let e = bad
        .apply(&mut channel, AddressPolicy::PublicOnly, now)
        .unwrap_err();
    assert_eq!(e.field, "minScore");
    assert_eq!(channel, before);
    let good = UpdateChannel {
        enabled: Some(true),
        ..Default::default()
    };
    good.apply(&mut channel, AddressPolicy::PublicOnly, now)
        .unwrap();
    assert!(channel.enabled);
    assert_eq!(
        (channel.consecutive_failures, channel.last_error),
        (0, None)
    );
}
