//! The parsed template: every resource in raw form plus typed views of what the local stack
//! acts on (tables, queues, functions with their merged `Globals`, events, WebSocket APIs).
//! Everything is validated here, so that a typo fails when the template is read.

mod events;
mod function;
mod props;
mod queue;
mod table;
mod websocket;

pub use events::{EventKind, EventSpec, HttpApiEvent, ScheduleEvent, SqsEvent};
pub use function::FunctionSpec;
pub use queue::{QueueSpec, Redrive};
pub use table::{
    AttributeDefinition, BillingMode, IndexSpec, KeyElement, KeyType, Projection, TableSpec,
    Throughput, TtlSpec,
};
pub use websocket::{WebSocketApiSpec, WebSocketRoute};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::error::TemplateError;
use crate::expr::Expr;
use function::parse_function;
use queue::{order_queues, parse_queue};
use table::parse_table;
use websocket::{check_api_protocol, parse_websocket_apis};

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
        Template::from_file_with(path, &BTreeMap::new())
    }

    /// [`Template::from_file`] with parameter values given at deploy time (the local stack's
    /// `JOBMON_PARAM_<Name>`), as `sam deploy --parameter-overrides` gives them.
    pub fn from_file_with(
        path: impl AsRef<Path>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Template, TemplateError> {
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
        Template::parse_with(&text, overrides)
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
        Template::parse_with(yaml, &BTreeMap::new())
    }

    /// Parses with `overrides` in place of the named parameters' defaults, so what is
    /// resolved while parsing (a `!Ref` to a `Number` parameter in reserved concurrency or
    /// `ScalingConfig.MaximumConcurrency`) takes the value the stack is given. Names the
    /// template does not declare are ignored, as the local stack passes every
    /// `JOBMON_PARAM_*` variable.
    pub fn parse_with(
        yaml: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Template, TemplateError> {
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

        let mut parameters = parse_parameters(section("Parameters")?)?;
        for (name, value) in overrides {
            if let Some(p) = parameters.get_mut(name) {
                p.default = Some(value.clone());
            }
        }
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

        let resources = parse_resources(root)?;

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
                    &with_number_defaults(r, &template.parameters),
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

/// The function as the local stack runs it: a `!Ref` to a `Number` parameter (reserved
/// concurrency, `ScalingConfig.MaximumConcurrency`) becomes the parameter's default, so
/// those limits stay template parameters and are still checked and honoured here.
/// Environment variables keep their `!Ref`: they are resolved later, with overrides.
fn with_number_defaults(r: &Resource, parameters: &BTreeMap<String, Parameter>) -> Resource {
    fn substitute(e: &Expr, numbers: &BTreeMap<&str, serde_yaml::Number>) -> Expr {
        match e {
            Expr::Ref(name) => numbers
                .get(name.as_str())
                .map_or_else(|| e.clone(), |n| Expr::Number(n.clone())),
            Expr::List(items) => Expr::List(items.iter().map(|i| substitute(i, numbers)).collect()),
            Expr::Map(map) => Expr::Map(
                map.iter()
                    .map(|(k, v)| {
                        let v = if k == "Environment" {
                            v.clone()
                        } else {
                            substitute(v, numbers)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let numbers: BTreeMap<&str, serde_yaml::Number> = parameters
        .values()
        .filter(|p| p.param_type == "Number")
        .filter_map(|p| Some((p.name.as_str(), p.default.as_ref()?.parse().ok()?)))
        .collect();
    let mut r = r.clone();
    r.properties = substitute(&r.properties, &numbers);
    r
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

/// The `Resources` section, each resource in raw form.
fn parse_resources(
    root: &serde_yaml::Mapping,
) -> Result<BTreeMap<String, Resource>, TemplateError> {
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
    Ok(resources)
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
