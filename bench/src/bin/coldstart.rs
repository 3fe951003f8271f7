//! Cold start: load and compile every shipped mapping in a fresh process (the OCSF
//! schema is parsed on first use, as in a Lambda's first invocation). Prints the
//! milliseconds it took.
//!
//! Usage: coldstart MAPPINGS_DIR

use std::time::Instant;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: coldstart MAPPINGS_DIR");
    let started = Instant::now();
    let mut compiled = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("mappings folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let file = ocsfmap_core::mapping::load(
            std::fs::File::open(path).expect("mapping opens"),
            None,
            path,
        )
        .expect("mapping loads");
        ocsfmap_core::compile(&file).expect("mapping compiles");
        compiled += 1;
    }
    println!("{:.2}", started.elapsed().as_secs_f64() * 1e3);
    eprintln!("coldstart: {compiled} mappings");
}
