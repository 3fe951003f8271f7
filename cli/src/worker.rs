//! `ocsfmap sqs`: the queue worker. It long-polls the queue the Lambda would read (S3
//! notifications, direct or through SNS or EventBridge), runs the same handler on each
//! message, deletes a message once every object it names is done, keeps the messages
//! it holds invisible while it works, and stops cleanly on SIGTERM or Ctrl-C: the
//! message being transformed is finished, the others it holds are released at once.
//!
//! A message that fails is left alone: it becomes visible again after the queue's
//! visibility timeout, and the queue's redrive policy moves it to the dead-letter queue
//! after its retries, exactly as with the Lambda. Outputs are named deterministically,
//! so a message handled twice (a worker killed mid-message) writes the same objects.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use ocsfmap_aws::{Queue, Received};
use ocsfmap_lambda::report::{event_line, log_warnings, stdout_line};
use ocsfmap_lambda::s3::S3Objects;
use ocsfmap_lambda::{Handler, Sources, SqsEvent, SqsMessage};
use serde_json::{Map, json};
use tokio::sync::Notify;

use crate::s3::Session;

#[derive(Parser)]
pub struct Args {
    /// The queue's URL (as `aws sqs get-queue-url` prints it).
    #[arg(long, value_name = "URL")]
    queue_url: String,
    /// The sources config (YAML or JSON): which mapping applies to which bucket and
    /// prefix, the Security Lake bucket and the set-aside location.
    #[arg(long, value_name = "FILE")]
    sources: PathBuf,
    /// The Security Lake bucket, when the sources config does not name it.
    #[arg(long, value_name = "BUCKET")]
    lake_bucket: Option<String>,
    /// Messages taken per receive (1 to 10).
    #[arg(long, default_value_t = 10, value_name = "N")]
    max_messages: usize,
    /// Seconds a receive waits for messages (long polling, 0 to 20).
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    wait_seconds: u64,
    /// Exit once the queue is drained: nothing waiting and nothing in flight (held by
    /// another worker, or failed and waiting for its retry), for backfills and batch
    /// jobs; without it the worker polls until stopped.
    #[arg(long)]
    until_empty: bool,
    /// Worker threads for the engine (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Memory for Parquet column data before a file is written, all classes together.
    #[arg(long, default_value_t = 128, value_name = "MIB")]
    max_buffer_mb: usize,
}

/// Totals for the last log line.
#[derive(Default)]
struct Totals {
    done: u64,
    failed: u64,
    released: u64,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    if !(1..=10).contains(&args.max_messages) {
        bail!("--max-messages must be between 1 and 10");
    }
    if args.wait_seconds > 20 {
        bail!("--wait-seconds must be between 0 and 20");
    }
    if !(1..=1024).contains(&args.max_buffer_mb) {
        bail!("--max-buffer-mb must be between 1 and 1024");
    }
    // One problem per line, each naming its key.
    let sources = Sources::load(&args.sources, args.lake_bucket.as_deref())?;
    log_warnings(&sources.warnings, stdout_line);
    let session = Session::start()?;
    let handle = session.handle().clone();
    let queue = handle.block_on(Queue::from_env(&args.queue_url));
    let info = handle
        .block_on(queue.info())
        .with_context(|| format!("{}: not a queue this worker can read", args.queue_url))?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let pool = match threads {
        0 => bail!("--threads must be at least 1"),
        1 => None,
        n => Some(rayon::ThreadPoolBuilder::new().num_threads(n).build()?),
    };
    let handler = Handler {
        sources: Arc::new(sources),
        objects: Arc::new(S3Objects {
            s3: session.s3().clone(),
            handle: handle.clone(),
        }),
        pool,
        max_buffer_bytes: args.max_buffer_mb << 20,
        log: Box::new(stdout_line),
    };

    // SIGTERM (ECS, systemd, Kubernetes) and Ctrl-C ask for a clean stop.
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(Notify::new());
    handle.spawn(watch_signals(Arc::clone(&stop), Arc::clone(&stopped)));

    let mut f = Map::new();
    f.insert("queue".into(), json!(args.queue_url));
    f.insert(
        "visibility_timeout_s".into(),
        json!(info.visibility_timeout.as_secs()),
    );
    f.insert(
        "sources".into(),
        json!(
            handler
                .sources
                .sources
                .iter()
                .map(|s| &s.name)
                .collect::<Vec<_>>()
        ),
    );
    stdout_line(&event_line("INFO", "worker started", f));

    let mut totals = Totals::default();
    let wait = Duration::from_secs(args.wait_seconds);
    while !stop.load(Ordering::SeqCst) {
        // The long poll gives way to a stop signal; messages a cancelled receive took
        // become visible again after the visibility timeout.
        let received = handle.block_on(async {
            tokio::select! {
                r = queue.receive(args.max_messages, wait) => Some(r),
                () = stopped.notified() => None,
            }
        });
        let Some(received) = received else { break };
        let messages = match received {
            Ok(m) => m,
            Err(e) => {
                let mut f = Map::new();
                f.insert("error".into(), json!(e.to_string()));
                stdout_line(&event_line("ERROR", "receive failed", f));
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if messages.is_empty() {
            // Drained: nothing waiting, and nothing in flight that could come back
            // (held by another worker, or failed and waiting for its retry).
            if args.until_empty && handle.block_on(queue.counts()).is_ok_and(|c| c == (0, 0)) {
                break;
            }
            continue;
        }
        work(
            &handler,
            &queue,
            &info,
            &handle,
            &stop,
            &messages,
            &mut totals,
        );
    }
    let mut f = Map::new();
    f.insert("messages_done".into(), json!(totals.done));
    f.insert("messages_failed".into(), json!(totals.failed));
    f.insert("messages_released".into(), json!(totals.released));
    let why = if stop.load(Ordering::SeqCst) {
        "worker stopped on a signal"
    } else {
        "worker stopped: the queue is empty"
    };
    stdout_line(&event_line("INFO", why, f));
    Ok(ExitCode::SUCCESS)
}

/// Handles one receive's messages one by one, deleting each as soon as it is done.
fn work(
    handler: &Handler,
    queue: &Queue,
    info: &ocsfmap_aws::QueueInfo,
    handle: &tokio::runtime::Handle,
    stop: &AtomicBool,
    messages: &[Received],
    totals: &mut Totals,
) {
    // The messages still held, kept invisible by a heartbeat at half the timeout.
    let held = Arc::new(Mutex::new(messages.to_vec()));
    let heartbeat = handle.spawn(keep_invisible(
        queue.clone(),
        Arc::clone(&held),
        info.visibility_timeout,
    ));
    let release = |m: &Received| {
        held.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|h| h.message_id != m.message_id);
    };
    for (i, message) in messages.iter().enumerate() {
        if stop.load(Ordering::SeqCst) {
            // Not started: visible again at once, for another worker.
            let rest = &messages[i..];
            let _ = handle.block_on(queue.extend(rest, Duration::ZERO));
            totals.released += rest.len() as u64;
            break;
        }
        let started = Instant::now();
        let event = SqsEvent {
            records: vec![SqsMessage {
                message_id: message.message_id.clone(),
                body: message.body.clone(),
                event_source_arn: Some(info.arn.clone()),
                aws_region: None,
            }],
        };
        let ok = handler.handle_sqs(&event).batch_item_failures.is_empty();
        release(message);
        let mut f = Map::new();
        f.insert("message_id".into(), json!(message.message_id));
        f.insert("receive_count".into(), json!(message.receive_count));
        f.insert(
            "duration_ms".into(),
            json!(started.elapsed().as_millis() as u64),
        );
        if ok {
            match handle.block_on(queue.delete(&[message])) {
                Ok(failed) if failed.is_empty() => {
                    totals.done += 1;
                    stdout_line(&event_line("INFO", "message done", f));
                }
                Ok(_) | Err(_) => {
                    // Received again later: the same outputs are written again.
                    totals.done += 1;
                    stdout_line(&event_line("WARN", "message done but not deleted", f));
                }
            }
        } else {
            totals.failed += 1;
            stdout_line(&event_line(
                "WARN",
                "message failed: left for the queue to retry after its visibility timeout",
                f,
            ));
        }
    }
    heartbeat.abort();
}

/// Extends the visibility of the held messages every half timeout.
async fn keep_invisible(queue: Queue, held: Arc<Mutex<Vec<Received>>>, timeout: Duration) {
    let every = (timeout / 2).max(Duration::from_secs(1));
    loop {
        tokio::time::sleep(every).await;
        let now: Vec<Received> = held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if now.is_empty() {
            continue;
        }
        if let Err(e) = queue.extend(&now, timeout).await {
            let mut f = Map::new();
            f.insert("error".into(), json!(e.to_string()));
            stdout_line(&event_line("WARN", "visibility not extended", f));
        }
    }
}

async fn watch_signals(stop: Arc<AtomicBool>, stopped: Arc<Notify>) {
    tokio::select! {
        () = terminate_signal() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    stop.store(true, Ordering::SeqCst);
    stopped.notify_one();
    stdout_line(&event_line(
        "INFO",
        "stop asked: finishing the message in hand (a second signal stops at once)",
        Map::new(),
    ));
    // A second signal: out now. The message in hand becomes visible again after its
    // timeout and is handled again, writing the same objects.
    tokio::select! {
        () = terminate_signal() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    std::process::exit(130);
}

async fn terminate_signal() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}
