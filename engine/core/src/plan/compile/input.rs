//! How the records of an input are read: JSON and its wrapper keys, or delimited text
//! and the checks of its separator, quote, field names and header.

use super::Compiler;
use crate::diagnostic::Code;
use crate::input::{Delimited, Format, Header};
use crate::mapping::model::{HeaderSpec, InputSpec};

impl Compiler<'_> {
    /// How the records of an input are read.
    pub(super) fn input_format(&mut self, input: &InputSpec, root: &str) -> Format {
        let Some(spec) = &input.delimited else {
            return Format::Json {
                records_keys: input
                    .records_keys
                    .clone()
                    .unwrap_or_else(|| vec!["Records".to_owned()]),
            };
        };
        let ptr = format!("{root}/input/delimited");
        if input.records_keys.is_some() {
            self.error(
                Code::InputFormat,
                &format!("{root}/input/records_keys"),
                "`records_keys` names JSON wrapper objects, but the input is delimited text"
                    .to_owned(),
                Some("remove `records_keys` or `delimited`".to_owned()),
            );
        }
        let mut one_char = |key: &str, value: Option<&String>, default: Option<u8>| {
            let Some(value) = value else { return default };
            match value.as_bytes() {
                [b] if *b != b'\n' && *b != b'\r' && *b != b'\\' => Some(*b),
                _ => {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/{key}"),
                        format!(
                            "the {key} {value:?} must be one ASCII character other than a line break or a backslash"
                        ),
                        Some(if key == "quote" {
                            "for example '\"'".to_owned()
                        } else {
                            "for example ',' (a tab is \"\\t\" in double quotes)".to_owned()
                        }),
                    );
                    default
                }
            }
        };
        let separator = one_char("separator", spec.separator.as_ref(), Some(b' ')).unwrap_or(b' ');
        let quote = one_char("quote", spec.quote.as_ref(), None);
        if quote == Some(separator) {
            self.error(
                Code::InputFormat,
                &format!("{ptr}/quote"),
                "the quote is the same character as the separator".to_owned(),
                None,
            );
        }
        if let Some(fields) = &spec.fields {
            let mut seen = std::collections::HashSet::new();
            for (i, name) in fields.iter().enumerate() {
                if name.is_empty() {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/fields/{i}"),
                        "a field name is empty".to_owned(),
                        None,
                    );
                } else if !seen.insert(name.as_str()) {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/fields/{i}"),
                        format!("the field `{name}` is named twice"),
                        None,
                    );
                }
            }
        }
        let header = match spec.header {
            HeaderSpec::Auto => Header::Auto,
            HeaderSpec::Always => Header::Always,
            HeaderSpec::Never => {
                if spec.fields.is_none() {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/header"),
                        "`header: never` needs `fields` to name the fields".to_owned(),
                        Some("list the field names in order under `fields`".to_owned()),
                    );
                }
                Header::Never
            }
        };
        Format::Delimited(Delimited {
            separator,
            quote,
            fields: spec.fields.clone(),
            header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, parse};

    #[test]
    fn delimited_input_mistakes_are_reported() {
        let file = parse(
            "custom_source_events:
  source_name: t
  input:
    records_keys: [Records]
    delimited: {separator: ',,', quote: ',', fields: [a, '', a], header: never}
  ocsf_mapping:
    r: {schema: base_event, schema_mapping: {time: $.t}}
",
        );
        let got = diagnostics(&file);
        for want in [
            "error[OM026] /custom_source_events/input/records_keys: `records_keys` names JSON wrapper objects",
            "error[OM026] /custom_source_events/input/delimited/separator: the separator \",,\" must be one ASCII character",
            "error[OM026] /custom_source_events/input/delimited/fields/1: a field name is empty",
            "error[OM026] /custom_source_events/input/delimited/fields/2: the field `a` is named twice",
        ] {
            assert!(
                got.iter().any(|g| g.starts_with(want)),
                "{want} not in {got:#?}"
            );
        }
    }

    #[test]
    fn header_never_needs_fields() {
        let file = parse(
            "custom_source_events:
  source_name: t
  input: {delimited: {header: never}}
  ocsf_mapping:
    r: {schema: base_event, schema_mapping: {time: $.t}}
",
        );
        assert!(
            diagnostics(&file)
                .iter()
                .any(|d| d.starts_with("error[OM026] /custom_source_events/input/delimited/header: `header: never` needs `fields`")),
            "{:?}",
            diagnostics(&file)
        );
    }
}
