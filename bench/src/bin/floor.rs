//! The floor: parse each JSON line into a `serde_json::Value` and serialise it back,
//! single thread, system allocator. `bench/run` reports every figure relative to this.
//! With `--text`, each line after the header is split at spaces into an object of the
//! header's field names instead (delimited text, as VPC flow logs), then serialised.
//!
//! Usage: floor FILE [--text] > /dev/null

use std::io::{BufRead, BufReader, BufWriter, Write};

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: floor FILE [--text]");
    let text = std::env::args().any(|a| a == "--text");
    let mut header: Option<Vec<String>> = None;
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut records = 0u64;
    for line in input.lines() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = if text {
            let Some(names) = &header else {
                header = Some(line.split(' ').map(str::to_owned).collect());
                continue;
            };
            names
                .iter()
                .zip(line.split(' '))
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        } else {
            serde_json::from_str(&line).map_err(std::io::Error::other)?
        };
        serde_json::to_writer(&mut out, &value).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
        records += 1;
    }
    out.flush()?;
    eprintln!("floor: {records} records");
    Ok(())
}
