//! Amazon Security Lake's object layout as pure functions: the `eventDay` of a `time`,
//! and the key a class's file is stored at. No storage is touched here.

const MS_PER_DAY: i64 = 86_400_000;
/// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in epoch milliseconds: the times whose
/// UTC day fits `eventDay=YYYYMMDD`.
pub const MIN_EVENT_TIME_MS: i64 = -719_528 * MS_PER_DAY;
pub const END_EVENT_TIME_MS: i64 = 2_932_897 * MS_PER_DAY;

/// Where one Parquet file of a class goes, before it is turned into a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LakeKey<'a> {
    /// The custom (sub-)source: `windows-sysmon` or `windows-sysmon-process_activity`.
    pub source: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
    /// `YYYYMMDD`, from [`event_day`].
    pub event_day: &'a str,
    /// Names the run: a retry over the same inputs gets the same names.
    pub file_prefix: &'a str,
    /// 1-based file number within (source, eventDay) for this run.
    pub part: u32,
}

impl LakeKey<'_> {
    /// The object key, `/`-separated and relative:
    /// `ext/<source>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<prefix>-<part:05>.parquet`.
    pub fn object_key(&self) -> String {
        format!(
            "ext/{}/region={}/accountId={}/eventDay={}/{}-{:05}.parquet",
            self.source, self.region, self.account_id, self.event_day, self.file_prefix, self.part
        )
    }
}

/// Days since 1970-01-01 (UTC) of epoch milliseconds.
pub(super) fn day_number(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY)
}

/// `YYYYMMDD` of a day number, when its year is 0000 to 9999.
pub(super) fn day_name(day: i64) -> Option<String> {
    if !(MIN_EVENT_TIME_MS / MS_PER_DAY..END_EVENT_TIME_MS / MS_PER_DAY).contains(&day) {
        return None;
    }
    // 719_163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).ok()?)?;
    Some(date.format("%Y%m%d").to_string())
}

/// Whether a `time` (epoch milliseconds) has an `eventDay` partition: only years 0000
/// to 9999 fit `YYYYMMDD`, and a time outside them is almost always a unit or parsing
/// mistake, never to be filed under another day. The error names `time` and its value.
pub fn check_event_time(ms: i64) -> Result<(), String> {
    if (MIN_EVENT_TIME_MS..END_EVENT_TIME_MS).contains(&ms) {
        return Ok(());
    }
    let readable = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| format!(" ({})", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")))
        .unwrap_or_default();
    Err(format!(
        "`time` is {ms}{readable}: outside the years 0000 to 9999 that an eventDay=YYYYMMDD partition can hold"
    ))
}

/// The `eventDay` partition (`YYYYMMDD`, UTC) of a `time` in epoch milliseconds.
pub fn event_day(ms: i64) -> Result<String, String> {
    check_event_time(ms)?;
    day_name(day_number(ms)).ok_or_else(|| format!("`time` is {ms}: no calendar day"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_security_lakes_layout() {
        let key = LakeKey {
            source: "windows-sysmon-dns_activity",
            region: "eu-west-1",
            account_id: "210987654321",
            event_day: "20231003",
            file_prefix: "file-create-1a2b3c4d",
            part: 7,
        };
        assert_eq!(
            key.object_key(),
            "ext/windows-sysmon-dns_activity/region=eu-west-1/accountId=210987654321/eventDay=20231003/file-create-1a2b3c4d-00007.parquet"
        );
        // Part numbers past five digits keep every digit.
        let key = LakeKey {
            part: 123_456,
            ..key
        };
        assert!(
            key.object_key()
                .ends_with("/file-create-1a2b3c4d-123456.parquet")
        );
    }

    #[test]
    fn event_days_are_utc_days_of_years_0000_to_9999() {
        assert_eq!(event_day(0).as_deref(), Ok("19700101"));
        assert_eq!(event_day(-1).as_deref(), Ok("19691231"));
        assert_eq!(event_day(1_700_000_000_000).as_deref(), Ok("20231114"));
        assert_eq!(event_day(MIN_EVENT_TIME_MS).as_deref(), Ok("00000101"));
        assert_eq!(event_day(END_EVENT_TIME_MS - 1).as_deref(), Ok("99991231"));
        let err = event_day(END_EVENT_TIME_MS).unwrap_err();
        assert!(
            err.starts_with("`time` is 253402300800000 (+10000-01-01T00:00:00.000Z): outside"),
            "{err}"
        );
        assert!(event_day(MIN_EVENT_TIME_MS - 1).is_err());
        assert!(event_day(i64::MIN).is_err());
    }
}
