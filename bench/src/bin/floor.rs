//! The floor: parse each JSON line into a `serde_json::Value` and serialise it back,
//! single thread, system allocator. `bench/run` reports every figure relative to this.
//!
//! Usage: floor FILE > /dev/null

use std::io::{BufRead, BufReader, BufWriter, Write};

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: floor FILE");
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut records = 0u64;
    for line in input.lines() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(std::io::Error::other)?;
        serde_json::to_writer(&mut out, &value).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
        records += 1;
    }
    out.flush()?;
    eprintln!("floor: {records} records");
    Ok(())
}
