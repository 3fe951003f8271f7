//! Lookup tables: the CSV files of `lookups`, read by the loader (which knows where the
//! mapping is), parsed here once into key -> value maps.

use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic, pointer_token};
use crate::mapping::model::{LookupSpec, SourceEvents};
use crate::plan::FastMap;

/// One table: key text to value text.
pub(in crate::plan) type Table = FastMap<Box<str>, Box<str>>;

/// Every table that parses, by name; a diagnostic at its pointer for each that does not.
pub(super) fn tables(
    src: &SourceEvents,
    diags: &mut Vec<Diagnostic>,
) -> FastMap<Box<str>, Arc<Table>> {
    let mut out = FastMap::default();
    for (name, spec) in &src.lookups.0 {
        let ptr = format!("/custom_source_events/lookups/{}", pointer_token(name));
        let file = &spec.file;
        let read = src.lookup_files.iter().find(|(n, _)| n == name);
        let parsed = match read.map(|(_, r)| r) {
            Some(Ok(bytes)) => parse(bytes, spec),
            Some(Err(e)) => Err(("file", format!("cannot read `{file}`: {e}"))),
            None => Err((
                "file",
                format!(
                    "`{file}` was not read: lookup tables are read when the mapping is loaded from a file"
                ),
            )),
        };
        match parsed {
            Ok(table) => {
                out.insert(name.as_str().into(), Arc::new(table));
            }
            Err((part, message)) => {
                diags.push(Diagnostic::new(
                    Code::BadLookup,
                    format!("{ptr}/{part}"),
                    message,
                ));
            }
        }
    }
    out
}

/// Parses a CSV file with a header line into a table. Errors name the part of the
/// table's declaration they concern (`file`, `key`, `value`) and the line in the file.
fn parse(bytes: &[u8], spec: &LookupSpec) -> Result<Table, (&'static str, String)> {
    let file = &spec.file;
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| ("file", format!("`{file}`: {e}")))?
        .clone();
    let column = |want: &Option<String>, default: usize, part: &'static str| match want {
        Some(h) => headers.iter().position(|x| x == h).ok_or_else(|| {
            let all: Vec<&str> = headers.iter().collect();
            (
                part,
                format!(
                    "`{file}` has no column `{h}`; its columns are: {}",
                    all.join(", ")
                ),
            )
        }),
        None if headers.len() > default => Ok(default),
        None => Err((
            "file",
            format!(
                "`{file}` has {} column(s); a lookup table needs a key column and a value column",
                headers.len()
            ),
        )),
    };
    let (k, v) = (
        column(&spec.key, 0, "key")?,
        column(&spec.value, 1, "value")?,
    );
    let mut table = Table::default();
    for record in reader.records() {
        // Every record has the header's number of fields, or the reader fails.
        let record = record.map_err(|e| ("file", format!("`{file}`: {e}")))?;
        let line = record.position().map_or(0, csv::Position::line);
        let (Some(key), Some(value)) = (record.get(k), record.get(v)) else {
            continue;
        };
        if table.insert(key.into(), value.into()).is_some() {
            return Err((
                "file",
                format!("`{file}` line {line}: the key `{key}` is there twice"),
            ));
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key: Option<&str>, value: Option<&str>) -> LookupSpec {
        LookupSpec {
            file: "t.csv".into(),
            key: key.map(Into::into),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn tables_are_read_by_header_and_mistakes_are_named() {
        let csv = b"number,name,note\n6,tcp,\"Transmission, Control\"\n17,udp,x\n";
        let t = parse(csv, &spec(None, None)).unwrap();
        assert_eq!(t.get("6").map(|v| &**v), Some("tcp"));
        assert_eq!(t.len(), 2);
        let t = parse(csv, &spec(Some("name"), Some("note"))).unwrap();
        assert_eq!(t.get("tcp").map(|v| &**v), Some("Transmission, Control"));
        assert_eq!(
            parse(csv, &spec(Some("num"), None)).unwrap_err(),
            (
                "key",
                "`t.csv` has no column `num`; its columns are: number, name, note".into()
            )
        );
        assert_eq!(
            parse(b"a,b\n1,x\n1,y\n", &spec(None, None)).unwrap_err(),
            ("file", "`t.csv` line 3: the key `1` is there twice".into())
        );
        assert_eq!(
            parse(b"only\n1\n", &spec(None, None)).unwrap_err().1,
            "`t.csv` has 1 column(s); a lookup table needs a key column and a value column"
        );
        let uneven = parse(b"a,b\n1,x\n2\n", &spec(None, None)).unwrap_err();
        assert!(uneven.1.contains("line: 3"), "{uneven:?}");
    }
}
