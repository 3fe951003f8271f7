//! Test vectors beside mappings: `<dir>/<source>.yaml` with cases in
//! `<dir>/tests/<source>/<case>.input.<ext>` (JSON lines, or the text the mapping's
//! input format reads) and `<case>.expected.json` (a JSON array of the events the case
//! must produce, in order). Shared by `cargo test` and the CLI.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use ocsfmap_core::Plan;
use ocsfmap_core::mapping::{self, LoadError, MappingFile};
use ocsfmap_core::run::{self, Input, Outputs, SetAside, Stats};
use ocsfmap_output::JsonLines;

/// One sample input and the file holding its expected output.
#[derive(Debug, Clone)]
pub struct Case {
    pub mapping: PathBuf,
    pub name: String,
    pub input: PathBuf,
    pub expected: PathBuf,
}

/// Finds every mapping in `dir` and its cases. Mappings without cases have none listed.
pub fn discover(dir: &Path) -> io::Result<Vec<Case>> {
    let mut cases = Vec::new();
    let mut mappings: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .collect();
    mappings.sort();
    for mapping in mappings {
        let Some(stem) = mapping.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let case_dir = dir.join("tests").join(stem);
        let Ok(entries) = fs::read_dir(&case_dir) else {
            continue;
        };
        let mut inputs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| case_name(p).is_some())
            .collect();
        inputs.sort();
        for input in inputs {
            let Some(name) = case_name(&input) else {
                continue;
            };
            let expected = case_dir.join(format!("{name}.expected.json"));
            cases.push(Case {
                mapping: mapping.clone(),
                name: format!("{stem}/{name}"),
                input,
                expected,
            });
        }
    }
    Ok(cases)
}

/// The case an input file belongs to: `<case>.input.<ext>` (`.jsonl`, `.json`, `.log`,
/// `.log.gz`, ... as the mapping's input format reads).
fn case_name(input: &Path) -> Option<String> {
    let file = input.file_name()?.to_str()?;
    let (name, ext) = file.split_once(".input.")?;
    (!name.is_empty() && !ext.is_empty()).then(|| name.to_owned())
}

/// What a case produced.
#[derive(Debug)]
pub struct Actual {
    pub events: Vec<Value>,
    pub set_aside: Vec<SetAside>,
    pub stats: Stats,
}

/// Runs a case's input through `plan` exactly as `ocsfmap transform` does.
pub fn run_case(plan: &Plan, case: &Case) -> io::Result<Actual> {
    run_file(plan, &case.input, true)
}

/// Runs one input file through `plan` as `ocsfmap transform` does; with `validate`,
/// events that break their OCSF class are set aside with the reasons.
pub fn run_file(plan: &Plan, input: &Path, validate: bool) -> io::Result<Actual> {
    let reader = fs::File::open(input)?;
    let mut events: Vec<u8> = Vec::new();
    let mut write = |batch: &mut JsonLines| {
        events.extend_from_slice(&batch.buf);
        Ok(())
    };
    let mut set_aside = Vec::new();
    let mut keep = |s: &SetAside| {
        set_aside.push(s.clone());
        Ok(())
    };
    let stats = run::run(
        plan,
        vec![Input {
            name: input.display().to_string(),
            reader: Box::new(reader),
        }],
        run::RunOptions {
            pool: None,
            validate,
        },
        &mut Outputs {
            new_buffer: &JsonLines::new,
            events: &mut write,
            set_aside: &mut keep,
            progress: &mut |_, _| {},
        },
    )
    .map_err(|i| i.error)?;
    let events = events
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(serde_json::from_slice)
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    Ok(Actual {
        events,
        set_aside,
        stats,
    })
}

/// The expected events of a case; `None` when the file does not exist yet.
pub fn expected(case: &Case) -> io::Result<Option<Vec<Value>>> {
    match fs::read_to_string(&case.expected) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", case.expected.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Rewrites a case's expected file from what it produced.
pub fn bless(case: &Case, events: &[Value]) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(events).map_err(io::Error::other)?;
    text.push('\n');
    fs::write(&case.expected, text)
}

/// A line diff of two event lists (pretty JSON), for failure messages: changed lines
/// with `-` (expected) and `+` (actual), and up to two lines of context around them.
pub fn diff(expected: &[Value], actual: &[Value]) -> String {
    let e = serde_json::to_string_pretty(expected).unwrap_or_default();
    let a = serde_json::to_string_pretty(actual).unwrap_or_default();
    let lines = similar::TextDiff::from_lines(&e, &a);
    let mut out = String::new();
    for (i, group) in lines.grouped_ops(2).iter().enumerate() {
        if i > 0 {
            out.push_str("  ...\n");
        }
        for op in group {
            for change in lines.iter_changes(op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let _ = writeln!(out, "{sign} {}", change.value().trim_end_matches('\n'));
            }
        }
    }
    out
}

/// The result of checking one case.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The case produced exactly its expected events.
    Pass { events: usize },
    /// The expected file was (re)written from what the case produced.
    Blessed { events: usize },
    /// What went wrong, ready to print (a diff for changed output).
    Fail(String),
}

/// Reads and parses a mapping file.
pub fn load_mapping(path: &Path) -> Result<MappingFile, LoadError> {
    let file = fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    mapping::load(file, size, path)
}

/// Compiles a mapping file for its cases; the error is ready to print.
pub fn compile_mapping(path: &Path) -> Result<Plan, String> {
    let file = load_mapping(path).map_err(|e| e.to_string())?;
    ocsfmap_core::compile(&file).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a case and compares it with its expected file; with `bless`, a missing or
/// different expected file is rewritten instead of failing. Records set aside (invalid
/// input, unrouted, not valid OCSF) always fail: a case's samples must all map.
pub fn check_case(plan: &Plan, case: &Case, bless: bool) -> Verdict {
    let actual = match run_case(plan, case) {
        Ok(a) => a,
        Err(e) => return Verdict::Fail(format!("cannot run {}: {e}", case.input.display())),
    };
    if !actual.set_aside.is_empty() {
        let reasons: Vec<String> = actual
            .set_aside
            .iter()
            .map(|s| format!("  line {}: {}", s.line, s.reason))
            .collect();
        return Verdict::Fail(format!("records were set aside:\n{}", reasons.join("\n")));
    }
    let events = actual.events.len();
    let expected = match expected(case) {
        Ok(e) => e,
        Err(e) => return Verdict::Fail(e.to_string()),
    };
    match expected {
        Some(expected) if expected == actual.events => Verdict::Pass { events },
        _ if bless => match self::bless(case, &actual.events) {
            Ok(()) => Verdict::Blessed { events },
            Err(e) => Verdict::Fail(format!("cannot write {}: {e}", case.expected.display())),
        },
        Some(expected) => Verdict::Fail(format!(
            "output differs from {} (- expected, + actual):\n{}",
            case.expected.display(),
            diff(&expected, &actual.events)
        )),
        None => Verdict::Fail(format!(
            "{} does not exist (bless the case to create it)",
            case.expected.display()
        )),
    }
}
