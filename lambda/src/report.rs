//! What the handler tells CloudWatch: one structured JSON log line per input (an S3
//! object, or a source's share of a Kinesis batch) and the same counts as an Embedded
//! Metric Format line, which CloudWatch turns into metrics without an API call.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocsfmap_core::run::Stats;
use serde_json::{Map, Value, json};

/// The CloudWatch namespace of the metrics.
pub const NAMESPACE: &str = "ocsfmap";

/// Where log lines go (stdout in Lambda, a vector in tests).
pub type Log = Box<dyn Fn(&str) + Send + Sync>;

/// The outcome of one input.
#[derive(Debug, Default)]
pub struct InputReport {
    pub source: String,
    /// `bucket`, `key`, `version_id`... or `stream`, `shard`, `first_sequence`.
    pub place: Map<String, Value>,
    pub stats: Stats,
    /// Bytes read (after gzip).
    pub bytes: u64,
    pub files: Vec<String>,
    pub set_aside: Vec<String>,
    pub duration: Duration,
    /// Why the input failed (it is then reported for retry).
    pub error: Option<String>,
}

impl InputReport {
    /// The structured log line.
    pub fn log_line(&self) -> String {
        let mut line = Map::new();
        let failed = self.error.is_some();
        line.insert("level".into(), json!(if failed { "ERROR" } else { "INFO" }));
        line.insert(
            "message".into(),
            json!(if failed { "input failed" } else { "input done" }),
        );
        line.insert("source".into(), json!(self.source));
        line.extend(self.place.clone());
        let s = &self.stats;
        line.insert("input".into(), json!(s.input));
        line.insert("output".into(), json!(s.output));
        line.insert("dropped".into(), json!(s.dropped));
        line.insert("rejected".into(), json!(s.rejected));
        line.insert("unrouted".into(), json!(s.unrouted));
        line.insert("incomplete_inputs".into(), json!(s.incomplete_inputs));
        line.insert("bytes".into(), json!(self.bytes));
        line.insert(
            "duration_ms".into(),
            json!(self.duration.as_millis() as u64),
        );
        line.insert("files".into(), json!(self.files));
        line.insert("set_aside".into(), json!(self.set_aside));
        if let Some(e) = &self.error {
            line.insert("error".into(), json!(e));
        }
        Value::Object(line).to_string()
    }

    /// The Embedded Metric Format line: the counts as metrics with the source as
    /// dimension.
    pub fn metrics_line(&self) -> String {
        let s = &self.stats;
        let now = now_ms();
        let count = |name: &str| json!({"Name": name, "Unit": "Count"});
        json!({
            "_aws": {
                "Timestamp": now,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Source"]],
                    "Metrics": [
                        count("Input"), count("Output"), count("Dropped"), count("Rejected"),
                        count("Unrouted"), count("FailedInputs"),
                        {"Name": "Bytes", "Unit": "Bytes"},
                        {"Name": "Duration", "Unit": "Milliseconds"},
                    ],
                }],
            },
            "Source": self.source,
            "Input": s.input,
            "Output": s.output,
            "Dropped": s.dropped,
            "Rejected": s.rejected,
            "Unrouted": s.unrouted,
            "FailedInputs": u64::from(self.error.is_some()),
            "Bytes": self.bytes,
            "Duration": self.duration.as_millis() as u64,
        })
        .to_string()
    }
}

/// An Embedded Metric Format line for one count of the function as a whole (no
/// dimension): objects no source takes, messages not understood, and so on.
pub fn count_line(metric: &str, value: u64) -> String {
    json!({
        "_aws": {
            "Timestamp": now_ms(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        metric: value,
    })
    .to_string()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Writes one log line on stdout, where Lambda (and a container's log driver) collect
/// it.
pub fn stdout_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// Logs each warning of the mappings a sources config compiled, one line each.
pub fn log_warnings(warnings: &[String], log: impl Fn(&str)) {
    for warning in warnings {
        let mut f = Map::new();
        f.insert("warning".into(), json!(warning));
        log(&event_line("WARN", "mapping warning", f));
    }
}

/// A log line for something acknowledged without work, or a message that failed
/// before any object was read.
pub fn event_line(level: &str, message: &str, fields: Map<String, Value>) -> String {
    let mut line = Map::new();
    line.insert("level".into(), json!(level));
    line.insert("message".into(), json!(message));
    line.extend(fields);
    Value::Object(line).to_string()
}
