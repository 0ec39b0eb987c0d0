//! The parser against the real template.yaml and against malformed snippets.

use std::time::Duration;

use jobmon_template::{
    BillingMode, Bindings, EventKind, KeyType, ScheduleExpression, Template, TemplateError,
};

fn real() -> Template {
    let path = Template::locate().expect("template.yaml of the workspace");
    Template::from_file(path).expect("the real template parses")
}

#[test]
fn real_template_table_matches_its_declaration() {
    let t = real();
    let table = t
        .tables()
        .iter()
        .find(|x| x.logical_id == "Table")
        .expect("Table");
    assert_eq!(table.billing_mode, BillingMode::PayPerRequest);
    assert_eq!(table.key_schema.len(), 2);
    assert_eq!(table.key_schema[0].name, "PK");
    assert_eq!(table.key_schema[0].key_type, KeyType::Hash);
    assert_eq!(table.key_schema[1].name, "SK");
    let names: Vec<&str> = table
        .global_indexes
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert!(
        names.contains(&"GSI1") && names.contains(&"GSI2"),
        "{names:?}"
    );
    for g in &table.global_indexes {
        assert_eq!(g.projection.projection_type, "ALL");
    }
    let ttl = table.ttl.as_ref().expect("TTL");
    assert_eq!(ttl.attribute, "expiresAt");
    assert!(ttl.enabled);
}

#[test]
fn real_template_queues_come_dead_letter_first() {
    let t = real();
    let order: Vec<&str> = t.queues().iter().map(|q| q.logical_id.as_str()).collect();
    for q in t.queues() {
        if let Some(r) = &q.redrive {
            let dlq = order
                .iter()
                .position(|x| *x == r.dead_letter_queue)
                .unwrap();
            let me = order.iter().position(|x| *x == q.logical_id).unwrap();
            assert!(dlq < me, "{order:?}");
            assert!(r.max_receive_count >= 1);
        }
    }
    let fetch = t
        .queues()
        .iter()
        .find(|q| q.logical_id == "FetchQueue")
        .unwrap();
    assert_eq!(fetch.visibility_timeout, Some(180));
    assert_eq!(
        fetch.redrive.as_ref().unwrap().dead_letter_queue,
        "FetchDeadLetterQueue"
    );
}

/// The SQS mapping of `function` on `queue` in the real template.
fn sqs_mapping(t: &Template, function: &str, queue: &str) -> jobmon_template::SqsEvent {
    t.function(function)
        .unwrap_or_else(|| panic!("{function}"))
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Sqs(s) if s.queue == queue => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{function} consumes {queue}"))
}

/// No queue backlog and no login flood can take the account's whole Lambda concurrency:
/// every SQS event source is capped and api-auth has its own reserve, all as parameters.
#[test]
fn real_template_caps_every_queue_consumer_and_reserves_concurrency_for_auth() {
    let t = real();
    let mut consumers = 0;
    for f in t.functions() {
        for e in &f.events {
            if let EventKind::Sqs(s) = &e.kind {
                consumers += 1;
                assert!(
                    s.maximum_concurrency.is_some_and(|n| n <= 10),
                    "{} consumes {} without ScalingConfig.MaximumConcurrency",
                    f.logical_id,
                    s.queue
                );
            }
        }
    }
    assert_eq!(consumers, 6);
    assert_eq!(
        t.function("ApiAuthFunction").unwrap().reserved_concurrency,
        Some(20)
    );
    for name in [
        "AuthReservedConcurrency",
        "QueueMaxConcurrency",
        "FetchMaxConcurrency",
        "ApiThrottleRate",
        "AuthThrottleRate",
        "WebSocketThrottleRate",
        "MaxSocketsPerTenant",
    ] {
        let p = &t.parameters()[name];
        assert_eq!(p.param_type, "Number", "{name}");
        assert!(p.default.is_some(), "{name} has a default");
    }
    assert_eq!(
        t.parameters()["AppUrl"].default,
        None,
        "AppUrl must be given"
    );
}

/// Matches scored within the notifier's batching window go out as one message per member
/// and channel: a parameter, and batches large enough to hold a minute of scorings.
#[test]
fn real_template_gathers_notifications_for_a_window() {
    let t = real();
    let notify = sqs_mapping(&t, "WorkerNotifierFunction", "NotificationQueue");
    assert_eq!(
        notify.maximum_batching_window,
        std::time::Duration::from_secs(60)
    );
    assert_eq!(notify.batch_size, 100);
    assert!(notify.report_batch_item_failures);
    assert_eq!(
        t.parameters()["NotificationBatchSeconds"].param_type,
        "Number"
    );
}

/// The local stack's `JOBMON_PARAM_<Name>` reach the limits resolved while parsing, as
/// `--parameter-overrides` would on a deploy; names the template lacks are ignored.
#[test]
fn parameter_overrides_replace_the_defaults_of_the_limits_resolved_while_parsing() {
    let overrides = [
        ("AuthReservedConcurrency", "3"),
        ("FetchMaxConcurrency", "4"),
        ("NoSuchParameter", "x"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into();
    let t = Template::from_file_with(Template::locate().unwrap(), &overrides).unwrap();
    assert_eq!(
        t.function("ApiAuthFunction").unwrap().reserved_concurrency,
        Some(3)
    );
    assert_eq!(
        sqs_mapping(&t, "WorkerFetcherFunction", "FetchQueue").maximum_concurrency,
        Some(4)
    );
    assert_eq!(
        t.parameters()["FetchMaxConcurrency"].default.as_deref(),
        Some("4")
    );
    // Without overrides, the defaults.
    assert_eq!(
        sqs_mapping(&real(), "WorkerFetcherFunction", "FetchQueue").maximum_concurrency,
        Some(10)
    );
}

#[test]
fn real_template_fetches_one_source_per_invocation_with_capped_concurrency() {
    let t = real();
    let fetch = sqs_mapping(&t, "WorkerFetcherFunction", "FetchQueue");
    // A slow source must not share an invocation with another tenant's source.
    assert_eq!(fetch.batch_size, 1);
    assert_eq!(fetch.maximum_concurrency, Some(10));
    assert!(fetch.report_batch_item_failures);
    let fetcher = t.function("WorkerFetcherFunction").unwrap();
    let deadline: u64 = fetcher.environment["JOBMON_FETCH_DEADLINE_SECS"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("a fetch deadline in seconds");
    assert!(
        Duration::from_secs(deadline * 2) <= fetcher.timeout,
        "{deadline}"
    );

    let dlq = t.function("WorkerFetchDlqFunction").unwrap();
    assert_eq!(dlq.binary.as_deref(), Some("worker-fetch-dlq"));
    assert!(
        sqs_mapping(&t, "WorkerFetchDlqFunction", "FetchDeadLetterQueue")
            .report_batch_item_failures
    );
}

#[test]
fn real_template_functions_inherit_globals() {
    let t = real();
    let health = t.function("ApiHealthFunction").expect("ApiHealthFunction");
    assert_eq!(health.binary.as_deref(), Some("api-health"));
    assert_eq!(health.memory_size, 128, "function value wins over Globals");
    assert_eq!(health.timeout, Duration::from_secs(3));
    assert!(
        health.environment.contains_key("JOBMON_TABLE"),
        "Globals env inherited"
    );
    assert!(health.events.iter().any(|e| matches!(
        &e.kind,
        EventKind::HttpApi(h) if h.path.as_deref() == Some("/v1/health") && h.method.as_deref() == Some("GET")
    )));
}

const BASE: &str = r#"
Parameters:
  Level: {Type: String, Default: info}
Conditions:
  IsDebug: !Equals [!Ref Level, debug]
Globals:
  Function:
    Timeout: 10
    MemorySize: 256
    Environment:
      Variables:
        A: global
        B: global
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
  Dlq:
    Type: AWS::SQS::Queue
  Main:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: "30"
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 2}
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: my-fn}}
    Properties:
      Runtime: provided.al2023
      Timeout: 5
      Environment:
        Variables:
          B: local
          C: !Sub "${Main.QueueName}|${AWS::Region}|${T}|${!Literal}"
          D: !If [IsDebug, yes, no]
          E: !Join [",", [!Ref Main, !GetAtt Main.Arn]]
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Main.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(2 minutes)}
        Tock:
          Type: ScheduleV2
          Properties: {ScheduleExpression: "cron(0 12 * * ? *)", Input: '{"x":1}'}
        Any:
          Type: HttpApi
"#;

#[test]
fn globals_merge_and_events_parse() {
    let t = Template::parse(BASE).unwrap();
    let f = t.function("Fn").unwrap();
    assert_eq!(f.timeout, Duration::from_secs(5));
    assert_eq!(f.memory_size, 256);
    assert_eq!(f.environment["A"].as_str(), Some("global"));
    assert_eq!(f.environment["B"].as_str(), Some("local"));
    let sqs = f
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Sqs(s) => Some(s),
            _ => None,
        })
        .unwrap();
    assert_eq!((sqs.queue.as_str(), sqs.batch_size), ("Main", 5));
    assert!(sqs.report_batch_item_failures);
    let schedules: Vec<_> = f
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Schedule(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(schedules.len(), 2);
    assert!(
        schedules
            .iter()
            .any(|s| s.expression == ScheduleExpression::Rate(Duration::from_secs(120)))
    );
    assert!(
        schedules
            .iter()
            .any(|s| s.scheduler && s.input.as_deref() == Some(r#"{"x":1}"#))
    );
    assert!(
        f.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::HttpApi(h) if h.path.is_none()))
    );
    let q = t.queues().iter().find(|q| q.logical_id == "Q").unwrap();
    assert!(q.fifo);
    assert_eq!(jobmon_template::queue_name("p", q), "p-Q.fifo");
}

#[test]
fn resolve_against_bindings() {
    let t = Template::parse(BASE).unwrap();
    let mut b = Bindings::new("eu-west-1");
    let mut p = jobmon_template::Provisioned {
        tables: Default::default(),
        queues: Default::default(),
    };
    p.tables.insert("T".into(), "x-T".into());
    p.queues.insert(
        "Main".into(),
        jobmon_template::ProvisionedQueue {
            name: "x-Main".into(),
            url: "http://q/x-Main".into(),
            arn: "arn:aws:sqs:eu-west-1:123456789012:x-Main".into(),
        },
    );
    b.add_provisioned(&p);
    let f = t.function("Fn").unwrap();
    let get = |b: &Bindings, k: &str| t.resolve_string(&f.environment[k], b).unwrap().unwrap();
    assert_eq!(get(&b, "C"), "x-Main|eu-west-1|x-T|${Literal}");
    assert_eq!(get(&b, "D"), "no");
    assert_eq!(
        get(&b, "E"),
        "http://q/x-Main,arn:aws:sqs:eu-west-1:123456789012:x-Main"
    );
    b.parameters.insert("Level".into(), "debug".into());
    assert_eq!(get(&b, "D"), "yes");
}

fn err(yaml: &str) -> String {
    match Template::parse(yaml) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn yaml_errors_carry_a_location() {
    let e = Template::parse("Resources:\n  A: [unclosed\n").unwrap_err();
    assert!(
        matches!(e, TemplateError::Yaml { line: Some(_), .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("line"), "{e}");
}

#[test]
fn malformed_snippets_name_resource_and_property() {
    let cases: &[(&str, &[&str])] = &[
        ("Description: x\n", &["no Resources"]),
        ("- a\n- b\n", &["not a mapping"]),
        ("Resources:\n  A: {Properties: {}}\n", &["A", "Type"]),
        (
            "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n      KeySchema: [{AttributeName: nope, KeyType: HASH}]\n",
            &["T", "KeySchema[0].AttributeName", "nope"],
        ),
        (
            "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n",
            &["T", "ProvisionedThroughput"],
        ),
        (
            "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n      AttributeDefinitions: [{AttributeName: pk, AttributeType: X}]\n      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n",
            &["T", "AttributeType"],
        ),
        (
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: {deadLetterTargetArn: !GetAtt Missing.Arn, maxReceiveCount: 3}\n",
            &["Missing"],
        ),
        (
            "Resources:\n  D:\n    Type: AWS::SQS::Queue\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: {deadLetterTargetArn: !GetAtt D.Arn}\n",
            &["Q", "maxReceiveCount"],
        ),
        (
            "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: {deadLetterTargetArn: !GetAtt B.Arn, maxReceiveCount: 1}\n  B:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: {deadLetterTargetArn: !GetAtt A.Arn, maxReceiveCount: 1}\n",
            &["cycle"],
        ),
        (
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: soon\n",
            &["Q", "VisibilityTimeout"],
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment: {Variables: {X: !Ref Nowhere}}\n",
            &["F", "Nowhere"],
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E: {Type: Schedule, Properties: {Schedule: rate(15 minute)}}\n",
            &["F", "Events.E.Properties.Schedule", "plural"],
        ),
        (
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn, FunctionResponseTypes: [ReportBatchItemFailure]}}\n",
            &["F", "FunctionResponseTypes"],
        ),
        (
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn, BatchSize: 100}}\n",
            &["F", "BatchSize"],
        ),
        (
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 5}\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Timeout: 10\n      Events:\n        E: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}\n",
            &["F", "VisibilityTimeout 5", "Timeout 10"],
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2099\n",
            &["F", "Runtime"],
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E: {Type: HttpApi, Properties: {Path: '/x/{id', Method: GET}}\n",
            &["F", "Path"],
        ),
        (
            "Resources:\n  W:\n    Type: AWS::ApiGatewayV2::Api\n    Properties: {ProtocolType: WEBSOCKETS}\n",
            &["W", "ProtocolType", "WEBSOCKETS"],
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Timeout: !Frob 3\n",
            &["F", "Frob"],
        ),
    ];
    for (yaml, needles) in cases {
        let msg = err(yaml);
        for n in *needles {
            assert!(msg.contains(n), "error {msg:?} should mention {n:?}");
        }
    }
}

#[test]
fn missing_file_is_not_found() {
    let e = Template::from_file("/nonexistent/template.yaml").unwrap_err();
    assert!(matches!(e, TemplateError::NotFound { .. }), "{e:?}");
}

const WS: &str = r#"
Resources:
  WsApi:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: ws, ProtocolType: WEBSOCKET, RouteSelectionExpression: "$request.body.action"}
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WsApi
      RouteKey: $connect
      Target: !Join ["/", [integrations, !Ref ConnectIntegration]]
  ConnectIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WsApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ConnectFn.Arn}/invocations"
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref WsApi, StageName: prod, AutoDeploy: true}
  ConnectFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: provided.al2023}
"#;

#[test]
fn websocket_routes_follow_target_and_integration() {
    let t = Template::parse(WS).unwrap();
    let ws = &t.websocket_apis()[0];
    assert_eq!(ws.logical_id, "WsApi");
    assert_eq!(ws.stages, vec!["prod".to_owned()]);
    assert_eq!(ws.routes.len(), 1);
    assert_eq!(ws.routes[0].route_key, "$connect");
    assert_eq!(ws.routes[0].function, "ConnectFn");
}
