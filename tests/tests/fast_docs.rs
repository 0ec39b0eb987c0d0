//! docs/architecture.md's route table is how a newcomer goes from a route to its use case
//! ("route → function → use case"): it must name every route template.yaml declares.

use jobmon_template::Template;

#[test]
fn the_architecture_route_table_names_every_route_of_the_template() {
    let root = jobmon_tests::workspace_root();
    let template = Template::from_file(root.join("template.yaml")).expect("template.yaml");
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).expect("architecture.md");
    let missing: Vec<String> = template
        .http_routes()
        .iter()
        .map(|r| r.key())
        .filter(|key| key != "$default" && !doc.contains(&format!("| `{key}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a row in docs/architecture.md: {missing:?}"
    );
}
