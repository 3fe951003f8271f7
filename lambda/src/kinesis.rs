//! Kinesis Data Streams events: each record's data is base64 (optionally gzip) holding
//! one or several JSON events (JSON lines or concatenated); each event goes to the
//! source its `metadata_field` names, or else to the source that lists its stream.
//!
//! Lambda resumes a shard at the lowest sequence number reported, so the batch is
//! processed up to the first record that cannot be decoded, which alone is reported:
//! the records after it are transformed when the retry reaches them, never twice.
//! When results cannot be written, the batch's first record is reported, and the retry
//! writes the same object names again.

use std::io::Cursor;
use std::time::Instant;

use base64::Engine as _;
use ocsfmap_core::diagnostic::Code;
use ocsfmap_core::input::{Format, RecordReader};
use ocsfmap_core::run::{Input, SetAside, SetAsideKind};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::report::{InputReport, event_line};
use crate::sources::Source;
use crate::transform::{LakeTarget, SetAsideWriter, run_into_lake};
use crate::{BatchResponse, Handler, arn_region_account, naming};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct KinesisEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<KinesisEventRecord>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct KinesisEventRecord {
    pub kinesis: KinesisPayload,
    #[serde(rename = "eventSourceARN")]
    pub event_source_arn: Option<String>,
    /// `shardId-000000000000:<sequence number>`.
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    #[serde(rename = "awsRegion")]
    pub aws_region: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct KinesisPayload {
    pub data: String,
    #[serde(rename = "sequenceNumber")]
    pub sequence_number: String,
}

impl KinesisEventRecord {
    fn stream_arn(&self) -> &str {
        self.event_source_arn.as_deref().unwrap_or("")
    }

    fn shard(&self) -> &str {
        self.event_id
            .as_deref()
            .and_then(|id| id.split_once(':'))
            .map_or("", |(shard, _)| shard)
    }
}

/// The stream name of an ARN (`arn:aws:kinesis:r:a:stream/NAME`), or the text itself.
fn stream_name(arn: &str) -> &str {
    arn.rsplit_once(":stream/").map_or(arn, |(_, name)| name)
}

/// Events of one source in one batch: one engine input per Kinesis record.
struct Share {
    inputs: Vec<(String, Vec<u8>)>,
}

impl Handler {
    /// Handles a Kinesis batch; the response names the sequence number to resume at.
    pub fn handle_kinesis(&self, event: &KinesisEvent) -> BatchResponse {
        self.handle_kinesis_until(event, None)
    }

    /// [`Handler::handle_kinesis`], stopping at `stop_at`: a shard not finished by then
    /// is reported at its first record (the retry writes the same names again).
    pub fn handle_kinesis_until(
        &self,
        event: &KinesisEvent,
        stop_at: Option<Instant>,
    ) -> BatchResponse {
        let mut response = BatchResponse::default();
        // A batch comes from one shard; records of several are handled group by group.
        let mut groups: Vec<(&str, &str, Vec<&KinesisEventRecord>)> = Vec::new();
        for r in &event.records {
            match groups
                .iter_mut()
                .find(|(arn, shard, _)| *arn == r.stream_arn() && *shard == r.shard())
            {
                Some(g) => g.2.push(r),
                None => groups.push((r.stream_arn(), r.shard(), vec![r])),
            }
        }
        for (arn, shard, records) in groups {
            if let Some(seq) = self.handle_shard(arn, shard, &records, stop_at) {
                response.fail(&seq);
            }
        }
        response
    }

    /// Returns the sequence number to report, if any.
    fn handle_shard(
        &self,
        arn: &str,
        shard: &str,
        records: &[&KinesisEventRecord],
        stop_at: Option<Instant>,
    ) -> Option<String> {
        let first = records.first()?;
        let first_seq = first.kinesis.sequence_number.clone();
        let stream = stream_name(arn);
        let mut shares: Vec<Option<Share>> = self.sources.sources.iter().map(|_| None).collect();
        let mut unsorted: Vec<SetAside> = Vec::new();
        let mut undecodable = None;
        for record in records {
            let seq = &record.kinesis.sequence_number;
            let name = format!("kinesis://{stream}/{shard}/{seq}");
            match self.split_record(record, stream, arn, &name) {
                Ok((events, aside)) => {
                    unsorted.extend(aside);
                    for (i, data) in events {
                        let share = shares[i].get_or_insert_with(|| Share { inputs: Vec::new() });
                        match share.inputs.last_mut() {
                            Some((n, buf)) if *n == name => buf.extend_from_slice(&data),
                            _ => share.inputs.push((name.clone(), data)),
                        }
                    }
                }
                Err(e) => {
                    let mut f = Map::new();
                    f.insert("stream".into(), json!(stream));
                    f.insert("shard".into(), json!(shard));
                    f.insert("sequence_number".into(), json!(seq));
                    f.insert("error".into(), json!(e));
                    self.log(&event_line("ERROR", "record cannot be decoded", f));
                    self.keep_undecodable(record, stream, shard, &name, &e);
                    undecodable = Some(seq.clone());
                    break;
                }
            }
        }
        let (arn_region, arn_account) = arn_region_account(Some(arn));
        let lake = &self.sources.lake;
        let region = lake
            .region
            .clone()
            .or(arn_region)
            .or_else(|| first.aws_region.clone());
        let account = lake.account_id.clone().or(arn_account);
        let digest = naming::digest(&[arn, shard, &first_seq]);
        let set_aside = &self.sources.set_aside;
        let base = format!(
            "{}kinesis/{stream}/{shard}/{first_seq}.{digest}",
            set_aside.prefix
        );
        let mut aside = SetAsideWriter::new(&*self.objects, &set_aside.bucket, base);
        let mut failed = false;
        for item in &unsorted {
            if aside.push(item).is_err() {
                failed = true;
            }
        }
        let prefix = format!("{}-{digest}", naming::stem(stream));
        for (source, share) in self.sources.sources.iter().zip(shares) {
            let Some(share) = share else { continue };
            let started = Instant::now();
            let mut report = InputReport {
                source: source.name.clone(),
                ..InputReport::default()
            };
            report.place.insert("stream".into(), json!(stream));
            report.place.insert("shard".into(), json!(shard));
            report
                .place
                .insert("first_sequence_number".into(), json!(first_seq));
            report
                .place
                .insert("records".into(), json!(share.inputs.len()));
            match (&region, &account) {
                (Some(region), Some(account)) => {
                    let target = LakeTarget {
                        objects: &*self.objects,
                        bucket: &lake.bucket,
                        region,
                        account_id: account,
                        file_prefix: &prefix,
                        max_buffer_bytes: self.max_buffer_bytes,
                        stop_at,
                    };
                    let inputs = share
                        .inputs
                        .into_iter()
                        .map(|(name, data)| Input {
                            name,
                            reader: Box::new(Cursor::new(data)),
                        })
                        .collect();
                    match run_shared(source, inputs, self, &target, &mut aside) {
                        Ok(ran) => {
                            report.stats = ran.stats;
                            report.bytes = ran.bytes;
                            report.files = ran.files;
                        }
                        Err((ran, e)) => {
                            report.stats = ran.stats;
                            report.bytes = ran.bytes;
                            report.error = Some(e);
                        }
                    }
                }
                _ => {
                    report.error = Some(
                        "no region or account id: set security_lake.region and security_lake.account_id"
                            .into(),
                    );
                }
            }
            failed |= report.error.is_some();
            report.duration = started.elapsed();
            self.log(&report.log_line());
            self.log(&report.metrics_line());
        }
        if let Err(e) = aside.finish() {
            let mut f = Map::new();
            f.insert("stream".into(), json!(stream));
            f.insert("error".into(), json!(e.to_string()));
            self.log(&event_line(
                "ERROR",
                "set-aside records could not be written",
                f,
            ));
            failed = true;
        } else if !aside.stored.is_empty() {
            let mut f = Map::new();
            f.insert("stream".into(), json!(stream));
            f.insert("shard".into(), json!(shard));
            f.insert("first_sequence_number".into(), json!(first_seq));
            f.insert("records".into(), json!(aside.records));
            f.insert("set_aside".into(), json!(aside.stored));
            self.log(&event_line("INFO", "records set aside", f));
        }
        if failed {
            // The whole batch again: the same first record, so the same names.
            Some(first_seq)
        } else {
            undecodable
        }
    }

    /// Keeps the data of a record that cannot be decoded, as it came (base64), in its
    /// own set-aside object: named by its sequence number, so each retry (the record is
    /// reported until the event source mapping gives up on it) writes the same object,
    /// and the data outlives the retries.
    fn keep_undecodable(
        &self,
        record: &KinesisEventRecord,
        stream: &str,
        shard: &str,
        name: &str,
        error: &str,
    ) {
        let seq = &record.kinesis.sequence_number;
        let set_aside = &self.sources.set_aside;
        let base = format!(
            "{}kinesis/{stream}/{shard}/{seq}.undecodable",
            set_aside.prefix
        );
        let mut aside = SetAsideWriter::new(&*self.objects, &set_aside.bucket, base);
        let item = SetAside {
            input: name.to_owned(),
            line: 1,
            record: 1,
            kind: SetAsideKind::Rejected,
            code: Code::InputCutShort,
            reason: format!("the Kinesis record cannot be decoded: {error}"),
            raw: record.kinesis.data.clone(),
        };
        let mut f = Map::new();
        f.insert("stream".into(), json!(stream));
        f.insert("sequence_number".into(), json!(seq));
        match aside.push(&item).and_then(|()| aside.finish()) {
            Ok(()) => {
                f.insert("set_aside".into(), json!(aside.stored));
                self.log(&event_line("INFO", "undecodable record kept", f));
            }
            Err(e) => {
                f.insert("error".into(), json!(e.to_string()));
                self.log(&event_line("ERROR", "undecodable record not kept", f));
            }
        }
    }

    /// Decodes a record and sorts its events by source: `(source index, JSON line)`
    /// pairs, and what is set aside before any mapping (malformed events, events no
    /// source takes). An error means the data cannot be decoded at all.
    #[allow(clippy::type_complexity)]
    fn split_record(
        &self,
        record: &KinesisEventRecord,
        stream: &str,
        arn: &str,
        name: &str,
    ) -> Result<(Vec<(usize, Vec<u8>)>, Vec<SetAside>), String> {
        let data = base64::engine::general_purpose::STANDARD
            .decode(record.kinesis.data.trim())
            .map_err(|e| format!("the data is not base64: {e}"))?;
        let format = Format::Json {
            records_keys: vec!["Records".to_owned()],
        };
        let mut reader = RecordReader::new(Cursor::new(data), &format)
            .map_err(|e| format!("the data cannot be read: {e}"))?;
        let mut events = Vec::new();
        let mut aside = Vec::new();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let found = match reader.next_record(&mut buf) {
                Ok(Some(found)) => found,
                Ok(None) => break,
                Err(e) => return Err(format!("the data cannot be read: {e}")),
            };
            let raw = || String::from_utf8_lossy(&buf).into_owned();
            if let Some(defect) = found.defect {
                aside.push(SetAside {
                    input: name.to_owned(),
                    line: found.position.line,
                    record: found.position.index,
                    kind: SetAsideKind::Rejected,
                    code: defect.code,
                    reason: defect.reason,
                    raw: raw(),
                });
                continue;
            }
            if let Some(i) = self.route_event(&buf, stream, arn) {
                let mut line = buf.clone();
                line.push(b'\n');
                events.push((i, line));
            } else {
                aside.push(SetAside {
                    input: name.to_owned(),
                    line: found.position.line,
                    record: found.position.index,
                    kind: SetAsideKind::Unrouted,
                    code: Code::Unrouted,
                    reason: format!(
                        "no source takes this event of stream `{stream}`: no source's metadata_field names a source, and no source lists the stream"
                    ),
                    raw: raw(),
                });
            }
        }
        if reader.broke_off() {
            return Err("the data is cut short (a broken gzip stream)".into());
        }
        Ok((events, aside))
    }

    /// The index of the source an event belongs to: the first source whose
    /// `metadata_field` holds its name, else the first that lists the stream.
    fn route_event(&self, event: &[u8], stream: &str, arn: &str) -> Option<usize> {
        let sources = &self.sources.sources;
        let wants_field = sources.iter().any(|s| {
            s.kinesis
                .as_ref()
                .is_some_and(|k| k.metadata_field.is_some())
        });
        if wants_field && let Ok(value) = serde_json::from_slice::<Value>(event) {
            let by_field = sources.iter().position(|s| {
                s.kinesis
                    .as_ref()
                    .and_then(|k| k.metadata_field.as_ref())
                    .and_then(|path| path.iter().try_fold(&value, |v, seg| v.get(seg)))
                    .and_then(Value::as_str)
                    == Some(s.name.as_str())
            });
            if by_field.is_some() {
                return by_field;
            }
        }
        sources.iter().position(|s| {
            s.kinesis
                .as_ref()
                .is_some_and(|k| k.streams.iter().any(|x| x == stream || x == arn))
        })
    }
}

fn run_shared(
    source: &Source,
    inputs: Vec<Input>,
    handler: &Handler,
    target: &LakeTarget,
    aside: &mut SetAsideWriter,
) -> Result<crate::transform::Ran, (crate::transform::Ran, String)> {
    run_into_lake(&source.plan, inputs, handler.pool.as_ref(), target, aside)
}
