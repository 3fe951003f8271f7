//! Deterministic, realistic benchmark data: AWS Network Firewall (netflow, alert, tls,
//! ~0.5 KB), Windows Sysmon (events 1, 3, 5, 11, 22, 23), AWS CloudTrail (~1.5 KB)
//! records, and VPC flow log lines (default format, with its header line; ~0.1 KB). The
//! same arguments always produce the same bytes.
//!
//! Usage: gen nfw|sysmon|cloudtrail|vpcflow OUT (--records N | --bytes N) [--wrap] [--gzip]
//!   --wrap  write CloudTrail's S3 object shape, {"Records": [...]}, instead of JSON lines
//!   --gzip  compress the output

use std::io::{BufWriter, Write};

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn ip(&mut self, private: bool) -> String {
        if private {
            format!(
                "10.{}.{}.{}",
                self.below(4),
                self.below(256),
                1 + self.below(254)
            )
        } else {
            format!(
                "{}.{}.{}.{}",
                11 + self.below(180),
                self.below(256),
                self.below(256),
                1 + self.below(254)
            )
        }
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
    fn guid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        )
    }
}

/// `2023-11-14T22:13:20.104558`: `offset_us` microseconds after `base` (epoch seconds),
/// a real calendar date however far the data runs (past the end of a month too).
fn iso(base: i64, offset_us: i64) -> String {
    let us = base * 1_000_000 + offset_us;
    let nanos = u32::try_from(us.rem_euclid(1_000_000) * 1000).unwrap_or(0);
    chrono::DateTime::from_timestamp(us.div_euclid(1_000_000), nanos)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

const BASE: i64 = 1_699_999_200; // 2023-11-14T22:00:00Z

fn nfw(r: &mut Rng, i: u64) -> String {
    let t = (i as i64) * 2_000 + r.below(2_000) as i64;
    let ts = iso(BASE, t);
    let (src, dst) = (r.ip(true), r.ip(false));
    let (sport, dport) = (
        1024 + r.below(64_000),
        *[443u64, 80, 53, 22, 8443, 3389]
            .get(r.below(6) as usize)
            .unwrap_or(&443),
    );
    let proto = if dport == 53 { "UDP" } else { "TCP" };
    let az = r.pick(&["us-east-1a", "us-east-1b", "us-east-1c"]);
    let head = format!(
        r#"{{"firewall_name":"fw-prod-egress","availability_zone":"{az}","event_timestamp":"{}","event":{{"timestamp":"{ts}+0000","flow_id":{},"#,
        BASE + t / 1_000_000,
        r.below(1 << 50)
    );
    match r.below(10) {
        0..=6 => format!(
            r#"{head}"event_type":"netflow","src_ip":"{src}","src_port":{sport},"dest_ip":"{dst}","dest_port":{dport},"proto":"{proto}","app_proto":"{}","netflow":{{"pkts":{},"bytes":{},"start":"{}+0000","end":"{ts}+0000","age":{},"min_ttl":63,"max_ttl":64}},"tcp":{{"tcp_flags":"1b","syn":true,"fin":true,"psh":true,"ack":true}}}}}}"#,
            r.pick(&["tls", "http", "dns", "ssh", "unknown"]),
            1 + r.below(200),
            60 + r.below(200_000),
            iso(BASE, t - 60_000_000),
            r.below(120)
        ),
        7..=8 => format!(
            r#"{head}"event_type":"alert","src_ip":"{src}","src_port":{sport},"dest_ip":"{dst}","dest_port":{dport},"proto":"{proto}","app_proto":"http","alert":{{"action":"{}","signature_id":{},"rev":{},"signature":"{}","category":"{}","severity":{}}},"http":{{"hostname":"{dst}","url":"/{}","http_user_agent":"curl/8.4.0","http_method":"GET","protocol":"HTTP/1.1","length":0}}}}}}"#,
            r.pick(&["blocked", "allowed"]),
            2_100_000 + r.below(5_000),
            r.below(12),
            r.pick(&[
                "GPL ATTACK_RESPONSE id check returned root",
                "ET POLICY curl User-Agent Outbound",
                "ET SCAN Nmap Scripting Engine"
            ]),
            r.pick(&[
                "Potentially Bad Traffic",
                "Attempted Information Leak",
                "Misc activity"
            ]),
            1 + r.below(3),
            r.hex(12)
        ),
        _ => format!(
            r#"{head}"event_type":"tls","src_ip":"{src}","src_port":{sport},"dest_ip":"{dst}","dest_port":443,"proto":"TCP","tls":{{"subject":"CN=www.example{}.com","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1","serial":"07:5B:CE:F3:06:89","fingerprint":"{}","sni":"www.example{}.com","version":"TLS 1.2","notbefore":"2023-01-13T00:00:00","notafter":"2024-02-13T23:59:59","ja3":{{"hash":"{}","string":"771,49195-49199,0-23-65281,29-23-24,0"}},"ja3s":{{"hash":"{}","string":"771,49199,65281-0-11"}}}}}}}}"#,
            r.below(1000),
            r.hex(40),
            r.below(1000),
            r.hex(32),
            r.hex(32)
        ),
    }
}

fn sysmon(r: &mut Rng, i: u64) -> String {
    let t = (i as i64) * 1_000 + r.below(1_000) as i64;
    let utc = iso(BASE, t).replace('T', " ");
    let utc = &utc[..23];
    let host = format!("WS-FIN-{:04}.corp.example.com", r.below(500));
    let guid = format!("{{{}}}", r.guid());
    let pid = 1000 + r.below(30_000);
    let image = r.pick(&[
        "C:\\\\Windows\\\\System32\\\\svchost.exe",
        "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe",
        "C:\\\\Program Files\\\\Mozilla Firefox\\\\firefox.exe",
        "C:\\\\Windows\\\\explorer.exe",
    ]);
    let user = r.pick(&["CORP\\\\jdoe", "CORP\\\\asmith", "NT AUTHORITY\\\\SYSTEM"]);
    let (eid, body) = match r.below(6) {
        0 => (
            1,
            format!(
                "Process Create:\\r\\nRuleName: -\\r\\nUtcTime: {utc}\\r\\nProcessGuid: {guid}\\r\\nProcessId: {pid}\\r\\nImage: {image}\\r\\nFileVersion: 10.0.19041.3636\\r\\nDescription: Windows host process\\r\\nProduct: Microsoft Windows Operating System\\r\\nCompany: Microsoft Corporation\\r\\nOriginalFileName: svchost.exe\\r\\nCommandLine: {image} -k netsvcs -p\\r\\nCurrentDirectory: C:\\\\Windows\\\\system32\\\\\\r\\nUser: {user}\\r\\nLogonGuid: {{{}}}\\r\\nLogonId: 0x3E7\\r\\nTerminalSessionId: 0\\r\\nIntegrityLevel: System\\r\\nHashes: SHA256={}\\r\\nParentProcessGuid: {{{}}}\\r\\nParentProcessId: {}\\r\\nParentImage: C:\\\\Windows\\\\System32\\\\services.exe\\r\\nParentCommandLine: C:\\\\Windows\\\\system32\\\\services.exe\\r\\nParentUser: NT AUTHORITY\\\\SYSTEM",
                r.guid(),
                r.hex(64),
                r.guid(),
                600 + r.below(100)
            ),
        ),
        1 => (
            3,
            format!(
                "Network connection detected:\\r\\nRuleName: -\\r\\nUtcTime: {utc}\\r\\nProcessGuid: {guid}\\r\\nProcessId: {pid}\\r\\nImage: {image}\\r\\nUser: {user}\\r\\nProtocol: tcp\\r\\nInitiated: true\\r\\nSourceIsIpv6: false\\r\\nSourceIp: {}\\r\\nSourceHostname: {host}\\r\\nSourcePort: {}\\r\\nSourcePortName: -\\r\\nDestinationIsIpv6: false\\r\\nDestinationIp: {}\\r\\nDestinationHostname: -\\r\\nDestinationPort: 443\\r\\nDestinationPortName: https",
                r.ip(true),
                49152 + r.below(16000),
                r.ip(false)
            ),
        ),
        2 => (
            5,
            format!(
                "Process terminated:\\r\\nRuleName: -\\r\\nUtcTime: {utc}\\r\\nProcessGuid: {guid}\\r\\nProcessId: {pid}\\r\\nImage: {image}\\r\\nUser: {user}"
            ),
        ),
        3 => (
            11,
            format!(
                "File created:\\r\\nRuleName: -\\r\\nUtcTime: {utc}\\r\\nProcessGuid: {guid}\\r\\nProcessId: {pid}\\r\\nImage: {image}\\r\\nTargetFilename: C:\\\\Users\\\\jdoe\\\\AppData\\\\Local\\\\Temp\\\\{}.tmp\\r\\nCreationUtcTime: {utc}\\r\\nUser: {user}",
                r.hex(8)
            ),
        ),
        4 => (
            22,
            format!(
                "Dns query:\\r\\nRuleName: -\\r\\nUtcTime: {utc}\\r\\nProcessGuid: {guid}\\r\\nProcessId: {pid}\\r\\nQueryName: host{}.example.org\\r\\nQueryStatus: 0\\r\\nQueryResults: ::ffff:{};\\r\\nImage: {image}\\r\\nUser: {user}",
                r.below(10_000),
                r.ip(false)
            ),
        ),
        _ => (
            23,
            format!(
                "File Delete archived:\\r\\nRuleName: -\\r\\nUtcTime: {utc}\\r\\nProcessGuid: {guid}\\r\\nProcessId: {pid}\\r\\nUser: {user}\\r\\nImage: {image}\\r\\nTargetFilename: C:\\\\Users\\\\jdoe\\\\AppData\\\\Local\\\\Temp\\\\{}.ps1\\r\\nHashes: SHA256={}\\r\\nIsExecutable: false\\r\\nArchived: true",
                r.hex(8),
                r.hex(64)
            ),
        ),
    };
    format!(
        r#"{{"EventId":"{eid}","Computer":"{host}","source_instance_id":"i-{}","Description":"{body}"}}"#,
        r.hex(17)
    )
}

fn cloudtrail(r: &mut Rng, i: u64) -> String {
    let t = (i as i64) * 500 + r.below(500) as i64;
    let ts = &iso(BASE, t * 1000)[..19];
    let (source, name, read_only) = match r.below(6) {
        0 => ("ec2.amazonaws.com", "DescribeInstances", true),
        1 => ("s3.amazonaws.com", "GetBucketAcl", true),
        2 => ("iam.amazonaws.com", "ListRoles", true),
        3 => ("sts.amazonaws.com", "AssumeRole", false),
        4 => ("kms.amazonaws.com", "Decrypt", true),
        _ => ("s3.amazonaws.com", "PutBucketPolicy", false),
    };
    let user = r.pick(&["jdoe", "asmith", "ci-deployer", "Admin"]);
    let error = if r.below(20) == 0 {
        r#""errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation","#
    } else {
        ""
    };
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","principalId":"AROA{}:{user}","arn":"arn:aws:sts::123456789012:assumed-role/Admin/{user}","accountId":"123456789012","accessKeyId":"ASIA{}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{}","arn":"arn:aws:iam::123456789012:role/Admin","accountId":"123456789012","userName":"Admin"}},"webIdFederationData":{{}},"attributes":{{"creationDate":"{ts}Z","mfaAuthenticated":"{}"}}}}}},"eventTime":"{ts}Z","eventSource":"{source}","eventName":"{name}","awsRegion":"{}","sourceIPAddress":"{}","userAgent":"aws-cli/2.13.25 Python/3.11.6 Linux/6.2.0 exe/x86_64.ubuntu.22 prompt/off command/{}",{error}"requestParameters":{{"bucketName":"bucket-{}","Host":"bucket-{}.s3.amazonaws.com","filterSet":{{"items":[{{"name":"instance-state-name","valueSet":{{"items":[{{"value":"running"}}]}}}}]}}}},"responseElements":null,"requestID":"{}","eventID":"{}","readOnly":{read_only},"resources":[{{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::bucket-{}"}}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{source}"}}}}"#,
        r.hex(16).to_uppercase(),
        r.hex(16).to_uppercase(),
        r.hex(16).to_uppercase(),
        r.below(2) == 0,
        r.pick(&["us-east-1", "us-west-2", "eu-west-1"]),
        r.ip(false),
        name.to_lowercase(),
        r.below(100),
        r.below(100),
        r.guid(),
        r.guid(),
        r.below(100),
    )
}

const VPC_HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";

/// One line of a VPC flow log in the default (version 2) format: mostly accepted TCP
/// and UDP flows, some rejected, a few windows without traffic (NODATA).
fn vpcflow(r: &mut Rng, i: u64) -> String {
    let start = BASE + (i / 50) as i64;
    let eni = format!("eni-0{}", r.hex(16));
    if r.below(50) == 0 {
        return format!(
            "2 123456789012 {eni} - - - - - - - {start} {} - NODATA",
            start + 60
        );
    }
    let (proto, dport) = match r.below(10) {
        0..=5 => ("6", [443, 80, 22, 3389, 5432][r.below(5) as usize]),
        6..=8 => ("17", 53),
        _ => ("1", 0),
    };
    let packets = 1 + r.below(400);
    let public = r.below(3) == 0;
    format!(
        "2 123456789012 {eni} {} {} {} {dport} {proto} {packets} {} {start} {} {} OK",
        r.ip(true),
        r.ip(public),
        1024 + r.below(64_000),
        packets * (40 + r.below(1400)),
        start + 60,
        if r.below(20) == 0 { "REJECT" } else { "ACCEPT" },
    )
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: gen nfw|sysmon|cloudtrail|vpcflow OUT (--records N | --bytes N) [--wrap] [--gzip]";
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{usage}");
        return Ok(());
    }
    let make: fn(&mut Rng, u64) -> String = match args.get(1).map(String::as_str) {
        Some("nfw") => nfw,
        Some("sysmon") => sysmon,
        Some("cloudtrail") => cloudtrail,
        Some("vpcflow") => vpcflow,
        _ => {
            eprintln!("{usage}");
            std::process::exit(2)
        }
    };
    let (Some(kind), Some(out)) = (args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        std::process::exit(2)
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let (records, bytes) = (flag("--records"), flag("--bytes"));
    if records.is_none() && bytes.is_none() {
        eprintln!("{usage}\n(--records or --bytes, with a number, says how much to write)");
        std::process::exit(2)
    }
    let wrap = args.iter().any(|a| a == "--wrap");
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let mut w: Box<dyn Write> = if args.iter().any(|a| a == "--gzip") {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(file)
    };
    if kind == "vpcflow" {
        w.write_all(VPC_HEADER.as_bytes())?;
    }
    let mut rng = Rng(0x5EED);
    let (mut i, mut written) = (0u64, 0u64);
    if wrap {
        w.write_all(b"{\"Records\": [")?;
    }
    while records.is_none_or(|n| i < n)
        && bytes.is_none_or(|n| written < n)
        && (records.is_some() || bytes.is_some())
    {
        let line = make(&mut rng, i);
        if wrap && i > 0 {
            w.write_all(b",\n")?;
        }
        w.write_all(line.as_bytes())?;
        if !wrap {
            w.write_all(b"\n")?;
        }
        written += line.len() as u64 + 1;
        i += 1;
    }
    if wrap {
        w.write_all(b"]}\n")?;
    }
    w.flush()?;
    eprintln!("gen: {i} {kind} records, {written} bytes");
    Ok(())
}
