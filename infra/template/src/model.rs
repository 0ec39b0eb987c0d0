//! The parsed template: every resource in raw form plus typed views of what the local stack
//! acts on (tables, queues, functions with their merged `Globals`, events, WebSocket APIs).
//! Everything is validated here, so that a typo fails when the template is read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_yaml::Value;

use crate::error::TemplateError;
use crate::expr::Expr;
use crate::schedule::ScheduleExpression;

pub const TABLE: &str = "AWS::DynamoDB::Table";
pub const QUEUE: &str = "AWS::SQS::Queue";
pub const FUNCTION: &str = "AWS::Serverless::Function";
pub const HTTP_API: &str = "AWS::Serverless::HttpApi";
pub const API_V2: &str = "AWS::ApiGatewayV2::Api";
pub const ROUTE_V2: &str = "AWS::ApiGatewayV2::Route";
pub const INTEGRATION_V2: &str = "AWS::ApiGatewayV2::Integration";
pub const STAGE_V2: &str = "AWS::ApiGatewayV2::Stage";

/// A parsed `template.yaml`.
#[derive(Debug, Clone)]
pub struct Template {
    pub(crate) parameters: BTreeMap<String, Parameter>,
    pub(crate) conditions: BTreeMap<String, Expr>,
    pub(crate) mappings: BTreeMap<String, Expr>,
    pub(crate) resources: BTreeMap<String, Resource>,
    pub(crate) tables: Vec<TableSpec>,
    pub(crate) queues: Vec<QueueSpec>,
    pub(crate) functions: Vec<FunctionSpec>,
    pub(crate) websocket_apis: Vec<WebSocketApiSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub param_type: String,
    /// `Default`, as the string CloudFormation would pass (numbers and lists included).
    pub default: Option<String>,
    pub allowed_values: Vec<String>,
}

/// Any resource, untyped.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub logical_id: String,
    pub resource_type: String,
    pub properties: Expr,
    pub metadata: Expr,
    /// The resource's `Condition`, if any.
    pub condition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub logical_id: String,
    pub attributes: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeyElement>,
    pub global_indexes: Vec<IndexSpec>,
    pub local_indexes: Vec<IndexSpec>,
    pub billing_mode: BillingMode,
    /// Table throughput for `PROVISIONED` billing.
    pub throughput: Option<Throughput>,
    pub ttl: Option<TtlSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDefinition {
    pub name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Hash,
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyElement {
    pub name: String,
    pub key_type: KeyType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<KeyElement>,
    pub projection: Projection,
    pub throughput: Option<Throughput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingMode {
    PayPerRequest,
    Provisioned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlSpec {
    pub attribute: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub fifo: bool,
    pub content_based_deduplication: Option<bool>,
    pub visibility_timeout: Option<i64>,
    pub message_retention_period: Option<i64>,
    pub delay_seconds: Option<i64>,
    pub receive_message_wait_time_seconds: Option<i64>,
    pub maximum_message_size: Option<i64>,
    pub redrive: Option<Redrive>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    /// Logical id of the dead-letter queue (from `!GetAtt X.Arn`).
    pub dead_letter_queue: String,
    pub max_receive_count: i64,
}

/// An `AWS::Serverless::Function` with `Globals.Function` merged in (SAM rules: scalars of the
/// function win, maps merge key by key, lists are concatenated globals first).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary` (cargo-lambda): the executable to run.
    pub binary: Option<String>,
    /// `FunctionName`, when the template sets one (may be an expression).
    pub function_name: Option<Expr>,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub memory_size: u32,
    pub timeout: Duration,
    pub reserved_concurrency: Option<u32>,
    /// `Environment.Variables`, unresolved.
    pub environment: BTreeMap<String, Expr>,
    pub events: Vec<EventSpec>,
    /// The merged `Properties`, for anything not modelled above.
    pub properties: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    pub name: String,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    HttpApi(HttpApiEvent),
    Sqs(SqsEvent),
    Schedule(ScheduleEvent),
    /// Event types the local stack does not drive (S3, EventBridgeRule, ...).
    Other {
        event_type: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpApiEvent {
    /// `None` with `method` `None`: the catch-all `$default` route.
    pub path: Option<String>,
    /// Upper case; `ANY` matches every method.
    pub method: Option<String>,
    /// Logical id of the API (`ApiId: !Ref X`); `None` is SAM's implicit `ServerlessHttpApi`.
    pub api: Option<String>,
    pub payload_format_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsEvent {
    /// Logical id of the queue (`Queue: !GetAtt X.Arn`).
    pub queue: String,
    pub batch_size: u32,
    pub maximum_batching_window: Duration,
    pub report_batch_item_failures: bool,
    pub enabled: bool,
    pub maximum_concurrency: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEvent {
    pub expression: ScheduleExpression,
    /// The raw expression text, for logs.
    pub expression_text: String,
    pub enabled: bool,
    /// `Input`: the JSON document delivered instead of the scheduled-event envelope.
    pub input: Option<String>,
    /// `true` for `ScheduleV2` (EventBridge Scheduler), `false` for `Schedule` (a rule).
    pub scheduler: bool,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketApiSpec {
    pub logical_id: String,
    pub route_selection_expression: Option<String>,
    pub routes: Vec<WebSocketRoute>,
    /// Stage names declared for this API.
    pub stages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketRoute {
    pub logical_id: String,
    /// `$connect`, `$disconnect`, `$default` or a custom key.
    pub route_key: String,
    /// Logical id of the function behind the route's integration.
    pub function: String,
}

/// Lambda runtime identifiers, current and recently deprecated. An unknown one is a typo.
const RUNTIMES: &[&str] = &[
    "provided",
    "provided.al2",
    "provided.al2023",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "java8.al2",
    "java11",
    "java17",
    "java21",
    "java25",
    "dotnet8",
    "dotnet10",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
];

const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

impl Template {
    pub fn from_file(path: impl AsRef<Path>) -> Result<Template, TemplateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                TemplateError::NotFound {
                    path: path.to_owned(),
                }
            } else {
                TemplateError::Read {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        Template::parse(&text)
    }

    /// Path of the workspace's template.yaml: walks up from `CARGO_MANIFEST_DIR` (when set,
    /// as under `cargo test`/`cargo run`) and then from the current directory until it finds
    /// template.yaml next to a Cargo.toml that declares `[workspace]`.
    pub fn locate() -> Result<PathBuf, TemplateError> {
        let mut starts = Vec::new();
        if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
            starts.push(PathBuf::from(dir));
        }
        if let Ok(dir) = std::env::current_dir() {
            starts.push(dir);
        }
        for start in &starts {
            for dir in start.ancestors() {
                let template = dir.join("template.yaml");
                if template.is_file() && is_workspace_root(&dir.join("Cargo.toml")) {
                    return Ok(template);
                }
            }
        }
        Err(TemplateError::NotLocated {
            start: starts.into_iter().next().unwrap_or_default(),
        })
    }

    pub fn parse(yaml: &str) -> Result<Template, TemplateError> {
        let doc: Value = serde_yaml::from_str(yaml).map_err(|e| {
            let loc = e.location();
            TemplateError::Yaml {
                line: loc.as_ref().map(|l| l.line()),
                column: loc.as_ref().map(|l| l.column()),
                message: e.to_string(),
            }
        })?;
        let Value::Mapping(root) = &doc else {
            return Err(TemplateError::Structure(
                "the document is not a mapping".into(),
            ));
        };
        let section = |name: &str| -> Result<Option<Expr>, TemplateError> {
            match root.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v @ Value::Mapping(_)) => Expr::from_yaml(v)
                    .map(Some)
                    .map_err(|e| TemplateError::Structure(format!("{name}: {e}"))),
                Some(_) => Err(TemplateError::Structure(format!(
                    "{name} must be a mapping"
                ))),
            }
        };

        let parameters = parse_parameters(section("Parameters")?)?;
        let conditions = section("Conditions")?
            .and_then(|e| e.as_map().cloned())
            .unwrap_or_default();
        let mappings = section("Mappings")?
            .and_then(|e| e.as_map().cloned())
            .unwrap_or_default();
        let globals_function = section("Globals")?
            .and_then(|g| g.get("Function").cloned())
            .unwrap_or(Expr::Map(BTreeMap::new()));
        if !matches!(globals_function, Expr::Map(_)) {
            return Err(TemplateError::Structure(
                "Globals.Function must be a mapping".into(),
            ));
        }

        let Some(Value::Mapping(raw_resources)) = root.get("Resources") else {
            return Err(TemplateError::Structure(
                "the template has no Resources mapping".into(),
            ));
        };
        let mut resources = BTreeMap::new();
        for (key, value) in raw_resources {
            let Value::String(id) = key else {
                return Err(TemplateError::Structure(format!(
                    "resource key {key:?} is not a string"
                )));
            };
            resources.insert(id.clone(), parse_resource(id, value)?);
        }

        let mut template = Template {
            parameters,
            conditions,
            mappings,
            resources,
            tables: Vec::new(),
            queues: Vec::new(),
            functions: Vec::new(),
            websocket_apis: Vec::new(),
        };
        template.check_references(root)?;
        for r in template.resources.values() {
            match r.resource_type.as_str() {
                TABLE => template.tables.push(parse_table(r)?),
                QUEUE => template.queues.push(parse_queue(r, &template.resources)?),
                FUNCTION => template.functions.push(parse_function(
                    r,
                    &globals_function,
                    &template.resources,
                )?),
                API_V2 => check_api_protocol(r)?,
                _ => {}
            }
        }
        template.queues = order_queues(std::mem::take(&mut template.queues))?;
        check_sqs_visibility(&template)?;
        template.websocket_apis = parse_websocket_apis(&template.resources)?;
        Ok(template)
    }

    pub fn parameters(&self) -> &BTreeMap<String, Parameter> {
        &self.parameters
    }
    pub fn conditions(&self) -> &BTreeMap<String, Expr> {
        &self.conditions
    }
    pub fn mappings(&self) -> &BTreeMap<String, Expr> {
        &self.mappings
    }
    pub fn resources(&self) -> &BTreeMap<String, Resource> {
        &self.resources
    }
    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.get(logical_id)
    }
    pub fn tables(&self) -> &[TableSpec] {
        &self.tables
    }
    /// Queues in creation order: every dead-letter queue before the queues that use it.
    pub fn queues(&self) -> &[QueueSpec] {
        &self.queues
    }
    pub fn functions(&self) -> &[FunctionSpec] {
        &self.functions
    }
    pub fn function(&self, logical_id: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }
    pub fn websocket_apis(&self) -> &[WebSocketApiSpec] {
        &self.websocket_apis
    }

    /// Every `!Ref`/`!GetAtt`/`${...}` in Globals, resources and outputs must name a
    /// parameter, a pseudo parameter or a resource. SAM also generates resources
    /// (`ServerlessHttpApi`, `<Function>Role`, ...), so names that extend a declared logical
    /// id are accepted.
    fn check_references(&self, root: &serde_yaml::Mapping) -> Result<(), TemplateError> {
        let known = |name: &str| {
            self.parameters.contains_key(name)
                || PSEUDO_PARAMETERS.contains(&name)
                || self.resources.contains_key(name)
                || matches!(name, "ServerlessHttpApi" | "ServerlessRestApi")
                || self
                    .resources
                    .keys()
                    .any(|id| name.len() > id.len() && name.starts_with(id.as_str()))
        };
        let check = |location: String, e: &Expr| -> Result<(), TemplateError> {
            for (name, attr) in e.references() {
                if !known(&name) {
                    return Err(TemplateError::UnknownReference {
                        location,
                        reference: match attr {
                            Some(a) => format!("!GetAtt {name}.{a}"),
                            None => format!("!Ref {name}"),
                        },
                        target: name,
                    });
                }
            }
            Ok(())
        };
        for r in self.resources.values() {
            check(format!("resource {}", r.logical_id), &r.properties)?;
        }
        for section in ["Globals", "Outputs"] {
            if let Some(v) = root.get(section) {
                let e = Expr::from_yaml(v)
                    .map_err(|e| TemplateError::Structure(format!("{section}: {e}")))?;
                check(section.to_owned(), &e)?;
            }
        }
        Ok(())
    }
}

/// Lambda refuses an SQS event source whose queue's visibility timeout is shorter than the
/// function's timeout (a message would reappear while still being processed).
fn check_sqs_visibility(t: &Template) -> Result<(), TemplateError> {
    for f in &t.functions {
        for e in &f.events {
            let EventKind::Sqs(s) = &e.kind else { continue };
            let Some(q) = t.queues.iter().find(|q| q.logical_id == s.queue) else {
                continue;
            };
            // SQS's default visibility timeout is 30 s.
            let visibility = q.visibility_timeout.unwrap_or(30);
            if (visibility as u64) < f.timeout.as_secs() {
                return Err(TemplateError::invalid(
                    &f.logical_id,
                    &format!("Events.{}.Properties.Queue", e.name),
                    format!(
                        "queue {} has VisibilityTimeout {visibility} s, shorter than the function's Timeout {} s; Lambda refuses this event source mapping",
                        q.logical_id,
                        f.timeout.as_secs()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn is_workspace_root(cargo_toml: &Path) -> bool {
    std::fs::read_to_string(cargo_toml)
        .map(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        .unwrap_or(false)
}

fn scalar_string(e: &Expr) -> Option<String> {
    match e {
        Expr::String(s) => Some(s.clone()),
        Expr::Number(n) => Some(n.to_string()),
        Expr::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_parameters(section: Option<Expr>) -> Result<BTreeMap<String, Parameter>, TemplateError> {
    let mut out = BTreeMap::new();
    let Some(Expr::Map(params)) = section else {
        return Ok(out);
    };
    for (name, p) in params {
        let bad = |why: &str| TemplateError::Structure(format!("parameter {name}: {why}"));
        let param_type = p
            .get("Type")
            .and_then(Expr::as_str)
            .ok_or_else(|| bad("missing Type"))?
            .to_owned();
        let default = match p.get("Default") {
            None => None,
            Some(Expr::List(items)) => Some(
                items
                    .iter()
                    .map(scalar_string)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("Default list must hold scalars"))?
                    .join(","),
            ),
            Some(Expr::Null) => Some(String::new()),
            Some(d) => Some(scalar_string(d).ok_or_else(|| bad("Default must be a scalar"))?),
        };
        let allowed_values = match p.get("AllowedValues") {
            None => Vec::new(),
            Some(Expr::List(items)) => items
                .iter()
                .map(scalar_string)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("AllowedValues must hold scalars"))?,
            Some(_) => return Err(bad("AllowedValues must be a list")),
        };
        if let Some(d) = &default
            && !allowed_values.is_empty()
            && !allowed_values.contains(d)
        {
            return Err(bad(&format!(
                "Default {d:?} is not one of AllowedValues {allowed_values:?}"
            )));
        }
        out.insert(
            name.clone(),
            Parameter {
                name: name.clone(),
                param_type,
                default,
                allowed_values,
            },
        );
    }
    Ok(out)
}

fn parse_resource(id: &str, value: &Value) -> Result<Resource, TemplateError> {
    let Value::Mapping(m) = value else {
        return Err(TemplateError::Structure(format!(
            "resource {id} is not a mapping"
        )));
    };
    let resource_type = match m.get("Type") {
        Some(Value::String(t)) => t.clone(),
        _ => return Err(TemplateError::missing(id, "Type")),
    };
    let expr = |key: &str| -> Result<Expr, TemplateError> {
        match m.get(key) {
            None => Ok(Expr::Map(BTreeMap::new())),
            Some(v) => Expr::from_yaml(v).map_err(|e| TemplateError::invalid(id, key, e.0)),
        }
    };
    let properties = expr("Properties")?;
    if !matches!(properties, Expr::Map(_)) {
        return Err(TemplateError::invalid(
            id,
            "Properties",
            "must be a mapping",
        ));
    }
    let condition = match m.get("Condition") {
        None => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(_) => return Err(TemplateError::invalid(id, "Condition", "must be a name")),
    };
    Ok(Resource {
        logical_id: id.to_owned(),
        resource_type,
        properties,
        metadata: expr("Metadata")?,
        condition,
    })
}

/// Reads properties of one resource, with errors that name it.
struct Props<'a> {
    id: &'a str,
    /// Path prefix for nested properties, e.g. `Events.Health.Properties.`.
    prefix: String,
    map: &'a BTreeMap<String, Expr>,
}

impl<'a> Props<'a> {
    fn of(id: &'a str, e: &'a Expr, prefix: &str) -> Result<Props<'a>, TemplateError> {
        match e {
            Expr::Map(map) => Ok(Props {
                id,
                prefix: prefix.to_owned(),
                map,
            }),
            _ => Err(TemplateError::invalid(
                id,
                prefix.trim_end_matches('.'),
                "must be a mapping",
            )),
        }
    }
    fn path(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
    fn invalid(&self, key: &str, why: impl Into<String>) -> TemplateError {
        TemplateError::invalid(self.id, &self.path(key), why)
    }
    fn get(&self, key: &str) -> Option<&'a Expr> {
        self.map.get(key)
    }
    fn required(&self, key: &str) -> Result<&'a Expr, TemplateError> {
        self.map
            .get(key)
            .ok_or_else(|| TemplateError::missing(self.id, &self.path(key)))
    }
    fn string(&self, key: &str) -> Result<Option<String>, TemplateError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(e) => scalar_string(e)
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be a literal string")),
        }
    }
    fn required_string(&self, key: &str) -> Result<String, TemplateError> {
        self.string(key)?
            .ok_or_else(|| TemplateError::missing(self.id, &self.path(key)))
    }
    fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, TemplateError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(e) => match e.as_i64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                Some(v) => Err(self.invalid(key, format!("{v} is not in {min}..={max}"))),
                None => Err(self.invalid(key, "must be a literal integer")),
            },
        }
    }
    fn bool(&self, key: &str) -> Result<Option<bool>, TemplateError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(e) => e
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be true or false")),
        }
    }
    fn list(&self, key: &str) -> Result<&'a [Expr], TemplateError> {
        match self.map.get(key) {
            None => Ok(&[]),
            Some(Expr::List(l)) => Ok(l),
            Some(_) => Err(self.invalid(key, "must be a list")),
        }
    }
    fn nested(&self, key: &str, e: &'a Expr) -> Result<Props<'a>, TemplateError> {
        Props::of(self.id, e, &format!("{}{key}.", self.prefix))
    }
}

fn parse_key_schema(
    p: &Props<'_>,
    defined: &BTreeSet<String>,
) -> Result<Vec<KeyElement>, TemplateError> {
    let list = p.list("KeySchema")?;
    let mut out = Vec::new();
    for (i, k) in list.iter().enumerate() {
        let kp = p.nested(&format!("KeySchema[{i}]"), k)?;
        let name = kp.required_string("AttributeName")?;
        let key_type = match kp.required_string("KeyType")?.as_str() {
            "HASH" => KeyType::Hash,
            "RANGE" => KeyType::Range,
            other => return Err(kp.invalid("KeyType", format!("{other:?} is not HASH or RANGE"))),
        };
        if !defined.contains(&name) {
            return Err(kp.invalid(
                "AttributeName",
                format!("{name:?} is not in AttributeDefinitions"),
            ));
        }
        out.push(KeyElement { name, key_type });
    }
    match out.as_slice() {
        [
            KeyElement {
                key_type: KeyType::Hash,
                ..
            },
        ]
        | [
            KeyElement {
                key_type: KeyType::Hash,
                ..
            },
            KeyElement {
                key_type: KeyType::Range,
                ..
            },
        ] => Ok(out),
        [] => Err(TemplateError::missing(p.id, &p.path("KeySchema"))),
        _ => Err(p.invalid(
            "KeySchema",
            "must be one HASH key, optionally followed by one RANGE key",
        )),
    }
}

fn parse_throughput(p: &Props<'_>) -> Result<Option<Throughput>, TemplateError> {
    let Some(t) = p.get("ProvisionedThroughput") else {
        return Ok(None);
    };
    let tp = p.nested("ProvisionedThroughput", t)?;
    let read = tp
        .int("ReadCapacityUnits", 1, i64::MAX)?
        .ok_or_else(|| TemplateError::missing(p.id, &tp.path("ReadCapacityUnits")))?;
    let write = tp
        .int("WriteCapacityUnits", 1, i64::MAX)?
        .ok_or_else(|| TemplateError::missing(p.id, &tp.path("WriteCapacityUnits")))?;
    Ok(Some(Throughput { read, write }))
}

fn parse_table(r: &Resource) -> Result<TableSpec, TemplateError> {
    let p = Props::of(&r.logical_id, &r.properties, "")?;
    let mut attributes = Vec::new();
    for (i, a) in p.list("AttributeDefinitions")?.iter().enumerate() {
        let ap = p.nested(&format!("AttributeDefinitions[{i}]"), a)?;
        let name = ap.required_string("AttributeName")?;
        let attribute_type = ap.required_string("AttributeType")?;
        if !matches!(attribute_type.as_str(), "S" | "N" | "B") {
            return Err(ap.invalid(
                "AttributeType",
                format!("{attribute_type:?} is not S, N or B"),
            ));
        }
        attributes.push(AttributeDefinition {
            name,
            attribute_type,
        });
    }
    if attributes.is_empty() {
        return Err(TemplateError::missing(
            &r.logical_id,
            "AttributeDefinitions",
        ));
    }
    let defined: BTreeSet<String> = attributes.iter().map(|a| a.name.clone()).collect();
    let key_schema = parse_key_schema(&p, &defined)?;
    let billing_mode = match p.string("BillingMode")?.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some("PROVISIONED") | None => BillingMode::Provisioned,
        Some(other) => {
            return Err(p.invalid(
                "BillingMode",
                format!("{other:?} is not PAY_PER_REQUEST or PROVISIONED"),
            ));
        }
    };
    let throughput = parse_throughput(&p)?;
    if billing_mode == BillingMode::Provisioned && throughput.is_none() {
        return Err(p.invalid(
            "ProvisionedThroughput",
            "required when BillingMode is PROVISIONED (the default)",
        ));
    }
    let index = |key: &str, local: bool| -> Result<Vec<IndexSpec>, TemplateError> {
        let mut out = Vec::new();
        for (i, g) in p.list(key)?.iter().enumerate() {
            let gp = p.nested(&format!("{key}[{i}]"), g)?;
            let name = gp.required_string("IndexName")?;
            let key_schema = parse_key_schema(&gp, &defined)?;
            let proj = gp.required("Projection")?;
            let pp = gp.nested("Projection", proj)?;
            let projection_type = pp.string("ProjectionType")?.unwrap_or_else(|| "ALL".into());
            if !matches!(projection_type.as_str(), "ALL" | "KEYS_ONLY" | "INCLUDE") {
                return Err(pp.invalid(
                    "ProjectionType",
                    format!("{projection_type:?} is not ALL, KEYS_ONLY or INCLUDE"),
                ));
            }
            let non_key_attributes = pp
                .list("NonKeyAttributes")?
                .iter()
                .map(|e| e.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| pp.invalid("NonKeyAttributes", "must be a list of names"))?;
            let throughput = if local { None } else { parse_throughput(&gp)? };
            if !local && billing_mode == BillingMode::Provisioned && throughput.is_none() {
                return Err(gp.invalid(
                    "ProvisionedThroughput",
                    "required for an index of a PROVISIONED table",
                ));
            }
            out.push(IndexSpec {
                name,
                key_schema,
                projection: Projection {
                    projection_type,
                    non_key_attributes,
                },
                throughput,
            });
        }
        Ok(out)
    };
    let global_indexes = index("GlobalSecondaryIndexes", false)?;
    let local_indexes = index("LocalSecondaryIndexes", true)?;
    let ttl = match p.get("TimeToLiveSpecification") {
        None => None,
        Some(t) => {
            let tp = p.nested("TimeToLiveSpecification", t)?;
            let enabled = tp.bool("Enabled")?.unwrap_or(false);
            let attribute = tp.string("AttributeName")?;
            match (enabled, attribute) {
                (true, None) => {
                    return Err(TemplateError::missing(
                        &r.logical_id,
                        "TimeToLiveSpecification.AttributeName",
                    ));
                }
                (enabled, attribute) => attribute.map(|attribute| TtlSpec { attribute, enabled }),
            }
        }
    };
    Ok(TableSpec {
        logical_id: r.logical_id.clone(),
        attributes,
        key_schema,
        global_indexes,
        local_indexes,
        billing_mode,
        throughput,
        ttl,
    })
}

/// The logical id a `!GetAtt X.Arn` (or `!Ref X` where a reference is expected) names.
fn referenced_id(e: &Expr) -> Option<&str> {
    match e {
        Expr::GetAtt { resource, .. } | Expr::Ref(resource) => Some(resource),
        _ => None,
    }
}

fn parse_queue(
    r: &Resource,
    resources: &BTreeMap<String, Resource>,
) -> Result<QueueSpec, TemplateError> {
    let p = Props::of(&r.logical_id, &r.properties, "")?;
    let fifo = p.bool("FifoQueue")?.unwrap_or(false);
    let redrive = match p.get("RedrivePolicy") {
        None => None,
        Some(e) => {
            let rp = p.nested("RedrivePolicy", e)?;
            let target = rp.required("deadLetterTargetArn")?;
            let dead_letter_queue = match target {
                Expr::GetAtt {
                    resource,
                    attribute,
                } if attribute == "Arn" => resource.clone(),
                _ => {
                    return Err(rp.invalid(
                        "deadLetterTargetArn",
                        "must be !GetAtt <Queue>.Arn of a queue in this template",
                    ));
                }
            };
            match resources.get(&dead_letter_queue) {
                Some(q) if q.resource_type == QUEUE => {}
                _ => {
                    return Err(rp.invalid(
                        "deadLetterTargetArn",
                        format!("{dead_letter_queue} is not an AWS::SQS::Queue of this template"),
                    ));
                }
            }
            let max_receive_count = rp.int("maxReceiveCount", 1, 1000)?.ok_or_else(|| {
                TemplateError::missing(&r.logical_id, "RedrivePolicy.maxReceiveCount")
            })?;
            Some(Redrive {
                dead_letter_queue,
                max_receive_count,
            })
        }
    };
    Ok(QueueSpec {
        logical_id: r.logical_id.clone(),
        fifo,
        content_based_deduplication: p.bool("ContentBasedDeduplication")?,
        visibility_timeout: p.int("VisibilityTimeout", 0, 43_200)?,
        message_retention_period: p.int("MessageRetentionPeriod", 60, 1_209_600)?,
        delay_seconds: p.int("DelaySeconds", 0, 900)?,
        receive_message_wait_time_seconds: p.int("ReceiveMessageWaitTimeSeconds", 0, 20)?,
        maximum_message_size: p.int("MaximumMessageSize", 1024, 1_048_576)?,
        redrive,
    })
}

/// Dead-letter queues first; a redrive cycle is an error.
fn order_queues(queues: Vec<QueueSpec>) -> Result<Vec<QueueSpec>, TemplateError> {
    let mut pending: BTreeMap<String, QueueSpec> = queues
        .into_iter()
        .map(|q| (q.logical_id.clone(), q))
        .collect();
    let mut out: Vec<QueueSpec> = Vec::new();
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .values()
            .filter(|q| match &q.redrive {
                None => true,
                Some(r) => out.iter().any(|d| d.logical_id == r.dead_letter_queue),
            })
            .map(|q| q.logical_id.clone())
            .collect();
        if ready.is_empty() {
            let ids: Vec<&String> = pending.keys().collect();
            return Err(TemplateError::Structure(format!(
                "the redrive policies of queues {ids:?} form a cycle"
            )));
        }
        for id in ready {
            if let Some(q) = pending.remove(&id) {
                out.push(q);
            }
        }
    }
    Ok(out)
}

/// SAM's `Globals` merge: maps merge (the resource wins per key), lists concatenate (globals
/// first), anything else is replaced by the resource's value.
fn merge_globals(global: &Expr, local: &Expr) -> Expr {
    match (global, local) {
        (Expr::Map(g), Expr::Map(l)) => {
            let mut out = g.clone();
            for (k, v) in l {
                let merged = match g.get(k) {
                    Some(gv) => merge_globals(gv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Expr::Map(out)
        }
        (Expr::List(g), Expr::List(l)) => Expr::List(g.iter().chain(l).cloned().collect()),
        (_, l) => l.clone(),
    }
}

fn parse_function(
    r: &Resource,
    globals: &Expr,
    resources: &BTreeMap<String, Resource>,
) -> Result<FunctionSpec, TemplateError> {
    let id = r.logical_id.as_str();
    // `Events` is not a property Globals may set, and merging it would invent routes.
    let mut globals = globals.clone();
    if let Expr::Map(m) = &mut globals {
        m.remove("Events");
    }
    let properties = merge_globals(&globals, &r.properties);
    let p = Props::of(id, &properties, "")?;
    let binary = match r
        .metadata
        .get("BuildProperties")
        .and_then(|b| b.get("Binary"))
    {
        None => None,
        Some(Expr::String(b)) if !b.is_empty() && !b.contains('/') => Some(b.clone()),
        Some(_) => {
            return Err(TemplateError::invalid(
                id,
                "Metadata.BuildProperties.Binary",
                "must be a binary name",
            ));
        }
    };
    let runtime = p.string("Runtime")?;
    if let Some(rt) = &runtime
        && !RUNTIMES.contains(&rt.as_str())
    {
        return Err(p.invalid("Runtime", format!("{rt:?} is not a Lambda runtime")));
    }
    let memory_size = p.int("MemorySize", 128, 10_240)?.unwrap_or(128) as u32;
    let timeout = p.int("Timeout", 1, 900)?.unwrap_or(3) as u64;
    let reserved_concurrency = p
        .int("ReservedConcurrentExecutions", 0, 10_000)?
        .map(|v| v as u32);
    let mut environment = BTreeMap::new();
    if let Some(env) = p.get("Environment") {
        let ep = p.nested("Environment", env)?;
        if let Some(vars) = ep.get("Variables") {
            let vp = ep.nested("Variables", vars)?;
            for (name, value) in vp.map {
                let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    return Err(vp.invalid(name, "is not a valid environment variable name"));
                }
                environment.insert(name.clone(), value.clone());
            }
        }
    }
    let mut events = Vec::new();
    if let Some(ev) = p.get("Events") {
        let evp = p.nested("Events", ev)?;
        for (name, e) in evp.map {
            let one = evp.nested(name, e)?;
            let event_type = one.required_string("Type")?;
            let empty = Expr::Map(BTreeMap::new());
            let props = one.get("Properties").unwrap_or(&empty);
            let pp = one.nested("Properties", props)?;
            let kind = match event_type.as_str() {
                "HttpApi" => EventKind::HttpApi(parse_http_event(&pp, resources)?),
                "SQS" => EventKind::Sqs(parse_sqs_event(&pp, resources)?),
                "Schedule" | "ScheduleV2" => {
                    EventKind::Schedule(parse_schedule_event(&pp, event_type == "ScheduleV2")?)
                }
                "Api" | "S3" | "SNS" | "Kinesis" | "DynamoDB" | "EventBridgeRule"
                | "CloudWatchEvent" | "CloudWatchLogs" | "IoTRule" | "AlexaSkill" | "Cognito"
                | "MSK" | "MQ" | "SelfManagedKafka" | "DocumentDB" => EventKind::Other {
                    event_type: event_type.clone(),
                },
                other => {
                    return Err(one.invalid("Type", format!("{other:?} is not a SAM event type")));
                }
            };
            events.push(EventSpec {
                name: name.clone(),
                kind,
            });
        }
    }
    Ok(FunctionSpec {
        logical_id: id.to_owned(),
        binary,
        function_name: p.get("FunctionName").cloned(),
        runtime,
        handler: p.string("Handler")?,
        memory_size,
        timeout: Duration::from_secs(timeout),
        reserved_concurrency,
        environment,
        events,
        properties: properties.clone(),
    })
}

const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

fn parse_http_event(
    p: &Props<'_>,
    resources: &BTreeMap<String, Resource>,
) -> Result<HttpApiEvent, TemplateError> {
    let path = p.string("Path")?;
    let method = p.string("Method")?.map(|m| m.to_ascii_uppercase());
    let method = match method.as_deref() {
        Some("*") => Some("ANY".to_owned()),
        _ => method,
    };
    if let Some(m) = &method
        && !HTTP_METHODS.contains(&m.as_str())
    {
        return Err(p.invalid("Method", format!("{m:?} is not an HTTP method")));
    }
    if let Some(path) = &path {
        if !path.starts_with('/') {
            return Err(p.invalid("Path", format!("{path:?} must start with /")));
        }
        check_route_path(path).map_err(|why| p.invalid("Path", why))?;
    }
    if path.is_some() != method.is_some() {
        return Err(p.invalid(
            if path.is_some() { "Method" } else { "Path" },
            "Path and Method go together (omit both for the $default route)",
        ));
    }
    let api = match p.get("ApiId") {
        None => None,
        Some(e) => match referenced_id(e) {
            Some(api)
                if resources
                    .get(api)
                    .is_some_and(|r| r.resource_type == HTTP_API) =>
            {
                Some(api.to_owned())
            }
            _ => {
                return Err(p.invalid(
                    "ApiId",
                    "must be !Ref of an AWS::Serverless::HttpApi in this template",
                ));
            }
        },
    };
    let payload_format_version = p
        .string("PayloadFormatVersion")?
        .unwrap_or_else(|| "2.0".into());
    if !matches!(payload_format_version.as_str(), "1.0" | "2.0") {
        return Err(p.invalid("PayloadFormatVersion", "must be 1.0 or 2.0"));
    }
    Ok(HttpApiEvent {
        path,
        method,
        api,
        payload_format_version,
    })
}

/// `{name}` segments must be whole segments; `{name+}` only last.
fn check_route_path(path: &str) -> Result<(), String> {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, s) in segments.iter().enumerate() {
        let opens = s.matches('{').count();
        let closes = s.matches('}').count();
        if opens == 0 && closes == 0 {
            continue;
        }
        if opens != 1 || closes != 1 || !s.starts_with('{') || !s.ends_with('}') || s.len() < 3 {
            return Err(format!(
                "segment {s:?} of {path:?} is not a whole {{parameter}}"
            ));
        }
        if s.ends_with("+}") && i + 1 != segments.len() {
            return Err(format!("greedy {s} must be the last segment of {path:?}"));
        }
    }
    Ok(())
}

fn parse_sqs_event(
    p: &Props<'_>,
    resources: &BTreeMap<String, Resource>,
) -> Result<SqsEvent, TemplateError> {
    let queue = match p.required("Queue")? {
        Expr::GetAtt {
            resource,
            attribute,
        } if attribute == "Arn" => resource.clone(),
        _ => {
            return Err(p.invalid(
                "Queue",
                "must be !GetAtt <Queue>.Arn of a queue in this template",
            ));
        }
    };
    let fifo = match resources.get(&queue) {
        Some(q) if q.resource_type == QUEUE => q
            .properties
            .get("FifoQueue")
            .and_then(Expr::as_bool)
            .unwrap_or(false),
        _ => {
            return Err(p.invalid(
                "Queue",
                format!("{queue} is not an AWS::SQS::Queue of this template"),
            ));
        }
    };
    let batch_size = p.int("BatchSize", 1, 10_000)?.unwrap_or(10) as u32;
    let window = p
        .int("MaximumBatchingWindowInSeconds", 0, 300)?
        .unwrap_or(0) as u64;
    // Lambda's own limits: above 10 messages a batching window is required; FIFO caps at 10.
    if batch_size > 10 && (window == 0 || fifo) {
        return Err(p.invalid(
            "BatchSize",
            format!(
                "{batch_size} needs MaximumBatchingWindowInSeconds > 0 on a standard queue (max 10 otherwise, and always 10 on FIFO)"
            ),
        ));
    }
    let mut report_batch_item_failures = false;
    for t in p.list("FunctionResponseTypes")? {
        match t.as_str() {
            Some("ReportBatchItemFailures") => report_batch_item_failures = true,
            other => {
                return Err(p.invalid(
                    "FunctionResponseTypes",
                    format!("{other:?} is not ReportBatchItemFailures"),
                ));
            }
        }
    }
    let maximum_concurrency = match p.get("ScalingConfig") {
        None => None,
        Some(s) => p
            .nested("ScalingConfig", s)?
            .int("MaximumConcurrency", 2, 1000)?
            .map(|v| v as u32),
    };
    Ok(SqsEvent {
        queue,
        batch_size,
        maximum_batching_window: Duration::from_secs(window),
        report_batch_item_failures,
        enabled: p.bool("Enabled")?.unwrap_or(true),
        maximum_concurrency,
    })
}

fn parse_schedule_event(p: &Props<'_>, scheduler: bool) -> Result<ScheduleEvent, TemplateError> {
    let key = if scheduler {
        "ScheduleExpression"
    } else {
        "Schedule"
    };
    let expression_text = p.required_string(key)?;
    let expression = ScheduleExpression::parse(&expression_text).map_err(|e| p.invalid(key, e))?;
    if !scheduler && matches!(expression, ScheduleExpression::At(_)) {
        return Err(p.invalid(key, "at(...) is only valid for ScheduleV2"));
    }
    let state = match p.string("State")?.as_deref() {
        None => None,
        Some("ENABLED") => Some(true),
        Some("DISABLED") => Some(false),
        Some(other) => {
            return Err(p.invalid("State", format!("{other:?} is not ENABLED or DISABLED")));
        }
    };
    let enabled = match (p.bool("Enabled")?, state) {
        (Some(e), _) => e,
        (None, Some(s)) => s,
        (None, None) => true,
    };
    let input = p.string("Input")?;
    if let Some(i) = &input
        && serde_json::from_str::<serde_json::Value>(i).is_err()
    {
        return Err(p.invalid("Input", "must be a JSON document"));
    }
    Ok(ScheduleEvent {
        expression,
        expression_text,
        enabled,
        input,
        scheduler,
        timezone: p.string("ScheduleExpressionTimezone")?,
    })
}

fn check_api_protocol(r: &Resource) -> Result<(), TemplateError> {
    let p = Props::of(&r.logical_id, &r.properties, "")?;
    match p.string("ProtocolType")?.as_deref() {
        Some("HTTP" | "WEBSOCKET") | None => Ok(()),
        Some(other) => Err(p.invalid(
            "ProtocolType",
            format!("{other:?} is not HTTP or WEBSOCKET"),
        )),
    }
}

/// The first resource of `wanted_type` that `e` refers to (through `!Ref`, `!GetAtt`, `!Sub`,
/// `!Join`...): a route's `Target` is `integrations/<Integration>`, an integration's
/// `IntegrationUri` embeds `<Function>.Arn`.
fn first_reference_of_type(
    e: &Expr,
    wanted_type: &str,
    resources: &BTreeMap<String, Resource>,
) -> Option<String> {
    e.references().into_iter().map(|(id, _)| id).find(|id| {
        resources
            .get(id)
            .is_some_and(|r| r.resource_type == wanted_type)
    })
}

fn parse_websocket_apis(
    resources: &BTreeMap<String, Resource>,
) -> Result<Vec<WebSocketApiSpec>, TemplateError> {
    let mut apis = Vec::new();
    for r in resources.values().filter(|r| r.resource_type == API_V2) {
        let p = Props::of(&r.logical_id, &r.properties, "")?;
        if p.string("ProtocolType")?.as_deref() != Some("WEBSOCKET") {
            continue;
        }
        apis.push(WebSocketApiSpec {
            logical_id: r.logical_id.clone(),
            route_selection_expression: p.string("RouteSelectionExpression")?,
            routes: Vec::new(),
            stages: Vec::new(),
        });
    }
    let api_of = |p: &Props<'_>| -> Result<String, TemplateError> {
        let api = p.required("ApiId")?;
        referenced_id(api)
            .filter(|a| resources.get(*a).is_some_and(|r| r.resource_type == API_V2))
            .map(str::to_owned)
            .ok_or_else(|| p.invalid("ApiId", "must be !Ref of an AWS::ApiGatewayV2::Api"))
    };
    for r in resources.values() {
        let p = Props::of(&r.logical_id, &r.properties, "")?;
        match r.resource_type.as_str() {
            ROUTE_V2 => {
                let api = api_of(&p)?;
                let Some(spec) = apis.iter_mut().find(|a| a.logical_id == api) else {
                    continue; // a route of an HTTP API declared by hand: not ours to serve
                };
                let route_key = p.required_string("RouteKey")?;
                let target = p.required("Target")?;
                let integration = first_reference_of_type(target, INTEGRATION_V2, resources)
                    .ok_or_else(|| {
                        p.invalid("Target", "must name an AWS::ApiGatewayV2::Integration (integrations/${Integration})")
                    })?;
                let int_props = &resources[&integration].properties;
                let ip = Props::of(&integration, int_props, "")?;
                let uri = ip.required("IntegrationUri")?;
                let function =
                    first_reference_of_type(uri, FUNCTION, resources).ok_or_else(|| {
                        ip.invalid(
                            "IntegrationUri",
                            "must embed the Arn of an AWS::Serverless::Function",
                        )
                    })?;
                if spec.routes.iter().any(|x| x.route_key == route_key) {
                    return Err(p.invalid(
                        "RouteKey",
                        format!("{route_key} is declared twice for {api}"),
                    ));
                }
                spec.routes.push(WebSocketRoute {
                    logical_id: r.logical_id.clone(),
                    route_key,
                    function,
                });
            }
            STAGE_V2 => {
                let api = api_of(&p)?;
                if let Some(spec) = apis.iter_mut().find(|a| a.logical_id == api) {
                    spec.stages.push(p.required_string("StageName")?);
                }
            }
            _ => {}
        }
    }
    Ok(apis)
}
