#!/usr/bin/env bash
# Installs what the build and the tests need when it is missing (Debian packages and PyPI), quietly.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need_apt=()
for pkg in build-essential zip unzip advancecomp file openssl dnsmasq-base binutils libssl-dev zlib1g-dev libc-ares-dev postgresql-15 postgresql-client-15 python3-pip util-linux; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "tools: apt-get install ${need_apt[*]}"
    apt-get install -y -q "${need_apt[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q "${need_apt[@]}" >/dev/null; }
fi
py=python3
need_pip=()
# docs/openapi.yaml: PyYAML and openapi-spec-validator for the document's checks, schemathesis 4 (its CLI and
# auth API changed from 3.x; `schemathesis.engine` exists from 4.0 on) for Tests/e2e/test_schemathesis.py.
# template/ (Tests/e2e/test_templates.py): sam (aws-sam-cli), cfn-lint, checkov and python-hcl2; sam and checkov are
# large, installed once (the import check keeps this idempotent). Terraform itself is not on PyPI: the test fails
# clearly when `terraform` or /opt/tf-plugins is missing. pytest-timeout gives every end-to-end test its time limit
# (Tests/e2e/conftest.py refuses to run without it).
for mod in pytest:pytest pytest_timeout:pytest-timeout awslambdaric:awslambdaric pg8000:pg8000 jsonschema:jsonschema moto.server:moto[server] boto3:boto3 \
           yaml:pyyaml requests:requests openapi_spec_validator:openapi-spec-validator 'schemathesis.engine:schemathesis>=4,<5' \
           samcli:aws-sam-cli cfnlint:cfn-lint checkov:checkov hcl2:python-hcl2 'mcp.client._probe:mcp>=2.3,<3'; do
    "$py" -c "import ${mod%%:*}" >/dev/null 2>&1 || need_pip+=("${mod##*:}")
done
if [ ${#need_pip[@]} -gt 0 ]; then
    echo "tools: pip install ${need_pip[*]}"
    "$py" -m pip install -q --disable-pip-version-check "${need_pip[@]}" 2>&1 | grep -vi 'running pip as the' || true
fi
