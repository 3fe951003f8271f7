//! The sources config compiled once at cold start: every mapping loaded and compiled
//! into a [`Plan`], every key pattern parsed, the lake and set-aside locations checked.
//! A problem anywhere fails the whole cold start, every problem named by its key.

use std::fmt;
use std::path::{Path, PathBuf};

use ocsfmap_core::mapping::{self, lake};
use ocsfmap_core::{Plan, Severity};

use crate::config::{ConfigError, SourceSpec, SourcesFile};
use crate::pattern::KeyPattern;

/// Preprocessors of the reference library that have a built-in equivalent: the
/// `Key: Value` lines of Sysmon's `Description` parsed into an object, as
/// `transform --key-value-field $.Description` does.
const SYSMON_PREPROCESSOR: &str = "sysmon_preprocessor";

/// Everything the handler needs, built once.
pub struct Sources {
    pub lake: Lake,
    pub set_aside: S3Location,
    pub sources: Vec<Source>,
    /// Compile warnings of the mappings, one line each (`<file>: <warning>`).
    pub warnings: Vec<String>,
}

/// The Security Lake bucket, and the partition values when the config fixes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lake {
    pub bucket: String,
    pub region: Option<String>,
    pub account_id: Option<String>,
}

/// A bucket and a key prefix (empty, or ending with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

impl S3Location {
    /// Parses `s3://bucket` or `s3://bucket/prefix` (a `/` is added to a prefix).
    pub fn parse(url: &str) -> Result<Self, String> {
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(format!("`{url}` is not an s3://bucket/prefix/ URL"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("`{url}` names no bucket"));
        }
        let mut prefix = prefix.trim_start_matches('/').to_owned();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(S3Location {
            bucket: bucket.to_owned(),
            prefix,
        })
    }
}

/// One source: its compiled plan and where its raw logs arrive.
pub struct Source {
    pub name: String,
    pub plan: Plan,
    pub mapping_path: PathBuf,
    /// (bucket, key pattern) pairs, in config order.
    pub s3: Vec<(String, KeyPattern)>,
    pub kinesis: Option<KinesisRoute>,
}

/// How Kinesis events find this source.
#[derive(Debug, Clone, Default)]
pub struct KinesisRoute {
    /// The field (top-level name, or a dotted `$.a.b` path) whose value is the source's name.
    pub metadata_field: Option<Vec<String>>,
    /// Stream names or ARNs whose events are this source's.
    pub streams: Vec<String>,
}

/// Every problem of a config, each naming its key.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl Sources {
    /// Reads and compiles a config file. `lake_bucket` (from `OCSFMAP_LAKE_BUCKET`)
    /// replaces `security_lake.bucket`.
    pub fn load(path: &Path, lake_bucket: Option<&str>) -> Result<Self, ConfigErrors> {
        let file = SourcesFile::load(path)?;
        Self::compile(&file, path, lake_bucket)
    }

    /// Compiles a parsed config; `path` is the config file (mapping files are found
    /// relative to its folder).
    pub fn compile(
        file: &SourcesFile,
        path: &Path,
        lake_bucket: Option<&str>,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let mut invalid = |key: &str, message: String| {
            errors.push(ConfigError::Invalid {
                path: path.to_owned(),
                key: key.to_owned(),
                message,
            });
        };
        let spec = file.security_lake.clone().unwrap_or_default();
        let bucket = lake_bucket
            .map(str::to_owned)
            .or(spec.bucket)
            .filter(|b| !b.is_empty());
        if bucket.is_none() {
            invalid(
                "security_lake.bucket",
                "no Security Lake bucket: set security_lake.bucket, or the OCSFMAP_LAKE_BUCKET environment variable".into(),
            );
        }
        if let Some(r) = &spec.region
            && let Err(e) = lake::check_region(r)
        {
            invalid("security_lake.region", e.to_string());
        }
        if let Some(a) = &spec.account_id
            && let Err(e) = lake::check_account_id(a)
        {
            invalid("security_lake.account_id", e.to_string());
        }
        let set_aside = match (&file.set_aside, &bucket) {
            (Some(url), _) => S3Location::parse(url)
                .map_err(|e| invalid("set_aside", e))
                .ok(),
            (None, Some(b)) => Some(S3Location {
                bucket: b.clone(),
                prefix: "ocsfmap-set-aside/".into(),
            }),
            (None, None) => None,
        };
        if file.sources.is_empty() {
            invalid("sources", "no sources: list at least one".into());
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mapping_dir = base.join(file.mapping_dir.as_deref().unwrap_or("mappings"));
        let mut sources = Vec::new();
        let mut warnings = Vec::new();
        for (i, spec) in file.sources.iter().enumerate() {
            let at = format!("sources[{i}]");
            if file.sources[..i].iter().any(|s| s.name == spec.name) {
                invalid(
                    &format!("{at}.name"),
                    format!("`{}` names another source too", spec.name),
                );
            }
            match compile_source(spec, &at, &mapping_dir, &mut warnings) {
                Ok(source) => sources.push(source),
                Err((key, message)) => invalid(&key, message),
            }
        }
        match (bucket, set_aside) {
            (Some(bucket), Some(set_aside)) if errors.is_empty() => Ok(Sources {
                lake: Lake {
                    bucket,
                    region: spec.region,
                    account_id: spec.account_id,
                },
                set_aside,
                sources,
                warnings,
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }

    /// The first source (in config order) whose bucket and key pattern take this object.
    pub fn for_object(&self, bucket: &str, key: &str) -> Option<&Source> {
        self.sources.iter().find(|s| {
            s.s3.iter()
                .any(|(b, pattern)| b == bucket && pattern.matches(key))
        })
    }
}

fn compile_source(
    spec: &SourceSpec,
    at: &str,
    mapping_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<Source, (String, String)> {
    if let Err(e) = lake::check_source_name(&spec.name) {
        return Err((format!("{at}.name"), e.to_string()));
    }
    let mut key_value_fields = Vec::new();
    match spec.preprocessor_module.as_deref() {
        None | Some("") => {}
        Some(SYSMON_PREPROCESSOR) => key_value_fields.push("$.Description".to_owned()),
        Some(other) => {
            return Err((
                format!("{at}.preprocessor_module"),
                format!(
                    "source `{}`: preprocessor `{other}` has no built-in equivalent in ocsfmap (known: `{SYSMON_PREPROCESSOR}`); describe the input in the mapping's `input` instead, or leave the source out",
                    spec.name
                ),
            ));
        }
    }
    let mapping_path = find_mapping(spec, mapping_dir)
        .map_err(|message| (format!("{at}.mapping_file"), message))?;
    let plan = compile_mapping(
        &mapping_path,
        key_value_fields,
        spec.on_type_error,
        warnings,
    )
    .map_err(|message| (format!("{at}.mapping_file"), message))?;
    // A mapping Security Lake cannot take (a bad source name) is found now, not per object.
    ocsfmap_output::parquet::class_sources(&plan).map_err(|e| {
        (
            format!("{at}.mapping_file"),
            format!("{}: {e}", mapping_path.display()),
        )
    })?;
    let mut s3 = Vec::new();
    if let Some(input) = &spec.input_paths.s3
        && input.enabled
    {
        for b in &input.source_buckets {
            s3.push((
                b.bucket_name.clone(),
                KeyPattern::new(b.prefix.as_deref().unwrap_or("")),
            ));
        }
    }
    let kinesis = spec
        .input_paths
        .kinesis
        .as_ref()
        .filter(|k| k.enabled)
        .map(|k| KinesisRoute {
            metadata_field: k.metadata_field.as_deref().map(|f| {
                f.strip_prefix("$.")
                    .unwrap_or(f)
                    .split('.')
                    .map(str::to_owned)
                    .collect()
            }),
            streams: k.streams.clone(),
        });
    Ok(Source {
        name: spec.name.clone(),
        plan,
        mapping_path,
        s3,
        kinesis,
    })
}

/// The mapping file named, or found by the source's name.
fn find_mapping(spec: &SourceSpec, dir: &Path) -> Result<PathBuf, String> {
    if let Some(file) = &spec.mapping_file {
        let path = dir.join(file);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "source `{}`: mapping file {} not found",
                spec.name,
                path.display()
            ))
        };
    }
    let names = [spec.name.clone(), spec.name.replace('-', "_")];
    let tried: Vec<PathBuf> = names
        .iter()
        .flat_map(|n| ["yaml", "yml", "json"].map(|ext| dir.join(format!("{n}.{ext}"))))
        .collect();
    tried.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "source `{}` has no mapping_file and none of {} exists",
            spec.name,
            tried
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn compile_mapping(
    path: &Path,
    key_value_fields: Vec<String>,
    on_type_error: Option<mapping::OnTypeError>,
    warnings: &mut Vec<String>,
) -> Result<Plan, String> {
    let name = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let size = file.metadata().ok().map(|m| m.len());
    let mut mapping = mapping::load(file, size, path).map_err(|e| e.to_string())?;
    // Lookup tables are beside the mapping (packaged with it).
    mapping.read_lookups(path, std::fs::read);
    mapping
        .custom_source_events
        .input
        .key_value_fields
        .extend(key_value_fields);
    if let Some(policy) = on_type_error {
        mapping.custom_source_events.on_type_error = policy;
    }
    match ocsfmap_core::compile(&mapping) {
        Ok(plan) => {
            warnings.extend(plan.warnings.iter().map(|w| format!("{name}: {w}")));
            Ok(plan)
        }
        Err(e) => {
            let errors: Vec<String> = e
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(ToString::to_string)
                .collect();
            Err(format!(
                "{name}: the mapping has {} error(s): {}",
                errors.len(),
                errors.join("; ")
            ))
        }
    }
}
