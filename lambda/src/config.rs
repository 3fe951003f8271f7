//! The sources config as written (YAML or JSON): a superset of the reference library's
//! `sources_config.json`, read strictly so a misspelt key is named with its path.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesFile {
    /// Where Parquet goes (ours; the bucket may also come from `OCSFMAP_LAKE_BUCKET`).
    #[serde(default)]
    pub security_lake: Option<LakeSpec>,
    /// `s3://bucket/prefix/` for records set aside (ours); default
    /// `s3://<lake bucket>/ocsfmap-set-aside/`.
    #[serde(default)]
    pub set_aside: Option<String>,
    /// Folder of the mapping files, relative to the config file's folder (ours); default
    /// `mappings`.
    #[serde(default)]
    pub mapping_dir: Option<String>,
    pub sources: Vec<SourceSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LakeSpec {
    #[serde(default)]
    pub bucket: Option<String>,
    /// Default: the region the notification names.
    #[serde(default)]
    pub region: Option<String>,
    /// Default: the account the notification names (EventBridge), else the account of
    /// the event source ARN (the queue or stream).
    #[serde(default)]
    pub account_id: Option<String>,
}

/// One source: a mapping and where its raw logs arrive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub name: String,
    /// Relative to `mapping_dir`; default `<name>` with `.yaml`, `.yml` or `.json`
    /// (also with `-` written `_`, as the reference library names its files).
    #[serde(default)]
    pub mapping_file: Option<String>,
    /// The reference library's preprocessor: a known name maps to a built-in input option.
    #[serde(default)]
    pub preprocessor_module: Option<String>,
    /// Overrides the mapping's `on_type_error` (ours): `reject` or `unmapped`, as
    /// `transform --on-type-error` does.
    #[serde(default)]
    pub on_type_error: Option<ocsfmap_core::mapping::OnTypeError>,
    #[serde(default)]
    pub input_paths: InputPaths,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputPaths {
    #[serde(default)]
    pub s3: Option<S3Input>,
    #[serde(default)]
    pub kinesis: Option<KinesisInput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Input {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub source_buckets: Vec<BucketSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    pub bucket_name: String,
    /// A key prefix, or a glob when it holds `*` or `?` (see [`crate::pattern`]).
    #[serde(default)]
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisInput {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A top-level field of each event whose value names the source.
    #[serde(default)]
    pub metadata_field: Option<String>,
    /// Streams (names or ARNs) whose events belong to this source (ours).
    #[serde(default)]
    pub streams: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A config that cannot be read, parsed or used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the sources config: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `key` is the path of the offending key, as in `sources[1].input_paths.s3`.
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

impl SourcesFile {
    /// Reads a config file: `.json` as JSON, anything else as YAML (which also reads JSON).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` names the file in errors and picks the syntax.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let invalid = |key: String, message: String| ConfigError::Invalid {
            path: path.to_owned(),
            key: if key.is_empty() || key == "." {
                "(top level)".into()
            } else {
                key
            },
            message,
        };
        if json {
            let de = &mut serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let key = e.path().to_string();
                let inner = e.into_inner();
                let message = strip_position(&inner.to_string());
                if inner.is_syntax() || inner.is_eof() {
                    invalid(
                        format!("line {} column {}", inner.line(), inner.column()),
                        message,
                    )
                } else {
                    invalid(key, message)
                }
            })
        } else {
            let de = serde_yaml::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let key = e.path().to_string();
                let inner = e.into_inner();
                let message = strip_path(&strip_position(&inner.to_string())).to_owned();
                match inner.location() {
                    Some(at) if key == "." || key.is_empty() => invalid(
                        format!("line {} column {}", at.line(), at.column()),
                        message,
                    ),
                    Some(at) => invalid(
                        key,
                        format!("{message} (line {} column {})", at.line(), at.column()),
                    ),
                    None => invalid(key, message),
                }
            })
        }
    }
}

/// serde_yaml starts its message with the path, which the key already gives.
fn strip_path(message: &str) -> &str {
    match message.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') && !path.is_empty() => rest,
        _ => message,
    }
}

/// serde_json and serde_yaml append ` at line L column C`; the key path says more.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str, name: &str) -> String {
        SourcesFile::parse(text, Path::new(name))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_wrong_key_is_named_by_its_path() {
        let text = r#"{"sources": [
            {"name": "a", "input_paths": {"s3": {"source_buckets": [{"bucket_name": "b"}]}}},
            {"name": "b", "input_paths": {"s3": {"source_buckets": [{"bucket_name": "b", "prefix": 7}]}}}
        ]}"#;
        let e = err(text, "s.json");
        assert!(
            e.starts_with("s.json: sources[1].input_paths.s3.source_buckets[0].prefix: invalid type: integer `7`, expected a string"),
            "{e}"
        );
        let yaml = "sources:\n  - name: a\n    input_paths:\n      kinesis: {enabled: true, metadata_feld: source}\n";
        let e = err(yaml, "s.yaml");
        assert!(
            e.starts_with("s.yaml: sources[0].input_paths.kinesis.metadata_feld: unknown field `metadata_feld`, expected one of `enabled`, `metadata_field`, `streams` (line 4 column 32)"),
            "{e}"
        );
        let e = err("sources:\n  - mapping_file: x.yaml\n", "s.yaml");
        assert!(e.contains("sources[0]: missing field `name`"), "{e}");
        let e = err("{}", "s.json");
        assert!(e.contains("missing field `sources`"), "{e}");
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = err("{\"sources\": [\n  {\"name\": }\n]}", "s.json");
        assert!(
            e.starts_with("s.json: line 2 column 12: expected value"),
            "{e}"
        );
        let e = err("sources:\n  - name: a\n   b: c\n", "s.yaml");
        assert_eq!(
            e,
            "s.yaml: sources: did not find expected '-' indicator (line 3 column 4)"
        );
        let e = err("sources:\n  - name: [a]\n", "s.yaml");
        assert!(
            e.starts_with("s.yaml: sources[0].name: invalid type: sequence, expected a string (line 2 column 11)"),
            "{e}"
        );
    }

    #[test]
    fn our_keys_are_optional_and_read() {
        let f = SourcesFile::parse(
            "security_lake: {bucket: lake, region: eu-west-1, account_id: '123456789012'}\nset_aside: s3://raw/aside/\nmapping_dir: maps\nsources:\n  - name: x\n    on_type_error: unmapped\n    input_paths: {kinesis: {streams: [sysmon]}}\n",
            Path::new("s.yaml"),
        )
        .unwrap();
        let lake = f.security_lake.unwrap();
        assert_eq!(lake.bucket.as_deref(), Some("lake"));
        assert_eq!(f.set_aside.as_deref(), Some("s3://raw/aside/"));
        assert_eq!(f.mapping_dir.as_deref(), Some("maps"));
        let k = f.sources[0].input_paths.kinesis.as_ref().unwrap();
        assert!(k.enabled, "enabled defaults to true");
        assert_eq!(k.streams, ["sysmon"]);
        assert_eq!(
            f.sources[0].on_type_error,
            Some(ocsfmap_core::mapping::OnTypeError::Unmapped)
        );
    }
}
