//! Arrow schemas derived from the plan and the OCSF types, never from the data: every
//! file of a (mapping, class) has the same schema, whatever its rows hold.
//!
//! integer_t -> Int32; long_t, timestamp_t -> Int64; float_t -> Float64; boolean_t ->
//! Boolean; string types and datetime_t -> Utf8; json_t -> Utf8 (JSON text); objects ->
//! Struct; arrays -> List; `unmapped` -> Map<Utf8, Utf8> (nested values as JSON text).
//! An object nested deeper than [`MAX_DEPTH`] (recursive objects such as
//! `process.parent_process`) is a Utf8 column of JSON text.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema as ArrowSchema};

use ocsfmap_core::plan::{Kind, Shape, Target};
use ocsfmap_core::schema::{AttrType, Attribute, Class, Schema};

/// Objects below this depth become JSON text columns.
pub const MAX_DEPTH: usize = 4;

/// The Arrow schema of a class's files, from what the plan's routes of that class write.
pub fn class_schema(schema: &Schema, class: &Class, shapes: &[(String, Shape)]) -> ArrowSchema {
    // `unmapped` is the last column, whichever route added attributes after it.
    let (rest, unmapped): (Vec<_>, Vec<_>) =
        shapes.iter().partition(|(name, _)| name != "unmapped");
    let fields: Vec<Field> = rest
        .into_iter()
        .chain(unmapped)
        .map(|(name, shape)| match class.attributes.get(name) {
            Some(attr) => field(schema, name, attr, shape, 0),
            None => Field::new(name, DataType::Utf8, true),
        })
        .collect();
    ArrowSchema::new(fields)
}

fn field(schema: &Schema, name: &str, attr: &Attribute, shape: &Shape, depth: usize) -> Field {
    Field::new(name, data_type(schema, attr, shape, depth), true)
}

/// The map type of `unmapped`: string keys, string values (JSON text when nested).
pub fn unmapped_type() -> DataType {
    let entries = Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ]);
    DataType::Map(
        Arc::new(Field::new("entries", DataType::Struct(entries), false)),
        false,
    )
}

fn data_type(schema: &Schema, attr: &Attribute, shape: &Shape, depth: usize) -> DataType {
    match shape {
        Shape::Unmapped => unmapped_type(),
        Shape::Object(children) if !attr.is_array => match &attr.ty {
            AttrType::Object(object) if depth < MAX_DEPTH => {
                let Some(def) = schema.object(object) else {
                    return DataType::Utf8;
                };
                let fields: Vec<Field> = children
                    .iter()
                    .map(|(n, s)| match def.attributes.get(n) {
                        Some(a) => field(schema, n, a, s, depth + 1),
                        None => Field::new(n, DataType::Utf8, true),
                    })
                    .collect();
                DataType::Struct(Fields::from(fields))
            }
            _ => DataType::Utf8,
        },
        Shape::List(element) => {
            let item = element_type(schema, attr, element, depth);
            DataType::List(Arc::new(Field::new("item", item, true)))
        }
        Shape::Value(Target {
            kind: Kind::Json, ..
        }) => DataType::Utf8,
        _ => full_type(schema, &attr.ty, attr.is_array, depth),
    }
}

fn element_type(schema: &Schema, attr: &Attribute, element: &Shape, depth: usize) -> DataType {
    let one = Attribute {
        is_array: false,
        ..attr.clone()
    };
    match element {
        Shape::Object(_) => data_type(schema, &one, element, depth),
        _ => full_type(schema, &attr.ty, false, depth),
    }
}

/// The type of an attribute written as a whole: every attribute of an object.
fn full_type(schema: &Schema, ty: &AttrType, array: bool, depth: usize) -> DataType {
    let base = match ty {
        AttrType::Int => DataType::Int32,
        AttrType::Long | AttrType::Timestamp => DataType::Int64,
        AttrType::Float => DataType::Float64,
        AttrType::Bool => DataType::Boolean,
        AttrType::String | AttrType::Ip | AttrType::Datetime | AttrType::Json => DataType::Utf8,
        AttrType::Object(_) if depth >= MAX_DEPTH => DataType::Utf8,
        AttrType::Object(object) => match schema.object(object) {
            Some(def) => {
                let mut names: Vec<&String> = def.attributes.keys().collect();
                names.sort();
                let fields: Vec<Field> = names
                    .into_iter()
                    .map(|n| {
                        let a = &def.attributes[n];
                        Field::new(n, full_type(schema, &a.ty, a.is_array, depth + 1), true)
                    })
                    .collect();
                DataType::Struct(Fields::from(fields))
            }
            None => DataType::Utf8,
        },
    };
    if array {
        DataType::List(Arc::new(Field::new("item", base, true)))
    } else {
        base
    }
}

/// The Glue/Athena (Hive DDL) type of an Arrow type.
pub fn glue_type(t: &DataType) -> String {
    match t {
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Struct(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| format!("{}:{}", f.name(), glue_type(f.data_type())))
                .collect();
            format!("struct<{}>", inner.join(","))
        }
        DataType::List(item) => format!("array<{}>", glue_type(item.data_type())),
        DataType::Map(..) => "map<string,string>".into(),
        _ => "string".into(),
    }
}
