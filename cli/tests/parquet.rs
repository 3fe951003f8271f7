//! `ocsfmap transform --format parquet` and `ocsfmap schema` end to end.

mod common;

use std::path::Path;

use common::{ocsfmap, repo};

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let path = p.strip_prefix(dir).unwrap().to_str().unwrap();
                out.push(without_digest(path));
            }
        }
    }
    out.sort();
    out
}

/// File names carry a digest of the run's inputs (`name-1a2b3c4d-00001.parquet`):
/// shown as `name-<inputs>-00001.parquet`.
fn without_digest(path: &str) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let parts: Vec<&str> = name.rsplitn(3, '-').collect();
    let name = match parts[..] {
        [part, digest, stem]
            if digest.len() == 8 && digest.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            format!("{stem}-<inputs>-{part}")
        }
        _ => name.to_owned(),
    };
    format!("{dir}/{name}")
}

/// `ocsfmap transform` with the firewall mapping into Parquet under `out` (region
/// us-east-1, account 123456789012), then `rest` (options and inputs).
fn firewall_to_parquet(out: &Path, rest: &[&str]) -> (i32, String, String) {
    to_parquet("mappings/aws-network-firewall.yaml", out, rest)
}

/// [`firewall_to_parquet`] with another mapping.
fn to_parquet(mapping: &str, out: &Path, rest: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "transform",
        "-m",
        mapping,
        "--format",
        "parquet",
        "--output-dir",
        out.to_str().unwrap(),
        "--region",
        "us-east-1",
        "--account-id",
        "123456789012",
    ];
    args.extend_from_slice(rest);
    ocsfmap(&args)
}

#[test]
fn parquet_goes_to_the_security_lake_layout_with_one_sub_source_per_class() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (code, _, stderr) = ocsfmap(&[
        "transform",
        "-m",
        "mappings/windows-sysmon.yaml",
        "--format",
        "parquet",
        "--output-dir",
        out,
        "--region",
        "eu-west-1",
        "--account-id",
        "210987654321",
        "mappings/tests/windows-sysmon/file-create.input.jsonl",
        "mappings/tests/windows-sysmon/dns-query.input.jsonl",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("3 records: 3 output") && stderr.contains("2 Parquet file(s)"),
        "{stderr}"
    );
    assert_eq!(
        files_under(dir.path()),
        [
            "ext/windows-sysmon-dns_activity/region=eu-west-1/accountId=210987654321/eventDay=20231003/file-create-<inputs>-00001.parquet",
            "ext/windows-sysmon-file_activity/region=eu-west-1/accountId=210987654321/eventDay=20231003/file-create-<inputs>-00001.parquet",
        ]
    );
}

#[test]
fn parquet_options_are_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let nfw = "mappings/aws-network-firewall.yaml";
    let sample = "mappings/tests/aws-network-firewall/tls.input.jsonl";
    let (code, _, stderr) = ocsfmap(&["transform", "-m", nfw, "--format", "parquet", sample]);
    assert_eq!(
        (code, stderr.contains("--format parquet needs --output-dir")),
        (2, true),
        "{stderr}"
    );
    let (code, _, stderr) = ocsfmap(&[
        "transform",
        "-m",
        nfw,
        "--format",
        "parquet",
        "--output-dir",
        out,
        sample,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("needs --region and --account-id"),
        "{stderr}"
    );
    let (code, _, stderr) = ocsfmap(&[
        "transform",
        "-m",
        nfw,
        "--format",
        "parquet",
        "--output-dir",
        out,
        "--region",
        "us-east-1",
        "--account-id",
        "42",
        sample,
    ]);
    assert_eq!(
        (
            code,
            stderr.contains("account id `42` is not valid: 12 digits")
        ),
        (2, true),
        "{stderr}"
    );
    assert!(
        files_under(dir.path()).is_empty(),
        "nothing is written when the options are wrong"
    );
}

#[test]
fn region_and_account_can_come_from_the_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("nfw.yaml");
    let text = std::fs::read_to_string(repo().join("mappings/aws-network-firewall.yaml")).unwrap();
    let text = text.replace(
        "  unmapped_rest: true\n",
        "  unmapped_rest: true\n  security_lake: {region: ap-southeast-2, account_id: '111122223333'}\n",
    );
    std::fs::write(&mapping, text).unwrap();
    let out = dir.path().join("out");
    let (code, _, stderr) = ocsfmap(&[
        "transform",
        "-m",
        mapping.to_str().unwrap(),
        "--format",
        "parquet",
        "--output-dir",
        out.to_str().unwrap(),
        "--compression",
        "snappy",
        "mappings/tests/aws-network-firewall/tls.input.jsonl",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        files_under(&out),
        [
            "ext/aws-network-firewall/region=ap-southeast-2/accountId=111122223333/eventDay=20231114/tls-<inputs>-00001.parquet"
        ]
    );
}

#[test]
fn schema_prints_arrow_and_glue_tables() {
    let (code, arrow, _) = ocsfmap(&["schema", "-m", "mappings/aws-network-firewall.yaml"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("nfw_arrow_schema", arrow);
    let (code, glue, _) = ocsfmap(&[
        "schema",
        "-m",
        "mappings/windows-sysmon.yaml",
        "--format",
        "glue",
        "--location",
        "s3://lake-bucket/",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        glue.matches("CREATE EXTERNAL TABLE").count(),
        4,
        "one table per class"
    );
    assert!(
        glue.contains("LOCATION 's3://lake-bucket/ext/windows-sysmon-process_activity/';"),
        "{glue}"
    );
    insta::assert_snapshot!("sysmon_glue_tables", glue);
}

#[test]
fn schema_prints_the_security_lake_registration_of_each_class() {
    let (code, text, err) = ocsfmap(&[
        "schema",
        "-m",
        "mappings/windows-sysmon.yaml",
        "--format",
        "security-lake",
        "--glue-role-arn",
        "arn:aws:iam::123456789012:role/crawler",
        "--principal",
        "123456789012",
        "--external-id",
        "x-1",
    ]);
    assert_eq!(code, 0, "{err}");
    let commands: Vec<&str> = text
        .split("aws securitylake create-custom-log-source")
        .skip(1)
        .collect();
    assert_eq!(commands.len(), 4, "one per class: {text}");
    let mut pairs = Vec::new();
    for c in &commands {
        let arg = |name: &str| {
            c.split(&format!("--{name} "))
                .nth(1)
                .and_then(|rest| rest.split([' ', '\n']).next())
                .unwrap_or_else(|| panic!("no --{name} in {c}"))
                .to_owned()
        };
        pairs.push((arg("source-name"), arg("event-classes")));
        let configuration = c.split("--configuration '").nth(1).unwrap();
        let configuration: serde_json::Value =
            serde_json::from_str(configuration.split('\'').next().unwrap()).unwrap();
        assert_eq!(
            configuration,
            serde_json::json!({
                "crawlerConfiguration": {"roleArn": "arn:aws:iam::123456789012:role/crawler"},
                "providerIdentity": {"principal": "123456789012", "externalId": "x-1"},
            })
        );
    }
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("windows-sysmon-dns_activity".into(), "DNS_ACTIVITY".into()),
            (
                "windows-sysmon-file_activity".into(),
                "FILE_ACTIVITY".into()
            ),
            (
                "windows-sysmon-network_activity".into(),
                "NETWORK_ACTIVITY".into()
            ),
            (
                "windows-sysmon-process_activity".into(),
                "PROCESS_ACTIVITY".into()
            ),
        ]
    );
    // Every one of these names is longer than Security Lake's advice: each says so.
    assert_eq!(
        text.matches("Security Lake advises at most 20").count(),
        4,
        "{text}"
    );
    assert!(!text.contains("is not among the event classes"), "{text}");
    assert!(!text.contains("--source-version"), "{text}");

    // A class Security Lake does not list is pointed out; a short name is not.
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("base.yaml");
    std::fs::write(
        &mapping,
        "custom_source_events:\n  source_name: app\n  ocsf_mapping:\n    all:\n      schema: base_event\n      schema_mapping:\n        time: {timestamp: {field: $.t, format: epoch_ms}}\n",
    )
    .unwrap();
    let (code, text, _) = ocsfmap(&[
        "schema",
        "-m",
        mapping.to_str().unwrap(),
        "--format",
        "security-lake",
    ]);
    assert_eq!(code, 0);
    assert!(
        text.contains("# note: BASE_EVENT is not among the event classes"),
        "{text}"
    );
    assert!(!text.contains("advises"), "{text}");
}

#[test]
fn an_event_whose_time_no_event_day_can_hold_is_rejected_with_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("times.yaml");
    std::fs::write(
        &mapping,
        "custom_source_events:
  source_name: times
  ocsf_mapping:
    all:
      schema: base_event
      schema_mapping:
        activity_id: 99
        severity_id: 1
        time: {timestamp: {field: $.t, format: epoch_ms}}
",
    )
    .unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"t\": 1700000000000}\n{\"t\": 253402300800000}\n{\"t\": -62167219200001}\n",
    )
    .unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let out = dir.path().join("out");
    let (code, _, stderr) = to_parquet(
        mapping.to_str().unwrap(),
        &out,
        &[
            "--rejects",
            rejects.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let rejected: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reasons: Vec<(u64, &str)> = rejected
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(reasons.len(), 2, "{rejected:?}");
    assert_eq!(reasons[0].0, 2);
    assert!(
        reasons[0]
            .1
            .contains("`time` is 253402300800000 (+10000-01-01")
    );
    assert_eq!(reasons[1].0, 3);
    assert!(
        reasons[1]
            .1
            .contains("`time` is -62167219200001 (-0001-12-31")
    );
    assert_eq!(
        files_under(&out),
        [
            "ext/times/region=us-east-1/accountId=123456789012/eventDay=20231114/in-<inputs>-00001.parquet"
        ]
    );
}

#[test]
fn an_output_dir_that_is_a_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let (code, _, stderr) = firewall_to_parquet(
        &file,
        &["mappings/tests/aws-network-firewall/tls.input.jsonl"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{}: the output folder is", file.display())),
        "{stderr}"
    );
}

#[test]
fn runs_over_other_inputs_of_the_same_name_never_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let sample =
        std::fs::read(repo().join("mappings/tests/aws-network-firewall/tls.input.jsonl")).unwrap();
    let mut inputs = Vec::new();
    for day in ["day1", "day2"] {
        std::fs::create_dir(dir.path().join(day)).unwrap();
        let input = dir.path().join(day).join("flows.jsonl");
        std::fs::write(&input, &sample).unwrap();
        inputs.push(input);
    }
    let run = |input: &Path| {
        let (code, _, stderr) = firewall_to_parquet(&out, &[input.to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
    };
    let names = |out: &Path| {
        let mut stack = vec![out.to_owned()];
        let mut names = Vec::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    names.push(p);
                }
            }
        }
        names.sort();
        names
    };
    run(&inputs[0]);
    let first = names(&out);
    assert_eq!(first.len(), 1);
    // A retry over the same input overwrites the same file.
    run(&inputs[0]);
    assert_eq!(names(&out), first);
    // Another input with the same name writes beside it.
    run(&inputs[1]);
    let both = names(&out);
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both.iter().all(|p| {
        p.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("flows-")
    }));
}

#[test]
fn a_buffer_past_what_a_string_column_holds_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = |mb: &str| {
        firewall_to_parquet(
            &out,
            &[
                "--max-buffer-mb",
                mb,
                "mappings/tests/aws-network-firewall/tls.input.jsonl",
            ],
        )
    };
    // 2048 MiB and more wrapped Arrow's 32-bit offsets; 1025 leaves no room for a batch.
    for mb in ["1025", "2048", "4096"] {
        let (code, _, stderr) = run(mb);
        assert_eq!(code, 2, "{mb}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "--max-buffer-mb {mb} is more than 1024, the most the classes can buffer"
            )),
            "{stderr}"
        );
        assert!(!out.exists(), "nothing is written");
    }
    let (code, _, stderr) = run("1024");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        files_under(&out),
        [
            "ext/aws-network-firewall/region=us-east-1/accountId=123456789012/eventDay=20231114/tls-<inputs>-00001.parquet"
        ]
    );
}
