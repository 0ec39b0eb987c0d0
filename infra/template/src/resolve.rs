//! Evaluating template values against concrete bindings (local names, URLs, ARNs).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::error::ResolveError;
use crate::expr::{Expr, SubPart, sub_parts};
use crate::model::Template;
use crate::provision::Provisioned;

/// What `!Ref`, `!GetAtt` and pseudo parameters evaluate to.
#[derive(Debug, Clone)]
pub struct Bindings {
    pub region: String,
    pub account_id: String,
    pub partition: String,
    pub url_suffix: String,
    pub stack_name: String,
    /// Parameter values overriding their `Default`s.
    pub parameters: BTreeMap<String, String>,
    /// `!Ref LogicalId` of resources.
    pub refs: BTreeMap<String, Json>,
    /// `!GetAtt LogicalId.Attribute`.
    pub attributes: BTreeMap<(String, String), Json>,
}

impl Bindings {
    pub fn new(region: &str) -> Bindings {
        Bindings {
            region: region.to_owned(),
            account_id: "123456789012".to_owned(),
            partition: "aws".to_owned(),
            url_suffix: "amazonaws.com".to_owned(),
            stack_name: "jobmon-local".to_owned(),
            parameters: BTreeMap::new(),
            refs: BTreeMap::new(),
            attributes: BTreeMap::new(),
        }
    }

    /// Binds what `provision` created the way CloudFormation would: a table's `Ref` is its
    /// name, a queue's `Ref` is its URL; `Arn`, `QueueName`, `QueueUrl` attributes.
    pub fn add_provisioned(&mut self, p: &Provisioned) {
        for (id, name) in &p.tables {
            self.refs.insert(id.clone(), Json::String(name.clone()));
            let arn = format!(
                "arn:{}:dynamodb:{}:{}:table/{name}",
                self.partition, self.region, self.account_id
            );
            self.attributes
                .insert((id.clone(), "Arn".into()), Json::String(arn));
        }
        for (id, q) in &p.queues {
            self.refs.insert(id.clone(), Json::String(q.url.clone()));
            for (attr, v) in [
                ("Arn", &q.arn),
                ("QueueName", &q.name),
                ("QueueUrl", &q.url),
            ] {
                self.attributes
                    .insert((id.clone(), attr.into()), Json::String(v.clone()));
            }
        }
    }
}

/// How a resolved value becomes an environment variable (CloudFormation's own rules:
/// numbers and booleans as text, lists comma-joined).
pub fn to_env_string(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Array(items) => items
            .iter()
            .map(to_env_string)
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

impl Template {
    /// Evaluates a value. `Ok(None)` is `!Ref AWS::NoValue` (the property is absent).
    pub fn resolve(&self, e: &Expr, b: &Bindings) -> Result<Option<Json>, ResolveError> {
        Ok(match e {
            Expr::Null => Some(Json::Null),
            Expr::Bool(v) => Some(Json::Bool(*v)),
            Expr::Number(n) => Some(number(n)),
            Expr::String(s) => Some(Json::String(s.clone())),
            Expr::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    if let Some(v) = self.resolve(i, b)? {
                        out.push(v);
                    }
                }
                Some(Json::Array(out))
            }
            Expr::Map(m) => {
                let mut out = serde_json::Map::new();
                for (k, v) in m {
                    if let Some(v) = self.resolve(v, b)? {
                        out.insert(k.clone(), v);
                    }
                }
                Some(Json::Object(out))
            }
            Expr::Ref(name) => {
                if name == "AWS::NoValue" {
                    return Ok(None);
                }
                Some(self.reference(name, b)?)
            }
            Expr::GetAtt {
                resource,
                attribute,
            } => Some(
                b.attributes
                    .get(&(resource.clone(), attribute.clone()))
                    .cloned()
                    .ok_or_else(|| {
                        ResolveError::UnboundAttribute(resource.clone(), attribute.clone())
                    })?,
            ),
            Expr::Sub { text, vars } => self.resolve_sub(text, vars, b)?,
            Expr::Join { delimiter, items } => {
                let list = self.resolve_list(items, b, "Fn::Join")?;
                Some(Json::String(
                    list.iter()
                        .map(to_env_string)
                        .collect::<Vec<_>>()
                        .join(delimiter),
                ))
            }
            Expr::Split { delimiter, source } => {
                let s = self.resolve_string(source, b)?.unwrap_or_default();
                Some(Json::Array(
                    s.split(delimiter.as_str())
                        .map(|p| Json::String(p.to_owned()))
                        .collect(),
                ))
            }
            Expr::Select { index, list } => self.resolve_select(index, list, b)?,
            Expr::If {
                condition,
                then,
                otherwise,
            } => {
                if self.condition(condition, b)? {
                    self.resolve(then, b)?
                } else {
                    self.resolve(otherwise, b)?
                }
            }
            Expr::Equals(..) | Expr::Not(_) | Expr::And(_) | Expr::Or(_) | Expr::Condition(_) => {
                Some(Json::Bool(self.truth(e, b)?))
            }
            Expr::FindInMap { map, top, second } => self.find_in_map(map, top, second, b)?,
            Expr::Unsupported { function } => {
                return Err(ResolveError::Unsupported(function.clone()));
            }
        })
    }

    /// `Fn::Sub`: `${Name}` from the variables, `${Resource.Attribute}`, or a reference.
    fn resolve_sub(
        &self,
        text: &str,
        vars: &BTreeMap<String, Expr>,
        b: &Bindings,
    ) -> Result<Option<Json>, ResolveError> {
        let mut out = String::new();
        for part in sub_parts(text) {
            match part {
                SubPart::Text(t) => out.push_str(t),
                SubPart::Escaped(t) => {
                    out.push_str("${");
                    out.push_str(t);
                    out.push('}');
                }
                SubPart::Var(name) => {
                    let v = if let Some(e) = vars.get(name) {
                        self.resolve(e, b)?.unwrap_or(Json::Null)
                    } else if let (Some((r, a)), false) =
                        (name.split_once('.'), name.starts_with("AWS::"))
                    {
                        b.attributes
                            .get(&(r.to_owned(), a.to_owned()))
                            .cloned()
                            .ok_or_else(|| {
                                ResolveError::UnboundAttribute(r.to_owned(), a.to_owned())
                            })?
                    } else {
                        self.reference(name, b)?
                    };
                    out.push_str(&to_env_string(&v));
                }
            }
        }
        Ok(Some(Json::String(out)))
    }

    /// `Fn::Select`: the item at an index that must exist.
    fn resolve_select(
        &self,
        index: &Expr,
        list: &Expr,
        b: &Bindings,
    ) -> Result<Option<Json>, ResolveError> {
        let idx = self.resolve(index, b)?.unwrap_or(Json::Null);
        let idx = match &idx {
            Json::Number(n) => n.as_u64(),
            Json::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| ResolveError::Invalid {
            function: "Fn::Select",
            reason: format!("index {idx} is not a non-negative integer"),
        })?;
        let list = self.resolve_list(list, b, "Fn::Select")?;
        Ok(Some(list.get(idx as usize).cloned().ok_or_else(|| {
            ResolveError::Invalid {
                function: "Fn::Select",
                reason: format!("index {idx} is past the end of a {}-item list", list.len()),
            }
        })?))
    }

    /// `Fn::FindInMap`: a value of the `Mappings` section, which must exist.
    fn find_in_map(
        &self,
        map: &Expr,
        top: &Expr,
        second: &Expr,
        b: &Bindings,
    ) -> Result<Option<Json>, ResolveError> {
        let m = self.resolve_string(map, b)?.unwrap_or_default();
        let t = self.resolve_string(top, b)?.unwrap_or_default();
        let s = self.resolve_string(second, b)?.unwrap_or_default();
        let found = self
            .mappings
            .get(&m)
            .and_then(|x| x.get(&t))
            .and_then(|x| x.get(&s))
            .ok_or_else(|| ResolveError::Invalid {
                function: "Fn::FindInMap",
                reason: format!("no {m}.{t}.{s} in Mappings"),
            })?;
        self.resolve(found, b)
    }

    /// Evaluates a value that must be text (environment variables, names, URLs).
    pub fn resolve_string(&self, e: &Expr, b: &Bindings) -> Result<Option<String>, ResolveError> {
        Ok(self.resolve(e, b)?.map(|v| to_env_string(&v)))
    }

    /// The value of a named condition of the `Conditions` section.
    pub fn condition(&self, name: &str, b: &Bindings) -> Result<bool, ResolveError> {
        let e = self
            .conditions
            .get(name)
            .ok_or_else(|| ResolveError::UnknownCondition(name.to_owned()))?;
        self.truth(e, b)
    }

    fn truth(&self, e: &Expr, b: &Bindings) -> Result<bool, ResolveError> {
        match e {
            Expr::Equals(x, y) => {
                let x = self.resolve(x, b)?.map(|v| to_env_string(&v));
                let y = self.resolve(y, b)?.map(|v| to_env_string(&v));
                Ok(x == y)
            }
            Expr::Not(x) => Ok(!self.truth(x, b)?),
            Expr::And(xs) => {
                for x in xs {
                    if !self.truth(x, b)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(xs) => {
                for x in xs {
                    if self.truth(x, b)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Condition(name) => self.condition(name, b),
            Expr::Bool(v) => Ok(*v),
            other => Err(ResolveError::Invalid {
                function: "Conditions",
                reason: format!("{other:?} is not a condition"),
            }),
        }
    }

    fn resolve_list(
        &self,
        e: &Expr,
        b: &Bindings,
        function: &'static str,
    ) -> Result<Vec<Json>, ResolveError> {
        match self.resolve(e, b)? {
            Some(Json::Array(items)) => Ok(items),
            other => Err(ResolveError::Invalid {
                function,
                reason: format!("expected a list, got {other:?}"),
            }),
        }
    }

    fn reference(&self, name: &str, b: &Bindings) -> Result<Json, ResolveError> {
        let s = |v: &str| Ok(Json::String(v.to_owned()));
        match name {
            "AWS::Region" => return s(&b.region),
            "AWS::AccountId" => return s(&b.account_id),
            "AWS::Partition" => return s(&b.partition),
            "AWS::URLSuffix" => return s(&b.url_suffix),
            "AWS::StackName" => return s(&b.stack_name),
            "AWS::StackId" => {
                return s(&format!(
                    "arn:{}:cloudformation:{}:{}:stack/{}/local",
                    b.partition, b.region, b.account_id, b.stack_name
                ));
            }
            "AWS::NotificationARNs" => return Ok(Json::Array(Vec::new())),
            _ => {}
        }
        if let Some(p) = self.parameters.get(name) {
            if let Some(v) = b.parameters.get(name).or(p.default.as_ref()) {
                return s(v);
            }
            return Err(ResolveError::Invalid {
                function: "Ref",
                reason: format!("parameter {name} has no Default and no value was given"),
            });
        }
        b.refs
            .get(name)
            .cloned()
            .ok_or_else(|| ResolveError::UnboundRef(name.to_owned()))
    }
}

fn number(n: &serde_yaml::Number) -> Json {
    if let Some(i) = n.as_i64() {
        Json::from(i)
    } else if let Some(u) = n.as_u64() {
        Json::from(u)
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}
