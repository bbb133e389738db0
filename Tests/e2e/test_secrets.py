"""Secrets from SSM Parameter Store and Secrets Manager, through a real function binary, against moto_server on
127.0.0.1 with SigV4 authentication enforced."""
import json
import logging
import time

import boto3
import pytest
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.server import ThreadedMotoServer

from conftest import ROOT, Emulator, rest_event, sign

BOOTSTRAP = ROOT / "dist" / "calculate_health" / "bootstrap"
HMAC_PARAM = "/copilot/hmac/v1"
DB_PARAM = "/warden/database-url"
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "ssm:GetParameter", "secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}]}


class Moto:
    def __init__(self):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.url = "http://127.0.0.1:%d" % self.server.get_host_and_port()[1]
        iam = self.client("iam")
        iam.create_user(UserName="warden-fn")
        iam.put_user_policy(UserName="warden-fn", PolicyName="read", PolicyDocument=json.dumps(READ))
        self.keys = iam.create_access_key(UserName="warden-fn")["AccessKey"]
        self.enforce()

    def client(self, service):
        return boto3.client(service, region_name="us-east-1", endpoint_url=self.url,
                            aws_access_key_id="setup", aws_secret_access_key="setup")

    def enforce(self):
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0

    def admin(self, fn):
        settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        try:
            return fn()
        finally:
            self.enforce()

    def function_env(self, secret_key=None, **extra):
        env = {"AWS_ACCESS_KEY_ID": self.keys["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": secret_key or self.keys["SecretAccessKey"],
               "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.url, "HMAC_SECRET": "", "DATABASE_URL": ""}
        env.update(extra)
        return env


@pytest.fixture(scope="module")
def moto():
    m = Moto()
    yield m
    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    m.server.stop()


@pytest.fixture
def secrets(moto, function_url):
    ssm = moto.client("ssm")
    moto.admin(lambda: ssm.put_parameter(Name=HMAC_PARAM, Value="ssm-hmac-v1", Type="SecureString", Overwrite=True))
    moto.admin(lambda: ssm.put_parameter(Name=DB_PARAM, Value=function_url, Type="SecureString", Overwrite=True))
    return ssm


def signed_call(e, secret, customer="secrets-co"):
    body = json.dumps({"customerId": customer})
    _, _, out = e.invoke(rest_event("calculate_health", body, sign(body, secret=secret)))
    return json.loads(out)


def test_secrets_from_ssm_with_the_right_keys(moto, secrets, tmp_path):
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env=moto.function_env(DATABASE_URL_PARAM_NAME=DB_PARAM))
    try:
        resp = signed_call(e, "ssm-hmac-v1")
        assert resp["statusCode"] == 200 and json.loads(resp["body"])["ok"] is True
        assert signed_call(e, "some-other-secret")["statusCode"] == 401
        assert "ssm-hmac-v1" not in e.output() and "warden-app-local-password" not in e.output()
    finally:
        e.stop()


def test_database_url_from_secrets_manager_rds_json(moto, secrets, function_url, tmp_path):
    from urllib.parse import urlparse
    u = urlparse(function_url)
    rds = {"username": u.username, "password": u.password, "host": u.hostname, "port": str(u.port),
           "dbname": u.path.lstrip("/"), "engine": "postgres"}
    sm = moto.client("secretsmanager")
    arn = moto.admin(lambda: sm.create_secret(Name=f"warden/db-{time.time_ns()}", SecretString=json.dumps(rds))["ARN"])
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env=moto.function_env(DATABASE_SECRET_ARN=arn))
    try:
        # RDS secrets carry no sslmode: the URL gets sslmode=require, which our local server without TLS refuses.
        resp = signed_call(e, "ssm-hmac-v1")
        body = json.loads(resp["body"])
        assert resp["statusCode"] == 500 and body["error"]["code"] == "TOOL_FAILURE"
        assert u.password not in e.output()
        moto.admin(lambda: sm.put_secret_value(SecretId=arn, SecretString=json.dumps({**rds, "sslmode": "disable"})))
    finally:
        e.stop()
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health", env=moto.function_env(DATABASE_SECRET_ARN=arn))
    try:
        assert json.loads(signed_call(e, "ssm-hmac-v1")["body"])["ok"] is True
        assert u.password not in e.output()
    finally:
        e.stop()


def test_wrong_keys_give_a_clear_init_error(moto, secrets, tmp_path):
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env=moto.function_env(secret_key="not-the-secret-key", DATABASE_URL_PARAM_NAME=DB_PARAM))
    try:
        status, headers, out = e.invoke(rest_event("calculate_health", "{}", {}))
        err = json.loads(out)
        assert err["errorType"] == "Runtime.ConfigurationError"
        assert "access denied" in err["errorMessage"] and HMAC_PARAM in err["errorMessage"]
        assert "not-the-secret-key" not in e.output()
    finally:
        e.stop()


def test_a_rotated_secret_is_picked_up_after_the_ttl(moto, secrets, tmp_path):
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env=moto.function_env(DATABASE_URL_PARAM_NAME=DB_PARAM, SECRETS_TTL_SECONDS="2"))
    try:
        assert json.loads(signed_call(e, "ssm-hmac-v1")["body"])["ok"] is True
        moto.admin(lambda: secrets.put_parameter(Name=HMAC_PARAM, Value="ssm-hmac-v2", Type="SecureString", Overwrite=True))
        # Within the TTL the cached secret still applies.
        assert json.loads(signed_call(e, "ssm-hmac-v1")["body"])["ok"] is True
        time.sleep(2.2)
        assert signed_call(e, "ssm-hmac-v1")["statusCode"] == 401
        assert json.loads(signed_call(e, "ssm-hmac-v2")["body"])["ok"] is True
        log = e.output()
        for value in ("ssm-hmac-v1", "ssm-hmac-v2", "warden-app-local-password"):
            assert value not in log
    finally:
        e.stop()
