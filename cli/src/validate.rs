//! `ocsfmap validate`: every problem in every mapping file, for people or for CI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use ocsfmap_lint::{self as validate, FileReport};

use crate::render::{self, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Mapping files, or folders whose `.yaml`, `.yml` and `.json` files are mappings.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Output format: `human` (with source lines), `json`, or `github` (annotations).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

/// The mapping files named by `paths`: files as given, folders' mapping files (not
/// their subfolders, where test vectors live), sorted.
pub fn mapping_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && is_mapping_name(p))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{}: no such file or folder", path.display());
        }
    }
    if files.is_empty() {
        bail!(
            "no mapping files found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(files)
}

fn is_mapping_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let files = mapping_files(&args.paths)?;
    let reports: Vec<FileReport> = files.iter().map(|f| validate::validate_file(f)).collect();
    print!("{}", render::render(&reports, args.format));
    if args.format == Format::Human {
        eprintln!("ocsfmap validate: {}", render::summary(&reports));
    }
    let errors: usize = reports.iter().map(FileReport::errors).sum();
    let warnings: usize = reports.iter().map(FileReport::warnings).sum();
    Ok(if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
