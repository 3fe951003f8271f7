//! The documented limits of mapping files (README, "Limits"): large mappings compile in
//! time proportional to their size, and mappings past a limit are refused with a
//! diagnostic that names the place.

use std::fmt::Write as _;
use std::path::Path;

use ocsfmap_core::diagnostic::Code;
use ocsfmap_core::mapping::limits::{MAX_MAPPING_BYTES, MAX_NESTING, MAX_ROUTES};
use ocsfmap_core::mapping::model::{MappingFile, OrderedMap, RouteSpec};
use ocsfmap_core::mapping::{LoadError, Syntax, parse_str};
use ocsfmap_core::{Outcome, compile};
use ocsfmap_lint::{FileReport, validate_text};
use ocsfmap_output::JsonLines;

/// A JSON mapping with `n` routes, one a line, each reading a field of its own (so the
/// path trie has a node per route under the root), keeping the rest in `unmapped`.
fn many_routes(n: usize) -> String {
    let mut text = String::from(
        r#"{"custom_source_events": {"source_name": "many", "matched_field": "$.kind", "unmapped_rest": true, "ocsf_mapping": {"#,
    );
    for i in 0..n {
        if i > 0 {
            text.push_str(",\n");
        }
        let _ = write!(
            text,
            r#""k{i}": {{"schema": "base_event", "schema_mapping": {{"activity_id": 99, "severity_id": 1, "time": "$.t", "message": "$.m{i}", "metadata": {{"product": {{"name": "p", "vendor_name": "v"}}}}}}}}"#
        );
    }
    text.push_str("}}}");
    text
}

#[test]
fn a_mapping_with_ten_thousand_routes_compiles_and_routes_events() {
    // Compiling used to take time and memory in proportion to routes squared (route
    // keys compared with every earlier key, a trie node's children scanned, one mark per
    // trie node per route): this size took minutes and gigabytes.
    let n = 10_000;
    let text = many_routes(n);
    let file = parse_str(&text, Syntax::Json, Path::new("many.json")).expect("parses");
    let plan = compile(&file).unwrap_or_else(|e| panic!("compiles: {e}"));
    assert_eq!(plan.routes().count(), n);
    let mut sink = JsonLines::new();
    let record =
        r#"{"kind": "k9999", "t": 1700000000000, "m9999": "hi", "m1": "other route's", "x": 1}"#;
    assert_eq!(
        plan.eval(record, &mut sink),
        Outcome::Output { class_uid: 0 }
    );
    let event: serde_json::Value = serde_json::from_slice(&sink.buf).unwrap();
    assert_eq!(event["message"], "hi");
    // The catch-all keeps what this route does not read, other routes' fields included.
    assert_eq!(event["unmapped"]["m1"], "other route's");
    assert_eq!(event["unmapped"]["x"], 1);
    assert!(event["unmapped"].get("m9999").is_none());
}

#[test]
fn validating_many_routes_reports_each_routes_warning_at_its_line() {
    // Validation used to look each route's outline up by key and its source line up from
    // the start of the file: quadratic in routes.
    let n = 3_000;
    let text = many_routes(n);
    let report = validate_text(text, Syntax::Json, Path::new("many.json"));
    let first_error = report
        .items
        .iter()
        .find(|i| i.diagnostic.severity == ocsfmap_core::Severity::Error);
    assert_eq!(report.errors(), 0, "{first_error:?}");
    let last = report
        .items
        .last()
        .expect("recommended attributes warnings");
    assert_eq!(last.diagnostic.code, Code::MissingRecommended);
    assert_eq!(last.position.map(|p| p.line), Some(n));
}

#[test]
fn more_routes_than_the_limit_is_an_error_at_ocsf_mapping() {
    let text = r#"{"custom_source_events": {"source_name": "s", "matched_field": "$.k", "ocsf_mapping": {"a": {"drop": true}}}}"#;
    let mut file: MappingFile = parse_str(text, Syntax::Json, Path::new("m.json")).unwrap();
    let route = file.custom_source_events.ocsf_mapping.0[0].1.clone();
    let routes: Vec<(String, RouteSpec)> = (0..=MAX_ROUTES)
        .map(|i| (i.to_string(), route.clone()))
        .collect();
    file.custom_source_events.ocsf_mapping = OrderedMap(routes);
    let err = compile(&file).expect_err("past the route limit");
    let d = &err.diagnostics[0];
    assert_eq!(d.code, Code::Limit);
    assert_eq!(d.pointer, "/custom_source_events/ocsf_mapping");
    assert!(
        d.message.contains(&format!(
            "{} routes; a mapping may have at most {MAX_ROUTES}",
            MAX_ROUTES + 1
        )),
        "{d}"
    );
}

#[test]
fn a_mapping_larger_than_the_limit_is_refused_before_parsing() {
    let mut text = String::from("custom_source_events:\n  source_name: s\n#");
    text.push_str(&"x".repeat(MAX_MAPPING_BYTES));
    let err = parse_str(&text, Syntax::Yaml, Path::new("big.yaml")).unwrap_err();
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("big.yaml: the mapping is 16777256 bytes; mapping files are limited to 16777216 bytes (16 MiB)"),
        "{err}"
    );
    let report = validate_text(text, Syntax::Yaml, Path::new("big.yaml"));
    assert_eq!(report.items.len(), 1);
    assert_eq!(report.items[0].diagnostic.code, Code::Limit);
}

/// Documents nested past the limit, in each way YAML nests, and the position reported:
/// the first collection past the limit, or, for flow collections nested past 255 levels
/// (where the position reader stops on its own), the 256th.
fn deep_documents() -> Vec<(&'static str, String, (usize, usize))> {
    let n = 100_000;
    let head = "custom_source_events:\n  source_name: x\n  a: ";
    // The document's mapping is level 1, `custom_source_events` level 2 and `a`'s value
    // level 3, so the collection past the limit is the (MAX_NESTING - 1)th on line 3.
    let col = |width: usize, k: usize| 6 + width * (k - 1);
    vec![
        (
            "flow sequences",
            format!("{head}{}{}\n", "[".repeat(n), "]".repeat(n)),
            (3, col(1, 256)),
        ),
        (
            "flow sequences, 100 levels",
            format!("{head}{}{}\n", "[".repeat(100), "]".repeat(100)),
            (3, col(1, MAX_NESTING - 1)),
        ),
        (
            "flow mappings",
            format!("{head}{}1{}\n", "{a: ".repeat(n), "}".repeat(n)),
            (3, col(4, MAX_NESTING - 1)),
        ),
        (
            "block sequences",
            format!("custom_source_events:\n  a:\n    {}1\n", "- ".repeat(n)),
            (3, 5 + 2 * (MAX_NESTING - 2)),
        ),
    ]
}

#[test]
fn nesting_past_the_limit_is_refused_with_its_position_in_linear_time() {
    // Before, YAML parsers took time in proportion to depth squared here (and reading
    // positions for `validate` overflowed the stack on block nesting).
    for (what, text, (line, column)) in deep_documents() {
        let err = parse_str(&text, Syntax::Yaml, Path::new("deep.yaml")).unwrap_err();
        let LoadError::TooDeep {
            line: l, column: c, ..
        } = err
        else {
            panic!("{what}: {err}");
        };
        assert_eq!((l, c), (line, column), "{what}");
        let report = validate_text(text, Syntax::Yaml, Path::new("deep.yaml"));
        assert_eq!(report.items.len(), 1, "{what}: {:?}", report.items);
        let item = &report.items[0];
        assert_eq!(item.diagnostic.code, Code::Limit, "{what}");
        assert!(
            item.diagnostic
                .message
                .contains("nested deeper than 64 levels"),
            "{what}: {}",
            item.diagnostic.message
        );
        assert_eq!(
            item.position.map(|p| (p.line, p.column)),
            Some((line, column)),
            "{what}"
        );
    }
    // JSON mapping files have the same limit.
    let json = format!(
        "{{\"custom_source_events\": {}{}}}",
        "[".repeat(1_000),
        "]".repeat(1_000)
    );
    let err = parse_str(&json, Syntax::Json, Path::new("deep.json")).unwrap_err();
    assert!(matches!(err, LoadError::TooDeep { line: 1, .. }), "{err}");
}

#[test]
fn nesting_up_to_the_limit_is_accepted() {
    // Levels: the document, custom_source_events, ocsf_mapping, r, schema_mapping and
    // unmapped are six; the brackets make up the rest.
    let inner = MAX_NESTING - 6;
    let yaml = format!(
        "custom_source_events:\n  source_name: s\n  ocsf_mapping:\n    r:\n      schema: base_event\n      schema_mapping:\n        unmapped:\n          deep: {}{}\n",
        "[".repeat(inner),
        "]".repeat(inner)
    );
    let file = parse_str(&yaml, Syntax::Yaml, Path::new("ok.yaml")).expect("64 levels load");
    assert!(compile(&file).is_ok());
    let report = validate_text(yaml.clone(), Syntax::Yaml, Path::new("ok.yaml"));
    assert!(
        report
            .items
            .iter()
            .all(|i| i.diagnostic.code != Code::Limit)
    );
    let one_more = yaml.replacen('[', "[[", 1).replacen(']', "]]", 1);
    let err = parse_str(&one_more, Syntax::Yaml, Path::new("ok.yaml")).unwrap_err();
    assert!(matches!(err, LoadError::TooDeep { .. }), "{err}");
}

fn report(yaml: &str) -> FileReport {
    validate_text(yaml.to_owned(), Syntax::Yaml, Path::new("m.yaml"))
}

#[test]
fn costly_paths_are_compile_errors_located_at_the_path() {
    let yaml = "custom_source_events:
  source_name: s
  ocsf_mapping:
    r:
      schema: base_event
      schema_mapping:
        activity_id: 99
        severity_id: 1
        time: $.t
        message: $..*..*
        unmapped:
          all: $..*
          ok: $..name
          filtered: $.a[?$..b]
";
    let file = parse_str(yaml, Syntax::Yaml, Path::new("m.yaml")).unwrap();
    let err = compile(&file).expect_err("costly paths are errors");
    let costly: Vec<_> = err
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::PathCost)
        .map(|d| d.pointer.as_str())
        .collect();
    assert_eq!(
        costly,
        [
            "/custom_source_events/ocsf_mapping/r/schema_mapping/message",
            "/custom_source_events/ocsf_mapping/r/schema_mapping/unmapped/all",
            "/custom_source_events/ocsf_mapping/r/schema_mapping/unmapped/filtered",
        ]
    );
    let report = report(yaml);
    let found: Vec<_> = report
        .items
        .iter()
        .filter(|i| i.diagnostic.code == Code::PathCost)
        .map(|i| {
            let p = i.position.unwrap();
            (p.line, p.column, i.diagnostic.code.as_str())
        })
        .collect();
    assert_eq!(
        found,
        [(10, 18, "OM028"), (12, 16, "OM028"), (14, 21, "OM028")]
    );
    let first = report
        .items
        .iter()
        .find(|i| i.diagnostic.code == Code::PathCost)
        .unwrap();
    assert!(
        first
            .diagnostic
            .message
            .contains("`$..*..*` has more than one descendant segment"),
        "{}",
        first.diagnostic.message
    );
}

#[test]
fn source_names_security_lake_refuses_are_validate_errors_at_the_value() {
    let yaml = "custom_source_events:
  source_name: my source.v2
  security_lake: {region: US-EAST-1, account_id: '1234'}
  ocsf_mapping:
    r:
      schema: base_event
      schema_mapping: {time: $.t, message: $.m}
";
    let report = report(yaml);
    let found: Vec<_> = report
        .items
        .iter()
        .filter(|i| i.diagnostic.code == Code::SecurityLakeName)
        .map(|i| {
            let p = i.position.unwrap();
            (p.line, p.column, i.diagnostic.message.as_str())
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                2,
                16,
                "custom source name `my source.v2` is not valid: 1 to 64 letters, digits, `-` or `_` (Amazon Security Lake's rule for custom sources)"
            ),
            (
                3,
                27,
                "region `US-EAST-1` is not valid: an AWS region such as us-east-1"
            ),
            (3, 50, "account id `1234` is not valid: 12 digits"),
        ]
    );
    assert_eq!(report.items[0].diagnostic.code.as_str(), "OM029");
}

#[test]
fn sub_source_names_of_a_multi_class_mapping_are_checked_too() {
    let long = "s".repeat(50);
    let yaml = format!(
        "custom_source_events:
  source_name: {long}
  matched_field: $.k
  ocsf_mapping:
    a: {{schema: base_event, schema_mapping: {{time: $.t}}}}
    b: {{schema: network_activity, schema_mapping: {{time: $.t}}}}
"
    );
    let report = report(&yaml);
    let names: Vec<_> = report
        .items
        .iter()
        .filter(|i| i.diagnostic.code == Code::SecurityLakeName)
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0]
            .diagnostic
            .message
            .contains(&format!("`{long}-network_activity`")),
        "{}",
        names[0].diagnostic.message
    );
    assert_eq!(names[0].position.map(|p| (p.line, p.column)), Some((2, 16)));
}
