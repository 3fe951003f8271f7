//! `ocsfmap explain`: the registry entry of a diagnostic or rejection code, or the list
//! of every code.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use ocsfmap_core::diagnostic::{Code, Stage, did_you_mean, docs};

#[derive(clap::Args)]
pub struct Args {
    /// A code (`OM015`, `om015` or `15`) or its name (`contradiction`); without one,
    /// every code is listed.
    #[arg(value_name = "CODE")]
    code: Option<String>,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let text = match &args.code {
        None => list(),
        Some(text) => match Code::lookup(text) {
            Some(code) => docs::explain(code),
            None => bail!("{}", unknown(text)),
        },
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`ocsfmap explain | head`) is not an error.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// One line per code: code, name, and what it is about.
fn list() -> String {
    let width = Code::ALL.iter().map(|c| c.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for code in Code::ALL {
        let info = code.info();
        let kind = match info.stage {
            Stage::Mapping => info.severity.as_str(),
            Stage::Rejected => "rejected",
            Stage::Unrouted => "unrouted",
        };
        let _ = writeln!(
            out,
            "{}  {:width$}  {kind:8}  {}",
            info.code, info.name, info.summary
        );
    }
    out
}

/// The error for a code the registry does not have, naming the nearest codes.
fn unknown(text: &str) -> String {
    let mut near: Vec<Code> = Vec::new();
    let digits = text
        .trim()
        .trim_start_matches(|c: char| c.eq_ignore_ascii_case(&'o') || c.eq_ignore_ascii_case(&'m'));
    if let Ok(n) = digits.parse::<u32>() {
        // The codes on either side of the number asked for.
        let below = Code::ALL.iter().rev().find(|c| c.number() < n);
        let above = Code::ALL.iter().find(|c| c.number() > n);
        near.extend(below.into_iter().chain(above).copied());
    } else if let Some(name) = did_you_mean(
        &text.trim().to_ascii_lowercase(),
        Code::ALL.iter().map(|c| c.name()),
    ) {
        near.extend(Code::lookup(name));
    }
    let mut message = format!("no diagnostic code `{text}`");
    if !near.is_empty() {
        let names: Vec<String> = near
            .iter()
            .map(|c| format!("{} ({})", c.as_str(), c.name()))
            .collect();
        let _ = write!(message, "; near: {}", names.join(", "));
    }
    message.push_str("; `ocsfmap explain` lists every code");
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_name_their_neighbours() {
        assert_eq!(
            unknown("OM033"),
            "no diagnostic code `OM033`; near: OM032 (bad-lookup), OM100 (malformed-json); `ocsfmap explain` lists every code"
        );
        assert!(unknown("om999").contains("near: OM113 (writer-refused);"));
        assert!(unknown("contradictoin").contains("near: OM015 (contradiction);"));
        assert_eq!(
            unknown("zzz"),
            "no diagnostic code `zzz`; `ocsfmap explain` lists every code"
        );
    }

    #[test]
    fn the_list_has_a_line_per_code() {
        let text = list();
        assert_eq!(text.lines().count(), Code::ALL.len());
        assert!(
            text.lines()
                .any(|l| l.starts_with("OM111  unrouted") && l.contains("unrouted  No route"))
        );
    }
}
