"""Deployment templates (template/): the SAM template passes `sam validate --lint`, cfn-lint and checkov; the
Terraform passes `terraform validate` and checkov; the SAM Makefile copies each function's packaged bootstrap; and
both templates declare the same functions, routes (exactly those of docs/openapi.yaml), Function URLs (auth type and
invoke mode), schedules, timeouts, memory sizes and environment variable names. A missing tool fails its test with the command that installs it."""
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT

TEMPLATE = ROOT / "template"
SAM = TEMPLATE / "template.yaml"
TERRAFORM = TEMPLATE / "terraform"
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "main.swift").exists())
SCHEDULED = {"enrichment_worker": "rate(1 minute)", "retention": "rate(1 day)"}
QUIET = {**os.environ, "SAM_CLI_TELEMETRY": "0", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "BC_SKIP_MAPPING": "TRUE",
         "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


def tool(name, install):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {install} (scripts/ensure-tools.sh does it)", pytrace=False)
    return path


def run(args, cwd, timeout=600):
    proc = subprocess.run(args, cwd=cwd, env=QUIET, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


# --- linters --------------------------------------------------------------------------------------------------------

def test_sam_validate_lint():
    sam = tool("sam", "pip install aws-sam-cli")
    code, out = run([sam, "validate", "--lint", "--region", "eu-central-1", "--template-file", str(SAM)], TEMPLATE)
    assert code == 0 and "is a valid SAM Template" in out, out[-3000:]


def test_cfn_lint():
    cfn_lint = tool("cfn-lint", "pip install cfn-lint")
    code, out = run([cfn_lint, "--format", "parseable", str(SAM)], TEMPLATE)
    assert code == 0, out[-3000:]


def checkov(framework):
    binary = tool("checkov", "pip install checkov")
    code, out = run([binary, "-d", str(TEMPLATE), "--framework", framework, "--output", "json",
                     "--skip-download"], TEMPLATE)
    start = out.find("{") if out.lstrip().startswith("{") else out.find("\n{") + 1
    try:
        report = json.JSONDecoder().raw_decode(out[start:])[0]
    except ValueError:
        pytest.fail(f"checkov --framework {framework} gave no JSON report (exit {code}):\n{out[-3000:]}", pytrace=False)
    if isinstance(report, list):
        report = next(r for r in report if r.get("check_type") == framework)
    results = report["results"]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in results["failed_checks"]]
    assert not failed, "checkov failures:\n" + "\n".join(failed)
    assert report["summary"]["passed"] > 50, report["summary"]
    # Every suppression sits next to its resource and says why.
    unexplained = [f"{c['check_id']} {c['resource']}" for c in results.get("skipped_checks", [])
                   if len((c.get("check_result") or {}).get("suppress_comment") or "") < 20]
    assert not unexplained, "suppressions without a reason: " + ", ".join(unexplained)
    assert len(results["skipped_checks"]) == report["summary"]["skipped"] > 0
    assert code == 0, out[-3000:]


def test_checkov_cloudformation():
    checkov("cloudformation")


def test_checkov_terraform():
    checkov("terraform")


def test_terraform_validate(tmp_path):
    terraform = tool("terraform", "install Terraform >= 1.5 (an official release binary) on PATH")
    if not os.path.isdir("/opt/tf-plugins"):
        pytest.fail("/opt/tf-plugins (the hashicorp/aws provider mirror) is missing", pytrace=False)
    work = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    code, out = run([terraform, "fmt", "-check", "-diff", "-recursive"], work)
    assert code == 0, "terraform fmt would change:\n" + out[-3000:]
    code, out = run([terraform, "init", "-plugin-dir=/opt/tf-plugins", "-backend=false", "-input=false"], work)
    assert code == 0, out[-3000:]
    code, out = run([terraform, "validate", "-json"], work)
    result = json.loads(out[out.find("{"):])
    assert code == 0 and result["valid"] and result["warning_count"] == 0, out[-3000:]
    assert not (TERRAFORM / ".terraform").exists() and not (TERRAFORM / ".terraform.lock.hcl").exists()


# --- SAM build Makefile ---------------------------------------------------------------------------------------------

def test_makefile_copies_each_packaged_bootstrap(tmp_path):
    """Every function's `build-<LogicalId>` copies dist/<function>/bootstrap (scripts/package.sh's output) into
    ARTIFACTS_DIR, executable; a missing bootstrap is an error, not an empty artifact."""
    tool("make", "apt-get install make")
    dist = tmp_path / "dist"
    for logical, fn in sam_functions().items():
        (dist / fn).mkdir(parents=True)
        (dist / fn / "bootstrap").write_bytes(b"#!/bin/sh\necho " + fn.encode() + b"\n")
        (dist / fn / "bootstrap").chmod(0o755)
        artifacts = tmp_path / "artifacts" / logical
        artifacts.mkdir(parents=True)
        code, out = run(["make", "-s", "-C", str(TEMPLATE), f"build-{logical}", f"ARTIFACTS_DIR={artifacts}",
                         f"DIST={dist}", "WARDEN_SKIP_PACKAGE=1"], TEMPLATE)
        assert code == 0, out
        copied = artifacts / "bootstrap"
        assert copied.read_bytes() == (dist / fn / "bootstrap").read_bytes() and os.access(copied, os.X_OK)
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = run(["make", "-s", "-C", str(TEMPLATE), "build-RetentionFunction", f"ARTIFACTS_DIR={empty}",
                     f"DIST={tmp_path / 'nothing'}", "WARDEN_SKIP_PACKAGE=1"], TEMPLATE)
    assert code != 0 and "scripts/package.sh retention" in out and not any(empty.iterdir())


def test_sam_build_produces_the_packaged_static_bootstraps(tmp_path):
    """A real `sam build` (makefile build method, no Docker; each target runs scripts/package.sh) yields for every
    function exactly the static bootstrap `make package` built (byte for byte: the build is reproducible), and a
    sam-built function answers an unauthenticated event with its envelope, never a crash."""
    sam = tool("sam", "pip install aws-sam-cli")
    build = tmp_path / "sam-build"
    code, out = run([sam, "build", "--build-dir", str(build)], TEMPLATE, timeout=1200)
    assert code == 0 and "Build Succeeded" in out, out[-3000:]
    for logical, fn in sam_functions().items():
        built = build / logical / "bootstrap"
        assert built.read_bytes() == (ROOT / "dist" / fn / "bootstrap").read_bytes(), fn
        assert os.access(built, os.X_OK)
        with open(built, "rb") as f:
            elf = f.read(4096)
        assert elf[:4] == b"\x7fELF" and b"ld-linux" not in elf, f"{fn}: not a static executable"
    from conftest import Emulator, rest_event
    from test_participants import event
    calls = [("CalculateHealthFunction", "calculate_health", rest_event("calculate_health", '{"customerId":"acme"}')),
             ("ParticipantsFunction", "participants", event("GET", "/api/participants"))]
    for logical, fn, ev in calls:
        e = Emulator(build / logical / "bootstrap", tmp_path=tmp_path, name=fn,
                     env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none?sslmode=disable", "JWT_SECRET": "x" * 40,
                          "HMAC_SECRET": "sam-build-secret"})
        try:
            status, _, out = e.invoke(ev)
        finally:
            e.stop()
        reply = json.loads(out)
        assert status == 200 and reply["statusCode"] == 401, out
        assert json.loads(reply["body"])["error"]["code"] == "UNAUTHORIZED"


# --- parity ---------------------------------------------------------------------------------------------------------

class CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {("Ref" if suffix == "Ref" else f"Fn::{suffix}"): value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def sam_template():
    return yaml.load(SAM.read_text(), Loader=CfnLoader)


def sam_functions():
    """{logical id: function directory name}, from FunctionName `${AWS::StackName}-<function>`."""
    found = {}
    for logical, res in sam_template()["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            name = res["Properties"]["FunctionName"]["Fn::Sub"]
            assert name.startswith("${AWS::StackName}-"), name
            found[logical] = name.removeprefix("${AWS::StackName}-")
    return found


def sam_model():
    doc = sam_template()
    globals_ = doc["Globals"]["Function"]
    model = {}
    for logical, fn in sam_functions().items():
        props = doc["Resources"][logical]["Properties"]
        env = {**globals_["Environment"]["Variables"], **props.get("Environment", {}).get("Variables", {})}
        routes, schedules = set(), set()
        for event in props.get("Events", {}).values():
            if event["Type"] in ("Api", "HttpApi"):
                api = "rest" if event["Type"] == "Api" else "http"
                if api == "http":
                    assert event["Properties"]["PayloadFormatVersion"] == "2.0"
                routes.add((api, event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
            elif event["Type"] == "Schedule":
                schedules.add(event["Properties"]["Schedule"])
                assert "Arn" in event["Properties"]["DeadLetterConfig"]
        merged = {**globals_, **props}
        assert (merged["Runtime"], merged["Handler"], merged["Architectures"], merged["Tracing"]) == \
            ("provided.al2023", "bootstrap", ["x86_64"], "Active"), logical
        assert doc["Resources"][logical]["Metadata"]["BuildMethod"] == "makefile"
        assert "ReservedConcurrentExecutions" in props and "LogGroup" in props["LoggingConfig"]
        url = props.get("FunctionUrlConfig")
        if url is not None:
            # CORS of the URL follows AllowedOrigin (none when it is empty), like the functions' own allowlist.
            cors = url["Cors"]["Fn::If"]
            assert cors[0] == "HasAllowedOrigin" and cors[2] == {"Ref": "AWS::NoValue"}, cors
            assert cors[1]["AllowOrigins"] == {"Fn::Split": [",", {"Ref": "AllowedOrigin"}]}, cors
            assert "authorization" in [h.lower() for h in cors[1]["AllowHeaders"]], cors
        model[fn] = {"timeout": merged["Timeout"], "memory": merged["MemorySize"], "env": sorted(env),
                     "routes": sorted(routes), "schedules": sorted(schedules),
                     "dlq": "DeadLetterQueue" in props,
                     "url": {"auth": url["AuthType"], "invokeMode": url.get("InvokeMode", "BUFFERED")} if url else None}
    return model


def _hcl_value(value):
    """python-hcl2 wraps attribute values in one-element lists in some places and versions."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _number(value):
    value = _hcl_value(value)
    return int(value) if isinstance(value, (int, float)) or str(value).isdigit() else value


def terraform_model(directory=TERRAFORM):
    try:
        import hcl2
    except ImportError:
        pytest.fail("python-hcl2 is not installed: pip install python-hcl2 (scripts/ensure-tools.sh does it)",
                    pytrace=False)
    blocks = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as f:
            parsed = hcl2.load(f)
        for kind, items in parsed.items():
            blocks.setdefault(kind, []).extend(items)
    locals_ = {}
    for block in blocks["locals"]:
        locals_.update({k: _hcl_value(v) for k, v in block.items() if not k.startswith("__")})
    resources = {}
    for block in blocks["resource"]:
        for kind, named in block.items():
            for name, body in named.items():
                resources[(kind, name)] = body

    lam = resources[("aws_lambda_function", "fn")]
    assert _hcl_value(lam["for_each"]) == "${local.functions}"
    assert (_hcl_value(lam["runtime"]), _hcl_value(lam["handler"]), _hcl_value(lam["architectures"])) == \
        ("provided.al2023", "bootstrap", "x86_64")
    assert _hcl_value(lam["filename"]) == "${local.dist_dir}/${each.key}.zip"
    assert _hcl_value(_hcl_value(lam["tracing_config"])["mode"]) == "Active"
    variables = _hcl_value(_hcl_value(lam["environment"])["variables"])
    assert re.fullmatch(r"\$\{merge\(local\.common_env,\s*each\.value\.environment\)\}", variables), variables
    assert _hcl_value(lam["timeout"]) == "${each.value.timeout}"
    assert _hcl_value(lam["memory_size"]) == "${each.value.memory_size}"

    def env_names(expression):
        names = set(locals_["common_env"])
        refs = re.findall(r"local\.(\w+)", expression)
        assert refs, expression
        for ref in refs:
            names |= set(locals_[ref])
        return sorted(names)

    url = resources[("aws_lambda_function_url", "fn")]
    assert _hcl_value(url["for_each"]) == "${local.function_urls}"
    assert _hcl_value(url["function_name"]) == "${aws_lambda_function.fn[each.key].function_name}"
    assert _hcl_value(url["invoke_mode"]) == "${each.value.invoke_mode}"
    cors = _hcl_value(_hcl_value(url["dynamic"])["cors"])
    assert "var.allowed_origin" in _hcl_value(cors["for_each"]), cors
    assert "var.allowed_origin" in _hcl_value(_hcl_value(cors["content"])["allow_origins"]), cors
    permission = resources[("aws_lambda_permission", "url")]
    assert _hcl_value(permission["for_each"]) == "${local.function_urls}"
    assert (_hcl_value(permission["action"]), _hcl_value(permission["function_url_auth_type"])) == \
        ("lambda:InvokeFunctionUrl", _hcl_value(url["authorization_type"]))

    model = {}
    for fn, settings in locals_["functions"].items():
        function_url = locals_.get("function_urls", {}).get(fn)
        model[fn] = {"timeout": _number(settings["timeout"]), "memory": _number(settings["memory_size"]),
                     "env": env_names(_hcl_value(settings["environment"])), "routes": [], "schedules": [],
                     "dlq": fn in locals_["schedules"],
                     "url": {"auth": _hcl_value(url["authorization_type"]),
                             "invokeMode": _hcl_value(function_url["invoke_mode"])} if function_url else None}
    for api in ("rest", "http"):
        for route, fn in locals_[f"{api}_routes"].items():
            method, path = route.split(" ", 1)
            model[fn]["routes"].append((api, method, path))
    for fn, schedule in locals_["schedules"].items():
        model[fn]["schedules"].append(schedule["expression"])
    for fn in model.values():
        fn["routes"].sort()
    assert _hcl_value(resources[("aws_apigatewayv2_integration", "fn")]["payload_format_version"]) == "2.0"
    assert _hcl_value(resources[("aws_api_gateway_integration", "tool")]["type"]) == "AWS_PROXY"
    return model


def openapi_operations():
    doc = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if isinstance(op, dict) and "x-warden-function" in op:
                yield path, method, op


def openapi_routes():
    """{function: [(api, METHOD, path)]} of the operations served through an API (not a Function URL)."""
    routes = {}
    for path, method, op in openapi_operations():
        if "x-warden-function-url" in op:
            continue
        fn = op["x-warden-function"]
        api = "rest" if op["x-warden-payload-format"] == "1.0" else "http"
        routes.setdefault(fn, []).append((api, method.upper(), path))
    return {fn: sorted(r) for fn, r in routes.items()}


def openapi_function_urls():
    """{function: invoke mode} of the functions whose operations the document serves through a Function URL."""
    urls = {}
    for _, _, op in openapi_operations():
        if "x-warden-function-url" in op:
            mode = op["x-warden-function-url"]
            assert urls.setdefault(op["x-warden-function"], mode) == mode, op["operationId"]
    return urls


def test_sam_declares_every_function_route_and_schedule():
    model = sam_model()
    assert sorted(model) == FUNCTIONS
    expected, urls = openapi_routes(), openapi_function_urls()
    assert urls, "docs/openapi.yaml documents no Function URL (participant_export streams through one)"
    for fn, spec in model.items():
        assert spec["routes"] == expected.get(fn, []), fn
        # A function behind a Function URL has the URL only (AuthType NONE: it verifies the bearer JWT itself).
        assert spec["url"] == ({"auth": "NONE", "invokeMode": urls[fn]} if fn in urls else None), fn
        assert spec["schedules"] == ([SCHEDULED[fn]] if fn in SCHEDULED else []), fn
        assert spec["dlq"] == (fn in SCHEDULED), fn
        if fn in expected and expected[fn][0][0] == "rest":
            assert (spec["timeout"], spec["memory"]) == (10, 256), fn  # the original copilot Lambdas' settings
            assert "HMAC_PARAM_NAME" in spec["env"], fn


def test_terraform_matches_sam():
    sam, terraform = sam_model(), terraform_model()
    assert sorted(terraform) == sorted(sam) == FUNCTIONS
    for fn in FUNCTIONS:
        assert terraform[fn] == sam[fn], f"{fn}: terraform {terraform[fn]} != SAM {sam[fn]}"


def test_parity_check_notices_a_difference(tmp_path):
    """The parity check can fail: a Terraform copy with intent's timeout, one environment variable or the export's
    invoke mode changed no longer matches the SAM template."""
    sam = sam_model()
    for pattern, replacement in ((r"(intent\s*=\s*\{\s*timeout\s*=\s*)10", r"\g<1>11"),
                                 (r"RETENTION_BATCH_SIZE", "RETENTION_BATCH"),
                                 (r'invoke_mode = "RESPONSE_STREAM"', 'invoke_mode = "BUFFERED"')):
        copy = tmp_path / re.sub(r"\W", "", replacement)
        shutil.copytree(TERRAFORM, copy)
        main = copy / "main.tf"
        text = main.read_text()
        changed = re.sub(pattern, replacement, text, count=1)
        assert changed != text
        main.write_text(changed)
        terraform = terraform_model(copy)
        assert any(terraform[fn] != sam[fn] for fn in FUNCTIONS), pattern


# --- request bodies (issue 14: invalid UTF-8) ----------------------------------------------------------------------

def terraform_resources(directory=TERRAFORM):
    """{(type, name): body} of every resource of the Terraform configuration."""
    import hcl2
    resources = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as f:
            parsed = hcl2.load(f)
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    resources[(kind, name)] = body
    return resources


def test_copilot_rest_api_passes_json_bodies_as_binary():
    """The copilot signs the raw body bytes. A REST API reads a text body as UTF-8 with invalid bytes replaced by
    U+FFFD, so both templates declare `application/json` a binary media type of the copilot API: the body reaches
    the function base64-encoded and unchanged (docs/ARCHITECTURE.md, "Request bodies"). SAM writes `/` as `~1`;
    Terraform redeploys the stage when the list changes (SAM's deployment id follows its definition by itself)."""
    doc = sam_template()
    rest = {k: r["Properties"] for k, r in doc["Resources"].items() if r["Type"] == "AWS::Serverless::Api"}
    # CopilotTenantApi is the same API in tenant isolation mode (test_tenant_isolation_in_sam).
    assert sorted(rest) == ["CopilotApi", "CopilotTenantApi"]
    sam = [t.replace("~1", "/") for t in rest["CopilotApi"]["BinaryMediaTypes"]]
    assert sam == ["application/json"]
    assert [t.replace("~1", "/") for t in rest["CopilotTenantApi"]["BinaryMediaTypes"]] == sam
    http = [r["Properties"] for r in doc["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"]
    assert http and all("BinaryMediaTypes" not in p for p in http)  # HTTP APIs have no such setting
    resources = terraform_resources()
    api = resources[("aws_api_gateway_rest_api", "copilot")]
    types = _hcl_value(api["binary_media_types"])  # a one-element list comes back unwrapped
    assert ([types] if isinstance(types, str) else types) == sam
    triggers = _hcl_value(_hcl_value(resources[("aws_api_gateway_deployment", "copilot")]["triggers"])["redeployment"])
    assert "aws_api_gateway_rest_api.copilot.binary_media_types" in triggers, triggers


# --- alarms (issue 8: the functions' EMF metrics, namespace Warden) --------------------------------------------------

ALARMS = {"unauthorized-burst": ("Unauthorized", 60), "rate-limited-burst": ("RateLimited", 60), "errors": ("Errors", 300)}


def sam_alarms():
    """{alarm name after the stack name: its settings}, thresholds given by a parameter resolved to its default,
    and the SNS topic the alarm notifies (which must be KMS-encrypted)."""
    doc = sam_template()
    resources, parameters = doc["Resources"], doc["Parameters"]
    found = {}
    for logical, res in resources.items():
        if res["Type"] != "AWS::CloudWatch::Alarm":
            continue
        p = res["Properties"]
        name = p["AlarmName"]["Fn::Sub"]
        assert name.startswith("${AWS::StackName}-"), name
        threshold = p["Threshold"]
        if isinstance(threshold, dict):
            threshold = {"param": threshold["Ref"], "default": parameters[threshold["Ref"]]["Default"]}
        (action,) = p["AlarmActions"]
        topic = resources[action["Ref"]]
        assert topic["Type"] == "AWS::SNS::Topic" and topic["Properties"]["KmsMasterKeyId"] == {"Ref": "WardenKey"}
        assert "Dimensions" not in p and "Metrics" not in p, f"{logical}: the alarms watch the account-wide metric"
        found[name.removeprefix("${AWS::StackName}-")] = {
            "logical": logical, "namespace": p["Namespace"], "metric": p["MetricName"], "statistic": p["Statistic"],
            "period": int(p["Period"]), "evaluations": int(p["EvaluationPeriods"]), "threshold": threshold,
            "comparison": p["ComparisonOperator"], "missing": p["TreatMissingData"]}
    return found


def terraform_alarms(directory=TERRAFORM):
    import hcl2
    resources, variables = {}, {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as f:
            parsed = hcl2.load(f)
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    resources[(kind, name)] = body
        for block in parsed.get("variable", []):
            for name, body in block.items():
                variables[name] = body
    found = {}
    for (kind, name), body in resources.items():
        if kind != "aws_cloudwatch_metric_alarm":
            continue
        v = {k: _hcl_value(x) for k, x in body.items()}
        alarm = v["alarm_name"]
        assert alarm.startswith("${var.name_prefix}-"), alarm
        threshold = _number(v["threshold"])
        if isinstance(threshold, str):
            var = re.fullmatch(r"\$\{var\.(\w+)\}", threshold).group(1)
            threshold = {"param": "".join(w.capitalize() for w in var.split("_")),
                         "default": _number(variables[var]["default"])}
        assert v["alarm_actions"] == "${aws_sns_topic.alarms.arn}", v["alarm_actions"]
        assert "dimensions" not in v and "metric_query" not in v, name
        found[alarm.removeprefix("${var.name_prefix}-")] = {
            "resource": name, "namespace": v["namespace"], "metric": v["metric_name"], "statistic": v["statistic"],
            "period": _number(v["period"]), "evaluations": _number(v["evaluation_periods"]), "threshold": threshold,
            "comparison": v["comparison_operator"], "missing": v["treat_missing_data"]}
    topic = {k: _hcl_value(x) for k, x in resources[("aws_sns_topic", "alarms")].items()}
    assert topic["kms_master_key_id"] == "${aws_kms_key.warden.arn}"
    return found


def _without_ids(alarms):
    return {name: {k: v for k, v in a.items() if k not in ("logical", "resource")} for name, a in alarms.items()}


def test_alarms_watch_the_emf_metrics():
    alarms = sam_alarms()
    assert sorted(alarms) == sorted(ALARMS)
    assert {a["logical"] for a in alarms.values()} == {"UnauthorizedBurstAlarm", "RateLimitedBurstAlarm", "ErrorsAlarm"}
    for name, (metric, period) in ALARMS.items():
        a = alarms[name]
        assert (a["namespace"], a["metric"], a["statistic"], a["period"]) == ("Warden", metric, "Sum", period), name
        assert a["comparison"] == "GreaterThanOrEqualToThreshold", name
    assert alarms["unauthorized-burst"]["threshold"] == {"param": "UnauthorizedAlarmThreshold", "default": 50}
    assert alarms["rate-limited-burst"]["threshold"] == {"param": "RateLimitedAlarmThreshold", "default": 100}
    assert alarms["errors"]["threshold"] == 1
    doc = sam_template()
    sub = doc["Resources"]["AlarmEmailSubscription"]
    assert sub["Condition"] == "HasAlarmEmail" and sub["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert doc["Parameters"]["AlarmEmail"]["Default"] == ""


def test_terraform_alarms_match_sam():
    sam, terraform = sam_alarms(), terraform_alarms()
    assert {a["resource"] for a in terraform.values()} == {"unauthorized_burst", "rate_limited_burst", "errors"}
    assert _without_ids(terraform) == _without_ids(sam)


def test_alarm_parity_notices_a_difference(tmp_path):
    """The alarm comparison can fail: a Terraform copy with another period, metric or threshold default differs."""
    sam = _without_ids(sam_alarms())
    for name, pattern, replacement in (("main.tf", r"period\s*=\s*300", "period              = 600"),
                                       ("main.tf", r'metric_name\s*=\s*"Unauthorized"', 'metric_name = "Errors"'),
                                       ("variables.tf", r'(unauthorized_alarm_threshold"\s*\{[^}]*default\s*=\s*)50', r"\g<1>51")):
        copy = tmp_path / re.sub(r"\W", "", replacement)
        shutil.copytree(TERRAFORM, copy)
        path = copy / name
        text = path.read_text()
        changed = re.sub(pattern, replacement, text, count=1)
        assert changed != text, pattern
        path.write_text(changed)
        assert _without_ids(terraform_alarms(copy)) != sam, pattern


# --- tenant isolation (issue 16, docs/TENANCY.md) -------------------------------------------------------------------

COPILOT_TOOLS = ["calculate_health", "generate_email", "generate_qbr_outline", "get_contract_info", "get_customer_usage",
                 "get_recent_tickets"]
TENANT_HEADER_MAPPING = {"integration.request.header.X-Amz-Tenant-Id": "method.request.header.X-Tenant-Id"}
PREFLIGHT_MAPPING = {"integration.request.header.X-Amz-Tenant-Id": "'cors-preflight'"}


def copilot_rest_functions():
    """{function: logical id} of the functions behind the copilot REST API (its Api events)."""
    doc = sam_template()
    out = {}
    for logical, fn in sam_functions().items():
        events = doc["Resources"][logical]["Properties"].get("Events", {}).values()
        if any(e["Type"] == "Api" for e in events):
            out[fn] = logical
    return out


def test_tenant_isolation_in_sam():
    """TenantIsolation (off by default) turns on, together and only for the six copilot tools, TenancyConfig
    PER_TENANT, LAMBDA_TENANT_MATCH=required and CopilotTenantApi, the REST API that maps the client's X-Tenant-Id
    header to the invocation's tenant id. The HTTP API functions (an HTTP API cannot set X-Amz-Tenant-Id), the
    Function URL one (not supported with tenant isolation) and the scheduled ones (likewise) never get it."""
    doc = sam_template()
    resources = doc["Resources"]
    param = doc["Parameters"]["TenantIsolation"]
    assert (param["Type"], param["Default"], param["AllowedValues"]) == ("String", "false", ["false", "true"])
    assert doc["Conditions"]["TenantIsolated"] == {"Fn::Equals": [{"Ref": "TenantIsolation"}, "true"]}
    assert "TenancyConfig" not in doc["Globals"]["Function"]
    assert "LAMBDA_TENANT_MATCH" not in doc["Globals"]["Function"]["Environment"]["Variables"]
    copilot = copilot_rest_functions()
    assert sorted(copilot) == COPILOT_TOOLS
    for logical, fn in sam_functions().items():
        props = resources[logical]["Properties"]
        env = props.get("Environment", {}).get("Variables", {})
        if fn in copilot:
            assert props["TenancyConfig"] == {"Fn::If": ["TenantIsolated", {"TenantIsolationMode": "PER_TENANT"},
                                                         {"Ref": "AWS::NoValue"}]}, fn
            assert env["LAMBDA_TENANT_MATCH"] == {"Fn::If": ["TenantIsolated", "required", "off"]}, fn
        else:
            assert "TenancyConfig" not in props and "LAMBDA_TENANT_MATCH" not in env, fn

    api = resources["CopilotTenantApi"]
    assert api["Condition"] == "TenantIsolated"
    body = api["Properties"]["DefinitionBody"]
    assert body["x-amazon-apigateway-request-validators"]["tenant"] == \
        {"validateRequestParameters": True, "validateRequestBody": False}
    # The same routes as CopilotApi's events, each to the same function.
    routes = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]): logical
              for fn, logical in copilot.items()
              for e in resources[logical]["Properties"]["Events"].values() if e["Type"] == "Api"}
    served = {}
    for path, operations in body["paths"].items():
        for method, op in operations.items():
            integration = op["x-amazon-apigateway-integration"]
            assert (integration["type"], integration["httpMethod"]) == ("aws_proxy", "POST")
            uri = integration["uri"]["Fn::Sub"]
            logical = re.fullmatch(r"arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}:lambda:path/2015-03-31/"
                                   r"functions/\$\{(\w+)\.Arn\}/invocations", uri).group(1)
            served[(method.upper(), path)] = logical
            if method == "post":
                assert integration["requestParameters"] == TENANT_HEADER_MAPPING, path
                assert op["parameters"] == [{"name": "X-Tenant-Id", "in": "header", "required": True,
                                             "schema": {"type": "string"}}], path
                assert op["x-amazon-apigateway-request-validator"] == "tenant", path
            else:
                assert method == "options" and integration["requestParameters"] == PREFLIGHT_MAPPING, path
    assert served == routes
    # CopilotTenantApi may invoke each tool, on its own route only; CopilotApi maps no tenant id (Lambda refuses a
    # tenant id for a function not in tenant isolation mode).
    permissions = {r["Properties"]["FunctionName"]["Ref"]: r for r in resources.values()
                   if r["Type"] == "AWS::Lambda::Permission"}
    for fn, logical in copilot.items():
        p = permissions[logical]
        assert p["Condition"] == "TenantIsolated" and p["Properties"]["Principal"] == "apigateway.amazonaws.com"
        assert p["Properties"]["SourceArn"]["Fn::Sub"].endswith(":${CopilotTenantApi}/*/*/" + fn)
    assert "DefinitionBody" not in resources["CopilotApi"]["Properties"]
    url = doc["Outputs"]["CopilotApiUrl"]["Value"]["Fn::If"]
    assert url[0] == "TenantIsolated" and "${CopilotTenantApi}" in url[1]["Fn::Sub"] and "${CopilotApi}" in url[2]["Fn::Sub"]


def test_sam_passes_tenancy_config_to_the_copilot_functions(monkeypatch):
    """The installed SAM translator turns the template into CloudFormation with TenancyConfig on exactly the six
    copilot tools' AWS::Lambda::Function (under the condition) and CopilotTenantApi's body with the header mapping."""
    from unittest.mock import MagicMock
    try:
        from samtranslator.translator.transform import transform
        from samtranslator.yaml_helper import yaml_parse
    except ImportError:
        pytest.fail("the SAM translator is not installed: pip install aws-sam-cli", pytrace=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    doc = yaml_parse(SAM.read_text())
    for res in doc["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = "s3://bucket/bootstrap.zip"  # what `sam package` would have put there
    loader = MagicMock()
    loader.load.return_value = {}
    out = transform(doc, {}, loader)["Resources"]
    copilot = copilot_rest_functions()
    for logical, fn in sam_functions().items():
        props = out[logical]["Properties"]
        assert out[logical]["Type"] == "AWS::Lambda::Function"
        if fn in copilot:
            assert props["TenancyConfig"] == {"Fn::If": ["TenantIsolated", {"TenantIsolationMode": "PER_TENANT"},
                                                         {"Ref": "AWS::NoValue"}]}, fn
        else:
            assert "TenancyConfig" not in props, fn
    api = out["CopilotTenantApi"]
    assert api["Type"] == "AWS::ApiGateway::RestApi" and api["Condition"] == "TenantIsolated"
    body = api["Properties"]["Body"]
    assert body["x-amazon-apigateway-binary-media-types"] == ["application/json"]
    assert sorted(body["paths"]) == sorted(f"/{fn}" for fn in COPILOT_TOOLS)
    for path, operations in body["paths"].items():
        assert operations["post"]["x-amazon-apigateway-integration"]["requestParameters"] == TENANT_HEADER_MAPPING
        assert operations["options"]["x-amazon-apigateway-integration"]["requestParameters"] == PREFLIGHT_MAPPING
    # The stage and deployment SAM generates for it share its condition.
    generated = [k for k, r in out.items() if k.startswith("CopilotTenantApi") and k != "CopilotTenantApi"]
    assert generated and all(out[k].get("Condition") == "TenantIsolated" for k in generated)
    plain = out["CopilotApi"]["Properties"]["Body"]
    assert "X-Amz-Tenant-Id" not in json.dumps(plain)


def terraform_variables(directory=TERRAFORM):
    import hcl2
    variables = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as f:
            for block in hcl2.load(f).get("variable", []):
                variables.update(block)
    return variables


def test_tenant_isolation_in_terraform():
    """var.tenant_isolation (false by default) sets LAMBDA_TENANT_MATCH on the copilot tools and maps X-Tenant-Id to
    X-Amz-Tenant-Id on their REST API; the functions' tenancy_config (hashicorp/aws >= 6.23) comes with the override
    example, and a plan with tenant_isolation but without it fails its precondition (test_terraform_moto runs it)."""
    import hcl2
    variable = terraform_variables()["tenant_isolation"]
    assert (_hcl_value(variable["type"]), _hcl_value(variable["default"])) == ("${bool}", False)
    locals_ = {}
    with (TERRAFORM / "main.tf").open() as f:
        for block in hcl2.load(f)["locals"]:
            locals_.update({k: _hcl_value(v) for k, v in block.items()})
    assert locals_["copilot_env"]["LAMBDA_TENANT_MATCH"] == '${var.tenant_isolation ? "required" : "off"}'
    for name in ("participants_env", "intent_env", "export_env", "enrichment_env", "retention_env", "common_env"):
        assert "LAMBDA_TENANT_MATCH" not in locals_[name], name
    assert locals_["tenancy_config_supported"] is False
    assert {fn for fn, f in locals_["functions"].items() if _hcl_value(f["environment"]) == "${local.copilot_env}"} == \
        set(COPILOT_TOOLS) == {fn for fn, f in locals_["functions"].items() if _hcl_value(f["api"]) == "rest"}
    resources = terraform_resources()
    lam = resources[("aws_lambda_function", "fn")]
    precondition = _hcl_value(_hcl_value(lam["lifecycle"])["precondition"])
    assert _hcl_value(precondition["condition"]) == "${!var.tenant_isolation || local.tenancy_config_supported}"
    assert "tenancy_config" not in lam and "tenancy_config" not in json.dumps(lam.get("dynamic", []))
    def flat(expression):
        """An expression without quotes, backslashes and blanks (python-hcl2 renders nested objects its own way)."""
        return re.sub(r"[\s'\"\\]", "", _hcl_value(expression))

    integration = resources[("aws_api_gateway_integration", "tool")]
    assert flat(integration["request_parameters"]) == (
        "${!var.tenant_isolation?{}:{integration.request.header.X-Amz-Tenant-Id:${split(,each.key)[0]==POST?"
        "method.request.header.X-Tenant-Id:cors-preflight}}}"), flat(integration["request_parameters"])
    method = resources[("aws_api_gateway_method", "tool")]
    assert flat(method["request_parameters"]) == \
        "${var.tenant_isolation&&split(,each.key)[0]==POST?{method.request.header.X-Tenant-Id:True}:{}}"
    assert flat(method["request_validator_id"]) == \
        "${var.tenant_isolation&&split(,each.key)[0]==POST?aws_api_gateway_request_validator.tenant[0].id:None}"
    validator = resources[("aws_api_gateway_request_validator", "tenant")]
    assert _hcl_value(validator["count"]) == "${var.tenant_isolation ? 1 : 0}"
    assert _hcl_value(validator["validate_request_parameters"]) is True
    # A changed mapping redeploys the stage.
    triggers = _hcl_value(_hcl_value(resources[("aws_api_gateway_deployment", "copilot")]["triggers"])["redeployment"])
    assert "i.request_parameters" in triggers and "m.request_parameters" in triggers, triggers

    # The override example: provider >= 6.23, tenancy_config PER_TENANT on the REST (copilot) functions only.
    with (TERRAFORM / "tenant_isolation_override.tf.example").open() as f:
        override = hcl2.load(f)
    aws = _hcl_value(_hcl_value(_hcl_value(override["terraform"])["required_providers"])["aws"])
    assert aws == {"source": "hashicorp/aws", "version": ">= 6.23, < 7.0"}
    assert _hcl_value(_hcl_value(override["locals"])["tenancy_config_supported"]) is True
    fn = _hcl_value(_hcl_value(override["resource"])["aws_lambda_function"])["fn"]
    assert set(fn) - {"__start_line__", "__end_line__"} == {"dynamic"}
    block = _hcl_value(_hcl_value(fn["dynamic"])["tenancy_config"])
    assert _hcl_value(block["for_each"]) == '${var.tenant_isolation && each.value.api == "rest" ? [1] : []}'
    assert _hcl_value(_hcl_value(block["content"])["tenant_isolation_mode"]) == "PER_TENANT"
