"""A whole run of the end-to-end suite fails when an operation of docs/openapi.yaml is reached by no test (conftest's
`pytest_sessionfinish`); a partial run (one file, `-k`) only reports. Checked on the pieces and on a real pytest run."""
import os
import subprocess

import conftest
import openapi_check
from conftest import ROOT

HERE = ROOT / "Tests" / "e2e"
ALL_MODULES = {p.name for p in HERE.glob("test_*.py")}


def test_unreached_lists_exactly_the_operations_not_seen():
    operations = sorted(op.operation_id for op in openapi_check.document().operations)
    assert len(operations) > 10
    assert openapi_check.unreached({op: 1 for op in operations}) == []
    assert openapi_check.unreached({op: 1 for op in operations if op != "scoreIntent"}) == ["scoreIntent"]
    # Responses validated against the generic envelope reach no operation.
    assert openapi_check.unreached({"generic": 40}) == operations


def test_a_whole_run_is_every_module_with_nothing_deselected():
    assert conftest.is_whole_run(ALL_MODULES, 0)
    # make test runs the Terraform module apart from the rest.
    assert conftest.is_whole_run(ALL_MODULES - {"test_terraform_moto.py"}, 0)
    assert not conftest.is_whole_run(ALL_MODULES - {"test_events.py"}, 0)
    assert not conftest.is_whole_run(ALL_MODULES, 3)  # -k, -m or --deselect
    assert not conftest.is_whole_run({"test_openapi_coverage.py"}, 0)
    assert conftest.is_whole_run({"test_openapi_coverage.py"}, 0, "require")
    assert not conftest.is_whole_run(ALL_MODULES, 0, "off")


def run_pytest(env_extra):
    """This module's first test alone, in a pytest of its own: (exit status, output)."""
    env = {k: v for k, v in os.environ.items() if k != "WARDEN_OPENAPI_COVERAGE"}
    env.update(env_extra)
    out = subprocess.run(
        ["python3", "-m", "pytest", f"{HERE / 'test_openapi_coverage.py'}::test_unreached_lists_exactly_the_operations_not_seen",
         "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return out.returncode, out.stdout + out.stderr


def test_a_run_that_counts_as_whole_fails_with_the_unreached_operations():
    # The test passes, but nothing was validated against the document: as a whole run, that is a failure.
    code, output = run_pytest({"WARDEN_OPENAPI_COVERAGE": "require"})
    assert code == 1, output[-3000:]
    assert "1 passed" in output and "openapi: FAILED: " in output, output[-3000:]
    assert "scoreIntent" in output and "exportParticipants" in output


def test_a_partial_run_only_reports():
    code, output = run_pytest({})
    assert code == 0, output[-3000:]
    assert "1 passed" in output and "openapi: FAILED" not in output
