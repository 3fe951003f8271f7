//! Column builders for one class: events (as typed trees) in, Arrow arrays out.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListArray, MapArray,
    StringBuilder, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, FieldRef, Fields};

use crate::plan::Typed;

/// A column being built, shaped like its Arrow type.
pub enum Column {
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Bool(BooleanBuilder),
    Utf8(StringBuilder),
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
        keys: StringBuilder,
        values: StringBuilder,
        offsets: Vec<i32>,
        valid: Vec<bool>,
    },
}

impl Column {
    pub fn new(t: &DataType) -> Self {
        match t {
            DataType::Int32 => Column::Int32(Int32Builder::new()),
            DataType::Int64 => Column::Int64(Int64Builder::new()),
            DataType::Float64 => Column::Float64(Float64Builder::new()),
            DataType::Boolean => Column::Bool(BooleanBuilder::new()),
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
                keys: StringBuilder::new(),
                values: StringBuilder::new(),
                offsets: vec![0],
                valid: Vec::new(),
            },
            _ => Column::Utf8(StringBuilder::new()),
        }
    }

    pub fn push_null(&mut self) {
        match self {
            Column::Int32(b) => b.append_null(),
            Column::Int64(b) => b.append_null(),
            Column::Float64(b) => b.append_null(),
            Column::Bool(b) => b.append_null(),
            Column::Utf8(b) => b.append_null(),
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
            (Column::Int32(b), Typed::Int(n)) => match i32::try_from(*n) {
                Ok(n) => b.append_value(n),
                Err(_) => b.append_null(),
            },
            (Column::Int64(b), Typed::Int(n)) => b.append_value(*n),
            (Column::Float64(b), Typed::Float(f)) => b.append_value(*f),
            (Column::Float64(b), Typed::Int(n)) => b.append_value(*n as f64),
            (Column::Bool(b), Typed::Bool(x)) => b.append_value(*x),
            (Column::Utf8(b), v) => b.append_value(text(v)),
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
                let end = offsets.last().copied().unwrap_or(0) + items.len() as i32;
                offsets.push(end);
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
                    keys.append_value(k);
                    values.append_value(text(v));
                }
                let end = offsets.last().copied().unwrap_or(0) + entries.len() as i32;
                offsets.push(end);
                valid.push(true);
            }
            (column, _) => column.push_null(),
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Int32(b) => Arc::new(b.finish()),
            Column::Int64(b) => Arc::new(b.finish()),
            Column::Float64(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Utf8(b) => Arc::new(b.finish()),
            Column::Struct {
                fields,
                children,
                valid,
            } => {
                let arrays: Vec<ArrayRef> = children.iter_mut().map(Column::finish).collect();
                let nulls = NullBuffer::from(std::mem::take(valid));
                Arc::new(StructArray::new(fields.clone(), arrays, Some(nulls)))
            }
            Column::List {
                item,
                child,
                offsets,
                valid,
            } => {
                let values = child.finish();
                let offsets = OffsetBuffer::new(std::mem::replace(offsets, vec![0]).into());
                let nulls = NullBuffer::from(std::mem::take(valid));
                Arc::new(ListArray::new(item.clone(), offsets, values, Some(nulls)))
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
                let nulls = NullBuffer::from(std::mem::take(valid));
                Arc::new(MapArray::new(
                    entries.clone(),
                    offsets,
                    entry_array,
                    Some(nulls),
                    false,
                ))
            }
        }
    }
}

/// A value as the text of a string column: strings as they are, everything else as JSON.
fn text(v: &Typed<'_>) -> String {
    match v {
        Typed::Str(s) => s.to_string(),
        Typed::Json(j) if j.starts_with('"') => {
            serde_json::from_str::<String>(j).unwrap_or_else(|_| j.to_string())
        }
        other => {
            let mut buf = Vec::new();
            other.write_json(&mut buf);
            String::from_utf8(buf).unwrap_or_default()
        }
    }
}
