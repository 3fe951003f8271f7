"""The deployment template (deploy/template.yaml): cfn-lint passes it without a network, and
it holds what the deployment promises. Its conditions and intrinsic functions are evaluated
here for sample parameters, so the grants and notification rules checked are the ones
CloudFormation would create, not just the text that produces them."""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "template.yaml"
NO_VALUE = object()  # AWS::NoValue: the property or list item disappears
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "us-east-1",
          "AWS::StackName": "ocsfmap", "AWS::NoValue": NO_VALUE}


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short forms (!Ref, !Sub, !GetAtt ...) as their long forms."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref": value} if suffix == "Ref" else {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _tag)


def load():
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def cfn_lint(path):
    """cfn-lint's exit code and output; in a namespace without network when the system
    allows one, which shows that it runs offline."""
    cmd = [str(Path(sys.executable).with_name("cfn-lint")), str(path)]
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"],
                                                  capture_output=True).returncode == 0:
        cmd = ["unshare", "-rn"] + cmd
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


class Stack:
    """The template with parameters bound: `value(node)` evaluates the intrinsic functions
    the template uses, as CloudFormation would (an unknown function fails the test)."""

    def __init__(self, template, **params):
        self.t = template
        self.params = {name: p.get("Default") for name, p in template["Parameters"].items()}
        for name, p in template["Parameters"].items():
            if p["Type"] == "CommaDelimitedList" and isinstance(self.params[name], str):
                self.params[name] = self.params[name].split(",")
        self.params.update(params)
        self.conditions = {}
        for name, cond in template["Conditions"].items():
            self.conditions[name] = self.value(cond)

    def ref(self, name):
        if name in self.params:
            return self.params[name]
        if name in PSEUDO:
            return PSEUDO[name]
        assert name in self.t["Resources"], f"!Ref {name}: no such parameter or resource"
        return f"<{name}>"

    def value(self, node, strict=False):
        """`strict` evaluates both branches of every Fn::If, so that an Fn::Select past the
        end of a list fails even where the condition would skip it."""
        if isinstance(node, list):
            return [v for v in (self.value(x, strict) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not (next(iter(node)) == "Ref" or next(iter(node)).startswith("Fn::")
                                  or next(iter(node)) == "Condition"):
            out = {k: self.value(v, strict) for k, v in node.items()}
            return {k: v for k, v in out.items() if v is not NO_VALUE}
        (fn, arg), = node.items()
        if fn == "Ref":
            return self.ref(arg)
        if fn == "Condition":
            return self.conditions[arg]
        if fn == "Fn::If":
            if strict:
                self.value(arg[1], strict), self.value(arg[2], strict)
            return self.value(arg[1] if self.conditions[arg[0]] else arg[2], strict)
        arg = self.value(arg, strict) if fn != "Fn::Sub" else arg
        if fn == "Fn::Sub":
            text, names = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1], strict))
            return re.sub(r"\$\{([^}!]+)\}",
                          lambda m: str(names[m[1]] if m[1] in names else self.ref(m[1])), text)
        if fn == "Fn::GetAtt":
            assert arg[0] in self.t["Resources"], f"!GetAtt {arg}: no such resource"
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Select":
            return arg[1][int(arg[0])]  # an IndexError is CloudFormation's error too
        if fn == "Fn::Split":
            return arg[1].split(arg[0])
        if fn == "Fn::Join":
            return arg[0].join(arg[1])
        if fn == "Fn::Equals":
            return arg[0] == arg[1]
        if fn == "Fn::Not":
            return not arg[0]
        if fn == "Fn::FindInMap":
            return self.t["Mappings"][arg[0]][str(arg[1])][arg[2]]
        raise AssertionError(f"the test does not evaluate {fn}")

    def resources(self, kind=None):
        """The resources this stack would create (their condition true), evaluated."""
        return {name: self.value(r.get("Properties", {}))
                for name, r in self.t["Resources"].items()
                if (kind is None or r["Type"] == kind)
                and self.conditions.get(r.get("Condition"), True)}

    def statements(self):
        role = self.resources("AWS::IAM::Role")["FunctionRole"]
        return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def listify(x):
    return x if isinstance(x, list) else [x]


def test_cfn_lint_passes_offline(moto, bin_dir):
    code, out = cfn_lint(TEMPLATE)
    assert code == 0 and not out.strip(), f"cfn-lint (exit {code}):\n{out}"


def test_cfn_lint_catches_a_broken_template(moto, bin_dir):
    # The check above is only worth something if cfn-lint reads this template for real.
    # Here: a misspelt response type, which would make the function's partial-batch
    # responses meaningless to Lambda.
    text = TEMPLATE.read_text()
    broken = text.replace("[ReportBatchItemFailures]", "[ReportBatchItemFailure]", 1)
    assert broken != text
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.yaml"
        path.write_text(broken)
        code, out = cfn_lint(path)
    assert code != 0 and "'ReportBatchItemFailure' is not one of" in out, out


def test_function_runs_the_custom_runtime_on_both_architectures(moto, bin_dir):
    t = load()
    assert t["Transform"] == "AWS::Serverless-2016-10-31"
    arch = t["Parameters"]["Architecture"]
    assert set(arch["AllowedValues"]) == {"arm64", "x86_64"} and arch["Default"] == "arm64"
    for architecture in ("arm64", "x86_64"):
        fn = Stack(t, Architecture=architecture, CustomSourceNames=["s"],
                   RawBucketName="raw", LakeBucketName="lake").resources()["Function"]
        assert fn["Runtime"] == "provided.al2023" and fn["Handler"] == "bootstrap"
        assert fn["Architectures"] == [architecture]
        assert fn["Environment"]["Variables"]["OCSFMAP_SOURCES"] == "/var/task/sources.yaml"
        assert fn["Role"] == "<FunctionRole.Arn>"  # its own least-privilege role, nothing added
    # The package is deploy/build/, where the README's build steps put bootstrap; never committed.
    assert t["Resources"]["Function"]["Properties"]["CodeUri"] == "build/"
    assert "build/" in (TEMPLATE.parent / ".gitignore").read_text().split()


def test_every_select_stays_inside_its_list(moto, bin_dir):
    # With one prefix and one source, an item the template reads past the end of a list
    # would fail the deployment, even inside an Fn::If whose condition is false.
    stack = Stack(load(), RawPrefixes=["raw/"], CustomSourceNames=["s"],
                  RawBucketName="raw", LakeBucketName="lake", KinesisStreamArn="")
    for resource in stack.t["Resources"].values():
        stack.value(resource.get("Properties", {}), strict=True)


def test_queue_redrives_to_its_dead_letter_queue_after_retries(moto, bin_dir):
    t = load()
    for timeout in t["Parameters"]["Timeout"]["AllowedValues"]:
        stack = Stack(t, Timeout=timeout, MaxReceiveCount=5, CustomSourceNames=["s"],
                      RawBucketName="raw", LakeBucketName="lake")
        queue = stack.resources()["Queue"]
        assert queue["RedrivePolicy"] == {"deadLetterTargetArn": "<DeadLetterQueue.Arn>",
                                          "maxReceiveCount": 5}
        # AWS's advice for an SQS event source: six times the function timeout.
        assert queue["VisibilityTimeout"] == 6 * timeout
        assert stack.resources()["Function"]["Timeout"] == timeout


def test_event_sources_report_batch_item_failures(moto, bin_dir):
    t = load()
    common = dict(CustomSourceNames=["s"], RawBucketName="raw", LakeBucketName="lake")
    assert "StreamEventSource" not in Stack(t, **common).resources()
    stream = "arn:aws:kinesis:us-east-1:123456789012:stream/sysmon"
    mappings = Stack(t, KinesisStreamArn=stream, **common).resources("AWS::Lambda::EventSourceMapping")
    assert set(mappings) == {"QueueEventSource", "StreamEventSource"}
    for m in mappings.values():
        assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"], m
        assert m["FunctionName"] == "<Function>"
    assert mappings["QueueEventSource"]["EventSourceArn"] == "<Queue.Arn>"
    kinesis = mappings["StreamEventSource"]
    assert kinesis["EventSourceArn"] == stream
    # A bisected retry would leave the first attempt's output for the records it drops.
    assert kinesis["BisectBatchOnFunctionError"] is False
    assert kinesis["StartingPosition"] in t["Parameters"]["KinesisStartingPosition"]["AllowedValues"]
    # No SAM `Events:` either, which would add mappings this test does not see.
    assert "Events" not in t["Resources"]["Function"]["Properties"]


def test_bucket_notifies_the_queue_for_each_raw_prefix(moto, bin_dir):
    stack = Stack(load(), RawPrefixes=["cloudtrail/", "vpc-flow/", "nfw/"], CustomSourceNames=["s"],
                  RawBucketName="raw-logs", LakeBucketName="lake")
    rules = stack.resources()["RawBucket"]["NotificationConfiguration"]["QueueConfigurations"]
    assert [(r["Event"], r["Queue"], r["Filter"]["S3Key"]["Rules"]) for r in rules] == [
        ("s3:ObjectCreated:*", "<Queue.Arn>", [{"Name": "prefix", "Value": p}])
        for p in ("cloudtrail/", "vpc-flow/", "nfw/")]
    policy = stack.resources()["QueuePolicy"]["PolicyDocument"]["Statement"]
    assert policy == [{"Sid": "RawBucketNotifications", "Effect": "Allow",
                       "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
                       "Resource": "<Queue.Arn>",
                       "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::raw-logs"},
                                     "StringEquals": {"aws:SourceAccount": "123456789012"}}}]
    existing = Stack(load(), CreateRawBucket="false", CustomSourceNames=["s"],
                     RawBucketName="raw-logs", LakeBucketName="lake")
    assert "RawBucket" not in existing.resources() and "QueuePolicy" in existing.resources()


def test_iam_grants_only_the_raw_custom_source_and_set_aside_prefixes(moto, bin_dir):
    sources = ["aws-cloudtrail", "windows-sysmon-process_activity", "windows-sysmon-dns_activity"]
    stack = Stack(load(), RawPrefixes=["cloudtrail/", "sysmon/"], CustomSourceNames=sources,
                  RawBucketName="raw-logs", LakeBucketName="aws-security-data-lake-us-east-1-x")
    by_action = {}
    for s in stack.statements():
        assert s["Effect"] == "Allow"
        for action in listify(s["Action"]):
            assert "*" not in action, f"wildcard action {action}"
            for resource in listify(s["Resource"]):
                assert resource != "*", f"{action} on every resource"
                by_action.setdefault(action, set()).add(resource)
    assert by_action["s3:GetObject"] == {"arn:aws:s3:::raw-logs/cloudtrail/*",
                                         "arn:aws:s3:::raw-logs/sysmon/*"}
    lake = {f"arn:aws:s3:::aws-security-data-lake-us-east-1-x/ext/{s}/*" for s in sources}
    assert by_action["s3:PutObject"] == lake | {"arn:aws:s3:::raw-logs/ocsfmap-set-aside/*"}
    assert by_action["s3:AbortMultipartUpload"] == by_action["s3:PutObject"]
    # Deleting (stale parts of a retried object) only in the custom sources' folders,
    # and listing only their keys.
    assert by_action["s3:DeleteObject"] == lake
    assert by_action["s3:ListBucket"] == {"arn:aws:s3:::aws-security-data-lake-us-east-1-x"}
    listing = [s for s in stack.statements() if s["Action"] == "s3:ListBucket"]
    assert len(listing) == 1
    assert sorted(listing[0]["Condition"]["StringLike"]["s3:prefix"]) == sorted(f"ext/{s}/*" for s in sources)
    assert {a for a in by_action if a.startswith("s3:")} == {
        "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload",
        "s3:DeleteObject", "s3:ListBucket"}
    assert by_action["sqs:ReceiveMessage"] == by_action["sqs:DeleteMessage"] == {"<Queue.Arn>"}
    assert not any(a.startswith("kinesis:") for a in by_action)

    stream = "arn:aws:kinesis:us-east-1:123456789012:stream/sysmon"
    elsewhere = Stack(load(), KinesisStreamArn=stream, SetAsideBucketName="quarantine",
                      CustomSourceNames=["s"], RawBucketName="raw-logs", LakeBucketName="lake")
    grants = {(a, r) for s in elsewhere.statements() for a in listify(s["Action"])
              for r in listify(s["Resource"])}
    assert ("s3:PutObject", "arn:aws:s3:::quarantine/ocsfmap-set-aside/*") in grants
    assert ("kinesis:GetRecords", stream) in grants
    assert {r for a, r in grants if a.startswith("kinesis:")} == {stream}


def test_alarms_watch_the_dead_letter_queue_and_function_errors(moto, bin_dir):
    alarms = Stack(load(), CustomSourceNames=["s"], RawBucketName="raw", LakeBucketName="lake",
                   AlarmTopicArn="arn:aws:sns:us-east-1:123456789012:ops")
    watched = {(a["Namespace"], a["MetricName"], a["Dimensions"][0]["Value"]): a
               for a in alarms.resources("AWS::CloudWatch::Alarm").values()}
    dlq = watched[("AWS/SQS", "ApproximateNumberOfMessagesVisible", "<DeadLetterQueue.QueueName>")]
    assert dlq["Threshold"] == 1 and dlq["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    errors = watched[("AWS/Lambda", "Errors", "<Function>")]
    assert errors["Threshold"] == 1
    assert all(a["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ops"] for a in watched.values())


def test_outputs_name_the_queues_and_the_function(moto, bin_dir):
    outputs = load()["Outputs"]
    assert outputs["QueueUrl"]["Value"] == {"Ref": "Queue"}
    assert outputs["DeadLetterQueueUrl"]["Value"] == {"Ref": "DeadLetterQueue"}
    assert outputs["FunctionName"]["Value"] == {"Ref": "Function"}
