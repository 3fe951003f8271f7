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
    // The primitive kinds: one generic implementation, [`Values`].
    Int32(Values<i32>),
    Int64(Values<i64>),
    Float64(Values<f64>),
    Bool(Values<bool>),
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

/// A primitive Arrow type that a column holds one value of per row.
pub trait Primitive: Copy + Default + Into<Value> + std::fmt::Debug {
    /// `v` in this type, `None` when it has another shape or does not fit (the row is
    /// then null; validation names such values).
    fn from_typed(v: &Typed<'_>) -> Option<Self>;
    /// The Arrow array of `values`.
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef;
}

impl Primitive for i32 {
    fn from_typed(v: &Typed<'_>) -> Option<Self> {
        match v {
            // Out of integer_t's range: null.
            Typed::Int(n) => i32::try_from(*n).ok(),
            _ => None,
        }
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(Int32Array::new(ScalarBuffer::from(values), nulls))
    }
}

impl Primitive for i64 {
    fn from_typed(v: &Typed<'_>) -> Option<Self> {
        match v {
            Typed::Int(n) => Some(*n),
            _ => None,
        }
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(Int64Array::new(ScalarBuffer::from(values), nulls))
    }
}

impl Primitive for f64 {
    fn from_typed(v: &Typed<'_>) -> Option<Self> {
        match v {
            Typed::Float(f) => Some(*f),
            Typed::Int(n) => Some(*n as f64),
            _ => None,
        }
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(Float64Array::new(ScalarBuffer::from(values), nulls))
    }
}

impl Primitive for bool {
    fn from_typed(v: &Typed<'_>) -> Option<Self> {
        match v {
            Typed::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn array(values: Vec<Self>, nulls: Option<NullBuffer>) -> ArrayRef {
        Arc::new(BooleanArray::new(values.into_iter().collect(), nulls))
    }
}

/// A column of one primitive type: a value per row (the type's default under a null)
/// and validity.
#[derive(Debug, Default)]
pub struct Values<T> {
    values: Vec<T>,
    valid: Vec<bool>,
}

impl<T: Primitive> Values<T> {
    fn len(&self) -> usize {
        self.valid.len()
    }

    #[inline]
    fn push(&mut self, v: Option<T>) {
        self.values.push(v.unwrap_or_default());
        self.valid.push(v.is_some());
    }

    /// The value at `row`, `None` when null.
    pub fn get(&self, row: usize) -> Option<T> {
        self.valid[row].then(|| self.values[row])
    }

    fn byte_size(&self) -> usize {
        std::mem::size_of_val(self.values.as_slice()) + self.valid.len()
    }

    fn truncate(&mut self, rows: usize) {
        self.values.truncate(rows);
        self.valid.truncate(rows);
    }

    fn append(&mut self, other: &Values<T>, rows: Range<usize>) {
        self.values.extend_from_slice(&other.values[rows.clone()]);
        self.valid.extend_from_slice(&other.valid[rows]);
    }

    fn finish(&mut self) -> ArrayRef {
        T::array(std::mem::take(&mut self.values), nulls(&mut self.valid))
    }
}

/// A `match` on a column whose four primitive kinds share one arm, `$v` bound to their
/// [`Values`]; the other arms follow.
macro_rules! match_column {
    ($column:expr, $v:ident => $primitive:expr, $($rest:tt)*) => {
        match $column {
            Column::Int32($v) => $primitive,
            Column::Int64($v) => $primitive,
            Column::Float64($v) => $primitive,
            Column::Bool($v) => $primitive,
            $($rest)*
        }
    };
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
        let bytes = append_offsets(&mut self.offsets, &other.offsets, &rows);
        self.data.extend_from_slice(&other.data[bytes]);
        self.valid.extend_from_slice(&other.valid[rows]);
    }

    fn get(&self, row: usize) -> Option<&str> {
        let bytes = &self.data[self.offsets[row] as usize..self.offsets[row + 1] as usize];
        self.valid[row].then(|| std::str::from_utf8(bytes).unwrap_or_default())
    }

    fn finish(&mut self) -> StringArray {
        let data = Buffer::from_vec(std::mem::take(&mut self.data));
        let offsets = take_offsets(&mut self.offsets);
        let nulls = nulls(&mut self.valid);
        // Every value was appended from a `&str`, whole.
        StringArray::new(offsets, data, nulls)
    }
}

/// Appends the offsets of `other`'s `rows` after the last of `offsets`, and returns the
/// range of `other`'s children (bytes, items, entries) those rows span.
fn append_offsets(offsets: &mut Vec<i32>, other: &[i32], rows: &Range<usize>) -> Range<usize> {
    let (from, to) = (other[rows.start], other[rows.end]);
    let shift = offsets.last().copied().unwrap_or(0) - from;
    offsets.extend(other[rows.start + 1..=rows.end].iter().map(|o| o + shift));
    from as usize..to as usize
}

/// The offsets as an Arrow buffer; `offsets` is left holding the one offset of no rows.
fn take_offsets(offsets: &mut Vec<i32>) -> OffsetBuffer<i32> {
    OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])))
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
            DataType::Int32 => Column::Int32(Values::default()),
            DataType::Int64 => Column::Int64(Values::default()),
            DataType::Float64 => Column::Float64(Values::default()),
            DataType::Boolean => Column::Bool(Values::default()),
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
        let offsets = |o: &Vec<i32>, v: &Vec<bool>| std::mem::size_of_val(o.as_slice()) + v.len();
        match_column! { self, v => v.byte_size(),
            Column::Utf8(s) => s.byte_size(),
            Column::Struct {
                children, valid, ..
            } => valid.len() + children.iter().map(Column::byte_size).sum::<usize>(),
            Column::List {
                child,
                offsets: o,
                valid,
                ..
            } => offsets(o, valid) + child.byte_size(),
            Column::Map {
                keys,
                values,
                offsets: o,
                valid,
                ..
            } => offsets(o, valid) + keys.byte_size() + values.byte_size(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows in the column.
    pub fn len(&self) -> usize {
        match_column! { self, v => v.len(),
            Column::Struct { valid: v, .. }
            | Column::List { valid: v, .. }
            | Column::Map { valid: v, .. } => v.len(),
            Column::Utf8(s) => s.len(),
        }
    }

    pub fn push_null(&mut self) {
        match_column! { self, v => v.push(None),
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
            (Column::Int32(x), v) => x.push(Primitive::from_typed(v)),
            (Column::Int64(x), v) => x.push(Primitive::from_typed(v)),
            (Column::Float64(x), v) => x.push(Primitive::from_typed(v)),
            (Column::Bool(x), v) => x.push(Primitive::from_typed(v)),
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
        match_column! { self, v => v.truncate(rows),
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
            (Column::Int32(v), Column::Int32(o)) => v.append(o, rows),
            (Column::Int64(v), Column::Int64(o)) => v.append(o, rows),
            (Column::Float64(v), Column::Float64(o)) => v.append(o, rows),
            (Column::Bool(v), Column::Bool(o)) => v.append(o, rows),
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
                let items = append_offsets(offsets, oo, &rows);
                child.append(ochild, items);
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
                let entries = append_offsets(offsets, oo, &rows);
                keys.append(ok, entries.clone());
                values.append(ovals, entries);
                valid.extend_from_slice(&ov[rows]);
            }
            (column, _) => {
                // Both sides come from one schema, so this cannot happen; keep rows aligned.
                rows.for_each(|_| column.push_null());
            }
        }
    }

    /// The value at `row` of an Int64 column, `None` when null or another type.
    pub fn int64_at(&self, row: usize) -> Option<i64> {
        match self {
            Column::Int64(v) => v.get(row),
            _ => None,
        }
    }

    /// The value at `row` as JSON (for validation), `None` when null.
    pub fn value_at(&self, row: usize) -> Option<Value> {
        match_column! { self, v => v.get(row).map(Into::into),
            Column::Utf8(s) => s.get(row).map(Value::from),
            Column::Struct {
                fields,
                children,
                valid,
            } => valid[row].then(|| {
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
                valid,
                ..
            } => valid[row].then(|| {
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
                valid,
                ..
            } => valid[row].then(|| {
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
        match_column! { self, v => v.finish(),
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
                let offsets = take_offsets(offsets);
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
                let offsets = take_offsets(offsets);
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

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Field, Int32Type, Int64Type};
    use serde_json::json;

    use super::*;

    fn int(n: i64) -> Typed<'static> {
        Typed::Int(n)
    }

    fn text(s: &'static str) -> Typed<'static> {
        Typed::Str(s.into())
    }

    fn object(entries: Vec<(&'static str, Typed<'static>)>) -> Typed<'static> {
        Typed::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// `{n: Int32, big: Int64, f: Float64, b: Boolean, s: Utf8, tags: List<Int64>,
    /// ep: {ip: Utf8, port: Int32}, unmapped: Map<Utf8, Utf8>}`.
    fn event_type() -> DataType {
        let entries = Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![
                Field::new("keys", DataType::Utf8, false),
                Field::new("values", DataType::Utf8, true),
            ])),
            false,
        );
        DataType::Struct(Fields::from(vec![
            Field::new("n", DataType::Int32, true),
            Field::new("big", DataType::Int64, true),
            Field::new("f", DataType::Float64, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("s", DataType::Utf8, true),
            Field::new_list("tags", Field::new_list_field(DataType::Int64, true), true),
            Field::new_struct(
                "ep",
                vec![
                    Field::new("ip", DataType::Utf8, true),
                    Field::new("port", DataType::Int32, true),
                ],
                true,
            ),
            Field::new("unmapped", DataType::Map(Arc::new(entries), false), true),
        ]))
    }

    fn full_event(n: i64) -> Typed<'static> {
        object(vec![
            ("n", int(n)),
            ("big", int(n * 1_000_000_000_000)),
            ("f", Typed::Float(0.5)),
            ("b", Typed::Bool(true)),
            ("s", text("x")),
            ("tags", Typed::Array(vec![int(1), int(n)])),
            (
                "ep",
                object(vec![("ip", text("10.0.0.1")), ("port", int(443))]),
            ),
            ("unmapped", object(vec![("k", text("v")), ("o", int(7))])),
        ])
    }

    #[test]
    fn values_of_every_kind_read_back() {
        let mut c = Column::new(&event_type());
        c.push(&full_event(3));
        assert_eq!(
            c.value_at(0).unwrap(),
            json!({"n": 3, "big": 3_000_000_000_000_i64, "f": 0.5, "b": true, "s": "x",
                   "tags": [1, 3], "ep": {"ip": "10.0.0.1", "port": 443},
                   "unmapped": {"k": "v", "o": "7"}})
        );
        let array = c.finish();
        let rows = array.as_struct();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows.column(0).as_primitive::<Int32Type>().value(0), 3);
        assert_eq!(
            rows.column(1).as_primitive::<Int64Type>().value(0),
            3_000_000_000_000
        );
        let tags = rows.column(5).as_list::<i32>();
        assert_eq!(
            tags.value(0).as_primitive::<Int64Type>().values().to_vec(),
            [1, 3]
        );
        let unmapped = rows.column(7).as_map();
        assert_eq!(unmapped.value(0).len(), 2);
        assert!(c.is_empty(), "finish leaves the column empty");
    }

    #[test]
    fn nulls_and_values_of_another_shape() {
        let mut c = Column::new(&event_type());
        // Out of Int32's range, a string for a number, a number for a boolean, an
        // object for a string (as JSON), a scalar for a list, a struct missing a key.
        c.push(&object(vec![
            ("n", int(1 << 40)),
            ("big", text("12")),
            ("f", int(2)),
            ("b", int(1)),
            ("s", object(vec![("a", int(1))])),
            ("tags", int(5)),
            ("ep", object(vec![("port", int(22))])),
        ]));
        c.push_null();
        assert_eq!(
            c.value_at(0).unwrap(),
            json!({"f": 2.0, "s": "{\"a\":1}", "ep": {"port": 22}})
        );
        assert_eq!(c.value_at(1), None);
        let array = c.finish();
        let rows = array.as_struct();
        assert!(rows.is_null(1));
        assert!(rows.column(0).is_null(0) && rows.column(1).is_null(0));
        assert!(rows.column(5).is_null(0) && rows.column(7).is_null(0));
        let ep = rows.column(6).as_struct();
        assert!(ep.is_valid(0) && ep.column(0).is_null(0));
    }

    #[test]
    fn lists_of_structs_keep_their_items_apart() {
        let item = Field::new_struct("item", vec![Field::new("v", DataType::Int64, true)], true);
        let mut c = Column::new(&DataType::List(Arc::new(item)));
        let items =
            |vs: &[i64]| Typed::Array(vs.iter().map(|&v| object(vec![("v", int(v))])).collect());
        c.push(&items(&[1, 2]));
        c.push(&items(&[]));
        c.push_null();
        c.push(&items(&[3]));
        let got: Vec<_> = (0..4).map(|r| c.value_at(r)).collect();
        assert_eq!(
            got,
            [
                Some(json!([{"v": 1}, {"v": 2}])),
                Some(json!([])),
                None,
                Some(json!([{"v": 3}]))
            ]
        );
        let array = c.finish();
        let list = array.as_list::<i32>();
        assert_eq!(list.value_offsets(), [0, 2, 2, 2, 3]);
        assert!(list.is_null(2));
    }

    #[test]
    fn a_refused_event_is_rolled_back_without_a_trace() {
        let mut c = Column::new(&event_type());
        c.push(&full_event(1));
        let before = c.byte_size();
        // An event written half way (a struct, a list item, a map entry), then refused.
        let Column::Struct { children, .. } = &mut c else {
            unreachable!()
        };
        children[0].push(&int(9));
        children[5].push(&Typed::Array(vec![int(4), int(5), int(6)]));
        children[7].map_entry("half", |out| out.extend_from_slice(b"way"));
        c.truncate(1);
        assert_eq!((c.len(), c.byte_size()), (1, before));
        c.push(&full_event(2));
        assert_eq!(c.value_at(1).unwrap()["tags"], json!([1, 2]));
        assert_eq!(
            c.value_at(1).unwrap()["unmapped"],
            json!({"k": "v", "o": "7"})
        );
        let array = c.finish();
        let tags = array.as_struct().column(5).as_list::<i32>();
        assert_eq!(tags.value_offsets(), [0, 2, 4]);
    }

    #[test]
    fn rows_appended_from_another_column_shift_their_offsets() {
        let mut batch = Column::new(&event_type());
        for n in 0..4 {
            batch.push(&full_event(n));
        }
        batch.push_null();
        let mut file = Column::new(&event_type());
        file.push(&full_event(10));
        file.append(&batch, 2..5);
        assert_eq!(file.len(), 4);
        let expected = [Some(10), Some(2), Some(3), None];
        for (row, n) in expected.into_iter().enumerate() {
            assert_eq!(
                file.value_at(row).map(|e| e["tags"].clone()),
                n.map(|n| json!([1, n])),
                "row {row}"
            );
        }
        assert_eq!(
            file.value_at(2).unwrap(),
            batch.value_at(3).unwrap(),
            "an appended row is the row it was copied from"
        );
    }

    #[test]
    fn a_column_is_reused_between_files() {
        let mut c = Column::new(&event_type());
        for n in 0..3 {
            c.push(&full_event(n));
        }
        let first = c.finish();
        let empty = Column::new(&event_type()).byte_size();
        assert_eq!((c.len(), c.byte_size()), (0, empty), "as a new column");
        c.push(&full_event(7));
        let second = c.finish();
        assert_eq!(first.len(), 3);
        assert_eq!(second.len(), 1);
        let rows = second.as_struct();
        assert_eq!(rows.column(0).as_primitive::<Int32Type>().value(0), 7);
        assert_eq!(
            rows.column(5).as_list::<i32>().value_offsets(),
            [0, 2],
            "offsets start again at zero"
        );
        assert_eq!(rows.column(4).as_string::<i32>().value_offsets(), [0, 1]);
        // Clearing keeps the column usable too.
        c.push(&full_event(8));
        c.clear();
        assert!(c.is_empty());
        c.push(&full_event(9));
        assert_eq!(c.value_at(0).unwrap()["n"], 9);
    }
}
