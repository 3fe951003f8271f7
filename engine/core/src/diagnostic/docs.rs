//! The registry as text: the page `docs/diagnostics.md` (generated, checked for
//! staleness by a test) and the entry `ocsfmap explain` prints.

use std::fmt::Write;

use super::{Code, Info, Place, Stage};

/// The whole documentation page, one section per code.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         <!-- Generated from engine/core/src/diagnostic/registry.rs; do not edit.\n     \
         Rewrite with: OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test diagnostics -->\n\n\
         Every problem ocsfmap reports has a stable code. `OM0xx` codes are problems of a \
         mapping file, reported by `ocsfmap validate` (and by `transform` before it reads \
         a record). `OM1xx` codes are the reasons a record is set aside at run time: each \
         line `--rejects` writes carries one in its `code` field. Codes are never reused. \
         `ocsfmap explain <code>` prints one entry.\n\n",
    );
    for (title, stages) in [
        ("Mapping files", &[Stage::Mapping][..]),
        ("Records set aside", &[Stage::Rejected, Stage::Unrouted][..]),
    ] {
        let _ = writeln!(out, "## {title}\n");
        out.push_str("| Code | Name | Summary |\n|---|---|---|\n");
        let codes = || {
            Code::ALL
                .iter()
                .copied()
                .filter(|c| stages.contains(&c.info().stage))
        };
        for code in codes() {
            let info = code.info();
            let _ = writeln!(
                out,
                "| [{}](#{}) | {} | {} |",
                info.code,
                anchor(info),
                info.name,
                info.summary.replace('|', "\\|")
            );
        }
        out.push('\n');
        for code in codes() {
            section(&mut out, code.info());
        }
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn anchor(info: &Info) -> String {
    format!("{}-{}", info.code.to_ascii_lowercase(), info.name)
}

fn section(out: &mut String, info: &Info) {
    let _ = writeln!(out, "### {} {}\n", info.code, info.name);
    let _ = writeln!(out, "{}\n", facts(info));
    let _ = writeln!(out, "{}\n", info.summary);
    let _ = writeln!(out, "{}\n", info.doc);
    let lang = if info.stage == Stage::Mapping {
        "yaml"
    } else {
        "text"
    };
    let _ = writeln!(out, "Bad:\n\n```{lang}\n{}\n```\n", info.bad);
    let _ = writeln!(out, "Good:\n\n```{lang}\n{}\n```\n", info.good);
}

/// One line: severity (or how the record is set aside) and where the code points.
pub fn facts(info: &Info) -> String {
    match (info.stage, info.place) {
        (Stage::Mapping, place) => format!(
            "Severity: {}. Shown at the {} in the mapping file.",
            info.severity.as_str(),
            if place == Place::Value {
                "value"
            } else {
                "key"
            }
        ),
        (Stage::Rejected, _) => {
            "The record is set aside as `rejected` (`--rejects`, with its input, line and reason)."
                .to_owned()
        }
        (Stage::Unrouted, _) => {
            "The record is set aside as `unrouted` (`--rejects`, with its input, line and reason)."
                .to_owned()
        }
    }
}

/// The entry for one code, as `ocsfmap explain` prints it.
pub fn explain(code: Code) -> String {
    let info = code.info();
    let indent = |text: &str| {
        text.lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "{} {}\n\n{}\n\n{}\n\n{}\n\nBad:\n\n{}\n\nGood:\n\n{}\n",
        info.code,
        info.name,
        facts(info),
        info.summary,
        info.doc,
        indent(info.bad),
        indent(info.good)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_a_section_per_code_in_order() {
        let page = markdown();
        let mut at = 0;
        for code in Code::ALL {
            let heading = format!("### {} {}\n", code.as_str(), code.name());
            let found = page[at..]
                .find(&heading)
                .unwrap_or_else(|| panic!("{heading}"));
            at += found + heading.len();
        }
        let entry = explain(Code::Unrouted);
        assert!(entry.starts_with("OM111 unrouted\n\nThe record is set aside as `unrouted`"));
        assert!(explain(Code::Deprecated).contains("Severity: warning. Shown at the key"));
    }
}
