"""`warden new NAME` (Sources/warden/NewCommand.swift) scaffolds a copilot tool in every place one must exist.

Each test works on a copy of the repository (its files as git sees them, uncommitted changes included; no .build, no
dist, the static dependencies linked from .deps), never on the repository itself. In a copy, `warden new demo_tool`:
- creates the tool's logic, function, events, unit test and end-to-end test, and inserts the tool into Package.swift,
  the SAM template and its Makefile, the Terraform, docs/openapi.yaml, the copilot tool lists of the consistency tests
  and `warden call`, and regenerates fuzz/corpus — and touches no other file;
- leaves the copy's own checks passing: swift-format lint, test_templates.py (sam validate --lint, cfn-lint, checkov,
  terraform fmt and validate, SAM/Terraform parity, tenant isolation), test_openapi.py's checks of the document, the
  sample events' expectations and the fuzz corpus (a test that fails here passes only if it fails without the
  scaffold too, in the repository itself: then the failure is not the scaffold's);
- yields a product that builds from an empty scratch directory (`swift build --product demo_tool`, measured: about
  20-60 s on two cores, so a real build rather than `swiftc -typecheck`), a unit test that compiles, and an end-to-end
  test (the generated Tests/e2e/test_demo_tool.py, run in the copy) that passes against that build through
  `warden gateway` and this run's PostgreSQL;
and refuses, changing no file, a bad name, an existing tool (a second run), a name whose Swift type is taken, a
missing anchor, and a template that names calculate_health where `warden new` does not know how to follow."""
import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import E2E_DATABASE, ROOT, WARDEN, pg_superuser

SWIFT_PATH = f"/opt/swift/usr/bin:{os.environ.get('PATH', '')}"
NAME, TYPE = "demo_tool", "DemoTool"
REFERENCE_EVENTS = sorted(p.name for p in (ROOT / "events" / "calculate_health").glob("*.json"))
# Where the new tool must appear, as `warden new` reports it.
CREATED = {f"Sources/Copilot/{TYPE}.swift", f"functions/{NAME}/main.swift", f"functions/{NAME}/README.md",
           f"Tests/CopilotTests/{TYPE}Tests.swift", f"Tests/e2e/test_{NAME}.py",
           *(f"events/{NAME}/{e}" for e in REFERENCE_EVENTS)}
EDITED = {"Package.swift", "template/template.yaml", "template/Makefile", "template/terraform/main.tf",
          "docs/openapi.yaml", "Tests/e2e/test_templates.py", "Tests/e2e/test_events.py", "Tests/e2e/test_openapi.py",
          "Sources/warden/CallCommand.swift", "Sources/CopilotMCP/CopilotMCPTools.swift"}
# The copy's consistency checks that need no packaged bootstrap and no database.
CONSISTENCY = ["Tests/e2e/test_templates.py", "Tests/e2e/test_openapi.py",
               "Tests/e2e/test_events.py::test_every_event_has_an_expectation",
               "Tests/e2e/test_fuzz.py::test_the_committed_corpus_is_exactly_its_generators_output"]
NEEDS_BINARIES = ["Tests/e2e/test_templates.py::test_sam_build_produces_the_packaged_static_bootstraps",
                  "Tests/e2e/test_openapi.py::test_real_replies_validate_and_a_mutated_one_does_not",
                  "Tests/e2e/test_openapi.py::test_the_emulator_hook_fails_the_call_on_a_mismatch"]


def copy_repository(dest):
    """The repository's files as git sees them (tracked and untracked, not ignored) under `dest`, with .deps linked
    and Package.resolved (ignored, but it pins the dependencies) copied."""
    dest.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout
    for name in {n.decode() for n in listed.split(b"\0") if n}:
        src = ROOT / name
        if src.is_file() and not src.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".deps").symlink_to((ROOT / ".deps").resolve())
    if (ROOT / "Package.resolved").exists():
        shutil.copy2(ROOT / "Package.resolved", dest / "Package.resolved")
    return dest


def tree(root):
    """{relative path: sha256} of every file under `root` but build products, links and bytecode."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".build", "dist", ".deps", "__pycache__", ".local")]
        for f in filenames:
            path = os.path.join(dirpath, f)
            if not os.path.islink(path):
                out[os.path.relpath(path, root)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def warden_new(root, *args):
    return subprocess.run([str(WARDEN), "new", *args, "--root", str(root)], capture_output=True, text=True, timeout=120)


def inner_env(**extra):
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PATH": SWIFT_PATH, **extra}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A copy of the repository without the new tool: its file hashes."""
    root = copy_repository(tmp_path_factory.mktemp("pristine"))
    return root, tree(root)


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    """A copy of the repository in which `warden new demo_tool` ran: (root, hashes before, its output)."""
    root = copy_repository(tmp_path_factory.mktemp("scaffolded"))
    before = tree(root)
    out = warden_new(root, NAME)
    assert out.returncode == 0, out.stdout + out.stderr
    return root, before, out.stdout


def test_every_place_gets_the_new_tool_and_nothing_else_changes(scaffolded):
    root, before, printed = scaffolded
    after = tree(root)
    created = set(after) - set(before)
    corpus = {p for p in created if p.startswith("fuzz/corpus/")}
    assert created - corpus == CREATED
    assert corpus and all(f"{NAME}-" in p for p in corpus), sorted(corpus)  # events and routes of the fuzz targets
    assert {p for p in before if before[p] != after.get(p)} == EDITED
    for path in CREATED | EDITED:
        assert path in printed, f"warden new does not report {path}"

    # The logic, its function and its tests.
    source = (root / f"Sources/Copilot/{TYPE}.swift").read_text()
    assert f"public struct {TYPE}: CopilotTool" in source and f'public static let name = "{NAME}"' in source
    assert (root / f"functions/{NAME}/main.swift").read_text() == f"import Copilot\n\n{TYPE}.main({TYPE}())\n"
    assert f"{TYPE}.answer(for:" in (root / f"Tests/CopilotTests/{TYPE}Tests.swift").read_text()
    assert "GatewayProcess" in (root / f"Tests/e2e/test_{NAME}.py").read_text()
    for event in REFERENCE_EVENTS:
        reference = (root / "events" / "calculate_health" / event).read_text()
        assert (root / "events" / NAME / event).read_text() == reference.replace("calculate_health", NAME)

    # Package.swift: a product of its own, linking the Copilot library.
    package = (root / "Package.swift").read_text()
    for array in ("toolFunctions", "copilotTools"):
        listed = re.search(r"let " + array + r" = \[(.*?)\]", package, re.S).group(1)
        assert f'"{NAME}"' in listed, array

    # SAM: the function with its log group and REST API events, the tenant-isolation route and permission, the role.
    from test_templates import CfnLoader
    sam = yaml.load((root / "template/template.yaml").read_text(), Loader=CfnLoader)
    resources = sam["Resources"]
    fn = resources[f"{TYPE}Function"]["Properties"]
    assert fn["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{NAME}"}
    assert fn["LoggingConfig"]["LogGroup"] == {"Ref": f"{TYPE}LogGroup"}
    assert {(e["Type"], e["Properties"]["Method"], e["Properties"]["Path"]) for e in fn["Events"].values()} == \
        {("Api", "post", f"/{NAME}"), ("Api", "options", f"/{NAME}")}
    assert resources[f"{TYPE}LogGroup"]["Type"] == "AWS::Logs::LogGroup"
    assert resources[f"{TYPE}TenantApiPermission"]["Properties"]["FunctionName"] == {"Ref": f"{TYPE}Function"}
    assert f"/{NAME}" in resources["CopilotTenantApi"]["Properties"]["DefinitionBody"]["paths"]
    logs = resources["CopilotFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"]
    assert {"Fn::GetAtt": f"{TYPE}LogGroup.Arn"} in logs
    makefile = (root / "template/Makefile").read_text()
    assert f"$(eval $(call warden_function,{TYPE}Function,{NAME}))" in makefile.splitlines()

    # Terraform: the function and both routes.
    from test_templates import terraform_model
    model = terraform_model(root / "template" / "terraform")
    assert sorted(model[NAME]["routes"]) == [("rest", "OPTIONS", f"/{NAME}"), ("rest", "POST", f"/{NAME}")]

    # OpenAPI: the tag, both operations of /NAME served by the function, its reply, envelope and data schema.
    doc = yaml.safe_load((root / "docs/openapi.yaml").read_text())
    assert NAME in [t["name"] for t in doc["tags"]]
    path = doc["paths"][f"/{NAME}"]
    assert (path["post"]["x-warden-function"], path["options"]["x-warden-function"]) == (NAME, NAME)
    assert path["post"]["responses"]["200"] == {"$ref": f"#/components/responses/{TYPE}Reply"}
    assert doc["components"]["schemas"][f"{TYPE}Envelope"]["properties"]["data"] == {"$ref": f"#/components/schemas/{TYPE}"}
    assert set(doc["components"]["schemas"][TYPE]["required"]) == {"companyName", "missingData"}

    # MCP: the tool's definition (its output schema is the document's), served by the mcp function.
    match = re.search(r'outputSchema: #"""\n(.*?)\n\s*"""#', source, re.S)
    assert match and f"public static let definition = CopilotToolDefinition(" in source
    schema = json.loads(re.sub(r'\\#\n\s*', "", match.group(1)))
    assert schema == doc["components"]["schemas"][TYPE]
    tools = (root / "Sources/CopilotMCP/CopilotMCPTools.swift").read_text()
    assert f"try make({TYPE}(), {TYPE}.definition)," in tools


@pytest.mark.timeout(900, method="signal")
def test_the_copys_own_consistency_checks_pass_with_the_new_tool(scaffolded):
    root, _, _ = scaffolded
    lint = subprocess.run(["bash", "scripts/lint.sh"], cwd=root, capture_output=True, text=True, timeout=600,
                          env=inner_env())
    assert lint.returncode == 0, (lint.stdout + lint.stderr)[-3000:]
    args = ["python3", "-m", "pytest", *CONSISTENCY, "-q", "-p", "no:cacheprovider", "-rf",
            *(f"--deselect={d}" for d in NEEDS_BINARIES)]
    run = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=1200, env=inner_env())
    failed = sorted(set(re.findall(r"^FAILED (.+?)(?: - .*)?$", run.stdout, re.M)))
    assert run.returncode in (0, 1) and (failed or run.returncode == 0), run.stdout[-4000:] + run.stderr[-2000:]
    if failed:
        # The same tests on the repository itself (no scaffold): a failure there too is not the scaffold's.
        again = subprocess.run(["python3", "-m", "pytest", *failed, "-q", "-p", "no:cacheprovider", "-rf"], cwd=ROOT,
                               capture_output=True, text=True, timeout=1200, env=inner_env())
        failing_anyway = set(re.findall(r"^FAILED (.+?)(?: - .*)?$", again.stdout, re.M))
        assert set(failed) <= failing_anyway, (
            f"fail only with the scaffold: {sorted(set(failed) - failing_anyway)}\n" + run.stdout[-4000:])
        print(f"failing without the scaffold too (not the scaffold's): {failed}")


@pytest.mark.timeout(1200, method="signal")
def test_the_new_product_builds_from_scratch_and_its_generated_test_passes(scaffolded, database_url, tmp_path):
    root, _, _ = scaffolded
    scratch = tmp_path / "scratch"
    for what in (["--product", NAME], ["--target", "CopilotTests"]):
        build = subprocess.run(["nice", "-n", "10", "swift", "build", *what, "--scratch-path", str(scratch)], cwd=root,
                               capture_output=True, text=True, timeout=1100, env=inner_env())
        assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]

    # The generated end-to-end test, in the copy: its bootstrap is the build above, the gateway this run's warden.
    (root / "dist" / NAME).mkdir(parents=True)
    (root / "dist" / NAME / "bootstrap").symlink_to(scratch / "debug" / NAME)
    (root / ".build" / "debug").mkdir(parents=True)
    (root / ".build" / "debug" / "warden").symlink_to(WARDEN)
    database = f"{E2E_DATABASE}_wn"
    pg_dir = os.environ.get("WARDEN_PG_DIR", str(ROOT / ".local" / "pg"))
    try:
        run = subprocess.run(["python3", "-m", "pytest", f"Tests/e2e/test_{NAME}.py", "-q", "-p", "no:cacheprovider"],
                             cwd=root, capture_output=True, text=True, timeout=600,
                             env=inner_env(WARDEN_PG_DIR=pg_dir, WARDEN_E2E_DATABASE=database))
    finally:
        pg_superuser(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    assert run.returncode == 0 and " passed" in run.stdout, run.stdout[-4000:] + run.stderr[-2000:]
    print(f"Tests/e2e/test_{NAME}.py in the copy: {run.stdout.strip().splitlines()[-1]}")


REFUSED_NAMES = [
    ("Demo", "invalid tool name"), ("ab", "invalid tool name"), ("9lives", "invalid tool name"),
    ("demo-tool", "invalid tool name"), ("x" * 42, "invalid tool name"), ("demo__tool", "no \"__\""),
    ("demo_", "trailing"), ("calculate_health", "exists"), ("customer_snapshot", "Swift type named CustomerSnapshot"),
    ("string", "Swift type named String"), ("templates", "Tests/e2e/test_templates.py"), ("copilot", "Sources/Copilot"),
]


@pytest.mark.parametrize("name,why", REFUSED_NAMES, ids=[n for n, _ in REFUSED_NAMES])
def test_a_bad_or_taken_name_changes_nothing(pristine, name, why):
    root, hashes = pristine
    out = warden_new(root, name)
    assert out.returncode == 1 and why in out.stderr and "Nothing was changed." in out.stderr, out.stderr
    assert tree(root) == hashes


def test_a_second_run_refuses_and_changes_nothing(scaffolded):
    root, _, _ = scaffolded
    before = tree(root)
    out = warden_new(root, NAME)
    assert out.returncode == 1 and f"the tool {NAME} exists" in out.stderr and "Nothing was changed." in out.stderr
    assert tree(root) == before


def test_dry_run_lists_the_changes_and_makes_none(pristine):
    root, hashes = pristine
    out = warden_new(root, "dry_run_tool", "--dry-run")
    assert out.returncode == 0 and "dry run, nothing was changed" in out.stdout, out.stdout + out.stderr
    assert "create functions/dry_run_tool/main.swift" in out.stdout and "edit   docs/openapi.yaml" in out.stdout
    assert tree(root) == hashes


@pytest.mark.parametrize("path,change,why", [
    # A missing anchor: the tool could not get its tenant-isolation permission.
    ("template/template.yaml", lambda t: t.replace("  CalculateHealthTenantApiPermission:", "  CalculateHealthPermission:"),
     "the resource CalculateHealthTenantApiPermission is missing"),
    ("Package.swift", lambda t: t.replace("let copilotTools = [", "let copilotFunctions = ["), "let copilotTools = ["),
    ("docs/openapi.yaml", lambda t: t.replace("  /calculate_health:", "  /calculate_health_v1:"), "/calculate_health:"),
    # A per-tool place `warden new` does not know: it names the line rather than leave the new tool out of it.
    ("template/terraform/main.tf", lambda t: t.replace("  functions = {", "  # calculate_health stays warm\n  functions = {"),
     "does not know how to extend"),
    ("template/template.yaml", lambda t: t + "  # calculate_health's alarm goes here\n", "does not know how to extend"),
], ids=["sam-anchor", "package-anchor", "openapi-anchor", "terraform-unknown-place", "sam-unknown-place"])
def test_a_missing_anchor_or_an_unknown_place_changes_nothing(tmp_path, path, change, why):
    root = copy_repository(tmp_path / "repo")
    target = root / path
    target.write_text(change(target.read_text()))
    hashes = tree(root)
    out = warden_new(root, NAME)
    assert out.returncode == 1 and why in out.stderr and "Nothing was changed." in out.stderr, out.stderr
    assert tree(root) == hashes
