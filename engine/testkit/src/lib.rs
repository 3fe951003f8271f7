//! Test vectors beside mappings: `<dir>/<source>.yaml` with cases in
//! `<dir>/tests/<source>/<case>.input.<ext>` (JSON lines, or the text the mapping's
//! input format reads), `<case>.expected.json` (a JSON array of the events the case
//! must produce, in order, keys in the order written) and, when the case sets records
//! aside on purpose, `<case>.rejects.json` (what `--rejects` writes for them). Shared by
//! `cargo test` and the CLI; the shipped mappings and the language tests use it alike.

mod ordered;

pub use ordered::{Json, order_difference};

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use ocsfmap_core::Plan;
use ocsfmap_core::mapping::{self, LoadError, MappingFile};
use ocsfmap_core::run::{self, Input, Outputs, SetAside, Stats};
use ocsfmap_output::JsonLines;

/// One sample input and the files holding what it must produce.
#[derive(Debug, Clone)]
pub struct Case {
    pub mapping: PathBuf,
    pub name: String,
    pub input: PathBuf,
    pub expected: PathBuf,
    /// `<case>.rejects.json`; when it does not exist, no record may be set aside.
    pub rejects: PathBuf,
    /// Whether every event is also checked against its OCSF class (as
    /// `ocsfmap transform --validate` does): set by the folder's `tests/options.json`.
    pub validate: bool,
}

/// `<dir>/tests/options.json`: settings for every case of a folder of mappings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Check events against their OCSF class (default): off for cases that test the
    /// mapping language with small mappings that leave required attributes out.
    #[serde(default = "yes")]
    validate: bool,
}

fn yes() -> bool {
    true
}

impl Default for Options {
    fn default() -> Options {
        Options { validate: true }
    }
}

fn read_options(dir: &Path) -> io::Result<Options> {
    let path = dir.join("tests").join("options.json");
    match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Options::default()),
        Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
}

/// Finds every mapping in `dir` and its cases. Mappings without cases have none listed.
pub fn discover(dir: &Path) -> io::Result<Vec<Case>> {
    let options = read_options(dir)?;
    let mut cases = Vec::new();
    let mut mappings: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && matches!(
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
            cases.push(Case {
                mapping: mapping.clone(),
                name: format!("{stem}/{name}"),
                expected: case_dir.join(format!("{name}.expected.json")),
                rejects: case_dir.join(format!("{name}.rejects.json")),
                input,
                validate: options.validate,
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
    /// The events, keys sorted (for order-blind checks).
    pub events: Vec<Value>,
    /// The same events with their keys in the order written.
    pub ordered: Vec<Json>,
    pub set_aside: Vec<SetAside>,
    pub stats: Stats,
}

/// Runs a case's input through `plan` exactly as `ocsfmap transform` does (with
/// `--validate` unless the folder's options turn it off).
pub fn run_case(plan: &Plan, case: &Case) -> io::Result<Actual> {
    run_file(plan, &case.input, case.validate)
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
    let lines = || events.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let ordered = lines()
        .map(Json::parse_slice)
        .collect::<Result<Vec<_>, _>>()
        .map_err(io::Error::other)?;
    Ok(Actual {
        events: ordered.iter().map(Json::to_value).collect(),
        ordered,
        set_aside,
        stats,
    })
}

/// Reads a JSON array file with key order kept; `None` when it does not exist.
fn read_array(path: &Path) -> io::Result<Option<Vec<Json>>> {
    match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
}

/// The expected events of a case, keys in the order written; `None` when the file does
/// not exist yet.
pub fn expected_ordered(case: &Case) -> io::Result<Option<Vec<Json>>> {
    read_array(&case.expected)
}

/// The expected events of a case (keys sorted); `None` when the file does not exist yet.
pub fn expected(case: &Case) -> io::Result<Option<Vec<Value>>> {
    Ok(expected_ordered(case)?.map(|e| e.iter().map(Json::to_value).collect()))
}

/// The records a case expects to be set aside; `None` when it declares none.
pub fn expected_rejects(case: &Case) -> io::Result<Option<Vec<Json>>> {
    read_array(&case.rejects)
}

/// A record set aside as `--rejects` writes it, every field in its order, less the
/// input's name: a path that depends on where the test runs from (a case has one input).
pub fn reject_json(item: &SetAside) -> Json {
    let mut json = serde_json::to_string(item)
        .ok()
        .and_then(|text| Json::parse(&text).ok())
        .unwrap_or(Json::Null);
    json.remove("input");
    json
}

fn write_array(path: &Path, items: &[Json]) -> io::Result<()> {
    let mut text = Json::pretty(items);
    text.push('\n');
    fs::write(path, text)
}

/// Rewrites a case's expected files from what it produced: the events, and the records
/// set aside (the rejects file is removed when there are none).
pub fn bless(case: &Case, events: &[Json], rejects: &[Json]) -> io::Result<()> {
    write_array(&case.expected, events)?;
    if rejects.is_empty() {
        match fs::remove_file(&case.rejects) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        Ok(())
    } else {
        write_array(&case.rejects, rejects)
    }
}

/// A line diff of two lists (pretty JSON, keys in their order), for failure messages:
/// changed lines with `-` (expected) and `+` (actual), and up to two lines of context.
pub fn diff(expected: &[Json], actual: &[Json]) -> String {
    diff_text(&Json::pretty(expected), &Json::pretty(actual))
}

/// A line diff of two texts, as [`diff`] shows it.
pub fn diff_text(expected: &str, actual: &str) -> String {
    let lines = similar::TextDiff::from_lines(expected, actual);
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

/// What differs between two lists, ready to print: a note naming the first object whose
/// keys moved (a line diff alone shows a move as a line removed and one added), then
/// the diff.
fn explain(expected: &[Json], actual: &[Json]) -> String {
    let note = order_difference(
        &Json::Array(expected.to_vec()),
        &Json::Array(actual.to_vec()),
    )
    .map(|n| format!("{n}\n"))
    .unwrap_or_default();
    format!("{note}{}", diff(expected, actual))
}

/// The result of checking one case.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The case produced exactly its expected events and set aside exactly its
    /// expected records.
    Pass { events: usize, set_aside: usize },
    /// The expected files were (re)written from what the case produced.
    Blessed { events: usize, set_aside: usize },
    /// What went wrong, ready to print (a diff for changed output).
    Fail(String),
}

/// Reads and parses a mapping file.
pub fn load_mapping(path: &Path) -> Result<MappingFile, LoadError> {
    let file = fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    let mut mapping = mapping::load(file, size, path)?;
    // Lookup tables are beside the mapping.
    mapping.read_lookups(path, fs::read);
    Ok(mapping)
}

/// Compiles a mapping file for its cases; the error is ready to print.
pub fn compile_mapping(path: &Path) -> Result<Plan, String> {
    let file = load_mapping(path).map_err(|e| e.to_string())?;
    ocsfmap_core::compile(&file).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs a case and compares it with its expected files; with `bless`, missing or
/// different expected files are rewritten instead of failing. The events must equal
/// `<case>.expected.json` (values and key order); the records set aside (invalid input,
/// unrouted, not valid OCSF) must equal `<case>.rejects.json`, or be none without it.
pub fn check_case(plan: &Plan, case: &Case, bless: bool) -> Verdict {
    let actual = match run_case(plan, case) {
        Ok(a) => a,
        Err(e) => return Verdict::Fail(format!("cannot run {}: {e}", case.input.display())),
    };
    let rejects: Vec<Json> = actual.set_aside.iter().map(reject_json).collect();
    let (expected, expected_rejects) = match (expected_ordered(case), expected_rejects(case)) {
        (Ok(e), Ok(r)) => (e, r),
        (Err(e), _) | (_, Err(e)) => return Verdict::Fail(e.to_string()),
    };
    let (events, set_aside) = (actual.ordered.len(), rejects.len());
    let events_match = expected.as_ref() == Some(&actual.ordered);
    let rejects_match = match &expected_rejects {
        Some(r) => *r == rejects,
        None => rejects.is_empty(),
    };
    if events_match && rejects_match {
        return Verdict::Pass { events, set_aside };
    }
    if bless {
        return match self::bless(case, &actual.ordered, &rejects) {
            Ok(()) => Verdict::Blessed { events, set_aside },
            Err(e) => Verdict::Fail(format!(
                "cannot write {} or {}: {e}",
                case.expected.display(),
                case.rejects.display()
            )),
        };
    }
    let mut why = Vec::new();
    if !rejects_match {
        why.push(match &expected_rejects {
            None => format!(
                "records were set aside (fix the mapping or the input, or declare them in {}):\n{}",
                case.rejects.display(),
                actual
                    .set_aside
                    .iter()
                    .map(|s| format!("  line {}: {}", s.line, s.reason))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            Some(r) => format!(
                "the records set aside differ from {} (- expected, + actual):\n{}",
                case.rejects.display(),
                explain(r, &rejects)
            ),
        });
    }
    if !events_match {
        why.push(match &expected {
            Some(e) => format!(
                "output differs from {} (- expected, + actual):\n{}",
                case.expected.display(),
                explain(e, &actual.ordered)
            ),
            None => format!(
                "{} does not exist (bless the case to create it)",
                case.expected.display()
            ),
        });
    }
    Verdict::Fail(why.join("\n"))
}
