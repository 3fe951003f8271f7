//! The bad-input corpus: every case in `tests/bad-input/cases/` is an input built as
//! its file says (text, repeats, other files, gzip once or twice, truncated, with
//! bytes appended) and the outcome a user should see: exit code, counts, the records
//! set aside with line and reason, events output, peak memory. Each case's `why` says
//! why that outcome is the right one.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::{lines, repo};
use serde_json::Value;

#[test]
fn every_bad_input_case_has_its_outcome() {
    let dir = repo().join("tests/bad-input/cases");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "the corpus is in {}", dir.display());
    let failures: Vec<String> = names
        .iter()
        .filter_map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let case: Value = serde_json::from_slice(&std::fs::read(path).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            run_case(&case).err().map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Builds the case's input bytes.
fn build_input(case: &Value) -> Vec<u8> {
    let mut bytes = pieces(&case["input"]);
    match case["gzip"].as_str() {
        Some("once") => bytes = gzip(&bytes),
        Some("twice") => bytes = gzip(&gzip(&bytes)),
        _ => {}
    }
    if let Some(keep) = case["keep_bytes"].as_i64() {
        // Negative: that many bytes cut from the end.
        let keep = if keep < 0 {
            bytes.len().saturating_sub(keep.unsigned_abs() as usize)
        } else {
            keep as usize
        };
        bytes.truncate(keep);
    }
    bytes.extend(pieces(&case["append"]));
    bytes
}

fn pieces(spec: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in spec.as_array().into_iter().flatten() {
        let times = piece["times"].as_u64().unwrap_or(1) as usize;
        let one: Vec<u8> = if let Some(t) = piece["text"].as_str() {
            t.as_bytes().to_vec()
        } else if let Some(h) = piece["hex"].as_str() {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        } else if let Some(f) = piece["file"].as_str() {
            let text = std::fs::read(repo().join(f)).unwrap();
            match piece["lines"].as_u64() {
                Some(n) => text
                    .split_inclusive(|b| *b == b'\n')
                    .take(n as usize)
                    .flatten()
                    .copied()
                    .collect(),
                None => text,
            }
        } else if let Some(b) = piece["byte"].as_u64() {
            vec![b as u8]
        } else {
            panic!("unknown input piece {piece}");
        };
        for _ in 0..times {
            out.extend_from_slice(&one);
        }
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn run_case(case: &Value) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir
        .path()
        .join(case["input_name"].as_str().unwrap_or("input"));
    let bytes = build_input(case);
    std::fs::write(&input, &bytes).unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let stats = dir.path().join("stats.json");
    let mapping = case["mapping"]
        .as_str()
        .unwrap_or("tests/bad-input/any-object.yaml");
    let mut args: Vec<String> = vec!["transform".into(), "-m".into(), mapping.into()];
    args.extend(["--stats".into(), stats.display().to_string()]);
    if case["rejects_to"].is_null() {
        args.extend(["--rejects".into(), rejects.display().to_string()]);
    }
    for a in case["args"].as_array().into_iter().flatten() {
        args.push(
            a.as_str()
                .unwrap()
                .replace("{input}", &input.display().to_string()),
        );
    }
    args.push(input.display().to_string());
    let (code, stdout, stderr, peak_kb) = run(&args, case["close_stdout"].as_bool() == Some(true));
    let mut problems = Vec::new();
    let expect_code = case["exit"].as_i64().unwrap_or(0) as i32;
    if code != expect_code {
        problems.push(format!("exit {code}, expected {expect_code}"));
    }
    if let Some(want) = case.get("stats") {
        let got: Value = std::fs::read(&stats)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if &got != want {
            problems.push(format!("stats {got}, expected {want}"));
        }
    }
    if case["all_rejected"].as_bool() == Some(true) {
        let got: Value = std::fs::read(&stats)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if got["input"].as_u64().unwrap_or(0) == 0 || got["input"] != got["rejected"] {
            problems.push(format!("stats {got}, expected every record rejected"));
        }
    }
    if case["input_intact"].as_bool() == Some(true) && std::fs::read(&input).unwrap() != bytes {
        problems.push("the input was changed".to_owned());
    }
    if let Some(want) = case["output"].as_u64() {
        let got = lines(&stdout).len() as u64;
        if got != want {
            problems.push(format!("{got} events output, expected {want}"));
        }
    }
    if let Some(want) = case["rejects"].as_array() {
        let got = lines(&std::fs::read(&rejects).unwrap_or_default());
        if got.len() != want.len() {
            problems.push(format!(
                "{} records set aside, expected {}: {}",
                got.len(),
                want.len(),
                summary(&got)
            ));
        }
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            for key in ["line", "kind", "code", "raw"] {
                if !w[key].is_null() && g[key] != w[key] {
                    problems.push(format!(
                        "set aside #{i}: {key} {}, expected {}",
                        g[key], w[key]
                    ));
                }
            }
            let reason = g["reason"].as_str().unwrap_or_default();
            if let Some(prefix) = w["reason"].as_str()
                && !reason.starts_with(prefix)
            {
                problems.push(format!(
                    "set aside #{i}: reason {reason:?}, expected {prefix:?}..."
                ));
            }
        }
    }
    if let Some(text) = case["stderr_contains"].as_str()
        && !String::from_utf8_lossy(&stderr).contains(text)
    {
        problems.push(format!(
            "stderr lacks {text:?}: {}",
            String::from_utf8_lossy(&stderr)
        ));
    }
    if let Some(limit) = case["max_rss_mb"].as_u64()
        && peak_kb > limit * 1024
    {
        problems.push(format!("peak RSS {} MB, limit {limit} MB", peak_kb / 1024));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n  stderr: {}",
            problems.join("\n  "),
            String::from_utf8_lossy(&stderr).trim()
        ))
    }
}

fn summary(rejects: &[Value]) -> String {
    rejects
        .iter()
        .map(|r| format!("[line {} {}: {}]", r["line"], r["kind"], r["reason"]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `ocsfmap` from the repository root: exit code, stdout, stderr, and its peak
/// resident memory in KiB as its summary line reports it (0 when it does not).
fn run(args: &[String], close_stdout: bool) -> (i32, Vec<u8>, Vec<u8>, u64) {
    let mut child = common::command(args)
        .stdin(Stdio::null())
        .spawn()
        .expect("ocsfmap runs");
    if close_stdout {
        drop(child.stdout.take());
    }
    let o = child.wait_with_output().expect("ocsfmap finishes");
    let stderr = String::from_utf8_lossy(&o.stderr);
    let peak_kb = stderr
        .split("peak memory ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|mb| mb.parse::<u64>().ok())
        .map_or(0, |mb| mb * 1024);
    (o.status.code().unwrap_or(-1), o.stdout, o.stderr, peak_kb)
}

#[test]
fn the_corpus_mapping_is_valid() {
    let path = Path::new("tests/bad-input/any-object.yaml");
    let (code, _, stderr) = common::ocsfmap(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
}
