//! What each function instance sees in its environment: the template's variables (Globals
//! merged with the function's) resolved against local resources, the variables Lambda sets,
//! and the gateway's own `JOBMON_*` variables on top.

use std::collections::BTreeMap;

use jobmon_template::{Bindings, FunctionSpec, Provisioned, Template, types};
use serde_json::Value as Json;

pub struct Local {
    pub region: String,
    pub account_id: String,
    pub port: u16,
    /// `None` against real AWS.
    pub aws_endpoint: Option<String>,
    pub prefix: String,
    /// The gateway's `JOBMON_*` variables, passed to every function (they win).
    pub passthrough: BTreeMap<String, String>,
    /// Variables forwarded so that functions can reach real AWS (`AWS_PROFILE`, keys, ...).
    pub aws_credentials: BTreeMap<String, String>,
}

/// What every function needs locally and a deployment reads from SSM (parameters the local
/// stack does not create), supplied against moto when the caller has set neither the
/// variable nor its `_PARAMETER` (a developer may point at an SSM parameter they created in
/// moto, which the direct variable would otherwise override): the keys are public, for local
/// use only, and `JOBMON_ALLOW_PRIVATE_SOURCES=1` lets sources and channels on 127.0.0.1
/// work. The hybrid scorer's model is the one `make minilm` fetched into the checkout (a
/// deployment's comes from a layer at /opt/minilm). `make dev`, `make load`, the end-to-end
/// tests and the fuzzer all rely on these instead of repeating them; against real AWS
/// nothing is supplied.
pub const LOCAL_DEFAULTS: [(&str, &str); 4] = [
    (
        "JOBMON_SECRET_KEY",
        "local-dev-only-secret-key-0123456789abcdef",
    ),
    (
        "JOBMON_UNSUBSCRIBE_KEY",
        "local-dev-only-unsubscribe-key-0123456789",
    ),
    ("JOBMON_ALLOW_PRIVATE_SOURCES", "1"),
    (
        "JOBMON_SEMANTIC_MODEL_DIR",
        jobmon_semantic::CHECKOUT_MODEL_DIR,
    ),
];

/// The gateway's `JOBMON_*` variables, with [`LOCAL_DEFAULTS`] under them against moto.
pub fn passthrough(
    vars: impl IntoIterator<Item = (String, String)>,
    real_aws: bool,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = vars
        .into_iter()
        .filter(|(k, _)| k.starts_with("JOBMON_"))
        .collect();
    if !real_aws {
        for (k, v) in LOCAL_DEFAULTS {
            if !out.contains_key(&format!("{k}_PARAMETER")) {
                out.entry(k.to_owned()).or_insert_with(|| v.to_owned());
            }
        }
    }
    out
}

/// API Gateway ids are 10 lowercase alphanumerics; locally the lowercased logical id,
/// so that `https://<id>.execute-api...` URLs can be recognised and pointed at the gateway.
pub fn api_id(logical_id: &str) -> String {
    logical_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub fn function_name(t: &Template, f: &FunctionSpec, b: &Bindings, prefix: &str) -> String {
    f.function_name
        .as_ref()
        .and_then(|e| t.resolve_string(e, b).ok().flatten())
        .unwrap_or_else(|| format!("{prefix}-{}", f.logical_id))
}

fn service_of(resource_type: &str) -> String {
    resource_type
        .split("::")
        .nth(1)
        .unwrap_or("local")
        .to_ascii_lowercase()
}

/// Binds every resource the way CloudFormation would, with local values: tables and queues
/// from `provision`, APIs to the gateway, functions to their names and ARNs, anything else
/// (roles, buses, alarms...) to a plausible `{prefix}-{LogicalId}` name and ARN.
pub fn bindings(t: &Template, p: &Provisioned, local: &Local) -> Bindings {
    let mut b = Bindings::new(&local.region);
    b.account_id = local.account_id.clone();
    b.stack_name = local.prefix.clone();
    b.add_provisioned(p);
    let gateway = format!("http://127.0.0.1:{}", local.port);
    // AppUrl has no default (a deploy must name it); locally the dashboard is the gateway,
    // unless `JOBMON_PARAM_AppUrl` gave one (the template was read with the overrides).
    if t.parameters()
        .get("AppUrl")
        .is_some_and(|p| p.default.is_none())
    {
        b.parameters.insert("AppUrl".to_owned(), gateway.clone());
    }
    let s = |v: String| Json::String(v);
    for r in t.resources().values() {
        let id = r.logical_id.clone();
        if b.refs.contains_key(&id) {
            continue;
        }
        match r.resource_type.as_str() {
            types::HTTP_API | types::API_V2 | "AWS::Serverless::Api" => {
                b.refs.insert(id.clone(), s(api_id(&id)));
                let ws =
                    r.properties.get("ProtocolType").and_then(|p| p.as_str()) == Some("WEBSOCKET");
                let endpoint = if ws {
                    format!("ws://127.0.0.1:{}/ws", local.port)
                } else {
                    gateway.clone()
                };
                b.attributes
                    .insert((id.clone(), "ApiEndpoint".into()), s(endpoint));
                b.attributes
                    .insert((id.clone(), "ApiId".into()), s(api_id(&id)));
            }
            types::STAGE_V2 => {
                let stage = r
                    .properties
                    .get("StageName")
                    .and_then(|v| v.as_str())
                    .unwrap_or("$default")
                    .to_owned();
                b.refs.insert(id, s(stage));
            }
            _ => {
                let name = format!("{}-{id}", local.prefix);
                let arn = format!(
                    "arn:aws:{}:{}:{}:{name}",
                    service_of(&r.resource_type),
                    local.region,
                    local.account_id
                );
                b.refs.insert(id.clone(), s(name.clone()));
                b.attributes.insert((id.clone(), "Arn".into()), s(arn));
                b.attributes.insert((id, "Name".into()), s(name));
            }
        }
    }
    // SAM's implicit HTTP API, for events without ApiId.
    b.refs
        .entry("ServerlessHttpApi".into())
        .or_insert_with(|| s(api_id("ServerlessHttpApi")));
    for f in t.functions() {
        let name = function_name(t, f, &b, &local.prefix);
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            local.region, local.account_id
        );
        b.refs.insert(f.logical_id.clone(), s(name));
        b.attributes
            .insert((f.logical_id.clone(), "Arn".into()), s(arn));
    }
    b
}

/// Points `https://<api>.execute-api.<region>.<suffix>[/<stage>]` at the gateway, so that
/// the SDK's API Gateway management client POSTs `@connections` to it (the stage path is
/// kept: the gateway serves `@connections` under any stage prefix). `wss://` URLs become
/// the local `/ws` endpoint.
fn point_apis_at_gateway(value: &str, api_ids: &[String], local: &Local) -> String {
    let mut out = value.to_owned();
    for id in api_ids {
        let host = format!("{id}.execute-api.{}.amazonaws.com", local.region);
        out = out.replace(
            &format!("https://{host}"),
            &format!("http://127.0.0.1:{}", local.port),
        );
        if let Some(pos) = out.find(&format!("wss://{host}")) {
            let end = pos + "wss://".len() + host.len();
            // Drop the stage segment: locally the socket lives at /ws.
            let rest = &out[end..];
            let rest = match rest.strip_prefix('/') {
                Some(r) => r.find('/').map(|i| &r[i..]).unwrap_or(""),
                None => rest,
            };
            out = format!("{}ws://127.0.0.1:{}/ws{rest}", &out[..pos], local.port);
        }
    }
    out
}

/// The complete environment of one function's instances.
pub fn function_env(
    t: &Template,
    f: &FunctionSpec,
    b: &Bindings,
    local: &Local,
    bin_dir: &std::path::Path,
) -> Result<BTreeMap<String, String>, String> {
    let api_ids: Vec<String> = t
        .resources()
        .values()
        .filter(|r| {
            matches!(
                r.resource_type.as_str(),
                types::HTTP_API | types::API_V2 | "AWS::Serverless::Api"
            )
        })
        .map(|r| api_id(&r.logical_id))
        .chain(std::iter::once(api_id("ServerlessHttpApi")))
        .collect();
    let mut env = BTreeMap::new();
    for key in ["PATH", "LANG", "RUST_BACKTRACE"] {
        if let Ok(v) = std::env::var(key) {
            env.insert(key.to_owned(), v);
        }
    }
    env.insert("TZ".into(), ":UTC".into());
    for (k, e) in &f.environment {
        match t.resolve_string(e, b) {
            Ok(Some(v)) => {
                env.insert(k.clone(), point_apis_at_gateway(&v, &api_ids, local));
            }
            Ok(None) => {} // !Ref AWS::NoValue: the variable is absent
            Err(why) => {
                return Err(format!("environment variable {k}: {why}"));
            }
        }
    }
    // What Lambda sets itself (reserved: a template cannot override these).
    let name = function_name(t, f, b, &local.prefix);
    let runtime = f
        .runtime
        .clone()
        .unwrap_or_else(|| "provided.al2023".into());
    let reserved = [
        ("AWS_REGION", local.region.clone()),
        ("AWS_DEFAULT_REGION", local.region.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_size.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_EXECUTION_ENV", format!("AWS_Lambda_{runtime}")),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        (
            "_HANDLER",
            f.handler.clone().unwrap_or_else(|| "bootstrap".into()),
        ),
        ("LAMBDA_TASK_ROOT", bin_dir.display().to_string()),
    ];
    for (k, v) in reserved {
        env.insert(k.to_owned(), v);
    }
    match &local.aws_endpoint {
        Some(endpoint) => {
            env.insert("AWS_ENDPOINT_URL".into(), endpoint.clone());
            // moto accepts anything; LocalStack wants "test" too.
            env.insert("AWS_ACCESS_KEY_ID".into(), "test".into());
            env.insert("AWS_SECRET_ACCESS_KEY".into(), "test".into());
            // Credentials given explicitly (LocalStack with auth) win over the dummies.
            env.extend(local.aws_credentials.clone());
        }
        None => env.extend(local.aws_credentials.clone()),
    }
    env.extend(local.passthrough.clone());
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Local {
        Local {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            port: 3000,
            aws_endpoint: Some("http://127.0.0.1:5000".into()),
            prefix: "p".into(),
            passthrough: BTreeMap::new(),
            aws_credentials: BTreeMap::new(),
        }
    }

    #[test]
    fn local_defaults_fill_unset_keys_and_yield_to_the_caller() {
        let vars = [
            (
                "JOBMON_SECRET_KEY".to_owned(),
                "mine-0123456789abcdef0123456789ab".to_owned(),
            ),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let env = passthrough(vars.clone(), false);
        assert_eq!(
            env["JOBMON_SECRET_KEY"],
            "mine-0123456789abcdef0123456789ab"
        );
        assert_eq!(env["JOBMON_UNSUBSCRIBE_KEY"], LOCAL_DEFAULTS[1].1);
        assert_eq!(env["JOBMON_ALLOW_PRIVATE_SOURCES"], "1");
        assert!(!env.contains_key("PATH"));
        // Both keys are long enough for the functions' 32-byte minimum.
        assert!(LOCAL_DEFAULTS[..2].iter().all(|(_, v)| v.len() >= 32));

        let real = passthrough(vars, true);
        assert_eq!(real.keys().collect::<Vec<_>>(), ["JOBMON_SECRET_KEY"]);
    }

    #[test]
    fn a_key_read_from_a_parameter_gets_no_local_default() {
        let vars = [(
            "JOBMON_SECRET_KEY_PARAMETER".to_owned(),
            "/mine/secret".to_owned(),
        )];
        let env = passthrough(vars, false);
        assert!(!env.contains_key("JOBMON_SECRET_KEY"), "{env:?}");
        assert_eq!(env["JOBMON_SECRET_KEY_PARAMETER"], "/mine/secret");
        assert_eq!(env["JOBMON_UNSUBSCRIBE_KEY"], LOCAL_DEFAULTS[1].1);
    }

    #[test]
    fn execute_api_urls_point_at_the_gateway() {
        let ids = vec!["wsapi".to_owned()];
        let l = local();
        assert_eq!(
            point_apis_at_gateway(
                "https://wsapi.execute-api.us-east-1.amazonaws.com/prod",
                &ids,
                &l
            ),
            "http://127.0.0.1:3000/prod"
        );
        assert_eq!(
            point_apis_at_gateway(
                "wss://wsapi.execute-api.us-east-1.amazonaws.com/prod",
                &ids,
                &l
            ),
            "ws://127.0.0.1:3000/ws"
        );
        assert_eq!(
            point_apis_at_gateway("https://example.com", &ids, &l),
            "https://example.com"
        );
    }
}
