//! Column buffers for one class, shaped like its Arrow types: plain vectors that can be
//! appended to, rolled back to a row count, appended to one another, and turned into
//! Arrow arrays without copying.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, MapArray, StringArray,
    StructArray,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, FieldRef, Fields};
use serde_json::Value;

use ocsfmap_core::Typed;
use ocsfmap_core::json_text::write_compact_json;
use ocsfmap_core::plan::value::decode_json_string;

/// A column being built. Every variant keeps one validity flag per row.
#[derive(Debug)]
pub enum Column {
    Int32(Vec<i32>, Vec<bool>),
    Int64(Vec<i64>, Vec<bool>),
    Float64(Vec<f64>, Vec<bool>),
    Bool(Vec<bool>, Vec<bool>),
    Utf8(Strings),
    Struct {
        fields: Fields,
        children: Vec<Column>,
        valid: Vec<bool>,
    },
    List {
        item: FieldRef,
        child: Box<Column>,
        offsets: Vec<i32>,
        valid: Vec<bool>,
    },
    Map {
        entries: FieldRef,
        keys: Strings,
        values: Strings,
        offsets: Vec<i32>,
        valid: Vec<bool>,
    },
}

/// A string column: bytes end to end, offsets, validity.
#[derive(Debug)]
pub struct Strings {
    data: Vec<u8>,
    offsets: Vec<i32>,
    valid: Vec<bool>,
}

impl Default for Strings {
    fn default() -> Self {
        Strings {
            data: Vec::new(),
            offsets: vec![0],
            valid: Vec::new(),
        }
    }
}

impl Strings {
    pub fn push(&mut self, s: &[u8]) {
        self.data.extend_from_slice(s);
        self.end_value(true);
    }

    /// Ends a value whose bytes were appended to [`Strings::data_mut`].
    pub fn end_value(&mut self, valid: bool) {
        // Offsets are i32 as Glue's `string` needs; files are cut long before 2 GiB.
        self.offsets.push(self.data.len() as i32);
        self.valid.push(valid);
    }

    pub fn data_mut(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    fn push_null(&mut self) {
        self.end_value(false);
    }

    fn len(&self) -> usize {
        self.valid.len()
    }

    fn byte_size(&self) -> usize {
        self.data.len() + std::mem::size_of_val(self.offsets.as_slice()) + self.valid.len()
    }

    fn truncate(&mut self, rows: usize) {
        if rows < self.len() {
            self.data.truncate(self.offsets[rows] as usize);
            self.offsets.truncate(rows + 1);
            self.valid.truncate(rows);
        }
    }

    fn append(&mut self, other: &Strings, rows: Range<usize>) {
        let (from, to) = (other.offsets[rows.start], other.offsets[rows.end]);
        let shift = self.data.len() as i32 - from;
        self.data
            .extend_from_slice(&other.data[from as usize..to as usize]);
        self.offsets.extend(
            other.offsets[rows.start + 1..=rows.end]
                .iter()
                .map(|o| o + shift),
        );
        self.valid.extend_from_slice(&other.valid[rows]);
    }

    fn get(&self, row: usize) -> Option<&str> {
        let bytes = &self.data[self.offsets[row] as usize..self.offsets[row + 1] as usize];
        self.valid[row].then(|| std::str::from_utf8(bytes).unwrap_or_default())
    }

    fn finish(&mut self) -> StringArray {
        let data = Buffer::from_vec(std::mem::take(&mut self.data));
        let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
            &mut self.offsets,
            vec![0],
        )));
        let nulls = nulls(&mut self.valid);
        // Every value was appended from a `&str`, whole.
        StringArray::new(offsets, data, nulls)
    }
}

fn nulls(valid: &mut Vec<bool>) -> Option<NullBuffer> {
    let valid = std::mem::take(valid);
    if valid.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::from(valid))
    }
}

impl Column {
    pub fn new(t: &DataType) -> Self {
        match t {
            DataType::Int32 => Column::Int32(Vec::new(), Vec::new()),
            DataType::Int64 => Column::Int64(Vec::new(), Vec::new()),
            DataType::Float64 => Column::Float64(Vec::new(), Vec::new()),
            DataType::Boolean => Column::Bool(Vec::new(), Vec::new()),
            DataType::Struct(fields) => Column::Struct {
                fields: fields.clone(),
                children: fields.iter().map(|f| Column::new(f.data_type())).collect(),
                valid: Vec::new(),
            },
            DataType::List(item) => Column::List {
                item: item.clone(),
                child: Box::new(Column::new(item.data_type())),
                offsets: vec![0],
                valid: Vec::new(),
            },
            DataType::Map(entries, _) => Column::Map {
                entries: entries.clone(),
                keys: Strings::default(),
                values: Strings::default(),
                offsets: vec![0],
                valid: Vec::new(),
            },
            _ => Column::Utf8(Strings::default()),
        }
    }

    /// Bytes of data held (values, offsets, validity), for memory bounds.
    pub fn byte_size(&self) -> usize {
        fn flat<T>(values: &[T], valid: &[bool]) -> usize {
            std::mem::size_of_val(values) + valid.len()
        }
        match self {
            Column::Int32(x, v) => flat(x, v),
            Column::Int64(x, v) => flat(x, v),
            Column::Float64(x, v) => flat(x, v),
            Column::Bool(x, v) => flat(x, v),
            Column::Utf8(s) => s.byte_size(),
            Column::Struct {
                children, valid, ..
            } => valid.len() + children.iter().map(Column::byte_size).sum::<usize>(),
            Column::List {
                child,
                offsets,
                valid,
                ..
            } => flat(offsets, valid) + child.byte_size(),
            Column::Map {
                keys,
                values,
                offsets,
                valid,
                ..
            } => flat(offsets, valid) + keys.byte_size() + values.byte_size(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows in the column.
    pub fn len(&self) -> usize {
        match self {
            Column::Int32(_, v)
            | Column::Int64(_, v)
            | Column::Float64(_, v)
            | Column::Bool(_, v)
            | Column::Struct { valid: v, .. }
            | Column::List { valid: v, .. }
            | Column::Map { valid: v, .. } => v.len(),
            Column::Utf8(s) => s.len(),
        }
    }

    pub fn push_null(&mut self) {
        match self {
            Column::Int32(x, v) => {
                x.push(0);
                v.push(false);
            }
            Column::Int64(x, v) => {
                x.push(0);
                v.push(false);
            }
            Column::Float64(x, v) => {
                x.push(0.0);
                v.push(false);
            }
            Column::Bool(x, v) => {
                x.push(false);
                v.push(false);
            }
            Column::Utf8(s) => s.push_null(),
            Column::Struct {
                children, valid, ..
            } => {
                children.iter_mut().for_each(Column::push_null);
                valid.push(false);
            }
            Column::List { offsets, valid, .. } | Column::Map { offsets, valid, .. } => {
                offsets.push(*offsets.last().unwrap_or(&0));
                valid.push(false);
            }
        }
    }

    /// Appends one value; a value of another shape than the column's is written in
    /// the column's terms (text as JSON in a string column, else null).
    pub fn push(&mut self, v: &Typed<'_>) {
        match (self, v) {
            (Column::Int32(x, valid), Typed::Int(n)) => {
                // Out of integer_t's range: null (validation names such values).
                let n = i32::try_from(*n).ok();
                x.push(n.unwrap_or_default());
                valid.push(n.is_some());
            }
            (Column::Int64(x, valid), Typed::Int(n)) => {
                x.push(*n);
                valid.push(true);
            }
            (Column::Float64(x, valid), Typed::Float(f)) => {
                x.push(*f);
                valid.push(true);
            }
            (Column::Float64(x, valid), Typed::Int(n)) => {
                x.push(*n as f64);
                valid.push(true);
            }
            (Column::Bool(x, valid), Typed::Bool(b)) => {
                x.push(*b);
                valid.push(true);
            }
            (Column::Utf8(s), v) => {
                write_text(v, s.data_mut());
                s.end_value(true);
            }
            (
                Column::Struct {
                    fields,
                    children,
                    valid,
                },
                Typed::Object(entries),
            ) => {
                for (field, child) in fields.iter().zip(children.iter_mut()) {
                    match entries.iter().find(|(k, _)| k == field.name()) {
                        Some((_, value)) => child.push(value),
                        None => child.push_null(),
                    }
                }
                valid.push(true);
            }
            (
                Column::List {
                    child,
                    offsets,
                    valid,
                    ..
                },
                Typed::Array(items),
            ) => {
                for item in items {
                    child.push(item);
                }
                offsets.push(child.len() as i32);
                valid.push(true);
            }
            (
                Column::Map {
                    keys,
                    values,
                    offsets,
                    valid,
                    ..
                },
                Typed::Object(entries),
            ) => {
                for (k, v) in entries {
                    keys.push(k.as_bytes());
                    write_text(v, values.data_mut());
                    values.end_value(true);
                }
                offsets.push(keys.len() as i32);
                valid.push(true);
            }
            (column, _) => column.push_null(),
        }
    }

    /// Adds one entry to a map column's current (still open) row.
    pub fn map_entry(&mut self, key: &str, value: impl FnOnce(&mut Vec<u8>)) {
        if let Column::Map { keys, values, .. } = self {
            keys.push(key.as_bytes());
            value(values.data_mut());
            values.end_value(true);
        }
    }

    /// Ends a map column's row after [`Column::map_entry`] calls; an empty map is null.
    pub fn end_map_row(&mut self) {
        if let Column::Map {
            keys,
            offsets,
            valid,
            ..
        } = self
        {
            let end = keys.len() as i32;
            valid.push(end > *offsets.last().unwrap_or(&0));
            offsets.push(end);
        }
    }

    /// Drops every row from `rows` on, and whatever a row still open had written.
    pub fn truncate(&mut self, rows: usize) {
        match self {
            Column::Int32(x, v) => {
                x.truncate(rows);
                v.truncate(rows);
            }
            Column::Int64(x, v) => {
                x.truncate(rows);
                v.truncate(rows);
            }
            Column::Float64(x, v) => {
                x.truncate(rows);
                v.truncate(rows);
            }
            Column::Bool(x, v) => {
                x.truncate(rows);
                v.truncate(rows);
            }
            Column::Utf8(s) => s.truncate(rows),
            Column::Struct {
                children, valid, ..
            } => {
                for c in children.iter_mut() {
                    c.truncate(rows);
                }
                valid.truncate(rows);
            }
            Column::List {
                child,
                offsets,
                valid,
                ..
            } => {
                let rows = rows.min(valid.len());
                child.truncate(offsets[rows] as usize);
                offsets.truncate(rows + 1);
                valid.truncate(rows);
            }
            Column::Map {
                keys,
                values,
                offsets,
                valid,
                ..
            } => {
                let rows = rows.min(valid.len());
                keys.truncate(offsets[rows] as usize);
                values.truncate(offsets[rows] as usize);
                offsets.truncate(rows + 1);
                valid.truncate(rows);
            }
        }
    }

    /// Empties the column, keeping its allocations.
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Appends `rows` of `other`, a column of the same type.
    pub fn append(&mut self, other: &Column, rows: Range<usize>) {
        match (self, other) {
            (Column::Int32(x, v), Column::Int32(ox, ov)) => {
                x.extend_from_slice(&ox[rows.clone()]);
                v.extend_from_slice(&ov[rows]);
            }
            (Column::Int64(x, v), Column::Int64(ox, ov)) => {
                x.extend_from_slice(&ox[rows.clone()]);
                v.extend_from_slice(&ov[rows]);
            }
            (Column::Float64(x, v), Column::Float64(ox, ov)) => {
                x.extend_from_slice(&ox[rows.clone()]);
                v.extend_from_slice(&ov[rows]);
            }
            (Column::Bool(x, v), Column::Bool(ox, ov)) => {
                x.extend_from_slice(&ox[rows.clone()]);
                v.extend_from_slice(&ov[rows]);
            }
            (Column::Utf8(s), Column::Utf8(o)) => s.append(o, rows),
            (
                Column::Struct {
                    children, valid, ..
                },
                Column::Struct {
                    children: oc,
                    valid: ov,
                    ..
                },
            ) => {
                for (c, o) in children.iter_mut().zip(oc) {
                    c.append(o, rows.clone());
                }
                valid.extend_from_slice(&ov[rows]);
            }
            (
                Column::List {
                    child,
                    offsets,
                    valid,
                    ..
                },
                Column::List {
                    child: ochild,
                    offsets: oo,
                    valid: ov,
                    ..
                },
            ) => {
                let (from, to) = (oo[rows.start], oo[rows.end]);
                let shift = child.len() as i32 - from;
                child.append(ochild, from as usize..to as usize);
                offsets.extend(oo[rows.start + 1..=rows.end].iter().map(|o| o + shift));
                valid.extend_from_slice(&ov[rows]);
            }
            (
                Column::Map {
                    keys,
                    values,
                    offsets,
                    valid,
                    ..
                },
                Column::Map {
                    keys: ok,
                    values: ovals,
                    offsets: oo,
                    valid: ov,
                    ..
                },
            ) => {
                let (from, to) = (oo[rows.start], oo[rows.end]);
                let shift = keys.len() as i32 - from;
                keys.append(ok, from as usize..to as usize);
                values.append(ovals, from as usize..to as usize);
                offsets.extend(oo[rows.start + 1..=rows.end].iter().map(|o| o + shift));
                valid.extend_from_slice(&ov[rows]);
            }
            (column, _) => {
                // Both sides come from one schema, so this cannot happen; keep rows aligned.
                rows.for_each(|_| column.push_null());
            }
        }
    }

    /// The value at `row` as JSON (for validation), `None` when null.
    pub fn value_at(&self, row: usize) -> Option<Value> {
        let valid = |v: &Vec<bool>| v[row];
        match self {
            Column::Int32(x, v) => valid(v).then(|| Value::from(x[row])),
            Column::Int64(x, v) => valid(v).then(|| Value::from(x[row])),
            Column::Float64(x, v) => valid(v).then(|| Value::from(x[row])),
            Column::Bool(x, v) => valid(v).then(|| Value::from(x[row])),
            Column::Utf8(s) => s.get(row).map(Value::from),
            Column::Struct {
                fields,
                children,
                valid: v,
            } => valid(v).then(|| {
                Value::Object(
                    fields
                        .iter()
                        .zip(children)
                        .filter_map(|(f, c)| Some((f.name().clone(), c.value_at(row)?)))
                        .collect(),
                )
            }),
            Column::List {
                child,
                offsets,
                valid: v,
                ..
            } => valid(v).then(|| {
                let items = offsets[row] as usize..offsets[row + 1] as usize;
                Value::Array(
                    items
                        .map(|i| child.value_at(i).unwrap_or(Value::Null))
                        .collect(),
                )
            }),
            Column::Map {
                keys,
                values,
                offsets,
                valid: v,
                ..
            } => valid(v).then(|| {
                let entries = offsets[row] as usize..offsets[row + 1] as usize;
                Value::Object(
                    entries
                        .filter_map(|i| Some((keys.get(i)?.to_owned(), values.get(i)?.into())))
                        .collect(),
                )
            }),
        }
    }

    /// The column as an Arrow array; the column is left empty.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Int32(x, v) => Arc::new(Int32Array::new(
                ScalarBuffer::from(std::mem::take(x)),
                nulls(v),
            )),
            Column::Int64(x, v) => Arc::new(Int64Array::new(
                ScalarBuffer::from(std::mem::take(x)),
                nulls(v),
            )),
            Column::Float64(x, v) => Arc::new(Float64Array::new(
                ScalarBuffer::from(std::mem::take(x)),
                nulls(v),
            )),
            Column::Bool(x, v) => Arc::new(BooleanArray::new(
                std::mem::take(x).into_iter().collect(),
                nulls(v),
            )),
            Column::Utf8(s) => Arc::new(s.finish()),
            Column::Struct {
                fields,
                children,
                valid,
            } => {
                let arrays: Vec<ArrayRef> = children.iter_mut().map(Column::finish).collect();
                Arc::new(StructArray::new(fields.clone(), arrays, nulls(valid)))
            }
            Column::List {
                item,
                child,
                offsets,
                valid,
            } => {
                let values = child.finish();
                let offsets = OffsetBuffer::new(std::mem::replace(offsets, vec![0]).into());
                Arc::new(ListArray::new(item.clone(), offsets, values, nulls(valid)))
            }
            Column::Map {
                entries,
                keys,
                values,
                offsets,
                valid,
            } => {
                let DataType::Struct(entry_fields) = entries.data_type() else {
                    unreachable!("map entries are a struct")
                };
                let keys: ArrayRef = Arc::new(keys.finish());
                let values: ArrayRef = Arc::new(values.finish());
                let entry_array = StructArray::new(entry_fields.clone(), vec![keys, values], None);
                let offsets = OffsetBuffer::new(std::mem::replace(offsets, vec![0]).into());
                Arc::new(MapArray::new(
                    entries.clone(),
                    offsets,
                    entry_array,
                    nulls(valid),
                    false,
                ))
            }
        }
    }
}

/// Appends a value as the text of a string column: strings as they are, everything
/// else as JSON.
pub fn write_text(v: &Typed<'_>, out: &mut Vec<u8>) {
    match v {
        Typed::Str(s) => out.extend_from_slice(s.as_bytes()),
        Typed::Json(j) => write_raw_text(j, out),
        other => other.write_json(out),
    }
}

/// Appends raw JSON as the text of a string column: a JSON string decoded, anything
/// else as compact JSON.
pub fn write_raw_text(json: &str, out: &mut Vec<u8>) {
    if json.len() >= 2 && json.starts_with('"') {
        out.extend_from_slice(decode_json_string(json).as_bytes());
    } else {
        write_compact_json(json, out);
    }
}
