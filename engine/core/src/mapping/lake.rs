//! The names Amazon Security Lake accepts for a custom source and its partitions: the
//! one place that decides them, for `validate` and the Parquet writer alike.

/// A name or partition value that Security Lake does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{value}` is not valid: {rule}")]
pub struct LakeNameError {
    pub what: &'static str,
    pub value: String,
    pub rule: &'static str,
}

impl LakeNameError {
    fn new(what: &'static str, value: &str, rule: &'static str) -> Self {
        LakeNameError {
            what,
            value: value.to_owned(),
            rule,
        }
    }
}

/// The rule for custom source names, as Security Lake states it.
pub const SOURCE_NAME_RULE: &str = "1 to 64 letters, digits, `-` or `_`";

/// Security Lake custom source names: 1 to 64 letters, digits, `-` and `_`.
pub fn check_source_name(name: &str) -> Result<(), LakeNameError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(LakeNameError::new(
            "custom source name",
            name,
            SOURCE_NAME_RULE,
        ))
    }
}

/// The (sub-)source a class's files go to: the mapping's source name, or
/// `<source_name>-<class name>` when the mapping writes several classes.
pub fn class_source_name(source_name: &str, class_name: &str, several_classes: bool) -> String {
    if several_classes {
        format!("{source_name}-{class_name}")
    } else {
        source_name.to_owned()
    }
}

/// The `accountId=` partition: a 12-digit AWS account id.
pub fn check_account_id(account_id: &str) -> Result<(), LakeNameError> {
    if account_id.len() == 12 && account_id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(LakeNameError::new("account id", account_id, "12 digits"))
    }
}

/// The `region=` partition: an AWS region name such as `us-east-1`.
pub fn check_region(region: &str) -> Result<(), LakeNameError> {
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && region.contains('-');
    if ok {
        Ok(())
    } else {
        Err(LakeNameError::new(
            "region",
            region,
            "an AWS region such as us-east-1",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_follow_security_lakes_rule() {
        for good in ["a", "windows-sysmon", "A_b-9", &"x".repeat(64)] {
            assert_eq!(check_source_name(good), Ok(()), "{good}");
        }
        for bad in ["", "has space", "dot.ted", "slash/", "é", &"x".repeat(65)] {
            let err = check_source_name(bad).unwrap_err();
            assert_eq!(err.value, bad);
            assert!(err.to_string().contains("1 to 64"), "{err}");
        }
        assert_eq!(
            class_source_name("s", "dns_activity", true),
            "s-dns_activity"
        );
        assert_eq!(class_source_name("s", "dns_activity", false), "s");
    }

    #[test]
    fn partition_values_are_checked() {
        assert_eq!(check_account_id("123456789012"), Ok(()));
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            assert!(check_account_id(bad).is_err(), "{bad}");
        }
        assert_eq!(check_region("eu-west-3"), Ok(()));
        for bad in ["", "useast1", "US-EAST-1", "us east-1", "../x-1"] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }
}
