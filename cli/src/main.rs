//! `ocsfmap`: transform raw security logs into OCSF events with mapping files.

mod enqueue;
mod explain;
mod render;
mod s3;
mod schema_cmd;
mod test_cmd;
mod transform;
mod validate;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ocsfmap",
    version,
    about = "Map raw security logs to OCSF with declarative mapping files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transform raw events into OCSF events (JSON lines or Parquet).
    Transform(Box<transform::Args>),
    /// Check mapping files against the mapping language and the OCSF schema.
    Validate(validate::Args),
    /// Run mappings' sample inputs and compare with their expected outputs.
    Test(test_cmd::Args),
    /// Print the Arrow schema or the Glue/Athena tables of a mapping's Parquet output.
    Schema(schema_cmd::Args),
    /// Explain a diagnostic or rejection code (`OM015`), or list every code.
    Explain(explain::Args),
    /// Work an SQS queue of S3 notifications as the Lambda would (ECS, EC2, a laptop).
    Sqs(Box<worker::Args>),
    /// Send S3 objects to an SQS queue as S3 notifications (backfills through the fleet).
    Enqueue(enqueue::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Transform(args) => transform::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Test(args) => test_cmd::run(&args),
        Command::Schema(args) => schema_cmd::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Sqs(args) => worker::run(&args),
        Command::Enqueue(args) => enqueue::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ocsfmap: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
