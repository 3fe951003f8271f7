//! Helpers shared by the CLI's end-to-end tests.

#![allow(dead_code)] // each test file uses its own subset

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The repository root; tests run `ocsfmap` from there, with relative paths.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `ocsfmap` with `args`, to run in the repository root with stdout and stderr piped.
pub fn command<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ocsfmap"));
    command
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `ocsfmap` in the repository root, feeding `stdin` from a thread (the process
/// writes output while it reads, and pipes are small).
pub fn ocsfmap_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("ocsfmap runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    let bytes = stdin.unwrap_or_default().to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let output = child.wait_with_output().expect("ocsfmap finishes");
    feeder.join().expect("stdin feeder finishes");
    output
}

/// Runs `ocsfmap` with empty stdin: exit code, stdout and stderr.
pub fn ocsfmap(args: &[&str]) -> (i32, String, String) {
    let o = ocsfmap_with_stdin(args, None);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// JSON lines parsed.
pub fn lines(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("a JSON line"))
        .collect()
}
