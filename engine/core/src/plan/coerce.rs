//! Coercion of source values to the type an OCSF attribute declares.

use std::borrow::Cow;

use serde_json::Value;

use super::time::TimeFormat;
use super::value::{Scalar, Src};
use crate::event::Typed;
use crate::schema::{AttrType, Schema};

/// What a value is coerced to.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Int,
    Long,
    Float,
    Bool,
    Str,
    /// A string that must be an IPv4 or IPv6 address.
    Ip,
    Timestamp(TimeFormat),
    Datetime,
    /// Passed through as JSON.
    Json,
    /// An OCSF object: source objects are coerced attribute by attribute.
    Object(String),
}

/// A coercion target: a kind, possibly an array of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub kind: Kind,
    pub array: bool,
}

impl Target {
    pub fn from_attr(ty: &AttrType, array: bool) -> Self {
        let kind = match ty {
            AttrType::Int => Kind::Int,
            AttrType::Long => Kind::Long,
            AttrType::Float => Kind::Float,
            AttrType::Bool => Kind::Bool,
            AttrType::String => Kind::Str,
            AttrType::Ip => Kind::Ip,
            AttrType::Timestamp => Kind::Timestamp(TimeFormat::Auto),
            AttrType::Datetime => Kind::Datetime,
            AttrType::Json => Kind::Json,
            AttrType::Object(name) => Kind::Object(name.clone()),
        };
        Target { kind, array }
    }

    /// The OCSF-style name of the target type, for messages.
    pub fn describe(&self) -> String {
        let base = match &self.kind {
            Kind::Int => "integer_t".to_owned(),
            Kind::Long => "long_t".to_owned(),
            Kind::Float => "float_t".to_owned(),
            Kind::Bool => "boolean_t".to_owned(),
            Kind::Str => "string_t".to_owned(),
            Kind::Ip => "ip_t".to_owned(),
            Kind::Timestamp(_) => "timestamp_t".to_owned(),
            Kind::Datetime => "datetime_t".to_owned(),
            Kind::Json => "json_t".to_owned(),
            Kind::Object(o) => format!("object `{o}`"),
        };
        if self.array {
            format!("an array of {base}")
        } else {
            base
        }
    }
}

/// Coerces `src` to `target`. `Ok(None)` means the value is null (left out of the output).
pub fn coerce<'v>(
    src: Src<'v>,
    target: &Target,
    schema: &Schema,
) -> Result<Option<Typed<'v>>, String> {
    if target.kind == Kind::Json {
        return Ok(if src.is_null() {
            None
        } else {
            Some(Typed::Json(src.json_text()))
        });
    }
    if target.array {
        let items = match src.scalar() {
            Scalar::Null => return Ok(None),
            Scalar::Container(text) if text.starts_with('[') => {
                let values: Vec<Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                let one = Target {
                    kind: target.kind.clone(),
                    array: false,
                };
                let mut out = Vec::with_capacity(values.len());
                for v in &values {
                    if let Some(t) = coerce(Src::Value(v), &one, schema)? {
                        out.push(t.into_owned());
                    }
                }
                out
            }
            // A single value where an array is declared becomes a one-element array.
            _ => coerce(
                src,
                &Target {
                    kind: target.kind.clone(),
                    array: false,
                },
                schema,
            )?
            .into_iter()
            .collect(),
        };
        return Ok(Some(Typed::Array(items)));
    }
    // Numbers already parsed (literals, values met while descending): no text round trip.
    if let (Src::Value(Value::Number(n)), Kind::Int | Kind::Long) = (src, &target.kind)
        && let Some(i) = n.as_i64()
        && (target.kind == Kind::Long || i32::try_from(i).is_ok())
    {
        return Ok(Some(Typed::Int(i)));
    }
    let scalar = src.scalar();
    if matches!(scalar, Scalar::Null) {
        return Ok(None);
    }
    if let Kind::Object(name) = &target.kind {
        return coerce_object(src, name, schema).map(Some);
    }
    coerce_scalar(scalar, &target.kind)
        .map(Some)
        .ok_or_else(|| {
            let shown = match src.scalar() {
                Scalar::Str(s) => Value::from(s.as_ref()).to_string(),
                other => other.into_key().map(Cow::into_owned).unwrap_or_default(),
            };
            format!(
                "cannot convert {} to {}",
                truncate(&shown, 80),
                target.describe()
            )
        })
}

fn coerce_scalar<'v>(scalar: Scalar<'v>, kind: &Kind) -> Option<Typed<'v>> {
    match kind {
        Kind::Int => to_i64(&scalar)
            .filter(|n| i32::try_from(*n).is_ok())
            .map(Typed::Int),
        Kind::Long => to_i64(&scalar).map(Typed::Int),
        Kind::Float => match &scalar {
            Scalar::Number(n) => n
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Typed::Float),
            Scalar::Str(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Typed::Float),
            _ => None,
        },
        Kind::Bool => match &scalar {
            Scalar::Bool(b) => Some(Typed::Bool(*b)),
            Scalar::Number(n) if n == "0" || n == "1" => Some(Typed::Bool(n == "1")),
            Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Some(Typed::Bool(true)),
                "false" | "0" => Some(Typed::Bool(false)),
                _ => None,
            },
            _ => None,
        },
        Kind::Str => match scalar {
            Scalar::Str(s) => Some(Typed::Str(s)),
            Scalar::Number(n) => Some(Typed::Str(n)),
            Scalar::Bool(b) => Some(Typed::Str(Cow::Borrowed(if b { "true" } else { "false" }))),
            Scalar::Null | Scalar::Container(_) => None,
        },
        Kind::Ip => match scalar {
            Scalar::Str(s) if is_ip(&s) => Some(Typed::Str(s)),
            _ => None,
        },
        Kind::Timestamp(format) => match &scalar {
            Scalar::Number(n) => n
                .parse::<f64>()
                .ok()
                .and_then(|f| format.number_to_millis(f).ok())
                .map(Typed::Int),
            Scalar::Str(s) => format.str_to_millis(s).ok().map(Typed::Int),
            _ => None,
        },
        Kind::Datetime => match scalar {
            Scalar::Str(s) => crate::plan::time::parse_iso8601(&s)
                .ok()
                .map(|_| Typed::Str(s)),
            Scalar::Number(n) => {
                let ms = TimeFormat::Auto.number_to_millis(n.parse().ok()?).ok()?;
                let dt = chrono::DateTime::from_timestamp_millis(ms)?;
                Some(Typed::Str(Cow::Owned(
                    dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                )))
            }
            _ => None,
        },
        Kind::Json | Kind::Object(_) => None,
    }
}

/// An IPv4 or IPv6 address; an IPv6 address may carry a zone (`fe80::1%eth0`) made
/// of letters, digits, `.`, `_` and `-`. Anything else in an `ip_t` would reach the
/// output as given, so it is not an address.
pub fn is_ip(s: &str) -> bool {
    match s.split_once('%') {
        None => s.parse::<std::net::IpAddr>().is_ok(),
        Some((addr, zone)) => {
            !zone.is_empty()
                && zone
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                && addr.parse::<std::net::Ipv6Addr>().is_ok()
        }
    }
}

/// Integers from numbers (integral floats included), decimal strings and `0x` hex strings.
fn to_i64(scalar: &Scalar) -> Option<i64> {
    let text = match scalar {
        Scalar::Number(n) => n.as_ref(),
        Scalar::Str(s) => s.trim(),
        _ => return None,
    };
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        // `from_str_radix` would also take a sign after the prefix (`0x-1`).
        return (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| i64::from_str_radix(hex, 16).ok())
            .flatten();
    }
    let f: f64 = text.parse().ok()?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// Coerces a source object to an OCSF object, attribute by attribute.
fn coerce_object<'v>(src: Src<'v>, object: &str, schema: &Schema) -> Result<Typed<'v>, String> {
    let value = src.to_value();
    let Value::Object(map) = value else {
        let text = src.json_text();
        return Err(format!(
            "cannot convert {} to object `{object}`",
            truncate(&text, 80)
        ));
    };
    let def = schema
        .object(object)
        .ok_or_else(|| format!("unknown object `{object}`"))?;
    let mut fields = Vec::with_capacity(map.len());
    for (key, v) in &map {
        let attr = def
            .attributes
            .get(key)
            .ok_or_else(|| format!("`{key}` is not an attribute of object `{object}`"))?;
        let target = Target::from_attr(&attr.ty, attr.is_array);
        let typed = coerce(Src::Value(v), &target, schema).map_err(|e| format!("{key}: {e}"))?;
        if let Some(t) = typed {
            fields.push((Cow::Owned(key.clone()), t.into_owned()));
        }
    }
    Ok(Typed::Object(fields))
}

fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}...", &s[..end]))
}

impl Typed<'_> {
    /// Detaches the value from the event it was read from.
    pub fn into_owned(self) -> Typed<'static> {
        match self {
            Typed::Int(n) => Typed::Int(n),
            Typed::Float(f) => Typed::Float(f),
            Typed::Bool(b) => Typed::Bool(b),
            Typed::Str(s) => Typed::Str(Cow::Owned(s.into_owned())),
            Typed::Json(j) => Typed::Json(Cow::Owned(j.into_owned())),
            Typed::Array(items) => Typed::Array(items.into_iter().map(Typed::into_owned).collect()),
            Typed::Object(fields) => Typed::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: &Value, kind: Kind, array: bool) -> Result<Option<Typed<'static>>, String> {
        let schema = crate::schema::schema("1.1.0").unwrap();
        coerce(Src::Value(v), &Target { kind, array }, &schema).map(|o| o.map(Typed::into_owned))
    }

    fn ok(v: &Value, kind: Kind) -> Typed<'static> {
        run(v, kind, false).unwrap().unwrap()
    }

    #[test]
    fn integers_from_numbers_and_strings_with_range_checks() {
        assert_eq!(ok(&json!("1128"), Kind::Int), Typed::Int(1128));
        assert_eq!(ok(&json!(" 42 "), Kind::Int), Typed::Int(42));
        assert_eq!(ok(&json!(7.0), Kind::Int), Typed::Int(7));
        assert_eq!(ok(&json!("0x1F"), Kind::Long), Typed::Int(31));
        assert_eq!(
            ok(&json!(1_770_453_319_291_727_i64), Kind::Long),
            Typed::Int(1_770_453_319_291_727)
        );
        let err = run(&json!(1_770_453_319_291_727_i64), Kind::Int, false).unwrap_err();
        assert_eq!(err, "cannot convert 1770453319291727 to integer_t");
        let err = run(&json!("abc"), Kind::Int, false).unwrap_err();
        assert_eq!(err, "cannot convert \"abc\" to integer_t");
        assert!(run(&json!(true), Kind::Int, false).is_err());
        // Hex is `0x` and hex digits only: no sign, no space after the prefix.
        for bad in ["0x-1", "0x+1", "0x", "0x 1", "0xg"] {
            assert!(run(&json!(bad), Kind::Long, false).is_err(), "{bad}");
        }
        assert!(run(&json!(1.5), Kind::Long, false).is_err());
    }

    #[test]
    fn booleans_floats_and_strings() {
        assert_eq!(ok(&json!("true"), Kind::Bool), Typed::Bool(true));
        assert_eq!(ok(&json!("FALSE"), Kind::Bool), Typed::Bool(false));
        assert_eq!(ok(&json!(1), Kind::Bool), Typed::Bool(true));
        assert!(run(&json!("yes please"), Kind::Bool, false).is_err());
        assert_eq!(ok(&json!("0.25"), Kind::Float), Typed::Float(0.25));
        assert_eq!(ok(&json!(3), Kind::Float), Typed::Float(3.0));
        assert_eq!(ok(&json!(16463), Kind::Str), Typed::Str("16463".into()));
        assert_eq!(ok(&json!(false), Kind::Str), Typed::Str("false".into()));
        let err = run(&json!({"a": 1}), Kind::Str, false).unwrap_err();
        assert_eq!(err, r#"cannot convert {"a":1} to string_t"#);
        assert_eq!(
            ok(&json!("2001:db8::1"), Kind::Ip),
            Typed::Str("2001:db8::1".into())
        );
        assert_eq!(
            ok(&json!("fe80::1%eth0"), Kind::Ip),
            Typed::Str("fe80::1%eth0".into())
        );
        // A zone is for IPv6 only, and made of letters, digits, `.`, `_` and `-`.
        for bad in [
            "1.2.3.4%<script>",
            "1.2.3.4%eth0",
            "fe80::1%",
            "fe80::1%a/b",
            "fe80::1%eth0%1",
        ] {
            assert!(run(&json!(bad), Kind::Ip, false).is_err(), "{bad}");
        }
        assert!(is_ip("fe80::1%en0.v-1_x"));
        let err = run(&json!("cloudtrail.amazonaws.com"), Kind::Ip, false).unwrap_err();
        assert_eq!(err, r#"cannot convert "cloudtrail.amazonaws.com" to ip_t"#);
    }

    #[test]
    fn timestamps_become_epoch_millis_and_datetimes_rfc3339() {
        let ts = Kind::Timestamp(TimeFormat::Auto);
        assert_eq!(
            ok(&json!("2020-10-01T21:26:05.007515+0000"), ts.clone()),
            Typed::Int(1_601_587_565_007)
        );
        assert_eq!(
            ok(&json!(1_601_587_565), ts.clone()),
            Typed::Int(1_601_587_565_000)
        );
        assert_eq!(
            ok(&json!("1601587565007"), ts.clone()),
            Typed::Int(1_601_587_565_007)
        );
        assert!(run(&json!("not a time"), ts, false).is_err());
        assert_eq!(
            ok(&json!(1_601_587_565_007_i64), Kind::Datetime),
            Typed::Str("2020-10-01T21:26:05.007Z".into())
        );
        assert!(run(&json!("Tuesday"), Kind::Datetime, false).is_err());
    }

    #[test]
    fn null_is_absent_and_scalars_wrap_into_arrays() {
        assert_eq!(run(&json!(null), Kind::Int, false), Ok(None));
        assert_eq!(
            run(&json!("a"), Kind::Str, true).unwrap(),
            Some(Typed::Array(vec![Typed::Str("a".into())]))
        );
        assert_eq!(
            run(&json!(["1", null, 2]), Kind::Int, true).unwrap(),
            Some(Typed::Array(vec![Typed::Int(1), Typed::Int(2)]))
        );
        assert!(run(&json!(["x"]), Kind::Int, true).is_err());
    }

    #[test]
    fn objects_are_coerced_attribute_by_attribute() {
        let v = json!({"ip": "10.0.0.1", "port": "443"});
        let t = ok(&v, Kind::Object("network_endpoint".into()));
        assert_eq!(
            t,
            Typed::Object(vec![
                ("ip".into(), Typed::Str("10.0.0.1".into())),
                ("port".into(), Typed::Int(443))
            ])
        );
        let err = run(
            &json!({"prot": 1}),
            Kind::Object("network_endpoint".into()),
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "`prot` is not an attribute of object `network_endpoint`"
        );
        let err = run(&json!("C:\\x.exe"), Kind::Object("process".into()), false).unwrap_err();
        assert_eq!(err, r#"cannot convert "C:\\x.exe" to object `process`"#);
    }
}
