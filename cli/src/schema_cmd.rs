//! `ocsfmap schema`: the Arrow schema and the Glue/Athena table of each class a
//! mapping writes as Parquet, so tables can be made without a crawler, and the
//! `aws securitylake create-custom-log-source` command that registers each class.

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
    /// `arrow` (the Parquet files' schema), `glue` (CREATE EXTERNAL TABLE statements) or
    /// `security-lake` (the AWS CLI commands that register each class as a custom source).
    #[arg(long, value_enum, default_value = "arrow")]
    format: Format,
    /// Security Lake: the IAM role the custom source's Glue crawler assumes.
    #[arg(
        long,
        value_name = "ARN",
        default_value = "arn:aws:iam::ACCOUNT:role/GLUE-CRAWLER-ROLE"
    )]
    glue_role_arn: String,
    /// Security Lake: the AWS account (or principal) that writes the source's data.
    #[arg(long, value_name = "PRINCIPAL", default_value = "ACCOUNT")]
    principal: String,
    /// Security Lake: the external id of the provider role.
    #[arg(long, value_name = "ID", default_value = "ocsfmap")]
    external_id: String,
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
    SecurityLake,
}

/// The event classes `create-custom-log-source` takes (Security Lake API reference,
/// `CreateCustomLogSource`, `eventClasses`).
const SECURITY_LAKE_CLASSES: &[&str] = &[
    "ACCESS_ACTIVITY",
    "FILE_ACTIVITY",
    "KERNEL_ACTIVITY",
    "KERNEL_EXTENSION",
    "MEMORY_ACTIVITY",
    "MODULE_ACTIVITY",
    "PROCESS_ACTIVITY",
    "REGISTRY_KEY_ACTIVITY",
    "REGISTRY_VALUE_ACTIVITY",
    "RESOURCE_ACTIVITY",
    "SCHEDULED_JOB_ACTIVITY",
    "SECURITY_FINDING",
    "ACCOUNT_CHANGE",
    "AUTHENTICATION",
    "AUTHORIZATION",
    "ENTITY_MANAGEMENT_AUDIT",
    "DHCP_ACTIVITY",
    "NETWORK_ACTIVITY",
    "DNS_ACTIVITY",
    "FTP_ACTIVITY",
    "HTTP_ACTIVITY",
    "RDP_ACTIVITY",
    "SMB_ACTIVITY",
    "SSH_ACTIVITY",
    "CONFIG_STATE",
    "INVENTORY_INFO",
    "EMAIL_ACTIVITY",
    "API_ACTIVITY",
    "CLOUD_API",
];

/// The longest source name Security Lake advises: it becomes part of the provider
/// role's name (`AmazonSecurityLake-Provider-<name>-<region>`), which IAM caps at 64.
const ADVISED_NAME_CHARS: usize = 20;

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
        Format::SecurityLake => classes
            .iter()
            .map(|c| security_lake_text(c, args))
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

/// The command that registers one class's folder as a Security Lake custom source.
/// No `--source-version`: with one, the location Security Lake makes for the source is
/// said to gain a version folder, and the function writes `ext/<source>/` itself.
fn security_lake_text(c: &ClassSource, args: &Args) -> String {
    let class = c.class_name.to_ascii_uppercase();
    let mut out = format!(
        "# ext/{}/: class {} ({})\n",
        c.source, c.class_uid, c.class_name
    );
    if !SECURITY_LAKE_CLASSES.contains(&class.as_str()) {
        let _ = writeln!(
            out,
            "# note: {class} is not among the event classes Security Lake's API reference lists; check that it is accepted"
        );
    }
    let chars = c.source.chars().count();
    if chars > ADVISED_NAME_CHARS {
        let _ = writeln!(
            out,
            "# note: `{}` has {chars} characters; Security Lake advises at most {ADVISED_NAME_CHARS} (the name goes into an IAM role name): a shorter `source_name` in the mapping shortens it",
            c.source
        );
    }
    let configuration = serde_json::json!({
        "crawlerConfiguration": {"roleArn": args.glue_role_arn},
        "providerIdentity": {"principal": args.principal, "externalId": args.external_id},
    });
    let _ = writeln!(
        out,
        "aws securitylake create-custom-log-source \\\n    --source-name {} \\\n    --event-classes {class} \\\n    --configuration '{configuration}'",
        c.source
    );
    out
}
