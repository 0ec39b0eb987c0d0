//! WebSocket APIs declared with `AWS::ApiGatewayV2::*` resources: routes and the functions
//! behind their integrations.

use std::collections::BTreeMap;

use super::props::Props;
use super::queue::referenced_id;
use super::{API_V2, FUNCTION, INTEGRATION_V2, ROUTE_V2, Resource, STAGE_V2};
use crate::error::TemplateError;
use crate::expr::Expr;

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

pub(super) fn check_api_protocol(r: &Resource) -> Result<(), TemplateError> {
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
pub(super) fn first_reference_of_type(
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

pub(super) fn parse_websocket_apis(
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
