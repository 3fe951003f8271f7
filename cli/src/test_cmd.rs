//! `ocsfmap test`: run every mapping's sample inputs against its expected outputs.

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
            Verdict::Pass { events } => {
                passed += 1;
                println!("ok      {} ({events} events)", case.name);
            }
            Verdict::Blessed { events } => {
                blessed += 1;
                println!(
                    "blessed {} ({events} events) -> {}",
                    case.name,
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
