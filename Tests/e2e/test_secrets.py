"""Secrets from SSM Parameter Store and Secrets Manager, through a real function binary, against moto_server on
127.0.0.1 with SigV4 authentication enforced. Every test has a moto_server process of its own (its IAM users,
parameters and secrets are nobody else's), so the tests run in any order. Rotation under load, for every function
kind, is in test_rotation.py."""
import json
import time

import boto3
import pytest

from conftest import ROOT, Emulator, MotoServer, rest_event, sign

BOOTSTRAP = ROOT / "dist" / "calculate_health" / "bootstrap"
HMAC_PARAM = "/copilot/hmac/v1"
DB_PARAM = "/warden/database-url"
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "ssm:GetParameter", "secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}]}
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


class Moto(MotoServer):
    """moto_server in a process of its own: its state (IAM users, parameters, secrets) belongs to whoever started it.

    SigV4 signatures and IAM policies are enforced from its fourth request on (`INITIAL_NO_AUTH_ACTION_COUNT=3`): the
    first three create an administrator, whose key signs every setup call (`client`); the functions get `keys`, a
    user that may only read parameters and secrets. Nothing ever turns authentication off again."""

    def __init__(self):
        super().__init__(env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"}, start_timeout=30)
        self.server = self  # what callers of the former in-process server stop (`moto.server.stop()`)
        try:
            iam = self._client("iam", "setup", "setup")
            iam.create_user(UserName="admin")
            iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(EVERYTHING))
            admin = iam.create_access_key(UserName="admin")["AccessKey"]
            self.admin_keys = (admin["AccessKeyId"], admin["SecretAccessKey"])
            iam = self.client("iam")
            iam.create_user(UserName="warden-fn")
            iam.put_user_policy(UserName="warden-fn", PolicyName="read", PolicyDocument=json.dumps(READ))
            self.keys = iam.create_access_key(UserName="warden-fn")["AccessKey"]
        except BaseException:
            self.stop()
            raise

    def _client(self, service, key_id, secret):
        return boto3.client(service, region_name="us-east-1", endpoint_url=self.url,
                            aws_access_key_id=key_id, aws_secret_access_key=secret)

    def client(self, service):
        """A client signing with the administrator's key."""
        return self._client(service, *self.admin_keys)

    def admin(self, fn):
        """Runs a setup call (kept for callers written when setup needed authentication switched off)."""
        return fn()

    def function_env(self, secret_key=None, **extra):
        env = {"AWS_ACCESS_KEY_ID": self.keys["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": secret_key or self.keys["SecretAccessKey"],
               "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.url, "HMAC_SECRET": "", "DATABASE_URL": ""}
        env.update(extra)
        return env


@pytest.fixture
def moto():
    m = Moto()
    yield m
    m.stop()


@pytest.fixture
def secrets(moto, function_url):
    ssm = moto.client("ssm")
    ssm.put_parameter(Name=HMAC_PARAM, Value="ssm-hmac-v1", Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name=DB_PARAM, Value=function_url, Type="SecureString", Overwrite=True)
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
    arn = sm.create_secret(Name="warden/db", SecretString=json.dumps(rds))["ARN"]
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env=moto.function_env(DATABASE_SECRET_ARN=arn))
    try:
        # RDS secrets carry no sslmode: the URL gets sslmode=require, which our local server without TLS refuses.
        resp = signed_call(e, "ssm-hmac-v1")
        body = json.loads(resp["body"])
        assert resp["statusCode"] == 500 and body["error"]["code"] == "TOOL_FAILURE"
        assert u.password not in e.output()
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps({**rds, "sslmode": "disable"}))
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


@pytest.mark.parametrize("ttl", ["5m", "-1", "315360001"])
def test_an_invalid_secrets_ttl_fails_initialization(moto, secrets, tmp_path, ttl):
    """A TTL that is not a whole number of seconds (0 to ten years) is refused at init: it never silently becomes the
    default of 300 s, and the function fetches no secret with it."""
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env=moto.function_env(DATABASE_URL_PARAM_NAME=DB_PARAM, SECRETS_TTL_SECONDS=ttl))
    try:
        _, _, out = e.invoke(rest_event("calculate_health", "{}", {}))
        err = json.loads(out)
        assert err["errorType"] == "Runtime.ConfigurationError", err
        assert err["errorMessage"] == "Configuration error: SECRETS_TTL_SECONDS must be a whole number from 0 to 315360000"
    finally:
        e.stop()


def test_a_rotated_hmac_secret_is_picked_up_after_the_ttl(moto, secrets, tmp_path):
    """The cached HMAC secret is refetched once its TTL has run out: polled with a deadline, the new one starts to
    verify, and from then on the old one never does. (That the cached value holds *within* the TTL is shown with a
    test clock in Tests/SecretsTests/MotoSecretsTests.swift.)"""
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env=moto.function_env(DATABASE_URL_PARAM_NAME=DB_PARAM, SECRETS_TTL_SECONDS="1"))
    try:
        assert json.loads(signed_call(e, "ssm-hmac-v1")["body"])["ok"] is True
        secrets.put_parameter(Name=HMAC_PARAM, Value="ssm-hmac-v2", Type="SecureString", Overwrite=True)
        deadline = time.monotonic() + 60
        while signed_call(e, "ssm-hmac-v2")["statusCode"] != 200:
            assert time.monotonic() < deadline, "the rotated HMAC secret was not picked up"
        assert signed_call(e, "ssm-hmac-v1")["statusCode"] == 401
        assert json.loads(signed_call(e, "ssm-hmac-v2")["body"])["ok"] is True
        log = e.output()
        for value in ("ssm-hmac-v1", "ssm-hmac-v2", "warden-app-local-password"):
            assert value not in log
    finally:
        e.stop()
