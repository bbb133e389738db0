"""template/terraform applied to moto_server on 127.0.0.1: `terraform init -plugin-dir=/opt/tf-plugins`, `apply`
with fake credentials and every endpoint pointed at moto (Tests/e2e/terraform_moto_override.tf.tmpl), the real
dist/<function>.zip files, then boto3 finds in moto what template/template.yaml (SAM) declares: every function with
its settings, every route of both APIs and its integration, every role with a least-privilege inline policy naming
only the configured parameters and secrets, the schedules, the dead-letter queue, the log groups, the KMS key and any
Function URL; finally `terraform destroy` removes all of it.

The expectations are computed from template/template.yaml with the same parameter values the Terraform variables get
(SAM parameter `FooBar` <=> variable `foo_bar`, stack name <=> `name_prefix`), by resolving its intrinsics against what
moto holds, so the test follows both templates: a function, route, role or setting that differs fails it.

What moto cannot show: its Lambda API keeps neither `KMSKeyArn`, `DeadLetterConfig` nor `LoggingConfig` of a
function (moto 5.2). Those three are checked on the CreateFunction requests Terraform sent to moto (moto's request
recorder, on during `apply`), i.e. what the configuration deploys, not what a Lambda service echoes back.

Terraform's own waiters set the duration (about 3 minutes): the provider creates functions from local zips one at a
time, each followed by a fixed 5 s wait, and waits about 25 s for SQS queue attributes and queue policies to settle."""
import base64
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ROOT, MotoServer
from test_templates import sam_template

# The module's first test carries the deployment (`terraform init` and `apply`, each guarded at 900 s at most) and
# its last one `destroy` (600 s): the per-test time limit (conftest.TEST_TIMEOUT) is raised to cover them.
pytestmark = pytest.mark.timeout(1800, method="signal")

TERRAFORM_DIR = ROOT / "template" / "terraform"
OVERRIDE_TEMPLATE = Path(__file__).parent / "terraform_moto_override.tf.tmpl"
PLUGINS = "/opt/tf-plugins"
REGION = "us-east-1"
PREFIX = "wardenmoto"  # name_prefix, the SAM stack name's role

# Non-default values for the parameters (SAM) / variables (Terraform), so that a value ignored or hard-coded by one
# template shows. ARNs of the secrets are filled in once moto has created them. Every other SAM parameter keeps its
# default, passed to Terraform explicitly.
CHOSEN = {
    "StageName": "moto",
    "HmacParamName": "/moto/copilot/hmac-v1",
    "DatabaseUrlParamName": "/moto/warden/database-url",
    "EnrichmentUrl": "https://enrichment.example.test",
    "EnrichmentDailyBudgetCents": 4321,
    "EnrichmentMonthlyBudgetCents": 87654,
    "JwtIssuer": "https://issuer.example.test/",
    "JwtJwksUrl": "https://issuer.example.test/auth/v1/.well-known/jwks.json",
    "JwtAudience": "warden-moto",
    "AllowedOrigin": "https://app.example.test,https://admin.example.test",
    "RateLimitPerMinute": 77,
    "CopilotRateLimitPerMinute": 555,
    "ApiThrottlingRateLimit": 33,
    "ApiThrottlingBurstLimit": 66,
    "CopilotReservedConcurrency": 7,
    "ApiReservedConcurrency": 9,
    "ExportReservedConcurrency": 3,
    "LogRetentionDays": 400,
}
SECRETS = {  # SAM parameter => (secret name, value)
    "DatabaseSecretArn": ("moto/warden/database", json.dumps({"username": "warden_app", "password": "moto-db-pw",
                                                              "host": "db.example.test", "port": "5432",
                                                              "dbname": "warden", "engine": "postgres"})),
    "EnrichmentSecretArn": ("moto/warden/enrichment", "moto-enrichment-api-key"),
    "JwtSecretArn": ("moto/warden/jwt", "moto-jwt-secret-0123456789-0123456789-abcdef"),
}
PARAMETERS = {"HmacParamName": "moto-hmac-secret", "DatabaseUrlParamName": "postgresql://moto@db.example.test/warden"}
# Present in moto but named by no template value: no policy may grant them.
DECOY_PARAMETER = "/moto/unrelated/parameter"
DECOY_SECRET = "moto/unrelated/secret"

# Resource/data type prefixes of the AWS provider => the endpoint they need (None: computed locally).
SERVICES = {
    "aws_lambda_": "lambda", "aws_api_gateway_": "apigateway", "aws_apigatewayv2_": "apigatewayv2",
    "aws_cloudwatch_log_": "logs", "aws_cloudwatch_event_": "events", "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_iam_policy_document": None, "aws_iam_": "iam", "aws_kms_": "kms", "aws_sqs_": "sqs", "aws_sns_": "sns",
    "aws_ssm_": "ssm", "aws_secretsmanager_": "secretsmanager", "aws_s3_": "s3", "aws_scheduler_": "scheduler",
    "aws_xray_": "xray", "aws_caller_identity": "sts", "aws_region": None, "aws_partition": None,
}

def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- IAM documents --------------------------------------------------------------------------------------------------

def normalized_statements(document):
    """A policy document's statements as comparable values: keys and lists sorted, a single string as a one-element
    list (IAM reads "a" and ["a"] alike)."""
    if isinstance(document, str):
        document = json.loads(document)

    def item(value):
        return canon(value) if isinstance(value, (dict, list)) else value

    def canon(value):
        if isinstance(value, dict):
            return {k: canon(v) for k, v in value.items()}
        if isinstance(value, list):
            return sorted((item(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return [value] if isinstance(value, str) else value

    return sorted(json.dumps(canon(s), sort_keys=True) for s in as_list(document["Statement"]))


def least_privilege_problems(statements, allowed):
    """What is wrong with a role's statements: any access to SSM or Secrets Manager beyond the ARNs in `allowed`
    (no wildcard in their actions or resources), any resource `*` other than X-Ray's (which has no resource-level
    permissions), any NotAction/NotResource."""
    problems = []
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        if "NotAction" in s or "NotResource" in s:
            problems.append(f"{s.get('Sid')}: NotAction/NotResource")
        actions, resources = as_list(s.get("Action")), as_list(s.get("Resource"))
        secret_actions = [a for a in actions if a.split(":")[0].lower() in ("ssm", "secretsmanager") or a == "*"]
        for a in secret_actions:
            if "*" in a:
                problems.append(f"{s.get('Sid')}: wildcard action {a}")
        if secret_actions:
            for r in resources:
                if "*" in r or "?" in r:
                    problems.append(f"{s.get('Sid')}: wildcard resource {r} for {secret_actions}")
                elif r not in allowed:
                    problems.append(f"{s.get('Sid')}: {r} is not named by the function configuration")
        if "*" in resources and not all(a.startswith("xray:") for a in actions):
            problems.append(f"{s.get('Sid')}: resource * for {actions}")
    return problems


def granted_secrets(statements):
    return {r for s in statements if s.get("Effect") == "Allow"
            for a in as_list(s.get("Action")) if a.split(":")[0].lower() in ("ssm", "secretsmanager")
            for r in as_list(s.get("Resource"))}


def arn_like(pattern, arn):
    """IAM's ArnLike: * any run of characters, ? one character."""
    return fnmatch.fnmatchcase(arn, pattern.replace("[", "[[]"))


# --- SAM intrinsics -------------------------------------------------------------------------------------------------

NOVALUE = object()


def sam_functions(doc):
    """{function directory name: logical id} from FunctionName `${AWS::StackName}-<function>`."""
    out = {}
    for logical, res in doc["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            name = res["Properties"]["FunctionName"]["Fn::Sub"]
            assert name.startswith("${AWS::StackName}-"), name
            out[name.removeprefix("${AWS::StackName}-")] = logical
    return out


class Sam:
    """template/template.yaml with its intrinsics resolved for our parameter values, physical names and ARNs coming
    from what moto holds (found by name, alias or, for a type declared once, as the one of its kind)."""

    def __init__(self, doc, params, moto):
        self.doc, self.params, self.moto = doc, params, moto
        self.resources = doc["Resources"]
        self.pseudo = {"AWS::StackName": PREFIX, "AWS::Region": REGION, "AWS::AccountId": moto.account,
                       "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
        self._cache = {}

    def of_type(self, kind):
        """The resources of one type that the parameter values create (no Condition, or one that holds)."""
        return {k: r for k, r in self.resources.items()
                if r["Type"] == kind and ("Condition" not in r or self.condition(r["Condition"]))}

    def condition(self, name):
        return self.truth(self.doc["Conditions"][name])

    def truth(self, node):
        (key, arg), = node.items()
        if key == "Fn::Not":
            return not self.truth(arg[0])
        if key == "Fn::Equals":
            return str(self.value(arg[0])) == str(self.value(arg[1]))
        if key == "Fn::Or":
            return any(self.truth(a) for a in arg)
        if key == "Fn::And":
            return all(self.truth(a) for a in arg)
        if key == "Condition":
            return self.condition(arg)
        raise ValueError(f"unsupported condition {key}")

    def ref(self, name):
        if name in self.params:
            return self.params[name]
        if name == "AWS::NoValue":
            return NOVALUE
        if name in self.pseudo:
            return self.pseudo[name]
        return self.physical(name, None)

    def getatt(self, arg):
        logical, attr = arg.split(".", 1) if isinstance(arg, str) else arg
        return self.physical(logical, attr)

    def sub(self, arg):
        template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def repl(m):
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.value(variables[name]))
            return str(self.getatt(name) if "." in name else self.ref(name))
        return re.sub(r"\$\{([^}]+)\}", repl, template)

    def value(self, node):
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref":
                    return self.ref(arg)
                if key == "Fn::GetAtt":
                    return self.getatt(arg)
                if key == "Fn::Sub":
                    return self.sub(arg)
                if key == "Fn::If":
                    return self.value(arg[1] if self.condition(arg[0]) else arg[2])
                if key == "Fn::Join":
                    return arg[0].join(str(v) for v in self.value(arg[1]))
                if key == "Fn::Split":
                    return str(self.value(arg[1])).split(arg[0])
                if key.startswith("Fn::"):
                    raise ValueError(f"the test does not resolve {key}")
            out = {}
            for k, v in node.items():
                resolved = self.value(v)
                if resolved is not NOVALUE:
                    out[k] = resolved
            return out
        if isinstance(node, list):
            return [v for v in (self.value(x) for x in node) if v is not NOVALUE]
        return node

    def resolved_string(self, node):
        """A value with `{{resolve:secretsmanager:ARN:SecretString}}` dynamic references read from moto."""
        value = self.value(node)
        if isinstance(value, str):
            m = re.fullmatch(r"\{\{resolve:secretsmanager:(.+):SecretString\}\}", value)
            if m:
                return self.moto.client("secretsmanager").get_secret_value(SecretId=m.group(1))["SecretString"]
            return value
        return str(value).lower() if isinstance(value, bool) else str(value)

    def physical(self, logical, attr):
        key = (logical, attr)
        if key not in self._cache:
            self._cache[key] = self._physical(logical, attr)
        return self._cache[key]

    def _only(self, kind, found, what):
        assert len(self.of_type(kind)) == 1 and len(found) == 1, \
            f"cannot match the {kind} resources of the SAM template with {what} in moto: {found}"
        return found[0]

    def _physical(self, logical, attr):
        implicit_url = logical.removesuffix("Url")
        if logical not in self.resources and "FunctionUrlConfig" in \
                self.resources.get(implicit_url, {}).get("Properties", {}):
            # SAM's generated AWS::Lambda::Url of a function with a FunctionUrlConfig.
            name = self.value(self.resources[implicit_url]["Properties"]["FunctionName"])
            if attr == "FunctionUrl":
                return self.moto.client("lambda").get_function_url_config(FunctionName=name)["FunctionUrl"]
            return f"arn:aws:lambda:{REGION}:{self.moto.account}:function:{name}"
        res = self.resources[logical]
        kind, props = res["Type"], res.get("Properties", {})
        moto = self.moto
        if kind == "AWS::Logs::LogGroup":
            name = self.value(props["LogGroupName"])
            return name if attr is None else f"arn:aws:logs:{REGION}:{moto.account}:log-group:{name}:*"
        if kind == "AWS::KMS::Key":
            aliases = [self.value(a["Properties"]["AliasName"]) for a in self.of_type("AWS::KMS::Alias").values()
                       if a["Properties"]["TargetKeyId"] == {"Ref": logical}]
            assert aliases, f"{logical}: no alias to find the key by"
            found = {a["AliasName"]: a.get("TargetKeyId")
                     for a in moto.client("kms").list_aliases(Limit=1000)["Aliases"]}
            assert aliases[0] in found, f"KMS alias {aliases[0]} not found in moto"
            meta = moto.client("kms").describe_key(KeyId=found[aliases[0]])["KeyMetadata"]
            return meta["KeyId"] if attr is None else meta["Arn"]
        if kind == "AWS::SQS::Queue":
            sqs = moto.client("sqs")
            if "QueueName" in props:
                url = sqs.get_queue_url(QueueName=self.value(props["QueueName"]))["QueueUrl"]
            else:
                url = self._only(kind, sqs.list_queues().get("QueueUrls", []), "the queues")
            if attr is None:
                return url
            return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if kind == "AWS::Serverless::Function":
            name = self.value(props["FunctionName"])
            return name if attr is None else f"arn:aws:lambda:{REGION}:{moto.account}:function:{name}"
        if kind == "AWS::Serverless::Api":
            name = self.value(props["Name"])
            found = [a["id"] for a in moto.client("apigateway").get_rest_apis(limit=500)["items"] if a["name"] == name]
            assert len(found) == 1, f"REST API {name}: {len(found)} in moto"
            return found[0]
        if kind == "AWS::Serverless::HttpApi":
            apis = moto.client("apigatewayv2").get_apis(MaxResults="500")["Items"]
            if "Name" in props:
                found = [a["ApiId"] for a in apis if a["Name"] == self.value(props["Name"])]
                assert len(found) == 1, f"HTTP API {props['Name']}: {len(found)} in moto"
                return found[0]
            return self._only(kind, [a["ApiId"] for a in apis if a["ProtocolType"] == "HTTP"], "the HTTP APIs")
        if kind == "AWS::IAM::Role":
            return f"<role {logical}>"  # roles are matched through the functions that use them
        raise KeyError(f"the test cannot resolve {kind} {logical}.{attr}")

    # SAM's view of a function: Globals merged into its properties.
    def function(self, logical):
        props = dict(self.resources[logical]["Properties"])
        globals_ = self.doc.get("Globals", {}).get("Function", {})
        merged = {**globals_, **props}
        env = {**globals_.get("Environment", {}).get("Variables", {}),
               **props.get("Environment", {}).get("Variables", {})}
        merged["Environment"] = {"Variables": env}
        return merged

    def functions(self):
        return sam_functions(self.doc)

    def role_of(self, function_logical):
        """The logical id of the AWS::IAM::Role a function runs with (`Role: !GetAtt <Role>.Arn`)."""
        role = self.function(function_logical)["Role"]
        assert isinstance(role, dict) and "Fn::GetAtt" in role, f"{function_logical}: Role {role}"
        arg = role["Fn::GetAtt"]
        return arg.split(".")[0] if isinstance(arg, str) else arg[0]

    def events(self, kind):
        """[(function logical id, event properties)] of one event type."""
        return [(logical, event.get("Properties", {}))
                for logical, res in self.of_type("AWS::Serverless::Function").items()
                for event in self.function(logical).get("Events", {}).values() if event["Type"] == kind]


# --- moto and terraform ---------------------------------------------------------------------------------------------

class Moto(MotoServer):
    """moto_server in a process of its own (its state is not shared with the in-process servers of other tests)."""

    def __init__(self, workdir):
        self.recording = workdir / "moto-requests.jsonl"
        # Managed-policy attachments (e.g. AWSLambdaBasicExecutionRole) only resolve with moto's copy of them.
        super().__init__(workdir / "moto.log", env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
                                                    "MOTO_RECORDER_FILEPATH": str(self.recording)})
        try:
            self.account = self.client("sts").get_caller_identity()["Account"]
        except Exception:
            self.stop()
            raise

    def client(self, service):
        return boto3.client(service, region_name=REGION, endpoint_url=self.url,
                            aws_access_key_id="moto-fake-access-key", aws_secret_access_key="moto-fake-secret-key")

    def api(self, path):
        with urllib.request.urlopen(urllib.request.Request(self.url + path, data=b"", method="POST"), timeout=10):
            pass

    def recorded_create_function_requests(self):
        """{FunctionName: CreateFunction request body without its code} from moto's request recorder."""
        found = {}
        if not self.recording.exists():
            return found
        with open(self.recording) as f:
            for line in f:
                entry = json.loads(line)
                if entry["method"] != "POST" or not entry["url"].split("?")[0].endswith("/2015-03-31/functions"):
                    continue
                body = entry["body"]
                body = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
                request = json.loads(body)
                request.pop("Code", None)
                found[request["FunctionName"]] = request
        return found


def terraform_env(workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(TF_CLI_CONFIG_FILE="/dev/null", TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1",
               TF_DATA_DIR=str(workdir / ".terraform"), AWS_EC2_METADATA_DISABLED="true")
    return env


class Deployment:
    def __init__(self, workdir):
        self.workdir = workdir
        self.tf = workdir / "terraform"
        self.timings = {}  # seconds per terraform command, printed for the record (never asserted)

    def terraform(self, *args, timeout=600):
        binary = shutil.which("terraform")
        started = time.monotonic()
        proc = subprocess.run([binary, *args], cwd=self.tf, env=terraform_env(self.workdir), capture_output=True,
                              text=True, timeout=timeout)
        self.timings[args[0]] = round(time.monotonic() - started, 1)
        out = proc.stdout + proc.stderr
        (self.workdir / f"terraform-{args[0]}.log").write_text(out)
        return proc.returncode, out


def configuration_types(directory):
    types = set()
    for path in directory.glob("*.tf"):
        types |= set(re.findall(r'^\s*(?:resource|data)\s+"(aws_\w+)"', path.read_text(), re.M))
    return types


def declared_variables(directory):
    names = set()
    for path in directory.glob("*.tf"):
        names |= set(re.findall(r'^\s*variable\s+"(\w+)"', path.read_text(), re.M))
    return names


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not installed: install Terraform >= 1.5 (an official release binary) on PATH",
                    pytrace=False)
    if not os.path.isdir(PLUGINS):
        pytest.fail(f"{PLUGINS} (the hashicorp/aws provider mirror) is missing", pytrace=False)
    doc = sam_template()
    names = sorted(sam_functions(doc))
    missing = [n for n in sorted(names) if not (ROOT / "dist" / f"{n}.zip").exists()]
    if missing:
        pytest.fail("missing packaged functions: " + ", ".join(f"dist/{n}.zip" for n in missing) +
                    " (bash scripts/package.sh " + " ".join(missing) + ")", pytrace=False)
    workdir = tmp_path_factory.mktemp("terraform-moto")
    # A copy of the packaged zips: what is deployed stays comparable while dist/ is rebuilt meanwhile.
    dist = workdir / "dist"
    dist.mkdir()
    for n in names:
        shutil.copyfile(ROOT / "dist" / f"{n}.zip", dist / f"{n}.zip")
        with zipfile.ZipFile(dist / f"{n}.zip") as zf:
            assert zf.namelist() == ["bootstrap"], f"dist/{n}.zip: {zf.namelist()}"

    override = OVERRIDE_TEMPLATE.read_text()
    endpoints = set(re.findall(r"^\s*(\w+)\s*=\s*\"__MOTO_URL__\"", override, re.M))
    for kind in sorted(configuration_types(TERRAFORM_DIR)):
        prefix = next((p for p in sorted(SERVICES, key=len, reverse=True) if kind.startswith(p)), None)
        assert prefix is not None, f"{kind}: which AWS endpoint does it use? Add it to SERVICES and the override"
        assert SERVICES[prefix] is None or SERVICES[prefix] in endpoints, \
            f"{kind} needs the {SERVICES[prefix]} endpoint in {OVERRIDE_TEMPLATE.name}"

    moto = Moto(workdir)
    try:
        ssm, sm = moto.client("ssm"), moto.client("secretsmanager")
        params = {name: spec.get("Default", "") for name, spec in doc.get("Parameters", {}).items()}
        params.update(CHOSEN)
        for name, value in PARAMETERS.items():
            ssm.put_parameter(Name=CHOSEN[name], Value=value, Type="SecureString")
        ssm.put_parameter(Name=DECOY_PARAMETER, Value="decoy", Type="SecureString")
        for name, (secret, value) in SECRETS.items():
            params[name] = sm.create_secret(Name=secret, SecretString=value)["ARN"]
        sm.create_secret(Name=DECOY_SECRET, SecretString="decoy")

        variables = declared_variables(TERRAFORM_DIR)
        undeclared = [f"{p} -> {snake(p)}" for p in params if snake(p) not in variables]
        assert not undeclared, f"SAM parameters without a Terraform variable: {undeclared}"
        assert {"name_prefix", "dist_dir"} <= variables
        tfvars = {snake(p): (int(v) if doc["Parameters"][p].get("Type") == "Number" else v) for p, v in params.items()}
        tfvars.update(name_prefix=PREFIX, dist_dir=str(dist))

        d = Deployment(workdir)
        shutil.copytree(TERRAFORM_DIR, d.tf, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "*.tfvars*"))
        has_provider = any(re.search(r'^\s*provider\s+"aws"', p.read_text(), re.M) for p in d.tf.glob("*.tf"))
        (d.tf / ("moto_override.tf" if has_provider else "moto_provider.tf")).write_text(
            override.replace("__MOTO_URL__", moto.url))
        (d.tf / "moto.tfvars.json").write_text(json.dumps(tfvars, indent=2))

        code, out = d.terraform("init", f"-plugin-dir={PLUGINS}", "-input=false", "-no-color")
        assert code == 0, "terraform init failed:\n" + out[-4000:]
        moto.api("/moto-api/recorder/start-recording")
        code, out = d.terraform("apply", "-auto-approve", "-input=false", "-no-color", "-var-file=moto.tfvars.json",
                                timeout=900)
        moto.api("/moto-api/recorder/stop-recording")
        d.apply_output = out
        assert code == 0, "terraform apply against moto failed:\n" + out[-6000:]
        # The local state (read directly: `terraform output`/`show` would each load the provider again).
        state = json.loads((d.tf / "terraform.tfstate").read_text())
        d.outputs = {k: v["value"] for k, v in state["outputs"].items()}
        d.state = [(r["type"], i["attributes"]) for r in state["resources"] if r["mode"] == "managed"
                   for i in r["instances"]]

        d.moto, d.params, d.tfvars, d.dist = moto, params, tfvars, dist
        d.sam = Sam(doc, params, moto)
        d.created = moto.recorded_create_function_requests()
        d.recording_bytes = moto.recording.stat().st_size if moto.recording.exists() else 0
        moto.recording.unlink(missing_ok=True)
        yield d
    finally:
        moto.stop()


# --- tests ----------------------------------------------------------------------------------------------------------

def function_arn(d, name):
    return f"arn:aws:lambda:{REGION}:{d.moto.account}:function:{name}"


def invoke_uri(d, name):
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn(d, name)}/invocations"


def function_policy(d, name):
    try:
        return json.loads(d.moto.client("lambda").get_policy(FunctionName=name)["Policy"])["Statement"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise


def granted_to(d, name, service):
    return [s for s in function_policy(d, name) if s.get("Principal") == {"Service": service}]


def same_setting(expected, actual):
    if isinstance(actual, bool):
        return actual == (expected if isinstance(expected, bool) else str(expected).lower() == "true")
    if isinstance(actual, (int, float)):
        return float(actual) == float(expected)
    return actual == expected


def test_every_function_as_sam_declares_it(deployed):
    d, sam = deployed, deployed.sam
    lam = d.moto.client("lambda")
    declared = sam.functions()
    listed = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]]
    assert sorted(listed) == sorted(f"{PREFIX}-{fn}" for fn in declared), "functions in moto != functions in SAM"
    key_arn = None
    for fn, logical in sorted(declared.items()):
        spec = sam.function(logical)
        name = sam.value(spec["FunctionName"])
        got = lam.get_function(FunctionName=name)
        cfg = got["Configuration"]
        assert (cfg["Runtime"], cfg["Handler"], cfg["Architectures"]) == \
            (spec["Runtime"], spec["Handler"], spec["Architectures"]) == \
            ("provided.al2023", "bootstrap", ["x86_64"]), fn
        assert (cfg["Timeout"], cfg["MemorySize"]) == \
            (int(sam.value(spec["Timeout"])), int(sam.value(spec["MemorySize"]))), fn
        assert cfg["TracingConfig"]["Mode"] == sam.value(spec.get("Tracing", "PassThrough")) == "Active", fn
        assert cfg.get("Description", "") == sam.value(spec.get("Description", "")), fn
        expected_env = {k: sam.resolved_string(v) for k, v in spec["Environment"]["Variables"].items()}
        assert cfg["Environment"]["Variables"] == expected_env, fn
        zip_bytes = (d.dist / f"{fn}.zip").read_bytes()
        assert cfg["CodeSha256"] == base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode(), \
            f"{fn}: not the code of dist/{fn}.zip"
        assert cfg["CodeSize"] == len(zip_bytes)
        assert got.get("Concurrency", {}).get("ReservedConcurrentExecutions") == \
            int(sam.value(spec["ReservedConcurrentExecutions"])), f"{fn}: reserved concurrency"

        # Not kept by moto's Lambda: checked on the request Terraform made.
        sent = d.created.get(name)
        assert sent is not None, f"{fn}: no CreateFunction request recorded"
        key_arn = sam.value(spec["KmsKeyArn"])
        assert sent.get("KMSKeyArn") == key_arn, f"{fn}: environment key"
        # Tenant isolation mode (off by default; docs/TENANCY.md): neither template asks for it.
        tenancy = sam.value(spec["TenancyConfig"]) if "TenancyConfig" in spec else NOVALUE
        assert sent.get("TenancyConfig") == (None if tenancy is NOVALUE else tenancy), f"{fn}: tenancy config"
        logging = sam.value(spec["LoggingConfig"])
        assert {k: v for k, v in (sent.get("LoggingConfig") or {}).items() if v} == logging, f"{fn}: logging config"
        if "DeadLetterQueue" in spec:
            dlq = sam.value(spec["DeadLetterQueue"])
            assert dlq["Type"] == "SQS", fn
            assert (sent.get("DeadLetterConfig") or {}).get("TargetArn") == dlq["TargetArn"], f"{fn}: dead-letter queue"
        else:
            assert not (sent.get("DeadLetterConfig") or {}).get("TargetArn"), f"{fn}: unexpected dead-letter queue"

        if "EventInvokeConfig" in spec:
            invoke = sam.value(spec["EventInvokeConfig"])
            conf = lam.get_function_event_invoke_config(FunctionName=name)
            for k, v in invoke.items():
                assert same_setting(v, conf.get(k)), f"{fn}: EventInvokeConfig {k}"
        else:
            with pytest.raises(ClientError, match="ResourceNotFound"):
                lam.get_function_event_invoke_config(FunctionName=name)
    assert key_arn and key_arn.startswith(f"arn:aws:kms:{REGION}:{d.moto.account}:key/")


def test_log_groups_key_and_dead_letter_queue(deployed):
    d, sam = deployed, deployed.sam
    logs, kms, sqs = d.moto.client("logs"), d.moto.client("kms"), d.moto.client("sqs")
    groups = {g["logGroupName"]: g for page in logs.get_paginator("describe_log_groups").paginate()
              for g in page["logGroups"]}
    declared = sam.of_type("AWS::Logs::LogGroup")
    assert declared
    expected_names = {sam.value(r["Properties"]["LogGroupName"]) for r in declared.values()}
    assert {n for n in groups if n.startswith(f"/warden/{PREFIX}/")} == expected_names
    for logical, res in declared.items():
        props = sam.value(res["Properties"])
        group = groups[props["LogGroupName"]]
        assert group.get("retentionInDays") == int(props["RetentionInDays"]) == CHOSEN["LogRetentionDays"], logical
        assert group.get("kmsKeyId") == props["KmsKeyId"], f"{logical}: not encrypted with the Warden key"

    for logical, res in sam.of_type("AWS::KMS::Key").items():
        key_id = sam.physical(logical, None)
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        props = sam.value(res["Properties"])
        assert meta["Description"] == props["Description"] and meta["KeyState"] == "Enabled"
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is bool(props["EnableKeyRotation"])
        policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        assert normalized_statements(policy) == normalized_statements(props["KeyPolicy"]), "KMS key policy"

    queues = sam.of_type("AWS::SQS::Queue")
    assert queues and len(sqs.list_queues().get("QueueUrls", [])) == len(queues)
    for logical, res in queues.items():
        url = sam.physical(logical, None)
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        props = sam.value(res["Properties"])
        assert attrs["MessageRetentionPeriod"] == str(props["MessageRetentionPeriod"])
        # SAM names the key by id (Ref), Terraform by ARN: both are the Warden key.
        assert attrs["KmsMasterKeyId"].split("/")[-1] == props["KmsMasterKeyId"].split("/")[-1]
        policies = [sam.value(p["Properties"]) for p in sam.of_type("AWS::SQS::QueuePolicy").values()
                    if {"Ref": logical} in p["Properties"]["Queues"]]
        assert len(policies) == 1
        assert normalized_statements(attrs["Policy"]) == normalized_statements(policies[0]["PolicyDocument"])


def test_roles_match_sam_and_grant_only_the_configured_parameters_and_secrets(deployed):
    d, sam = deployed, deployed.sam
    lam, iam = d.moto.client("lambda"), d.moto.client("iam")
    # SAM role (logical id) <=> role in moto, through the functions that run with them.
    by_sam_role, envs = {}, {}
    for fn, logical in sam.functions().items():
        spec = sam.function(logical)
        name = sam.value(spec["FunctionName"])
        cfg = lam.get_function(FunctionName=name)["Configuration"]
        role_name = cfg["Role"].rsplit("/", 1)[-1]
        assert cfg["Role"] == f"arn:aws:iam::{d.moto.account}:role/{role_name}"
        by_sam_role.setdefault(sam.role_of(logical), set()).add(role_name)
        envs.setdefault(role_name, []).append(cfg["Environment"]["Variables"])
    for sam_role, names in by_sam_role.items():
        assert len(names) == 1, f"the functions of {sam_role} run with different roles: {names}"
    mapping = {sam_role: next(iter(names)) for sam_role, names in by_sam_role.items()}
    assert len(set(mapping.values())) == len(mapping), f"SAM roles share a Terraform role: {mapping}"
    roles = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
    assert sorted(roles) == sorted(mapping.values()), "roles used by no function"
    assert set(mapping) == set(sam.of_type("AWS::IAM::Role"))

    ssm = d.moto.client("ssm")
    parameters = {n: ssm.get_parameter(Name=n)["Parameter"]["ARN"]
                  for n in [*(CHOSEN[k] for k in PARAMETERS), DECOY_PARAMETER]}
    for sam_role, role_name in sorted(mapping.items()):
        props = sam.value(sam.resources[sam_role]["Properties"])
        role = iam.get_role(RoleName=role_name)["Role"]
        assert normalized_statements(role["AssumeRolePolicyDocument"]) == \
            normalized_statements(props["AssumeRolePolicyDocument"]), f"{role_name}: trust policy"
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
        assert sorted(attached) == sorted(props.get("ManagedPolicyArns", [])), f"{role_name}: managed policies"
        inline = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        expected = {p["PolicyName"]: p["PolicyDocument"] for p in props.get("Policies", [])}
        assert sorted(inline) == sorted(expected), f"{role_name}: inline policies"
        statements = []
        for policy_name in inline:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
            if isinstance(document, str):
                document = json.loads(document)
            assert normalized_statements(document) == normalized_statements(expected[policy_name]), \
                f"{role_name}/{policy_name} differs from SAM's {sam_role}"
            statements += as_list(document["Statement"])

        # Least privilege, independently of SAM: exactly the parameters (*_PARAM_NAME) and secrets (*_SECRET_ARN)
        # the role's functions are configured with, each of them existing.
        allowed = set()
        for env in envs[role_name]:
            for k, v in env.items():
                if k.endswith("_PARAM_NAME") and v:
                    assert v in parameters, f"{k}={v} is no parameter in moto"
                    allowed.add(parameters[v])
                elif k.endswith("_SECRET_ARN") and v:
                    assert d.moto.client("secretsmanager").describe_secret(SecretId=v)["ARN"] == v
                    allowed.add(v)
        assert least_privilege_problems(statements, allowed) == [], role_name
        assert granted_secrets(statements) == allowed, f"{role_name}: grants {granted_secrets(statements)}"
        assert parameters[DECOY_PARAMETER] not in json.dumps(statements)
        assert DECOY_SECRET not in json.dumps(statements)
        # The JWT secret is resolved at deployment into JWT_SECRET; no function reads it at run time.
        assert d.params["JwtSecretArn"] not in granted_secrets(statements)


def test_parameters_and_secrets_named_by_the_configuration(deployed):
    """The parameters and secrets the configuration references are the configured ones (their values untouched by
    the deployment; the JWT secret's value in JWT_SECRET), and any it creates exists in moto."""
    d = deployed
    ssm, sm, lam = d.moto.client("ssm"), d.moto.client("secretsmanager"), d.moto.client("lambda")
    for name, value in PARAMETERS.items():
        assert ssm.get_parameter(Name=CHOSEN[name], WithDecryption=True)["Parameter"]["Value"] == value
    for name, (secret, value) in SECRETS.items():
        assert sm.get_secret_value(SecretId=d.params[name])["SecretString"] == value
    env = {}
    for fn in d.sam.functions():
        cfg = lam.get_function(FunctionName=f"{PREFIX}-{fn}")["Configuration"]
        for k, v in cfg["Environment"]["Variables"].items():
            env.setdefault(k, set()).add(v)
    assert env["HMAC_PARAM_NAME"] == {CHOSEN["HmacParamName"]}
    assert env["DATABASE_URL_PARAM_NAME"] == {CHOSEN["DatabaseUrlParamName"]}
    assert env["DATABASE_SECRET_ARN"] == {d.params["DatabaseSecretArn"]}
    assert env["ENRICHMENT_SECRET_ARN"] == {d.params["EnrichmentSecretArn"]}
    assert env["JWT_SECRET"] == {SECRETS["JwtSecretArn"][1]}
    assert env["JWT_JWKS_URL"] == {CHOSEN["JwtJwksUrl"]}
    for kind, attributes in d.state:
        if kind == "aws_ssm_parameter":
            assert ssm.get_parameter(Name=attributes["name"])["Parameter"]["ARN"] == attributes["arn"]
        elif kind == "aws_secretsmanager_secret":
            assert sm.describe_secret(SecretId=attributes["arn"])["Name"] == attributes["name"]


def test_rest_api_routes_and_stage(deployed):
    d, sam = deployed, deployed.sam
    ag = d.moto.client("apigateway")
    apis = sam.of_type("AWS::Serverless::Api")
    assert len(ag.get_rest_apis(limit=500)["items"]) == len(apis) >= 1
    for api_logical, res in apis.items():
        api_id = sam.physical(api_logical, None)
        props = sam.value(res["Properties"])
        stage = props["StageName"]
        expected = {}
        for fn_logical, event in sam.events("Api"):
            assert event["RestApiId"] == {"Ref": api_logical} or len(apis) > 1
            if event["RestApiId"] == {"Ref": api_logical}:
                name = sam.value(sam.function(fn_logical)["FunctionName"])
                expected[(event["Method"].upper(), event["Path"])] = (name, "Auth" in event)
        resources = [r for page in ag.get_paginator("get_resources").paginate(restApiId=api_id, embed=["methods"])
                     for r in page["items"]]
        found = {(m, r["path"]): r["resourceMethods"][m] for r in resources for m in r.get("resourceMethods", {})}
        assert sorted(found) == sorted(expected), "REST routes differ from SAM's"
        for (method, path), (name, has_auth) in expected.items():
            resource_id = next(r["id"] for r in resources if r["path"] == path)
            integration = ag.get_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method)
            assert (integration["type"], integration["httpMethod"], integration["uri"]) == \
                ("AWS_PROXY", "POST", invoke_uri(d, name)), f"{method} {path}"
            # Tenant isolation is off by default: no tenant id is sent (Lambda refuses one for a function that is not
            # in tenant isolation mode), and no header is required of the caller.
            assert not integration.get("requestParameters"), f"{method} {path}: {integration.get('requestParameters')}"
            assert not found[(method, path)].get("requestParameters"), f"{method} {path}"
            if not has_auth:
                assert found[(method, path)]["authorizationType"] == "NONE"
            # The function lets exactly this API invoke it on this route.
            route_arn = f"arn:aws:execute-api:{REGION}:{d.moto.account}:{api_id}/{stage}/{method}{path}"
            grants = granted_to(d, name, "apigateway.amazonaws.com")
            assert any(s["Action"] == "lambda:InvokeFunction" and
                       arn_like(s["Condition"]["ArnLike"]["AWS:SourceArn"], route_arn) for s in grants), \
                f"{name} may not be invoked by {method} {path}: {grants}"

        api = ag.get_rest_api(restApiId=api_id)
        assert api["endpointConfiguration"]["types"] == [props["EndpointConfiguration"]["Type"]]
        got = ag.get_stage(restApiId=api_id, stageName=stage)
        assert got["tracingEnabled"] is bool(props.get("TracingEnabled", False))
        log = props["AccessLogSetting"]
        assert got["accessLogSettings"]["destinationArn"].removesuffix(":*") == log["DestinationArn"].removesuffix(":*")
        assert json.loads(got["accessLogSettings"]["format"]) == json.loads(log["Format"])
        for setting in props.get("MethodSettings", []):
            key = setting["ResourcePath"].lstrip("/") + "/" + setting["HttpMethod"]
            actual = got["methodSettings"][key]
            for k, v in setting.items():
                if k not in ("ResourcePath", "HttpMethod"):
                    assert same_setting(v, actual[k[0].lower() + k[1:]]), f"stage {stage} {key} {k}"
        assert float(got["methodSettings"]["*/*"]["throttlingRateLimit"]) == CHOSEN["ApiThrottlingRateLimit"]


def test_http_api_routes_and_stage(deployed):
    d, sam = deployed, deployed.sam
    v2 = d.moto.client("apigatewayv2")
    apis = sam.of_type("AWS::Serverless::HttpApi")
    assert len([a for a in v2.get_apis()["Items"] if a["ProtocolType"] == "HTTP"]) == len(apis) >= 1
    for api_logical, res in apis.items():
        api_id = sam.physical(api_logical, None)
        props = sam.value(res["Properties"])
        stage = props.get("StageName", "$default")
        expected = {}
        for fn_logical, event in sam.events("HttpApi"):
            if event.get("ApiId") == {"Ref": api_logical}:
                name = sam.value(sam.function(fn_logical)["FunctionName"])
                method = "ANY" if event["Method"].lower() == "any" else event["Method"].upper()
                payload = event.get("PayloadFormatVersion", "2.0")
                expected[f"{method} {event['Path']}"] = (name, payload, "Auth" in event)
        routes, token = [], None
        while True:
            page = v2.get_routes(ApiId=api_id, **({"NextToken": token} if token else {}))
            routes += page["Items"]
            token = page.get("NextToken")
            if not token:
                break
        assert sorted(r["RouteKey"] for r in routes) == sorted(expected), "HTTP API routes differ from SAM's"
        for route in routes:
            name, payload, has_auth = expected[route["RouteKey"]]
            if not has_auth:
                assert route.get("AuthorizationType", "NONE") == "NONE", route["RouteKey"]
            assert route["Target"].startswith("integrations/"), route
            integration = v2.get_integration(ApiId=api_id, IntegrationId=route["Target"].split("/", 1)[1])
            uri = integration["IntegrationUri"]
            m = re.fullmatch(r"arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(.+)/invocations", uri)
            assert (m.group(1) if m else uri) == function_arn(d, name), route["RouteKey"]
            assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", payload)
            method, path = route["RouteKey"].split(" ", 1)
            route_arn = (f"arn:aws:execute-api:{REGION}:{d.moto.account}:{api_id}/{stage}/{method}"
                         f"{re.sub(r'{[^}]+}', 'x', path)}")
            grants = granted_to(d, name, "apigateway.amazonaws.com")
            assert any(arn_like(s["Condition"]["ArnLike"]["AWS:SourceArn"], route_arn) for s in grants), \
                f"{name} may not be invoked by {route['RouteKey']}: {grants}"

        stages = {s["StageName"]: s for s in v2.get_stages(ApiId=api_id)["Items"]}
        assert stage in stages, f"stage {stage} missing: {list(stages)}"
        got = stages[stage]
        assert got.get("AutoDeploy") is True
        for k, v in props.get("DefaultRouteSettings", {}).items():
            assert same_setting(v, got["DefaultRouteSettings"].get(k)), f"stage {stage} {k}"
        assert float(got["DefaultRouteSettings"]["ThrottlingBurstLimit"]) == CHOSEN["ApiThrottlingBurstLimit"]
        log = props["AccessLogSettings"]
        assert got["AccessLogSettings"]["DestinationArn"].removesuffix(":*") == log["DestinationArn"].removesuffix(":*")
        assert json.loads(got["AccessLogSettings"]["Format"]) == json.loads(log["Format"])


def test_schedules_target_their_functions_with_retries_and_dead_letters(deployed):
    d, sam = deployed, deployed.sam
    events = d.moto.client("events")
    rules = {r["Arn"]: r for r in events.list_rules()["Rules"]}
    schedules = sam.events("Schedule")
    assert schedules and len(rules) == len(schedules)
    for fn_logical, event in schedules:
        event = sam.value(event)
        name = sam.value(sam.function(fn_logical)["FunctionName"])
        matching = [r for r in rules.values() if r.get("ScheduleExpression") == event["Schedule"] and
                    any(t["Arn"] == function_arn(d, name)
                        for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"])]
        assert len(matching) == 1, f"{name}: no rule {event['Schedule']} targeting it"
        rule = matching[0]
        assert rule["State"] == ("DISABLED" if event.get("Enabled") is False else "ENABLED")
        if "Description" in event:
            assert rule.get("Description") == event["Description"]
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert len(targets) == 1
        target = targets[0]
        for k, v in event.get("RetryPolicy", {}).items():
            assert same_setting(v, target["RetryPolicy"][k]), f"{name}: RetryPolicy {k}"
        assert target.get("DeadLetterConfig", {}).get("Arn") == event["DeadLetterConfig"]["Arn"], name
        grants = granted_to(d, name, "events.amazonaws.com")
        assert any(arn_like(s["Condition"]["ArnLike"]["AWS:SourceArn"], rule["Arn"]) for s in grants), name


def test_function_urls(deployed):
    """Every function with a FunctionUrlConfig in SAM has that Function URL (auth type, invoke mode — streaming for
    the participant export — and CORS); no other function has one."""
    d, sam = deployed, deployed.sam
    lam = d.moto.client("lambda")
    declared = 0
    for fn, logical in sorted(sam.functions().items()):
        spec = sam.function(logical)
        name = sam.value(spec["FunctionName"])
        if "FunctionUrlConfig" not in spec:
            with pytest.raises(ClientError, match="ResourceNotFound"):
                lam.get_function_url_config(FunctionName=name)
            continue
        declared += 1
        url = sam.value(spec["FunctionUrlConfig"])
        got = lam.get_function_url_config(FunctionName=name)
        assert got["AuthType"] == url["AuthType"], fn
        assert got.get("InvokeMode", "BUFFERED") == url.get("InvokeMode", "BUFFERED"), fn
        for k, v in url.get("Cors", {}).items():
            actual = got.get("Cors", {}).get(k)
            if isinstance(v, list):
                assert sorted(v) == sorted(as_list(actual)), f"{fn}: Cors {k}"
            else:
                assert same_setting(v, actual), f"{fn}: Cors {k}"
        assert bool(url.get("Cors")) == bool(got.get("Cors")), f"{fn}: Cors {got.get('Cors')}"
        public = [s for s in function_policy(d, name) if s.get("Action") == "lambda:InvokeFunctionUrl"]
        if url["AuthType"] == "NONE":
            # moto keeps FunctionUrlAuthType as given instead of turning it into the Condition AWS writes.
            assert any(s.get("Principal") in ("*", {"AWS": "*"}) and
                       (s.get("FunctionUrlAuthType") == "NONE" or
                        s.get("Condition", {}).get("StringEquals", {}).get("lambda:FunctionUrlAuthType") == "NONE")
                       for s in public), f"{fn}: a public Function URL needs its lambda:InvokeFunctionUrl permission"
    assert len([a for kind, a in d.state if kind == "aws_lambda_function_url"]) == declared


def test_outputs_match_sam(deployed):
    """Each SAM output `FooBar` is the Terraform output `foo_bar` with the same value; function_arns lists them all."""
    d, sam = deployed, deployed.sam
    for name, output in sam.doc.get("Outputs", {}).items():
        assert snake(name) in d.outputs, f"no Terraform output {snake(name)} for SAM's {name}"
        assert d.outputs[snake(name)] == sam.value(output["Value"]), name
    if "function_arns" in d.outputs:
        assert d.outputs["function_arns"] == {fn: function_arn(d, f"{PREFIX}-{fn}") for fn in sam.functions()}


def test_least_privilege_check_can_fail():
    """The least-privilege and policy comparisons used above reject what they must."""
    param = "arn:aws:ssm:us-east-1:1:parameter/"
    allowed = {param + "a"}
    ok = [{"Sid": "A", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": param + "a"},
          {"Sid": "T", "Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}]
    assert least_privilege_problems(ok, allowed) == [] and granted_secrets(ok) == allowed
    for bad in ({"Sid": "W", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": param + "*"},
                {"Sid": "S", "Effect": "Allow", "Action": "secretsmanager:*", "Resource": "arn:aws:secretsmanager:x"},
                {"Sid": "O", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": param + "b"},
                {"Sid": "L", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"},
                {"Sid": "N", "Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::x"}):
        assert least_privilege_problems(ok + [bad], allowed), bad
    a = {"Statement": [{"Effect": "Allow", "Action": ["b", "a"], "Resource": "r"}]}
    assert normalized_statements(a) == normalized_statements({"Statement": {"Effect": "Allow", "Action": ["a", "b"],
                                                                             "Resource": ["r"]}})
    assert normalized_statements(a) != normalized_statements({"Statement": [{"Effect": "Allow", "Action": ["a"],
                                                                              "Resource": "r"}]})


def test_tenant_isolation_needs_the_tenancy_config_override(deployed):
    """tenant_isolation = true with the configuration as it is (hashicorp/aws 5.x, no tenancy_config) would send
    tenant ids to functions that are not tenant-isolated: the plan stops at the functions' precondition, naming
    the override (docs/TENANCY.md)."""
    d = deployed
    code, out = d.terraform("plan", "-refresh=false", "-input=false", "-no-color", "-var-file=moto.tfvars.json",
                            "-var", "tenant_isolation=true", timeout=600)
    assert code != 0, out[-3000:]
    assert "Resource precondition failed" in out, out[-3000:]
    assert "tenant_isolation = true needs the functions' tenancy_config" in " ".join(out.split()), out[-3000:]
    assert "tenant_isolation_override.tf" in out


def test_destroy_removes_everything(deployed):
    """Last: `terraform destroy` succeeds and leaves nothing of the deployment, only the parameters and secrets
    it referenced without owning them."""
    d = deployed
    code, out = d.terraform("destroy", "-auto-approve", "-input=false", "-no-color", "-var-file=moto.tfvars.json",
                            timeout=600)
    assert code == 0, "terraform destroy failed:\n" + out[-6000:]
    m = d.moto
    assert m.client("lambda").list_functions()["Functions"] == []
    assert m.client("iam").list_roles()["Roles"] == []
    assert m.client("apigateway").get_rest_apis()["items"] == []
    assert m.client("apigatewayv2").get_apis()["Items"] == []
    assert m.client("events").list_rules()["Rules"] == []
    assert m.client("sqs").list_queues().get("QueueUrls", []) == []
    assert m.client("logs").describe_log_groups(logGroupNamePrefix=f"/warden/{PREFIX}/")["logGroups"] == []
    kms = m.client("kms")
    assert not [a for a in kms.list_aliases(Limit=1000)["Aliases"] if PREFIX in a["AliasName"]]
    ours = [k for k in kms.list_keys(Limit=1000)["Keys"]
            if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"].get("KeyManager") == "CUSTOMER"]
    assert all(kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion" for k in ours)
    ssm, sm = m.client("ssm"), m.client("secretsmanager")
    for name, value in PARAMETERS.items():
        assert ssm.get_parameter(Name=CHOSEN[name], WithDecryption=True)["Parameter"]["Value"] == value
    for name in SECRETS:
        assert sm.describe_secret(SecretId=d.params[name])["ARN"] == d.params[name]
    print(f"terraform against moto: {d.timings}; {d.recording_bytes // 1_000_000} MB of requests recorded")
