//! `docs/openapi.json` (served at `GET /v1/openapi.json`) against `template.yaml`: every
//! `HttpApi` route of every function is documented, and the document has no operation that
//! the template does not route. Plus the document's own consistency: OpenAPI 3.1, unique
//! operation ids, every `$ref` resolves, every path parameter declared.

use std::collections::BTreeSet;

use serde_json::Value;

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("docs/openapi.json is valid JSON")
}

/// `(METHOD, path)` of every `HttpApi` event of every function in template.yaml.
fn template_routes() -> BTreeSet<(String, String)> {
    jobmon_tests::template()
        .http_routes()
        .iter()
        .map(|route| {
            let method = route.event.method.clone().unwrap_or_else(|| "ANY".into());
            let path = route
                .event
                .path
                .clone()
                .unwrap_or_else(|| "$default".into());
            (method.to_ascii_uppercase(), path)
        })
        .collect()
}

/// `(METHOD, path)` of every operation of the document.
fn document_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("`paths` is an object");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for method in METHODS {
            if item.contains_key(method) {
                routes.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn show(routes: &BTreeSet<(String, String)>) -> String {
    routes
        .iter()
        .map(|(m, p)| format!("  {m} {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("`openapi` is a string");
    assert!(
        version.starts_with("3.1."),
        "docs/openapi.json declares openapi {version}, expected 3.1.x"
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
}

#[test]
fn every_template_route_is_documented_and_nothing_else() {
    let template = template_routes();
    assert!(
        template.contains(&("GET".into(), "/v1/openapi.json".into())),
        "template.yaml does not route GET /v1/openapi.json"
    );
    let documented = document_routes(&document());
    let missing: BTreeSet<_> = template.difference(&documented).cloned().collect();
    let extra: BTreeSet<_> = documented.difference(&template).cloned().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.json and template.yaml disagree.\n\
         Routed by template.yaml but not documented:\n{}\n\
         Documented but not routed by template.yaml:\n{}",
        show(&missing),
        show(&extra)
    );
}

/// The function's dispatch table serves exactly the routes the template sends it.
#[test]
fn the_health_function_serves_its_template_routes() {
    jobmon_tests::assert_routes_match_template(
        "ApiHealthFunction",
        &shared::http::routes::keys(api_health::ROUTES),
    );
}

#[test]
fn operation_ids_are_unique_and_path_parameters_declared() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let wanted: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(item["parameters"].as_array().into_iter().flatten())
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(declared, wanted, "path parameters of {method} {path}");
        }
    }
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r}: only local references are used"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

/// The HTTP API stage throttles every route (`DefaultRouteSettings` in template.yaml, and
/// the local gateway does the same), so any operation may answer 429 before its function
/// runs.
#[test]
fn every_operation_documents_throttling() {
    let doc = document();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("`paths` is an object") {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            if operation["responses"].get("429").is_none() {
                missing.push(format!("  {} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations that do not document 429:\n{}",
        missing.join("\n")
    );
}

/// A whole job is its card plus the long text: whatever a card carries, `Job` must list
/// too (its `additionalProperties: false` would otherwise refuse what the API sends).
#[test]
fn a_job_documents_every_property_of_its_card() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let properties = |name: &str| -> BTreeSet<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has properties"))
            .keys()
            .cloned()
            .collect()
    };
    let missing: Vec<_> = properties("JobCard")
        .difference(&properties("Job"))
        .cloned()
        .collect();
    assert!(missing.is_empty(), "Job lacks {missing:?}");
}
