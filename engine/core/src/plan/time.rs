//! Timestamp parsing to epoch milliseconds: ISO 8601 / RFC 3339 (any offset or none),
//! epoch numbers in any unit, and strftime-style patterns (Python's `%f` included).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

/// How a timestamp is written in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// ISO 8601 strings, or epoch numbers with the unit guessed from the magnitude.
    Auto,
    /// Epoch numbers (or numeric strings) in a fixed unit; `None` guesses the unit.
    Epoch(Option<EpochUnit>),
    /// A chrono strftime pattern (translated from Python's dialect).
    Pattern(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochUnit {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

impl TimeFormat {
    /// Parses a format name: `auto`, `iso8601`/`rfc3339`, `epoch`, `epoch_s`, `epoch_ms`,
    /// `epoch_us`, `epoch_ns`, or a strftime pattern containing `%`.
    pub fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "auto" | "iso8601" | "rfc3339" => TimeFormat::Auto,
            "epoch" => TimeFormat::Epoch(None),
            "epoch_s" | "epoch_seconds" => TimeFormat::Epoch(Some(EpochUnit::Seconds)),
            "epoch_ms" | "epoch_millis" => TimeFormat::Epoch(Some(EpochUnit::Millis)),
            "epoch_us" | "epoch_micros" => TimeFormat::Epoch(Some(EpochUnit::Micros)),
            "epoch_ns" | "epoch_nanos" => TimeFormat::Epoch(Some(EpochUnit::Nanos)),
            p if p.contains('%') => {
                let pattern = translate_python_pattern(p);
                // Reject patterns chrono cannot parse at all, at compile time.
                if chrono::format::StrftimeItems::new(&pattern)
                    .any(|i| matches!(i, chrono::format::Item::Error))
                {
                    return Err(format!("invalid time pattern `{p}`"));
                }
                TimeFormat::Pattern(pattern)
            }
            other => {
                return Err(format!(
                    "unknown time format `{other}` (expected auto, iso8601, epoch, epoch_s, epoch_ms, epoch_us, epoch_ns or a %-pattern)"
                ));
            }
        })
    }

    /// Converts a number (epoch) to milliseconds.
    pub fn number_to_millis(&self, n: f64) -> Result<i64, String> {
        let unit = match self {
            TimeFormat::Epoch(Some(u)) => *u,
            _ => guess_unit(n.abs()),
        };
        let ms = match unit {
            EpochUnit::Seconds => n * 1e3,
            EpochUnit::Millis => n,
            EpochUnit::Micros => n / 1e3,
            EpochUnit::Nanos => n / 1e6,
        };
        if ms.is_finite() && ms.abs() < 9.2e18 {
            Ok(ms.floor() as i64)
        } else {
            Err("epoch value out of range".into())
        }
    }

    /// Converts a string to epoch milliseconds.
    pub fn str_to_millis(&self, s: &str) -> Result<i64, String> {
        let s = s.trim();
        match self {
            TimeFormat::Pattern(p) => parse_pattern(s, p),
            TimeFormat::Epoch(_) => s
                .parse::<f64>()
                .map_err(|_| "not an epoch number".to_owned())
                .and_then(|n| self.number_to_millis(n)),
            TimeFormat::Auto => match s.parse::<f64>() {
                Ok(n) => self.number_to_millis(n),
                Err(_) => parse_iso8601(s),
            },
        }
    }
}

/// Seconds until 5138 AD, then milliseconds, microseconds, nanoseconds.
fn guess_unit(n: f64) -> EpochUnit {
    if n < 1e11 {
        EpochUnit::Seconds
    } else if n < 1e14 {
        EpochUnit::Millis
    } else if n < 1e17 {
        EpochUnit::Micros
    } else {
        EpochUnit::Nanos
    }
}

/// Python's `%f` reads 1-6 fraction digits; chrono's `%.f` reads the dot and any digits.
fn translate_python_pattern(p: &str) -> String {
    p.replace(".%f", "%.f").replace(",%f", "%.f")
}

fn parse_pattern(s: &str, pattern: &str) -> Result<i64, String> {
    let has_zone = pattern.contains("%z")
        || pattern.contains("%:z")
        || pattern.contains("%#z")
        || pattern.contains("%Z");
    if has_zone && let Ok(dt) = DateTime::parse_from_str(s, pattern) {
        return Ok(dt.timestamp_millis());
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, pattern) {
        return Ok(dt.and_utc().timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, pattern) {
        return Ok(d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
    }
    Err(format!("does not match the time pattern `{pattern}`"))
}

/// ISO 8601 date-times: `T`, `t` or space between date and time, optional fraction,
/// and `Z`, `+hh:mm`, `+hhmm`, `+hh` or no offset (UTC). A bare date is midnight UTC.
pub fn parse_iso8601(s: &str) -> Result<i64, String> {
    let err = || "not an ISO 8601 timestamp".to_owned();
    if s.len() == 10 {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| err())?;
        return Ok(d.and_time(NaiveTime::MIN).and_utc().timestamp_millis());
    }
    if s.len() < 19 {
        return Err(err());
    }
    let (main, offset_secs) = split_offset(s).ok_or_else(err)?;
    let bytes = main.as_bytes();
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return Err(err());
    }
    let date = parse_date(&bytes[..10]).ok_or_else(err)?;
    let time = parse_time(&bytes[11..]).ok_or_else(err)?;
    let utc = date.and_time(time).and_utc().timestamp_millis();
    Ok(utc - i64::from(offset_secs) * 1000)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// `YYYY-MM-DD`, validated (no format string to interpret on the hot path).
fn parse_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(digits(&b[..4])?).ok()?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )
}

/// `HH:MM:SS` with an optional `.fraction` of any length.
fn parse_time(b: &[u8]) -> Option<NaiveTime> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&b[..2])?, digits(&b[3..5])?, digits(&b[6..8])?);
    let nanos = match &b[8..] {
        [] => 0,
        [b'.', frac @ ..] if !frac.is_empty() && frac.iter().all(u8::is_ascii_digit) => {
            let kept = &frac[..frac.len().min(9)];
            digits(kept)? * 10u32.pow(9 - kept.len() as u32)
        }
        _ => return None,
    };
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

fn two_digits(a: u8, b: u8) -> Option<i32> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| i32::from(a - b'0') * 10 + i32::from(b - b'0'))
}

/// Splits a trailing zone designator off; returns the rest and the offset in seconds.
fn split_offset(s: &str) -> Option<(&str, i32)> {
    if let Some(rest) = s.strip_suffix(['Z', 'z']) {
        return Some((rest, 0));
    }
    // The zone starts at the last '+' or '-' after the time part (index > 10).
    let idx = s.rfind(['+', '-']).filter(|&i| i > 10);
    let Some(i) = idx else { return Some((s, 0)) };
    // `hh`, `hhmm` or `hh:mm`.
    let (h, m) = match s.as_bytes()[i + 1..] {
        [h1, h2] => (two_digits(h1, h2)?, 0),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => (two_digits(h1, h2)?, two_digits(m1, m2)?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    let sign = if s.as_bytes()[i] == b'-' { -1 } else { 1 };
    Some((&s[..i], sign * (h * 3600 + m * 60)))
}

/// Epoch milliseconds as RFC 3339 text in UTC with milliseconds
/// (`2023-11-14T22:00:00.000Z`), the form of OCSF's `datetime_t`. Written digit by
/// digit: this runs once per timestamp of every event under the datetime profile.
/// Years outside 0000-9999 take chrono's general form (a sign and more digits).
pub fn rfc3339_millis(ms: i64) -> Option<String> {
    use chrono::{Datelike, Timelike};
    let t = DateTime::from_timestamp_millis(ms)?;
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return Some(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    let mut out = [0u8; 24];
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 3, t.timestamp_subsec_millis());
    for (at, sep) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ] {
        out[at] = sep;
    }
    std::str::from_utf8(&out).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_are_written_as_rfc3339_like_chrono() {
        for ms in [
            0,
            1_700_000_000_123,
            -1,
            -62_135_596_800_000, // 0001-01-01
            253_402_300_799_999, // 9999-12-31T23:59:59.999
            253_402_300_800_000, // +10000
            -62_167_219_200_001, // -0001
            951_782_400_000,     // 2000-02-29
        ] {
            let chrono = DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            assert_eq!(rfc3339_millis(ms), chrono, "{ms}");
        }
        assert_eq!(
            rfc3339_millis(1_700_000_000_123).as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        assert_eq!(rfc3339_millis(i64::MAX), None);
    }

    const T: i64 = 1_601_587_565_007; // 2020-10-01T21:26:05.007Z

    #[test]
    fn iso8601_with_any_offset_or_none() {
        for s in [
            "2020-10-01T21:26:05.007Z",
            "2020-10-01T21:26:05.007515+0000",
            "2020-10-01T21:26:05.007+00:00",
            "2020-10-01 21:26:05.007",
            "2020-10-01t21:26:05.007z",
            "2020-10-01T23:26:05.007+02:00",
            "2020-10-01T19:26:05.007-0200",
            "2020-10-01T23:26:05.007+02",
        ] {
            assert_eq!(TimeFormat::Auto.str_to_millis(s), Ok(T), "{s}");
        }
        assert_eq!(
            TimeFormat::Auto.str_to_millis("2020-10-01"),
            Ok(1_601_510_400_000)
        );
    }

    #[test]
    fn bad_iso8601_is_an_error() {
        for s in [
            "2020-13-01T00:00:00Z",
            "yesterday",
            "2020-10-01T21:26:05+25:00",
            "2020-10-01T21:26:05+02:60",
            "2020-10-01T21:26:05+2",
            "2020-10-01T21:26:05+02:0",
            "2020-10-01T21:26:05+0a00",
            "2020-10-01T21:26:05+02::00",
            "2020-10-01X21:26:05",
        ] {
            assert!(TimeFormat::Auto.str_to_millis(s).is_err(), "{s}");
        }
    }

    #[test]
    fn epoch_units_by_name_and_by_magnitude() {
        let auto = TimeFormat::Epoch(None);
        assert_eq!(auto.str_to_millis("1601587565"), Ok(1_601_587_565_000));
        assert_eq!(auto.number_to_millis(1_601_587_565_007.0), Ok(T));
        assert_eq!(auto.number_to_millis(1_601_587_565_007_000.0), Ok(T));
        assert_eq!(auto.number_to_millis(1.601_587_565_007e18), Ok(T));
        assert_eq!(
            auto.number_to_millis(1_601_587_565.25),
            Ok(1_601_587_565_250)
        );
        let ms = TimeFormat::parse("epoch_ms").unwrap();
        assert_eq!(ms.number_to_millis(5.0), Ok(5));
        assert_eq!(
            TimeFormat::parse("epoch_s").unwrap().str_to_millis("5"),
            Ok(5000)
        );
        assert!(auto.str_to_millis("12ab").is_err());
    }

    #[test]
    fn python_style_patterns() {
        let sysmon = TimeFormat::parse("%Y-%m-%d %H:%M:%S.%f").unwrap();
        assert_eq!(sysmon.str_to_millis("2020-10-01 21:26:05.007"), Ok(T));
        let alb = TimeFormat::parse("%Y-%m-%dT%H:%M:%S.%fZ").unwrap();
        assert_eq!(alb.str_to_millis("2020-10-01T21:26:05.007123Z"), Ok(T));
        let apache = TimeFormat::parse("%d/%b/%Y:%H:%M:%S %z").unwrap();
        assert_eq!(
            apache.str_to_millis("01/Oct/2020:23:26:05 +0200"),
            Ok(T - 7)
        );
        assert!(sysmon.str_to_millis("01/10/2020").is_err());
        assert!(TimeFormat::parse("fortnightly").is_err());
        assert!(TimeFormat::parse("%Q").is_err());
    }
}
