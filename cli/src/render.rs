//! Rendering validation reports: for people (source line and caret), as JSON, and as
//! GitHub Actions annotations.

use std::fmt::Write as _;

use ocsfmap_engine::Severity;
use ocsfmap_engine::validate::{FileReport, Located};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

/// Renders every report in `format`.
pub fn render(reports: &[FileReport], format: Format) -> String {
    match format {
        Format::Human => reports
            .iter()
            .flat_map(|r| {
                // Split once: looking each item's line up from the start would take
                // time in proportion to items times the file's size.
                let lines: Vec<&str> = r.text.lines().collect();
                r.items
                    .iter()
                    .map(move |i| human(r, &lines, i))
                    .collect::<Vec<_>>()
            })
            .collect(),
        Format::Json => {
            let items: Vec<_> = reports
                .iter()
                .flat_map(|r| r.items.iter().map(move |i| to_json(r, i)))
                .collect();
            let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Github => reports
            .iter()
            .flat_map(|r| r.items.iter().map(move |i| github(r, i)))
            .collect(),
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn human(report: &FileReport, lines: &[&str], item: &Located) -> String {
    let d = &item.diagnostic;
    let mut out = format!(
        "{}[{}]: {}\n",
        level(d.severity),
        d.code.as_str(),
        d.message
    );
    let file = report.path.display();
    match item.position {
        Some(p) => {
            let _ = writeln!(out, "  --> {file}:{}:{}", p.line, p.column);
            if let Some(line) = p.line.checked_sub(1).and_then(|i| lines.get(i)) {
                let gutter = " ".repeat(p.line.to_string().len());
                let width = token_width(line, p.column);
                let _ = writeln!(out, "{gutter} |");
                let _ = writeln!(out, "{} | {line}", p.line);
                let _ = writeln!(
                    out,
                    "{gutter} | {}{}",
                    " ".repeat(p.column.saturating_sub(1)),
                    "^".repeat(width)
                );
            }
        }
        None => {
            let _ = writeln!(out, "  --> {file}");
        }
    }
    if !d.pointer.is_empty() {
        let _ = writeln!(out, "  = at: {}", d.pointer);
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
    out.push('\n');
    out
}

/// The width of the key or scalar starting at `column` (1-based, in characters).
fn token_width(line: &str, column: usize) -> usize {
    let rest: Vec<char> = line.chars().skip(column.saturating_sub(1)).collect();
    let width = match rest.first() {
        Some(q @ ('"' | '\'')) => rest
            .iter()
            .skip(1)
            .position(|c| c == q)
            .map_or(rest.len(), |i| i + 2),
        Some(_) => rest
            .iter()
            .position(|c| matches!(c, ':' | ',' | '}' | ']') || c.is_whitespace())
            .unwrap_or(rest.len()),
        None => 1,
    };
    width.max(1)
}

fn to_json(report: &FileReport, item: &Located) -> serde_json::Value {
    let d = &item.diagnostic;
    json!({
        "file": report.path.display().to_string(),
        "line": item.position.map(|p| p.line),
        "column": item.position.map(|p| p.column),
        "pointer": d.pointer,
        "code": d.code.as_str(),
        "severity": level(d.severity),
        "message": d.message,
        "help": d.help,
    })
}

/// `::error file=F,line=L,col=C,title=CODE::message` (values escaped as Actions wants).
fn github(report: &FileReport, item: &Located) -> String {
    let d = &item.diagnostic;
    let escape_data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let escape_prop = |s: &str| escape_data(s).replace(':', "%3A").replace(',', "%2C");
    let mut props = format!("file={}", escape_prop(&report.path.display().to_string()));
    if let Some(p) = item.position {
        let _ = write!(props, ",line={},col={}", p.line, p.column);
    }
    let _ = write!(props, ",title={}", d.code.as_str());
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        let _ = write!(message, "\nhelp: {help}");
    }
    format!(
        "::{} {props}::{}\n",
        level(d.severity),
        escape_data(&message)
    )
}

/// `N errors, M warnings in K files`.
pub fn summary(reports: &[FileReport]) -> String {
    let errors: usize = reports.iter().map(FileReport::errors).sum();
    let warnings: usize = reports.iter().map(FileReport::warnings).sum();
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    format!(
        "{}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(reports.len(), "file")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_cover_the_key_or_scalar() {
        assert_eq!(token_width("    port: 70000", 5), 4);
        assert_eq!(token_width(r#"  "sev ity": 1,"#, 3), 9);
        assert_eq!(token_width("x", 9), 1);
    }
}
