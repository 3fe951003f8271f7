//! A [`Sink`] that writes each event straight into the column buffers of its class: no
//! tree per event, no key strings, values appended where they belong.

use std::sync::Arc;

use arrow::datatypes::{DataType, Fields, SchemaRef};
use serde_json::Value;

use super::columns::{Column, write_raw_text, write_text};
use crate::JsonLines;
use ocsfmap_core::{EventBuffer, Sink, Typed};

/// A class's columns: uid, schema, and where `time` is.
#[derive(Debug)]
pub(super) struct ClassLayout {
    pub uid: i64,
    pub schema: SchemaRef,
    time: Option<usize>,
}

impl ClassLayout {
    pub fn new(uid: i64, schema: SchemaRef) -> Self {
        let time = schema
            .fields()
            .iter()
            .position(|f| f.name() == "time" && *f.data_type() == DataType::Int64);
        ClassLayout { uid, schema, time }
    }

    /// An empty row buffer: one struct column whose children are the file's columns.
    pub fn root(&self) -> Column {
        Column::new(&DataType::Struct(self.schema.fields().clone()))
    }
}

/// Where the writer is inside an event.
#[derive(Debug)]
enum Frame {
    /// A struct column (the event itself at the bottom); `hint` is where the next key
    /// is looked for first (keys come in schema order).
    Struct { hint: usize },
    /// `unmapped`: entries are added to the open row.
    Map,
    /// An object written as JSON text into `json`, then stored in a string column
    /// (`key: None`) or as a map entry.
    Json { key: Option<String> },
    /// An object nested inside a `Json` frame.
    JsonNested,
    /// Nothing below is stored (a key written twice).
    Skip,
}

/// Events of one batch as rows of their class's columns.
#[derive(Debug)]
pub struct ParquetRows {
    layout: Arc<[ClassLayout]>,
    /// One root struct column per class, in layout order.
    pub(super) classes: Vec<Column>,
    /// Each event in buffer order: (class index, row).
    log: Vec<(usize, usize)>,
    /// The class of the event being written, `None` for one the plan does not produce.
    current: Option<usize>,
    /// The row the event being written takes in its class.
    row: usize,
    /// The open frames, innermost last.
    stack: Vec<Frame>,
    /// Child indices from the class root to the innermost open column.
    path: Vec<usize>,
    json: JsonLines,
}

impl ParquetRows {
    pub(super) fn new(layout: Arc<[ClassLayout]>) -> Self {
        let classes = layout.iter().map(ClassLayout::root).collect();
        ParquetRows {
            layout,
            classes,
            log: Vec::new(),
            current: None,
            row: 0,
            stack: Vec::new(),
            path: Vec::new(),
            json: JsonLines::new(),
        }
    }

    /// Rows held for class `i`.
    pub(super) fn rows(&self, i: usize) -> usize {
        self.classes[i].len()
    }

    /// The innermost open column.
    fn open(&mut self) -> Option<&mut Column> {
        open_column(&mut self.classes, self.current, &self.path)
    }

    /// The open struct's child named `key`, with its index, when it has no value in this
    /// row yet.
    fn child(&mut self, key: &str) -> Option<(usize, &mut Column)> {
        let Some(Frame::Struct { hint }) = self.stack.last_mut() else {
            return None;
        };
        let Some(Column::Struct {
            fields,
            children,
            valid,
        }) = open_column(&mut self.classes, self.current, &self.path)
        else {
            return None;
        };
        let i = find(fields, key, *hint)?;
        *hint = i + 1;
        let row = valid.len();
        let child = &mut children[i];
        (child.len() == row).then_some((i, child))
    }

    /// Closes the open struct: children without a value get null; a struct with no
    /// value at all is null itself (an empty object is left out), the event never is.
    fn close_struct(&mut self, event: bool) {
        if let Some(Column::Struct {
            children, valid, ..
        }) = self.open()
        {
            let row = valid.len();
            let mut any = false;
            for child in children.iter_mut() {
                if child.len() == row {
                    child.push_null();
                } else {
                    any = true;
                }
            }
            valid.push(any || event);
        }
    }
}

/// The column at `path` (child indices) in class `current`'s rows.
fn open_column<'c>(
    classes: &'c mut [Column],
    current: Option<usize>,
    path: &[usize],
) -> Option<&'c mut Column> {
    let mut column = classes.get_mut(current?)?;
    for &i in path {
        let Column::Struct { children, .. } = column else {
            return None;
        };
        column = &mut children[i];
    }
    Some(column)
}

/// The index of the field named `key`, looked for from `hint` on first: keys come in
/// schema order, skipping the fields other routes write.
fn find(fields: &Fields, key: &str, hint: usize) -> Option<usize> {
    let hint = hint.min(fields.len());
    let (before, after) = fields.split_at(hint);
    after
        .iter()
        .position(|f| f.name() == key)
        .map(|i| hint + i)
        .or_else(|| before.iter().position(|f| f.name() == key))
}

impl Sink for ParquetRows {
    fn begin_event(&mut self, class_uid: i64) {
        self.current = self.layout.iter().position(|c| c.uid == class_uid);
        self.row = self.current.map_or(0, |c| self.classes[c].len());
        self.stack.clear();
        self.stack.push(Frame::Struct { hint: 0 });
        self.path.clear();
    }

    fn end_event(&mut self) {
        let Some(class) = self.current else {
            self.log.push((usize::MAX, self.log.len()));
            return;
        };
        self.close_struct(true);
        self.log.push((class, self.row));
        self.stack.clear();
    }

    fn abort_event(&mut self) {
        if let Some(class) = self.current {
            self.classes[class].truncate(self.row);
        }
        self.stack.clear();
        self.path.clear();
    }

    fn begin_object(&mut self, key: &str) {
        let frame = match self.stack.last() {
            Some(Frame::Struct { .. }) => {
                let frame = match self.child(key) {
                    Some((i, Column::Struct { .. })) => Some((i, Frame::Struct { hint: 0 })),
                    Some((i, Column::Map { .. })) => Some((i, Frame::Map)),
                    Some((i, Column::Utf8(_))) => Some((i, Frame::Json { key: None })),
                    _ => None,
                };
                match frame {
                    Some((i, frame)) => {
                        self.path.push(i);
                        if matches!(frame, Frame::Json { .. }) {
                            self.json.begin_event(0);
                        }
                        frame
                    }
                    None => Frame::Skip,
                }
            }
            Some(Frame::Map) => {
                self.json.begin_event(0);
                Frame::Json {
                    key: Some(key.to_owned()),
                }
            }
            Some(Frame::Json { .. } | Frame::JsonNested) => {
                self.json.begin_object(key);
                Frame::JsonNested
            }
            Some(Frame::Skip) | None => Frame::Skip,
        };
        self.stack.push(frame);
    }

    fn end_object(&mut self) {
        match self.stack.pop() {
            Some(Frame::Struct { .. }) => {
                self.close_struct(false);
                self.path.pop();
            }
            Some(Frame::Map) => {
                if let Some(column) = self.open() {
                    column.end_map_row();
                }
                self.path.pop();
            }
            Some(Frame::Json { key }) => {
                let in_column = key.is_none();
                self.json.end_event();
                let mut text = std::mem::take(&mut self.json.buf);
                text.pop(); // the line break after the object
                if text != b"{}" {
                    match (key, self.open()) {
                        (None, Some(Column::Utf8(s))) => s.push(&text),
                        (Some(key), Some(map)) => {
                            map.map_entry(&key, |out| out.extend_from_slice(&text));
                        }
                        _ => {}
                    }
                }
                text.clear();
                self.json.buf = text;
                if in_column {
                    self.path.pop();
                }
            }
            Some(Frame::JsonNested) => self.json.end_object(),
            Some(Frame::Skip) | None => {}
        }
    }

    fn value(&mut self, key: &str, value: &Typed<'_>) {
        match self.stack.last() {
            Some(Frame::Struct { .. }) => {
                if let Some((_, column)) = self.child(key) {
                    column.push(value);
                }
            }
            Some(Frame::Map) => {
                if let Some(map) = self.open() {
                    map.map_entry(key, |out| write_text(value, out));
                }
            }
            Some(Frame::Json { .. } | Frame::JsonNested) => self.json.value(key, value),
            Some(Frame::Skip) | None => {}
        }
    }

    fn raw(&mut self, key: &str, json: &str) {
        match self.stack.last() {
            Some(Frame::Map) => {
                if let Some(map) = self.open() {
                    map.map_entry(key, |out| write_raw_text(json, out));
                }
            }
            Some(Frame::Json { .. } | Frame::JsonNested) => self.json.raw(key, json),
            _ => self.value(key, &Typed::Json(json.into())),
        }
    }
}

impl EventBuffer for ParquetRows {
    fn clear(&mut self) {
        self.classes.iter_mut().for_each(Column::clear);
        self.log.clear();
    }

    fn mark(&self) -> usize {
        self.log.len()
    }

    fn rollback(&mut self, mark: usize) {
        for &(class, row) in self.log[mark.min(self.log.len())..].iter().rev() {
            if let Some(root) = self.classes.get_mut(class) {
                root.truncate(row);
            }
        }
        self.log.truncate(mark);
    }

    fn event_json(&self, mark: usize) -> Option<Value> {
        let &(class, row) = self.log.get(mark)?;
        self.classes.get(class)?.value_at(row)
    }

    fn refuse(&self, mark: usize) -> Option<String> {
        let &(class, row) = self.log.get(mark)?;
        let Some(layout) = self.layout.get(class) else {
            return Some("the event's class is not one the mapping's routes produce".into());
        };
        let time = layout.time.and_then(|t| match &self.classes[class] {
            Column::Struct { children, .. } => children[t].int64_at(row),
            _ => None,
        });
        match time {
            None => Some(
                "the event has no `time`, which Parquet output needs for its eventDay partition"
                    .into(),
            ),
            Some(ms) => super::check_event_time(ms).err(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::parquet::class_sources;
    use ocsfmap_core::mapping::{Syntax, parse_str};
    use ocsfmap_core::plan::{Outcome, Plan, compile};

    const MAPPING: &str = "custom_source_events:
  source_name: t
  unmapped_rest: true
  ocsf_mapping:
    all:
      schema: network_activity
      schema_mapping:
        time: $.t
        src_endpoint: {ip: $.ip, port: $.port}
        dst_endpoint: {hostname: $.host}
        message: $.m
";

    fn setup() -> (Plan, ParquetRows) {
        let file = parse_str(MAPPING, Syntax::Yaml, Path::new("t.yaml")).unwrap();
        let plan = compile(&file).unwrap();
        let layout: Arc<[ClassLayout]> = class_sources(&plan)
            .unwrap()
            .into_iter()
            .map(|c| ClassLayout::new(c.class_uid, c.schema))
            .collect();
        (plan, ParquetRows::new(layout))
    }

    #[test]
    fn rows_read_back_as_the_event_with_nested_unmapped_as_json_text() {
        let (plan, mut rows) = setup();
        let outcome = plan.eval(
            r#"{"t": 1700000000000, "ip": "10.0.0.1", "port": 80, "m": "hi", "extra": {"a": [1, 2]}, "n": 5}"#,
            &mut rows,
        );
        assert_eq!(outcome, Outcome::Output { class_uid: 4001 });
        let event = rows.event_json(0).unwrap();
        assert_eq!(event["src_endpoint"], json!({"ip": "10.0.0.1", "port": 80}));
        assert_eq!(event["time"], 1_700_000_000_000_i64);
        assert_eq!(event["message"], "hi");
        assert_eq!(
            event["unmapped"],
            json!({"extra": r#"{"a":[1,2]}"#, "n": "5"})
        );
        assert!(
            event.get("dst_endpoint").is_none(),
            "an empty object is null"
        );
        assert_eq!(rows.refuse(0), None);
    }

    #[test]
    fn an_event_rejected_half_way_leaves_no_trace() {
        let (plan, mut rows) = setup();
        // The ip is written before the port fails to coerce.
        let bad = r#"{"t": 1, "ip": "10.0.0.9", "port": "http", "x": {"y": 1}}"#;
        assert!(matches!(plan.eval(bad, &mut rows), Outcome::Rejected(_)));
        assert_eq!(rows.mark(), 0);
        let good = r#"{"t": 2, "ip": "10.0.0.1", "port": 443}"#;
        assert!(matches!(plan.eval(good, &mut rows), Outcome::Output { .. }));
        assert_eq!(rows.rows(0), 1);
        let event = rows.event_json(0).unwrap();
        assert_eq!(
            event["src_endpoint"],
            json!({"ip": "10.0.0.1", "port": 443})
        );
        assert!(event.get("unmapped").is_none());
    }

    #[test]
    fn rollback_removes_events_and_an_event_without_time_is_refused() {
        let (plan, mut rows) = setup();
        plan.eval(r#"{"t": 1, "m": "first"}"#, &mut rows);
        let mark = rows.mark();
        plan.eval(r#"{"m": "no time"}"#, &mut rows);
        assert!(rows.refuse(mark).unwrap().contains("no `time`"));
        rows.rollback(mark);
        assert_eq!(rows.rows(0), 1);
        plan.eval(r#"{"t": 3, "m": "third"}"#, &mut rows);
        assert_eq!(rows.event_json(1).unwrap()["message"], "third");
        rows.clear();
        assert_eq!((rows.rows(0), rows.mark()), (0, 0));
    }
}
