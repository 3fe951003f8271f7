//! `$.` paths and `{$.path}` templates, as written in mapping files.
//!
//! A path parses to a result, never a panic. A simple path (keys and indexes) written
//! back in canonical form (`$['key'][0]`) parses to the same segments, and so does a
//! query's simple prefix; an error quotes the path. A template compiles or fails with a
//! diagnostic, and a template without `{` is its text (`}}` read as `}`).

use std::fmt::Write as _;
use std::path::Path;

use ocsfmap_core::mapping::path::{self, Segment, SourcePath};
use ocsfmap_core::mapping::{Syntax, parse_str};
use ocsfmap_core::{Outcome, Severity, compile};
use ocsfmap_output::JsonLines;

pub fn paths(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = if path::is_path(&text) {
        text.into_owned()
    } else {
        format!("$.{text}")
    };
    path_round_trip(&text);
    template(&String::from_utf8_lossy(data));
}

/// `segments` as a path that only the simple parser reads: `$['a\'b'][3]`.
pub fn canonical(segments: &[Segment]) -> String {
    let mut out = String::from("$");
    for s in segments {
        match s {
            Segment::Key(k) => {
                out.push_str("['");
                for c in k.chars() {
                    if matches!(c, '\\' | '\'') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push_str("']");
            }
            Segment::Index(n) => {
                let _ = write!(out, "[{n}]");
            }
        }
    }
    out
}

fn simple(text: &str) -> Vec<Segment> {
    match path::parse(text) {
        Ok(SourcePath::Simple(segments)) => segments,
        Ok(SourcePath::Query { .. }) => panic!("canonical path {text:?} parsed as a query"),
        Ok(SourcePath::Element(_)) => panic!("canonical path {text:?} parsed as an element path"),
        Err(e) => panic!("canonical path {text:?} does not parse: {e}"),
    }
}

fn path_round_trip(text: &str) {
    match path::parse(text) {
        Ok(SourcePath::Simple(segments) | SourcePath::Element(segments)) => {
            assert_eq!(simple(&canonical(&segments)), segments, "{text:?}");
        }
        Ok(SourcePath::Query {
            text: query_text,
            prefix,
            ..
        }) => {
            assert_eq!(query_text, text, "a query keeps its text");
            assert_eq!(simple(&canonical(&prefix)), prefix, "{text:?}");
        }
        Err(e) => assert!(e.message.contains(text), "the error quotes the path: {e}"),
    }
}

/// `text` as the template of a Network Activity `message`, evaluated over `{}`.
fn template(text: &str) {
    let mapping = serde_json::json!({"custom_source_events": {
        "source_name": "fuzz",
        "ocsf_mapping": {"all": {
            "schema": "network_activity",
            "schema_mapping": {"message": {"template": text}},
        }},
    }});
    let file = parse_str(
        &mapping.to_string(),
        Syntax::Json,
        Path::new("template.json"),
    )
    .expect("a mapping written by serde_json loads");
    let plan = match compile(&file) {
        Ok(plan) => plan,
        Err(e) => {
            assert!(
                e.diagnostics
                    .iter()
                    .any(|d| d.severity == Severity::Error && d.pointer.contains("/message")),
                "a template that does not compile has an error at its attribute: {e}"
            );
            return;
        }
    };
    let mut sink = JsonLines::new();
    let outcome = plan.eval("{}", &mut sink);
    let Outcome::Output { .. } = outcome else {
        panic!("template {text:?} over {{}}: {outcome:?}");
    };
    let event: serde_json::Value =
        serde_json::from_slice(&sink.buf).expect("an output event is JSON");
    let expected = text.replace("}}", "}");
    if !text.contains('{') && !expected.is_empty() {
        assert_eq!(event["message"], expected.as_str(), "template {text:?}");
    }
}
