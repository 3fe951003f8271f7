//! Rendering validation reports: for people (source line and caret), as JSON, and as
//! GitHub Actions annotations.

use std::fmt::Write as _;

use ocsfmap_core::Severity;
use ocsfmap_lint::{FileReport, Located};
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
                let lines: Vec<(&str, bool)> = r.text.lines().map(|l| (l, l.is_ascii())).collect();
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

fn human(report: &FileReport, lines: &[(&str, bool)], item: &Located) -> String {
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
            if let Some(&(line, ascii)) = p.line.checked_sub(1).and_then(|i| lines.get(i)) {
                let gutter = " ".repeat(p.line.to_string().len());
                let (shown, column) = excerpt(line, ascii, p.column);
                let width = token_width(&shown, column);
                let _ = writeln!(out, "{gutter} |");
                let _ = writeln!(out, "{} | {shown}", p.line);
                let _ = writeln!(
                    out,
                    "{gutter} | {}{}",
                    " ".repeat(column.saturating_sub(1)),
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

/// Characters of a long line shown before the caret, and in all.
const EXCERPT_BEFORE: usize = 40;
const EXCERPT_WIDTH: usize = 120;

/// The part of `line` shown for a caret at `column` (1-based, in characters), and the
/// caret's column in it. A long line (a JSON mapping on one line) is cut to a window
/// around the caret, marked with `…`: printing it whole for every problem would make the
/// report grow with problems times the line's length. `ascii` lines are cut by byte
/// offset, so finding the window does not walk the line from its start.
fn excerpt(line: &str, ascii: bool, column: usize) -> (String, usize) {
    if line.len() <= EXCERPT_WIDTH {
        return (line.to_owned(), column);
    }
    let at = column.saturating_sub(1);
    let start = at.saturating_sub(EXCERPT_BEFORE);
    let (head, rest): (String, String) = if ascii {
        let start = start.min(line.len());
        let end = (start + EXCERPT_WIDTH).min(line.len());
        (
            line[start..end].to_owned(),
            line[end..].chars().take(1).collect(),
        )
    } else {
        let mut chars = line.chars().skip(start);
        let head = chars.by_ref().take(EXCERPT_WIDTH).collect();
        (head, chars.take(1).collect())
    };
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.push_str(&head);
    if !rest.is_empty() {
        shown.push('…');
    }
    (shown, column - start + usize::from(start > 0))
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
    fn long_lines_are_cut_to_a_window_around_the_caret() {
        let short = r#"  "port": 70000,"#;
        assert_eq!(excerpt(short, true, 3), (short.to_owned(), 3));
        let long = format!(
            "{}\"severity\": \"High\"{}",
            "x".repeat(5000),
            "y".repeat(5000)
        );
        for ascii in [true, false] {
            let (shown, column) = excerpt(&long, ascii, 5001);
            assert_eq!(shown.chars().count(), EXCERPT_WIDTH + 2);
            assert!(shown.starts_with('…') && shown.ends_with('…'));
            let caret: String = shown.chars().skip(column - 1).take(10).collect();
            assert_eq!(caret, "\"severity\"");
            assert_eq!(token_width(&shown, column), 10);
        }
    }

    #[test]
    fn carets_cover_the_key_or_scalar() {
        assert_eq!(token_width("    port: 70000", 5), 4);
        assert_eq!(token_width(r#"  "sev ity": 1,"#, 3), 9);
        assert_eq!(token_width("x", 9), 1);
    }
}
