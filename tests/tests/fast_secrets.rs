//! Least privilege for the signing secret (docs/security.md, "Keys"): only the functions
//! that issue or verify access tokens or sign pagination cursors may read it, only they are
//! told where it is, and the code agrees: they, and only they, load a `KeyedCore`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_yaml::Value;

/// The functions that hold the token and cursor keys, each for a reason in docs/security.md.
const KEYED: &[&str] = &[
    "ApiAuthFunction",
    "ApiTenantFunction",
    "ApiSourcesFunction",
    "ApiNotificationsFunction",
    "ApiJobsFunction",
    "ApiAnalyticsFunction",
    "ApiBillingFunction",
];

const SECRET_PARAMETERS: &[&str] = &["SecretKeyParameterName", "PreviousSecretKeyParameterName"];
const SECRET_VARIABLES: &[&str] = &[
    "JOBMON_SECRET_KEY",
    "JOBMON_SECRET_KEY_PARAMETER",
    "JOBMON_SECRET_KEY_PREVIOUS",
    "JOBMON_SECRET_KEY_PREVIOUS_PARAMETER",
];

fn template() -> Value {
    let path = jobmon_tests::workspace_root().join("template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn functions(t: &Value) -> Vec<(String, &Value)> {
    let all: Vec<(String, &Value)> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v))
        .collect();
    assert!(
        all.len() > KEYED.len(),
        "the template's functions were not found"
    );
    all
}

/// Every string inside `v`, through tags (`!Sub`, `!If`), lists and maps.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Tagged(t) => strings(&t.value, out),
        Value::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Mapping(m) => m.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out);
        }),
        _ => {}
    }
}

/// A policy statement, or the statement a `!If [condition, statement, NoValue]` may add.
fn unwrap_if(statement: &Value) -> &Value {
    match statement {
        Value::Tagged(t) if t.tag == "If" => &t.value[1],
        other => other,
    }
}

/// The template parameters named in the resources of `function`'s `ssm:GetParameter`
/// statements, among `of`.
fn readable(function: &Value, of: &[&str]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let policies = function["Properties"]["Policies"].as_sequence().unwrap();
    for statement in policies
        .iter()
        .filter_map(|p| p["Statement"].as_sequence())
        .flatten()
        .map(unwrap_if)
    {
        let mut actions = Vec::new();
        strings(&statement["Action"], &mut actions);
        if !actions
            .iter()
            .any(|a| a == "ssm:GetParameter" || a == "ssm:*")
        {
            continue;
        }
        let mut resources = Vec::new();
        strings(&statement["Resource"], &mut resources);
        for parameter in of {
            if resources
                .iter()
                .any(|r| r.contains(&format!("${{{parameter}}}")))
            {
                names.insert((*parameter).to_owned());
            }
        }
    }
    names
}

fn variables(scope: &Value) -> BTreeSet<String> {
    scope["Environment"]["Variables"]
        .as_mapping()
        .map(|m| m.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn only_the_functions_that_sign_or_verify_may_read_the_signing_secrets() {
    let t = template();
    for (name, function) in functions(&t) {
        let granted = readable(function, SECRET_PARAMETERS);
        if KEYED.contains(&name.as_str()) {
            assert_eq!(
                granted,
                SECRET_PARAMETERS.iter().map(|p| p.to_string()).collect(),
                "{name} signs or verifies: it reads the current and, during a rotation, the previous secret"
            );
        } else {
            assert!(
                granted.is_empty(),
                "{name} holds no signing key but may read {granted:?}"
            );
        }
    }
}

#[test]
fn only_the_functions_that_sign_or_verify_are_told_where_the_secrets_are() {
    let t = template();
    let global = variables(&t["Globals"]["Function"]);
    for variable in SECRET_VARIABLES {
        assert!(
            !global.contains(*variable),
            "Globals sets {variable} for every function"
        );
    }
    for (name, function) in functions(&t) {
        let set = variables(&function["Properties"]);
        let keyed = KEYED.contains(&name.as_str());
        for variable in [
            "JOBMON_SECRET_KEY_PARAMETER",
            "JOBMON_SECRET_KEY_PREVIOUS_PARAMETER",
        ] {
            assert_eq!(set.contains(variable), keyed, "{name}: {variable}");
        }
        for variable in ["JOBMON_SECRET_KEY", "JOBMON_SECRET_KEY_PREVIOUS"] {
            assert!(
                !set.contains(variable),
                "{name} carries the secret itself in {variable}"
            );
        }
    }
}

/// The source of the binary `binary`: `functions/<binary>/src/main.rs`, or the `path` of
/// the `[[bin]]` of that name in a function crate's Cargo.toml.
fn source_of(binary: &str) -> PathBuf {
    let functions = jobmon_tests::workspace_root().join("functions");
    let main = functions.join(binary).join("src/main.rs");
    if main.exists() {
        return main;
    }
    for krate in std::fs::read_dir(&functions).unwrap() {
        let dir = krate.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        let mut lines = manifest.lines();
        while let Some(line) = lines.next() {
            if line.trim() == format!("name = \"{binary}\"")
                && let Some(path) = lines.next().and_then(|l| l.trim().strip_prefix("path = "))
            {
                return dir.join(path.trim_matches('"'));
            }
        }
    }
    panic!("no source for the binary {binary}")
}

#[test]
fn the_code_loads_signing_keys_exactly_where_the_template_grants_them() {
    let t = template();
    for (name, function) in functions(&t) {
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} names its binary"));
        let source = std::fs::read_to_string(source_of(binary)).unwrap();
        assert_eq!(
            source.contains("KeyedCore::load"),
            KEYED.contains(&name.as_str()),
            "{name} ({binary}): loading the signing keys and the template's grant disagree"
        );
        assert!(
            !source.contains("SecretKey"),
            "{binary} reads the secret itself"
        );
    }
}
