//! `ocsfmap schema`: the Arrow schema and the Glue/Athena table of each class a
//! mapping writes as Parquet, so tables can be made without a crawler.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use arrow::datatypes::{DataType, Field};
use ocsfmap_output::parquet::schema::glue_type;
use ocsfmap_output::parquet::{ClassSource, class_sources};

use crate::transform::compile_mapping;

#[derive(clap::Args)]
pub struct Args {
    /// Mapping file (JSON or YAML).
    #[arg(long, short, value_name = "FILE")]
    mapping: PathBuf,
    /// `arrow` (the Parquet files' schema) or `glue` (CREATE EXTERNAL TABLE statements).
    #[arg(long, value_enum, default_value = "arrow")]
    format: Format,
    /// Glue: the S3 location that holds `ext/` (the Security Lake bucket).
    #[arg(
        long,
        value_name = "S3_URI",
        default_value = "s3://YOUR-SECURITY-LAKE-BUCKET"
    )]
    location: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Arrow,
    Glue,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let plan = compile_mapping(&args.mapping)?;
    let classes = class_sources(&plan).map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = match args.format {
        Format::Arrow => classes
            .iter()
            .map(arrow_text)
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Glue => classes
            .iter()
            .map(|c| glue_text(c, &args.location))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn arrow_text(c: &ClassSource) -> String {
    let mut out = format!(
        "# ext/{}: class {} ({})\n",
        c.source, c.class_uid, c.class_name
    );
    for f in c.schema.fields() {
        field_lines(f, 0, &mut out);
    }
    out
}

fn field_lines(f: &Field, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match f.data_type() {
        DataType::Struct(children) => {
            let _ = writeln!(out, "{pad}{}: struct", f.name());
            children.iter().for_each(|c| field_lines(c, depth + 1, out));
        }
        DataType::List(item) if matches!(item.data_type(), DataType::Struct(_)) => {
            let _ = writeln!(out, "{pad}{}: list<struct>", f.name());
            if let DataType::Struct(children) = item.data_type() {
                children.iter().for_each(|c| field_lines(c, depth + 1, out));
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}: {}", f.name(), type_name(other));
        }
    }
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::List(item) => format!("list<{}>", type_name(item.data_type())),
        DataType::Map(..) => "map<utf8, utf8>".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::Float64 => "float64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Utf8 => "utf8".into(),
        other => other.to_string(),
    }
}

fn glue_text(c: &ClassSource, location: &str) -> String {
    let table = c.source.replace('-', "_");
    let columns: Vec<String> = c
        .schema
        .fields()
        .iter()
        .map(|f| format!("  `{}` {}", f.name(), glue_type(f.data_type())))
        .collect();
    format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{table}` (\n{}\n)\nPARTITIONED BY (`region` string, `accountId` string, `eventDay` string)\nSTORED AS PARQUET\nLOCATION '{}/ext/{}/';\n",
        columns.join(",\n"),
        location.trim_end_matches('/'),
        c.source
    )
}
