//! `ocsfmap test`: run every mapping's sample inputs against its expected outputs (and
//! the records it expects to be set aside).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ocsfmap_testkit::{self as vectors, Case, Verdict};

use crate::validate::mapping_files;

#[derive(clap::Args)]
pub struct Args {
    /// Mapping files, or folders of mappings; each mapping's cases live in
    /// `tests/<mapping name>/<case>.input.<ext>` beside it.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Rewrite the expected file of every case whose output changed (review the diff!).
    #[arg(long)]
    bless: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let mappings = mapping_files(&args.paths)?;
    let mut cases: Vec<Case> = Vec::new();
    for mapping in &mappings {
        let dir = mapping
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        cases.extend(
            vectors::discover(dir)?
                .into_iter()
                .filter(|c| c.mapping == *mapping),
        );
    }
    let mut plans = HashMap::new();
    let (mut passed, mut failed, mut blessed) = (0, 0, 0);
    for mapping in &mappings {
        if !cases.iter().any(|c| c.mapping == *mapping) {
            println!("warning: {} has no test cases", mapping.display());
        }
    }
    for case in &cases {
        let plan = plans
            .entry(case.mapping.clone())
            .or_insert_with(|| vectors::compile_mapping(&case.mapping));
        let verdict = match plan {
            Ok(plan) => vectors::check_case(plan, case, args.bless),
            Err(e) => Verdict::Fail(format!("the mapping does not compile:\n{e}")),
        };
        match verdict {
            Verdict::Pass { events, set_aside } => {
                passed += 1;
                println!("ok      {} ({})", case.name, counts(events, set_aside));
            }
            Verdict::Blessed { events, set_aside } => {
                blessed += 1;
                let rejects = if set_aside > 0 {
                    format!(" and {}", case.rejects.display())
                } else {
                    String::new()
                };
                println!(
                    "blessed {} ({}) -> {}{rejects}",
                    case.name,
                    counts(events, set_aside),
                    case.expected.display()
                );
            }
            Verdict::Fail(why) => {
                failed += 1;
                println!("FAILED  {}: {why}", case.name);
            }
        }
    }
    let blessed = if blessed > 0 {
        format!(", {blessed} blessed")
    } else {
        String::new()
    };
    println!("ocsfmap test: {passed} passed, {failed} failed{blessed}");
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// "3 events", or "3 events, 1 set aside" for a case that declares rejects.
fn counts(events: usize, set_aside: usize) -> String {
    if set_aside > 0 {
        format!("{events} events, {set_aside} set aside")
    } else {
        format!("{events} events")
    }
}
