//! What an SQS message body says was created: S3 event notifications sent straight to
//! SQS, wrapped in an SNS notification, or EventBridge "Object Created" events.
//!
//! Parsing is lenient: real and emulated notifications leave out fields, so only the
//! bucket and the key are required; everything else is taken when present.

use serde::Deserialize;
use serde_json::Value;

/// An object a notification names, with its key decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    pub size: Option<u64>,
    /// Without quotes.
    pub etag: Option<String>,
    pub version_id: Option<String>,
    /// The region and account the notification names (EventBridge names both; S3
    /// records name the region).
    pub region: Option<String>,
    pub account_id: Option<String>,
}

/// One thing a message holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Object(ObjectRef),
    /// Acknowledged without work (a test event, a deletion, a subscription
    /// confirmation), and why.
    Skip(String),
}

/// Reads one SQS message body. An error means the body is not a notification this
/// handler knows (the message is then reported as failed, so it reaches the DLQ).
pub fn parse_body(body: &str) -> Result<Vec<Notice>, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("the message body is not JSON: {e}"))?;
    parse_value(&value, 0)
}

fn parse_value(value: &Value, depth: u8) -> Result<Vec<Notice>, String> {
    let Some(obj) = value.as_object() else {
        return Err("the message body is not a JSON object".into());
    };
    let text = |k: &str| obj.get(k).and_then(Value::as_str);
    // SNS: the S3 event is the JSON text of `Message`.
    match text("Type") {
        Some("Notification") if depth == 0 => {
            let message = text("Message").ok_or("an SNS notification without `Message`")?;
            let inner: Value = serde_json::from_str(message)
                .map_err(|e| format!("the SNS `Message` is not JSON: {e}"))?;
            return parse_value(&inner, depth + 1);
        }
        Some(t @ ("SubscriptionConfirmation" | "UnsubscribeConfirmation")) => {
            return Ok(vec![Notice::Skip(format!("SNS {t}"))]);
        }
        _ => {}
    }
    if text("Event") == Some("s3:TestEvent") {
        return Ok(vec![Notice::Skip("s3:TestEvent".into())]);
    }
    if let Some(records) = obj.get("Records") {
        let records: Vec<S3Record> = serde_json::from_value(records.clone())
            .map_err(|e| format!("`Records` is not a list of S3 event records: {e}"))?;
        return records
            .into_iter()
            .enumerate()
            .map(|(i, r)| s3_record(r).map_err(|e| format!("Records[{i}]: {e}")))
            .collect();
    }
    if let Some(detail_type) = text("detail-type") {
        if detail_type != "Object Created" {
            return Ok(vec![Notice::Skip(format!(
                "EventBridge `{detail_type}` event"
            ))]);
        }
        let event: EventBridge = serde_json::from_value(value.clone())
            .map_err(|e| format!("an EventBridge event that cannot be read: {e}"))?;
        return eventbridge(event).map(|o| vec![Notice::Object(o)]);
    }
    Err("not an S3 event notification (no `Records`), SNS notification or EventBridge event".into())
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct S3Record {
    event_name: Option<String>,
    aws_region: Option<String>,
    s3: Option<S3Entity>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct S3Entity {
    bucket: Option<Named>,
    object: Option<S3Object>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Named {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct S3Object {
    key: Option<String>,
    size: Option<Value>,
    e_tag: Option<String>,
    version_id: Option<String>,
}

fn s3_record(r: S3Record) -> Result<Notice, String> {
    if let Some(name) = &r.event_name {
        let name = name.strip_prefix("s3:").unwrap_or(name);
        if !name.starts_with("ObjectCreated") {
            return Ok(Notice::Skip(format!("S3 `{name}` event")));
        }
    }
    let s3 = r.s3.unwrap_or_default();
    let bucket = s3
        .bucket
        .and_then(|b| b.name)
        .filter(|b| !b.is_empty())
        .ok_or("no s3.bucket.name")?;
    let object = s3.object.unwrap_or_default();
    let key = object.key.ok_or("no s3.object.key")?;
    Ok(Notice::Object(ObjectRef {
        bucket,
        key: decode_form(&key).map_err(|e| format!("s3.object.key `{key}`: {e}"))?,
        size: object.size.as_ref().and_then(size_of),
        etag: object.e_tag.as_deref().map(unquote),
        version_id: object.version_id.filter(|v| !v.is_empty() && v != "null"),
        region: r.aws_region.filter(|r| !r.is_empty()),
        account_id: None,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EventBridge {
    account: Option<String>,
    region: Option<String>,
    detail: Option<EventBridgeDetail>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EventBridgeDetail {
    bucket: Option<Named>,
    object: Option<EventBridgeObject>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EventBridgeObject {
    key: Option<String>,
    size: Option<Value>,
    // AWS writes `etag`; moto writes `eTag`.
    #[serde(alias = "eTag")]
    etag: Option<String>,
    #[serde(rename = "version-id")]
    version_id: Option<String>,
}

fn eventbridge(e: EventBridge) -> Result<ObjectRef, String> {
    let detail = e.detail.unwrap_or_default();
    let bucket = detail
        .bucket
        .and_then(|b| b.name)
        .filter(|b| !b.is_empty())
        .ok_or("no detail.bucket.name")?;
    let object = detail.object.unwrap_or_default();
    let key = object.key.ok_or("no detail.object.key")?;
    Ok(ObjectRef {
        bucket,
        // EventBridge gives the key as it is (no form encoding, unlike notifications
        // sent to SQS, SNS or Lambda): AWS's example events keep `:` and moto sends the
        // raw key; decoding would turn a `+` into a space and `%41` into `A`.
        key,
        size: object.size.as_ref().and_then(size_of),
        etag: object.etag.as_deref().map(unquote),
        version_id: object.version_id.filter(|v| !v.is_empty()),
        region: e.region.filter(|r| !r.is_empty()),
        account_id: e.account.filter(|a| !a.is_empty()),
    })
}

fn size_of(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

/// Decodes a key as S3 event notifications write it (form encoding): `+` is a space,
/// `%2B` a plus, `%XX` any byte. A `%` not followed by two hex digits stays as it is.
pub fn decode_form(key: &str) -> Result<String, String> {
    if !key.contains(['%', '+']) {
        return Ok(key.to_owned());
    }
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "decodes to bytes that are not UTF-8".into())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objects(body: &Value) -> Vec<ObjectRef> {
        parse_body(&body.to_string())
            .unwrap()
            .into_iter()
            .map(|n| match n {
                Notice::Object(o) => o,
                Notice::Skip(why) => panic!("skipped: {why}"),
            })
            .collect()
    }

    fn s3_event(keys: &[&str]) -> Value {
        let records: Vec<Value> = keys
            .iter()
            .map(|k| {
                json!({"eventName": "ObjectCreated:Put", "awsRegion": "eu-west-1",
                       "s3": {"bucket": {"name": "raw"},
                              "object": {"key": k, "size": 12, "eTag": "\"abc\"", "versionId": "v1"}}})
            })
            .collect();
        json!({ "Records": records })
    }

    #[test]
    fn keys_are_form_decoded() {
        assert_eq!(decode_form("a+b%2Bc").unwrap(), "a b+c");
        assert_eq!(decode_form("logs%2F2024%2Fx.gz").unwrap(), "logs/2024/x.gz");
        assert_eq!(decode_form("caf%C3%A9").unwrap(), "café");
        assert_eq!(decode_form("100%").unwrap(), "100%", "a lone % stays");
        assert_eq!(decode_form("a%zzb").unwrap(), "a%zzb");
        assert_eq!(decode_form("%2").unwrap(), "%2");
        assert!(decode_form("%FF").is_err(), "not UTF-8");
    }

    #[test]
    fn every_record_of_a_message_is_read() {
        let got = objects(&s3_event(&["a+b.json", "c%2Bd.json"]));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].key, "a b.json");
        assert_eq!(got[1].key, "c+d.json");
        assert_eq!(got[0].bucket, "raw");
        assert_eq!(got[0].etag.as_deref(), Some("abc"));
        assert_eq!(got[0].version_id.as_deref(), Some("v1"));
        assert_eq!(got[0].size, Some(12));
        assert_eq!(got[0].region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn missing_optional_fields_are_fine() {
        let body =
            json!({"Records": [{"s3": {"bucket": {"name": "raw"}, "object": {"key": "k"}}}]});
        let got = objects(&body);
        assert_eq!(
            got,
            [ObjectRef {
                bucket: "raw".into(),
                key: "k".into(),
                ..ObjectRef::default()
            }]
        );
        let err =
            parse_body(&json!({"Records": [{"s3": {"bucket": {"name": "raw"}}}]}).to_string())
                .unwrap_err();
        assert_eq!(err, "Records[0]: no s3.object.key");
    }

    #[test]
    fn test_events_deletions_and_confirmations_are_skipped() {
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "raw"});
        assert_eq!(
            parse_body(&test.to_string()).unwrap(),
            [Notice::Skip("s3:TestEvent".into())]
        );
        let removed = json!({"Records": [{"eventName": "ObjectRemoved:Delete",
            "s3": {"bucket": {"name": "raw"}, "object": {"key": "k"}}}]});
        assert_eq!(
            parse_body(&removed.to_string()).unwrap(),
            [Notice::Skip("S3 `ObjectRemoved:Delete` event".into())]
        );
        let confirm = json!({"Type": "SubscriptionConfirmation", "SubscribeURL": "https://x"});
        assert!(matches!(
            &parse_body(&confirm.to_string()).unwrap()[0],
            Notice::Skip(_)
        ));
    }

    #[test]
    fn sns_wraps_the_s3_event_as_text() {
        let inner = s3_event(&["x+y.json"]);
        let sns = json!({"Type": "Notification", "MessageId": "m",
                         "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                         "Message": inner.to_string()});
        assert_eq!(objects(&sns)[0].key, "x y.json");
        // A test event through SNS is skipped too.
        let test = json!({"Type": "Notification", "Message": json!({"Event": "s3:TestEvent"}).to_string()});
        assert_eq!(
            parse_body(&test.to_string()).unwrap(),
            [Notice::Skip("s3:TestEvent".into())]
        );
    }

    #[test]
    fn eventbridge_object_created() {
        // AWS's example event (S3 user guide, "EventBridge event message structure"),
        // with a key that form decoding would change.
        let e = json!({"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": "Object Created", "source": "aws.s3",
            "account": "111122223333", "time": "2021-11-12T00:00:00Z", "region": "ca-central-1",
            "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
            "detail": {"version": "0", "bucket": {"name": "raw"},
                       "object": {"key": "a+b%20c:d.json", "size": 5, "etag": "e1",
                                  "version-id": "v9", "sequencer": "617f08299329d189"},
                       "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012",
                       "source-ip-address": "1.2.3.4", "reason": "PutObject"}});
        let o = &objects(&e)[0];
        assert_eq!(o.key, "a+b%20c:d.json", "the key is taken as it is");
        assert_eq!(o.account_id.as_deref(), Some("111122223333"));
        assert_eq!(o.region.as_deref(), Some("ca-central-1"));
        assert_eq!(o.version_id.as_deref(), Some("v9"));
        assert_eq!(o.etag.as_deref(), Some("e1"));
        let deleted = json!({"detail-type": "Object Deleted", "detail": {}});
        assert!(matches!(
            &parse_body(&deleted.to_string()).unwrap()[0],
            Notice::Skip(_)
        ));
    }

    #[test]
    fn other_bodies_are_errors() {
        assert!(
            parse_body("not json")
                .unwrap_err()
                .starts_with("the message body is not JSON")
        );
        assert!(
            parse_body("{\"hello\": 1}")
                .unwrap_err()
                .starts_with("not an S3 event notification")
        );
        assert!(parse_body("[1]").is_err());
    }
}
