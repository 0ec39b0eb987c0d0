//! `AWS::Serverless::Function` with `Globals.Function` merged in.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Resource;
use super::events::{EventSpec, parse_events};
use super::props::Props;
use crate::error::TemplateError;
use crate::expr::Expr;

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

/// SAM's `Globals` merge: maps merge (the resource wins per key), lists concatenate (globals
/// first), anything else is replaced by the resource's value.
pub(super) fn merge_globals(global: &Expr, local: &Expr) -> Expr {
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

pub(super) fn parse_function(
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
    let environment = parse_environment(&p)?;
    let events = parse_events(&p, resources)?;
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

/// `Environment.Variables`, with names Lambda accepts.
fn parse_environment(p: &Props<'_>) -> Result<BTreeMap<String, Expr>, TemplateError> {
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
    Ok(environment)
}
