//! `ocsfmap-lambda`: the Lambda function. The cold start loads the sources config,
//! compiles every mapping once and makes the S3 client; each invocation runs the
//! handler on a blocking thread (never on the async executor) and answers with the
//! partial-batch response. A cold start that fails prints one line and exits non-zero,
//! which Lambda reports as an init error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{LambdaEvent, service_fn};
use ocsfmap_aws::S3;
use ocsfmap_lambda::report::{event_line, log_warnings, stdout_line};
use ocsfmap_lambda::s3::S3Objects;
use ocsfmap_lambda::{Handler, Sources};
use serde_json::{Map, Value, json};
use tokio::runtime::Handle;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ocsfmap-lambda: cold start failed: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: Lambda shows it with the init error.
            eprintln!("ocsfmap-lambda: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let path = config_path()?;
    let lake_bucket = env("OCSFMAP_LAKE_BUCKET");
    let sources = Sources::load(&path, lake_bucket.as_deref()).map_err(|e| {
        let problems: Vec<String> = e.0.iter().map(ToString::to_string).collect();
        format!("cold start failed: {}", problems.join("; "))
    })?;
    log_warnings(&sources.warnings, stdout_line);
    let mut f = Map::new();
    f.insert("config".into(), json!(path.display().to_string()));
    f.insert(
        "sources".into(),
        json!(sources.sources.iter().map(|s| &s.name).collect::<Vec<_>>()),
    );
    f.insert("lake_bucket".into(), json!(sources.lake.bucket));
    f.insert("set_aside".into(), json!(sources.set_aside.to_string()));
    stdout_line(&event_line("INFO", "cold start", f));

    let objects = Arc::new(S3Objects {
        s3: S3::from_env().await,
        handle: Handle::current(),
    });
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let pool = if threads > 1 {
        Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| format!("cold start failed: cannot start worker threads: {e}"))?,
        )
    } else {
        None
    };
    let handler = Arc::new(Handler {
        sources: Arc::new(sources),
        objects,
        pool,
        max_buffer_bytes: buffer_bytes(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").as_deref()),
        log: Box::new(stdout_line),
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = Arc::clone(&handler);
        async move {
            // The engine blocks (it reads S3 through blocking readers and uses its own
            // threads): never on the async executor.
            let deadline = deadline_instant(event.context.deadline);
            tokio::task::spawn_blocking(move || handler.handle_until(&event.payload, deadline))
                .await
                .map_err(|e| lambda_runtime::Error::from(format!("the handler stopped: {e}")))?
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
    .map_err(|e| format!("the runtime stopped: {e}"))
}

/// `OCSFMAP_SOURCES`, else `sources.yaml` then `sources_config.json` in
/// `LAMBDA_TASK_ROOT` (or the current folder).
fn config_path() -> Result<PathBuf, String> {
    if let Some(p) = env("OCSFMAP_SOURCES") {
        return Ok(PathBuf::from(p));
    }
    let root = env("LAMBDA_TASK_ROOT").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let tried = [root.join("sources.yaml"), root.join("sources_config.json")];
    tried.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "cold start failed: no sources config: set OCSFMAP_SOURCES, or bundle {} or {}",
            tried[0].display(),
            tried[1].display()
        )
    })
}

/// The invocation's deadline (milliseconds since the epoch) as an instant (now, when
/// it has passed); `None` when the runtime gave none.
fn deadline_instant(deadline_ms: u64) -> Option<Instant> {
    if deadline_ms == 0 {
        return None;
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis();
    let left = u64::try_from(u128::from(deadline_ms).saturating_sub(now_ms)).ok()?;
    Instant::now().checked_add(Duration::from_millis(left))
}

/// The Parquet buffer (all classes together): an eighth of the function's memory,
/// between 8 and 128 MiB.
fn buffer_bytes(memory_mb: Option<&str>) -> usize {
    let mb: usize = memory_mb.and_then(|m| m.parse().ok()).unwrap_or(1024);
    ((mb << 20) / 8).clamp(8 << 20, 128 << 20)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
