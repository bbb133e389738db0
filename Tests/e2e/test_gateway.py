"""`warden gateway`: the local API Gateway built from a SAM template.

Two kinds of checks:
- through the real packaged functions (dist/<function>/bootstrap) of template/template.yaml and a real Postgres:
  every route of the template answers through the gateway (unsigned → the function's 401 envelope, changing nothing),
  a signed copilot call and a JWT participant call answer 200, the streamed export arrives whole;
- event-level checks against a test template written here, whose functions are Tests/e2e/fixtures/echo_runtime.py
  (a Python function speaking the Runtime API that echoes its event, or answers what the request tells it to): REST
  v1 and HTTP v2 events field by field, multi-value headers and query strings, path parameters, base64 bodies both
  ways, cookies and multiValueHeaders mapping, 2.0 inference, unknown routes, crashes, timeouts, warm processes, CORS,
  the template's environment, and the structure of `sam local generate-event`'s events.
"""
import base64
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import (HANG_GUARD, ROOT, SECRET, GatewayProcess, hs256_token, http_request, sign, snapshot,
                      TENANT_TABLES, wait_for)

FIXTURES = Path(__file__).parent / "fixtures"
ECHO = FIXTURES / "echo_runtime.py"
STREAMER = FIXTURES / "stream_runtime.py"
JWT_SECRET = "gateway-e2e-jwt-secret-0123456789abcdef"
ORIGIN = "http://localhost:3000"
PARTICIPANT_TABLES = TENANT_TABLES + ["meeting_participants", "participant_enrichment_history"]


# --------------------------------------------------------------------------------------------------- plumbing
def Gateway(tmp_path, args, env=None, name="gateway", url_port=None):
    """`warden gateway` with `args`, its log in `tmp_path`."""
    return GatewayProcess(Path(tmp_path) / f"{name}-{uuid.uuid4().hex[:8]}.log", args, env=env, url_port=url_port)


def request(port, method, target, headers=(), body=b"", timeout=30):
    """One HTTP/1.1 request with headers as a list (repeats kept). Returns (status, [(name, value)], body)."""
    return http_request(port, method, target, headers, body, timeout)


def header_values(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def echo(port, method, target, headers=(), body=b""):
    """The event the echo function received (and its pid), through the gateway."""
    status, out_headers, out = request(port, method, target, headers, body)
    assert status == 200, (status, out)
    return json.loads(out)


def raw_response(response):
    """Headers making the echo function answer `response` (a dict → its JSON, bytes → as they are)."""
    data = response if isinstance(response, bytes) else json.dumps(response).encode()
    return [("x-echo-mode", "raw"), ("x-echo-response", base64.b64encode(data).decode())]


def jwt(sub, secret=JWT_SECRET):
    return hs256_token(sub, secret)


class _CfnLoader(yaml.SafeLoader):
    """PyYAML with CloudFormation's short tags read as plain values (enough to list events)."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
    else loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else loader.construct_mapping(node)))


def template_routes(path=ROOT / "template" / "template.yaml"):
    """(function logical id, kind, method, path) of every Api / HttpApi event of a template."""
    doc = yaml.load(Path(path).read_text(), Loader=_CfnLoader)
    out = []
    for logical_id, resource in doc["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] in ("Api", "HttpApi"):
                out.append((logical_id, event["Type"], event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    return out


# ---------------------------------------------------------------------------------------- the echo template
ECHO_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: test}
  Greeting: {Type: String, Default: hello}
  EmptyByDefault: {Type: String, Default: ''}
Conditions:
  Greets: !Not [!Equals [!Ref Greeting, '']]
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Timeout: 5
    MemorySize: 192
    Environment:
      Variables:
        ECHO_GLOBAL: !Sub '${AWS::StackName}/${AWS::Region}/${AWS::AccountId}/${Stage}'
        ECHO_OVERRIDDEN: from-globals
Resources:
  EchoRest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      BinaryMediaTypes: ['image~1png', 'application~1octet-stream']
      Variables: {baz: qux}
  EchoHttp:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: v2
      StageVariables: {stageVariable1: value1, stageVariable2: value2}
      CorsConfiguration:
        AllowOrigins: ['https://app.example']
        AllowMethods: [GET, POST]
        AllowHeaders: [content-type, x-echo-mode]
        ExposeHeaders: [x-echo-exposed]
        MaxAge: 600
        AllowCredentials: true
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub '${AWS::StackName}-echo'
      CodeUri: .
      Environment:
        Variables:
          ECHO_OVERRIDDEN: from-function
          ECHO_IF: !If [Greets, !Ref Greeting, silent]
          ECHO_GETATT: !GetAtt EchoRest.RootResourceId
          ECHO_FROM_SHELL: !Ref EmptyByDefault
          ECHO_FROM_FILE: template
      Events:
        RestItem: {Type: Api, Properties: {RestApiId: !Ref EchoRest, Path: '/items/{id}', Method: get}}
        RestItems: {Type: Api, Properties: {RestApiId: !Ref EchoRest, Path: /items, Method: any}}
        RestProxy: {Type: Api, Properties: {RestApiId: !Ref EchoRest, Path: '/rest/{proxy+}', Method: any}}
        RestFixed: {Type: Api, Properties: {RestApiId: !Ref EchoRest, Path: /rest/fixed, Method: post}}
        HttpItemGet: {Type: HttpApi, Properties: {ApiId: !Ref EchoHttp, Path: '/h/{id}', Method: get}}
        HttpItemPost: {Type: HttpApi, Properties: {ApiId: !Ref EchoHttp, Path: '/h/{id}', Method: post}}
        HttpProxy: {Type: HttpApi, Properties: {ApiId: !Ref EchoHttp, Path: '/hp/{proxy+}', Method: any}}
        HttpSam: {Type: HttpApi, Properties: {ApiId: !Ref EchoHttp, Path: '/path/{parameter1}/resource', Method: post}}
        HttpV1: {Type: HttpApi, Properties: {ApiId: !Ref EchoHttp, Path: /v1style, Method: get, PayloadFormatVersion: '1.0'}}
        Tick: {Type: Schedule, Properties: {Schedule: 'rate(5 minutes)'}}
      FunctionUrlConfig:
        AuthType: NONE
        Cors: {AllowOrigins: ['https://url.example'], AllowMethods: [POST], AllowHeaders: [content-type], MaxAge: 60}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub '${AWS::StackName}-slow'
      CodeUri: .
      Timeout: 1
      Events:
        RestSlow: {Type: Api, Properties: {RestApiId: !Ref EchoRest, Path: /slow, Method: any}}
        HttpSlow: {Type: HttpApi, Properties: {ApiId: !Ref EchoHttp, Path: /slow, Method: any}}
  PatientFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Timeout: 20
      Events:
        RestPatient: {Type: Api, Properties: {RestApiId: !Ref EchoRest, Path: /patient, Method: any, TimeoutInMillis: 1000}}
        HttpPatient: {Type: HttpApi, Properties: {ApiId: !Ref EchoHttp, Path: /patient, Method: any, TimeoutInMillis: 1000}}
"""


def start_echo_gateway(tmp_path, extra_args=(), env=None, name="echo"):
    template = Path(tmp_path) / "template.yaml"
    template.write_text(ECHO_TEMPLATE)
    envvars = Path(tmp_path) / "env.json"
    envvars.write_text(json.dumps({"Parameters": {"ECHO_OVERRIDDEN": "from-env-vars-parameters"},
                                   "EchoFunction": {"ECHO_FROM_FILE": "from-env-vars-file", "NOT_DECLARED": "x"}}))
    args = ["--template", str(template), "--env-vars", str(envvars), "--stack-name", "gwtest", "--region", "eu-west-1",
            "--parameter-overrides", "Greeting=bonjour",
            "--bootstrap", f"echo={ECHO}", "--bootstrap", f"slow={ECHO}", "--bootstrap", f"PatientFunction={ECHO}",
            *extra_args]
    return Gateway(tmp_path, args, env=env or dict(os.environ, ECHO_FROM_SHELL="from-the-shell"), name=name)


@pytest.fixture(scope="module")
def echo_gateway(tmp_path_factory):
    gw = start_echo_gateway(tmp_path_factory.mktemp("echo-gateway"))
    yield gw
    gw.stop()


# ----------------------------------------------------------------------------------------- template reading
def test_banner_lists_routes_urls_schedules_and_unresolvable_values(echo_gateway):
    out = echo_gateway.output()
    assert f"REST API EchoRest, payload 1.0, stage test: http://127.0.0.1:{echo_gateway.port}/test" in out
    assert f"HTTP API EchoHttp, payload 2.0, stage v2: http://127.0.0.1:{echo_gateway.port}/v2" in out
    assert re.search(r"GET\s+/items/\{id\}\s+-> echo", out)
    assert re.search(r"ANY\s+/rest/\{proxy\+\}\s+-> echo", out)
    assert f"Function URL echo (BUFFERED): http://127.0.0.1:{echo_gateway.url_port}/" in out
    assert "scheduled, not served: echo rate(5 minutes)" in out
    assert "ECHO_GETATT" in out and "Fn::GetAtt EchoRest.RootResourceId only exists once deployed" in out
    assert "NOT_DECLARED: not declared by the function in the template, ignored" in out
    # The short name comes from FunctionName after ${AWS::StackName}-, else the logical id.
    assert re.search(r"ANY\s+/patient\s+-> PatientFunction", out)


def test_environment_timeout_and_memory_come_from_the_template(echo_gateway):
    env = echo(echo_gateway.port, "GET", "/test/items/1")["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "gwtest-echo"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "192"
    assert env["AWS_REGION"] == "eu-west-1"
    assert env["ECHO_GLOBAL"] == "gwtest/eu-west-1/123456789012/test"  # !Sub with pseudo parameters and a parameter
    assert env["ECHO_IF"] == "bonjour"  # !If on a condition, the parameter overridden
    assert env["ECHO_OVERRIDDEN"] == "from-env-vars-parameters"  # --env-vars Parameters over the function's value
    assert env["ECHO_FROM_FILE"] == "from-env-vars-file"  # --env-vars by logical id
    assert env["ECHO_GETATT"] == ""  # unresolvable → empty (with the warning above)
    assert env["ECHO_FROM_SHELL"] == "from-the-shell"  # empty in the template → the gateway's own value shows through


# --------------------------------------------------------------------------------------------------- REST v1
def test_rest_event_has_multi_value_headers_queries_path_parameters_and_stage(echo_gateway):
    port = echo_gateway.port
    sent_ms = int(time.time() * 1000)
    got = echo(port, "GET", "/test/items/a%20b%2Bc?x=1&x=2&flag&enc=a%26b",
               [("X-Multi", "one"), ("X-Multi", "two"), ("User-Agent", "gw-test/1.0"), ("X-Forwarded-For", "10.0.0.1")])
    e = got["event"]
    assert e["resource"] == "/items/{id}" and e["httpMethod"] == "GET"
    assert e["path"] == "/items/a%20b%2Bc"  # as received, without the stage
    assert e["pathParameters"] == {"id": "a b+c"}  # decoded
    assert e["headers"]["X-Multi"] == "two" and e["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert e["headers"]["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"
    assert e["headers"]["X-Forwarded-Port"] == str(port) and e["headers"]["X-Forwarded-Proto"] == "http"
    assert e["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert e["queryStringParameters"] == {"x": "2", "flag": "", "enc": "a&b"}
    assert e["multiValueQueryStringParameters"] == {"x": ["1", "2"], "flag": [""], "enc": ["a&b"]}
    assert e["stageVariables"] == {"baz": "qux"}
    assert e["body"] is None and e["isBase64Encoded"] is False
    rc = e["requestContext"]
    assert rc["path"] == "/test/items/a%20b%2Bc" and rc["stage"] == "test" and rc["resourcePath"] == "/items/{id}"
    assert rc["httpMethod"] == "GET" and rc["accountId"] == "123456789012" and rc["protocol"] == "HTTP/1.1"
    assert rc["identity"]["sourceIp"] == "127.0.0.1" and rc["identity"]["userAgent"] == "gw-test/1.0"
    assert re.fullmatch(r"[0-9a-f-]{36}", rc["requestId"]) and isinstance(rc["requestTimeEpoch"], int)
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", rc["requestTime"])
    assert sent_ms <= rc["requestTimeEpoch"] <= int(time.time() * 1000)  # the time the gateway received it
    # The same route without the stage prefix (as `sam local start-api` serves it) gets the same event shape.
    bare = echo(port, "GET", "/items/7")["event"]
    assert bare["path"] == "/items/7" and bare["requestContext"]["path"] == "/test/items/7"
    assert bare["queryStringParameters"] is None and bare["multiValueQueryStringParameters"] is None


def test_rest_routes_most_specific_wins_and_proxy_is_greedy(echo_gateway):
    port = echo_gateway.port
    fixed = echo(port, "POST", "/test/rest/fixed", [("Content-Type", "application/json")], b"{}")["event"]
    assert fixed["resource"] == "/rest/fixed" and fixed["pathParameters"] is None
    proxied = echo(port, "GET", "/test/rest/fixed")["event"]  # GET is not the literal route's method: the proxy's
    assert proxied["resource"] == "/rest/{proxy+}" and proxied["pathParameters"] == {"proxy": "fixed"}
    deep = echo(port, "DELETE", "/test/rest/a/b/c")["event"]
    assert deep["pathParameters"] == {"proxy": "a/b/c"} and deep["httpMethod"] == "DELETE"
    any_items = echo(port, "PATCH", "/test/items", [("Content-Type", "application/json")], b"[1]")["event"]
    assert any_items["resource"] == "/items" and any_items["body"] == "[1]"


def test_rest_binary_media_types_decide_request_and_response_base64(echo_gateway):
    port = echo_gateway.port
    png = bytes(range(256)) * 3
    e = echo(port, "POST", "/test/items", [("Content-Type", "image/png")], png)["event"]
    assert e["isBase64Encoded"] is True and base64.b64decode(e["body"]) == png
    text = echo(port, "POST", "/test/items", [("Content-Type", "application/json; charset=utf-8")], "{\"é\":1}".encode())["event"]
    assert text["isBase64Encoded"] is False and text["body"] == "{\"é\":1}"
    # A text body is read as UTF-8, each ill-formed sequence replaced by U+FFFD: the bytes cannot be recovered.
    broken = b'{"a":"\xff\xc0\xaf\xed\xa0\x80\xe2\x82"}'
    text = echo(port, "POST", "/test/items", [("Content-Type", "application/json")], broken)["event"]
    assert text["isBase64Encoded"] is False and text["body"] == broken.decode("utf-8", "replace")
    assert text["body"] == '{"a":"' + "\ufffd" * 7 + '"}'
    # A base64 response is decoded when the request's first Accept type is a binary media type ...
    resp = {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": base64.b64encode(png).decode(),
            "isBase64Encoded": True}
    status, headers, body = request(port, "GET", "/test/items", raw_response(resp) + [("Accept", "image/png")])
    assert status == 200 and body == png and header_values(headers, "Content-Type") == ["image/png"]
    # ... and passed on as base64 text otherwise (REST APIs negotiate binary by Accept).
    status, _, body = request(port, "GET", "/test/items", raw_response(resp) + [("Accept", "text/html,image/png")])
    assert status == 200 and body == base64.b64encode(png)


def test_rest_response_merges_headers_and_multi_value_headers(echo_gateway):
    resp = {"statusCode": 201, "headers": {"X-One": "a", "X-Both": "same", "Content-Type": "text/plain"},
            "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"], "X-Both": ["same", "other"]},
            "body": "created"}
    status, headers, body = request(echo_gateway.port, "GET", "/test/items", raw_response(resp))
    assert status == 201 and body == b"created"
    assert header_values(headers, "Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert header_values(headers, "X-Both") == ["same", "other"]  # a pair in both appears once
    assert header_values(headers, "X-One") == ["a"] and header_values(headers, "Content-Type") == ["text/plain"]
    assert len(header_values(headers, "x-amzn-RequestId")) == 1


@pytest.mark.parametrize("response", [
    b"not json at all",
    b"[1, 2]",
    json.dumps({"body": "no status"}).encode(),
    json.dumps({"statusCode": 200, "body": "x", "unexpected": True}).encode(),  # REST refuses unknown fields
    json.dumps({"statusCode": "abc", "body": "x"}).encode(),
    json.dumps({"statusCode": 200, "body": {"not": "a string"}}).encode(),
    json.dumps({"statusCode": 200, "multiValueHeaders": {"X": "not a list"}}).encode(),
])
def test_rest_malformed_proxy_response_is_502(echo_gateway, response):
    status, headers, body = request(echo_gateway.port, "GET", "/test/items", raw_response(response))
    assert status == 502 and json.loads(body) == {"message": "Internal server error"}
    assert header_values(headers, "x-amzn-ErrorType") == ["InternalServerErrorException"]


def test_unknown_routes_answer_as_each_api_does(echo_gateway):
    port = echo_gateway.port
    for target in ("/test/nothing/here", "/test/items/1/2", "/items/1/2"):
        status, headers, body = request(port, "GET", target)
        assert status == 403 and json.loads(body) == {"message": "Missing Authentication Token"}, target
    status, _, body = request(port, "DELETE", "/test/items/1")  # the resource exists, not for this method
    assert status == 403 and json.loads(body) == {"message": "Missing Authentication Token"}
    for target in ("/v2/nothing", "/v2/h/1/2", "/unknown"):
        status, _, body = request(port, "GET", target)
        assert status == 404 and json.loads(body) == {"message": "Not Found"}, target
    status, _, body = request(port, "PUT", "/v2/h/1", [("Content-Type", "application/json")], b"{}")
    assert status == 404 and json.loads(body) == {"message": "Not Found"}
    assert "-> - 403" in echo_gateway.output() and "-> - 404" in echo_gateway.output()


# --------------------------------------------------------------------------------------------------- HTTP v2
def test_http_event_lowercases_joins_headers_and_moves_cookies(echo_gateway):
    port = echo_gateway.port
    for target in ("/v2/h/a%20b?x=1&x=2&y=z%26", "/h/a%20b?x=1&x=2&y=z%26"):  # with and without the stage prefix
        e = echo(port, "GET", target, [("X-Multi", "one"), ("x-multi", "two"), ("Cookie", "a=1; b=2"),
                                        ("Cookie", "c=3"), ("User-Agent", "gw-test/2.0")])["event"]
        assert e["version"] == "2.0" and e["routeKey"] == "GET /h/{id}"
        assert e["rawPath"] == "/v2/h/a b", target  # the stage is in rawPath, as AWS sends it
        assert e["rawQueryString"] == "x=1&x=2&y=z%26"
        assert e["headers"]["x-multi"] == "one,two" and "cookie" not in e["headers"]
        assert all(k == k.lower() for k in e["headers"])
        assert e["cookies"] == ["a=1", "b=2", "c=3"]
        assert e["queryStringParameters"] == {"x": "1,2", "y": "z&"}
        assert e["pathParameters"] == {"id": "a b"}
        assert e["stageVariables"] == {"stageVariable1": "value1", "stageVariable2": "value2"}
        assert "body" not in e and e["isBase64Encoded"] is False
        rc = e["requestContext"]
        assert rc["routeKey"] == "GET /h/{id}" and rc["stage"] == "v2" and rc["accountId"] == "123456789012"
        assert rc["http"] == {"method": "GET", "path": "/v2/h/a b", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                              "userAgent": "gw-test/2.0"}
        assert isinstance(rc["timeEpoch"], int) and re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", rc["time"])


def test_http_bodies_are_base64_unless_text(echo_gateway):
    port = echo_gateway.port
    blob = b"\x00\xffbinary\x80"
    for content_type, expect_b64 in (("application/octet-stream", True), ("application/x-www-form-urlencoded", True),
                                     (None, True), ("application/json", False), ("text/plain; charset=utf-8", False)):
        headers = [("Content-Type", content_type)] if content_type else []
        data = blob if expect_b64 else b'{"k":"v"}'
        e = echo(port, "POST", "/v2/h/1", headers, data)["event"]
        assert e["isBase64Encoded"] is expect_b64, content_type
        assert (base64.b64decode(e["body"]) if expect_b64 else e["body"].encode()) == data


def test_http_response_cookies_base64_and_inference(echo_gateway):
    port = echo_gateway.port
    resp = {"statusCode": 202, "headers": {"x-custom": "1", "content-type": "application/octet-stream"},
            "cookies": ["s=1; Secure", "t=2"], "multiValueHeaders": {"x-ignored": ["in 2.0"]},
            "body": base64.b64encode(b"\x00\x01\x02").decode(), "isBase64Encoded": True}
    status, headers, body = request(port, "GET", "/v2/h/1", raw_response(resp))
    assert status == 202 and body == b"\x00\x01\x02"  # HTTP APIs always decode
    assert header_values(headers, "Set-Cookie") == ["s=1; Secure", "t=2"]
    assert header_values(headers, "x-custom") == ["1"] and not header_values(headers, "x-ignored")
    assert header_values(headers, "Apigw-Requestid")
    # Valid JSON without statusCode: 200, application/json, the response itself as the body.
    for value in ({"message": "hi"}, "just a string", [1, 2], 42):
        raw = json.dumps(value).encode()
        status, headers, body = request(port, "GET", "/v2/h/1", raw_response(raw))
        assert status == 200 and body == raw and header_values(headers, "content-type") == ["application/json"]
    for bad in (b"not json", json.dumps({"statusCode": "x"}).encode()):
        status, _, body = request(port, "GET", "/v2/h/1", raw_response(bad))
        assert status == 500 and json.loads(body) == {"message": "Internal Server Error"}


def test_http_routes_method_then_specificity(echo_gateway):
    port = echo_gateway.port
    assert echo(port, "POST", "/v2/h/5", [("Content-Type", "application/json")], b"{}")["event"]["routeKey"] == "POST /h/{id}"
    e = echo(port, "PUT", "/v2/hp/a/b", [("Content-Type", "application/json")], b"{}")["event"]
    assert e["routeKey"] == "ANY /hp/{proxy+}" and e["pathParameters"] == {"proxy": "a/b"}


def test_http_api_with_payload_1_0_gets_a_version_1_event(echo_gateway):
    e = echo(echo_gateway.port, "GET", "/v2/v1style?a=1&a=2", [("X-Multi", "1"), ("X-Multi", "2")])["event"]
    assert e["version"] == "1.0" and e["resource"] == "/v1style" and e["httpMethod"] == "GET"
    assert e["multiValueHeaders"]["X-Multi"] == ["1", "2"] and e["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert e["requestContext"]["stage"] == "v2" and e["requestContext"]["path"] == "/v2/v1style"
    # Its responses map as payload 1.0 (multiValueHeaders honoured), its failures as an HTTP API's.
    resp = {"statusCode": 200, "multiValueHeaders": {"X-Two": ["a", "b"]}, "body": "ok"}
    status, headers, body = request(echo_gateway.port, "GET", "/v2/v1style", raw_response(resp))
    assert status == 200 and body == b"ok" and header_values(headers, "X-Two") == ["a", "b"]
    status, _, body = request(echo_gateway.port, "GET", "/v2/v1style", [("x-echo-mode", "error")])
    assert status == 500 and json.loads(body) == {"message": "Internal Server Error"}


# ------------------------------------------------------------------------------------------------ Function URL
def test_function_url_event_and_response(echo_gateway):
    e = echo(echo_gateway.url_port, "POST", "/any/path%20x?q=1&q=2", [("Content-Type", "application/json"), ("Cookie", "k=v")],
             b'{"a":1}')["event"]
    assert e["routeKey"] == "$default" and e["rawPath"] == "/any/path%20x" and e["rawQueryString"] == "q=1&q=2"
    assert e["queryStringParameters"] == {"q": "1,2"} and e["cookies"] == ["k=v"] and e["body"] == '{"a":1}'
    assert "pathParameters" not in e and "stageVariables" not in e
    rc = e["requestContext"]
    assert rc["stage"] == "$default" and rc["routeKey"] == "$default" and rc["accountId"] == "anonymous"
    assert rc["domainName"] == f"{rc['apiId']}.lambda-url.eu-west-1.on.aws" and len(rc["apiId"]) == 32
    status, headers, body = request(echo_gateway.url_port, "GET", "/", raw_response({"statusCode": 418, "body": "teapot",
                                                                                      "cookies": ["c=1"]}))
    assert status == 418 and body == b"teapot" and header_values(headers, "Set-Cookie") == ["c=1"]
    status, _, _ = request(echo_gateway.url_port, "GET", "/", [("x-echo-mode", "error")])
    assert status == 502


# --------------------------------------------------------------------------------------------------- failures
def test_function_crash_error_and_timeout_are_502_rest_and_500_http(echo_gateway):
    port = echo_gateway.port
    for mode in ("crash", "error"):
        status, _, body = request(port, "GET", "/test/items/1", [("x-echo-mode", mode)])
        assert status == 502 and json.loads(body) == {"message": "Internal server error"}, mode
        status, _, body = request(port, "GET", "/v2/h/1", [("x-echo-mode", mode)])
        assert status == 500 and json.loads(body) == {"message": "Internal Server Error"}, mode
    # The function's own timeout (1 s) is a function error; the process is replaced and serves the next call.
    slow = [("x-echo-mode", "sleep"), ("x-echo-seconds", "3")]
    status, _, body = request(port, "GET", "/test/slow", slow)
    assert status == 502 and json.loads(body) == {"message": "Internal server error"}
    status, _, body = request(port, "GET", "/v2/slow", slow)
    assert status == 500
    assert request(port, "GET", "/test/slow")[0] == 200
    assert "Task timed out after 1.00 seconds" in echo_gateway.output()


def test_integration_timeout_is_504(echo_gateway):
    port = echo_gateway.port
    # The function takes 10 s (its own Timeout is 20 s); the routes' TimeoutInMillis is 1000: the gateway answers
    # 504 itself, while the function is still running (its invocation has not ended), and says why.
    slow = [("x-echo-mode", "sleep"), ("x-echo-seconds", "10")]
    status, _, body = request(port, "GET", "/test/patient", slow)
    assert status == 504 and json.loads(body) == {"message": "Endpoint request timed out"}
    # The second one waits behind the first (one process) and meets the same limit.
    status, _, body = request(port, "GET", "/v2/patient", slow)
    assert status == 504 and json.loads(body) == {"message": "Gateway Timeout"}, body
    out = echo_gateway.output()
    assert "[PatientFunction] START RequestId" in out and "[PatientFunction] END RequestId" not in out, out[-3000:]
    wait_for(lambda: echo_gateway.output().count("PatientFunction: no answer within the integration timeout of 1000 ms")
             == 2, lambda: f"the gateway's two timeout lines:\n{echo_gateway.output()[-3000:]}")


INVOCATION_LINE = re.compile(r"^\[(echo#\d)\] (START|END) RequestId: (\S+)", re.M)


def test_warm_two_serves_two_requests_at_once_from_two_processes(tmp_path):
    gw = start_echo_gateway(tmp_path, ["--warm", "2", "--quiet"], name="warm2")
    try:
        assert "ready (3 functions, 2 warm processes each)" in gw.output()
        # A first request keeps one process busy for 3 s; once it has reached its process, a second one must be
        # served by the other process while the first is still in flight.
        seen = len(INVOCATION_LINE.findall(gw.output()))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            first = pool.submit(echo, gw.port, "GET", "/test/items/1", [("x-echo-mode", "sleep"), ("x-echo-seconds", "3")])
            wait_for(lambda: len(INVOCATION_LINE.findall(gw.output())) > seen, "the first request reaching a process")
            second = echo(gw.port, "GET", "/test/items/1")
            assert not first.done(), "the first request ended before the second was answered (the machine stalled)"
            first = first.result(timeout=HANG_GUARD)
        assert first["pid"] != second["pid"]
        # The log says the same: both invocations started, on two processes, before the first one ended.
        lines = INVOCATION_LINE.findall(gw.output())[seen:]
        [(p1, _, a), (p2, _, b)] = [(p, k, r) for p, k, r in lines if k == "START"]
        assert p1 != p2 and [(k, r) for _, k, r in lines] == [("START", a), ("START", b), ("END", b), ("END", a)], lines
    finally:
        gw.stop()


def test_oversized_request_is_refused_before_any_function_runs(echo_gateway):
    big = b"x" * (10 * 1024 * 1024 + 1)
    status, _, body = request(echo_gateway.port, "POST", "/test/items", [("Content-Type", "text/plain")], big)
    assert status == 413 and json.loads(body) == {"message": "Request Too Long"}


# ------------------------------------------------------------------------------------------------------- CORS
def test_http_api_cors_preflight_is_answered_by_the_gateway(echo_gateway):
    port = echo_gateway.port
    before = echo_gateway.output().count("START RequestId")
    pre = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST"),
           ("Access-Control-Request-Headers", "Content-Type, X-Echo-Mode")]
    for target in ("/v2/h/1", "/v2/hp/anything"):
        status, headers, body = request(port, "OPTIONS", target, pre)
        assert status == 204 and body == b""
        assert header_values(headers, "Access-Control-Allow-Origin") == ["https://app.example"]
        assert header_values(headers, "Access-Control-Allow-Methods") == ["GET,POST"]
        assert header_values(headers, "Access-Control-Allow-Headers") == ["content-type,x-echo-mode"]
        assert header_values(headers, "Access-Control-Max-Age") == ["600"]
        assert header_values(headers, "Access-Control-Allow-Credentials") == ["true"]
    # An origin (or a header) not allowed gets no CORS headers at all.
    for bad in ([("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")],
                [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST"),
                 ("Access-Control-Request-Headers", "authorization")]):
        status, headers, _ = request(port, "OPTIONS", "/v2/h/1", bad)
        assert status == 204 and not [h for h, _ in headers if h.lower().startswith("access-control-")]
    assert echo_gateway.output().count("START RequestId") == before  # no function ran
    # Actual responses get the configured headers; the function's own CORS headers are dropped.
    resp = {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*", "x-echo-exposed": "1"}, "body": "ok"}
    status, headers, _ = request(port, "GET", "/v2/h/1", raw_response(resp) + [("Origin", "https://app.example")])
    assert header_values(headers, "Access-Control-Allow-Origin") == ["https://app.example"]
    assert header_values(headers, "Access-Control-Expose-Headers") == ["x-echo-exposed"]
    status, headers, _ = request(port, "GET", "/v2/h/1", raw_response(resp) + [("Origin", "https://evil.example")])
    assert not header_values(headers, "Access-Control-Allow-Origin")


def test_rest_api_without_cors_sends_options_to_the_function(echo_gateway):
    pre = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
    e = echo(echo_gateway.port, "OPTIONS", "/test/items", pre)["event"]
    assert e["httpMethod"] == "OPTIONS" and e["headers"]["Origin"] == "https://app.example"


def test_function_url_cors(echo_gateway):
    pre = [("Origin", "https://url.example"), ("Access-Control-Request-Method", "POST")]
    status, headers, body = request(echo_gateway.url_port, "OPTIONS", "/x", pre)
    assert status == 200 and header_values(headers, "Access-Control-Allow-Origin") == ["https://url.example"]
    assert header_values(headers, "Access-Control-Allow-Methods") == ["POST"]
    assert header_values(headers, "Access-Control-Max-Age") == ["60"]
    status, headers, _ = request(echo_gateway.url_port, "POST", "/x", [("Origin", "https://url.example")], b"{}")
    assert status == 200 and header_values(headers, "Access-Control-Allow-Origin") == ["https://url.example"]


# ------------------------------------------------------------------------------------- structure match with SAM
def structure_diff(expected, actual, path="", free=()):
    """Differences in keys (recursively) and JSON types between two events. Under a path in `free`, only the value
    types of an object's members are compared (its keys are the request's own, e.g. headers)."""
    def kind(v):
        return "null" if v is None else "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) \
            else "string" if isinstance(v, str) else "array" if isinstance(v, list) else "object"

    out = []
    if kind(expected) != kind(actual):
        return [f"type {path}: {kind(expected)} vs {kind(actual)}"]
    if isinstance(expected, dict):
        if path in free:
            types_e = {kind(v) if not isinstance(v, list) else "array" for v in expected.values()}
            types_a = {kind(v) if not isinstance(v, list) else "array" for v in actual.values()}
            return [] if types_a <= types_e else [f"value types {path}: {types_e} vs {types_a}"]
        for key in expected.keys() - actual.keys():
            out.append(f"missing {path}.{key}")
        for key in actual.keys() - expected.keys():
            out.append(f"extra {path}.{key}")
        for key in expected.keys() & actual.keys():
            out += structure_diff(expected[key], actual[key], f"{path}.{key}", free)
    elif isinstance(expected, list) and expected and actual:
        out += structure_diff(expected[0], actual[0], f"{path}[]", free)
    return out


def sam_event(*args):
    return json.loads(subprocess.run(["sam", "local", "generate-event", "apigateway", *args], check=True,
                                     capture_output=True, text=True).stdout)


def test_rest_event_structure_matches_sam_generate_event(echo_gateway):
    sam = sam_event("aws-proxy", "--stage", "test", "--method", "POST", "--resource", "/rest/{proxy+}",
                    "--path", "rest/path/to/resource", "--body", '{"test":"body"}')
    # The same request: SAM's headers (its multiValueHeaders), query and body (base64 in SAM's event, so sent as a
    # binary media type here).
    headers = [(k, v) for k, vs in sam["multiValueHeaders"].items() for v in vs]
    body = base64.b64decode(sam["body"])
    ours = echo(echo_gateway.port, "POST", "/test/rest/path/to/resource?foo=bar",
                headers + [("Content-Type", "application/octet-stream")], body)["event"]
    assert ours["isBase64Encoded"] is True and base64.b64decode(ours["body"]) == body
    assert ours["requestContext"]["path"] == sam["requestContext"]["path"]
    assert ours["pathParameters"] == {"proxy": "path/to/resource"} and ours["resource"] == sam["resource"]
    differences = set(structure_diff(sam, ours))
    assert differences == {
        # API Gateway sends these (AWS's payload 1.0 documentation lists them); SAM's sample predates them.
        "extra .requestContext.domainName", "extra .requestContext.domainPrefix",
        "extra .requestContext.extendedRequestId", "extra .requestContext.identity.principalOrgId",
        # Headers of this request that SAM's sample request has not: its body's, and the trace id API Gateway adds.
        "extra .headers.Content-Length", "extra .headers.Content-Type", "extra .headers.X-Amzn-Trace-Id",
        "extra .multiValueHeaders.Content-Length", "extra .multiValueHeaders.Content-Type",
        "extra .multiValueHeaders.X-Amzn-Trace-Id",
    }, differences


def test_http_event_structure_matches_sam_generate_event(echo_gateway):
    sam = sam_event("http-api-proxy")
    headers = [("Header1", "value1"), ("Header2", "value1"), ("Header2", "value2"), ("Cookie", "cookie1; cookie2")]
    body = base64.b64decode(sam["body"])
    ours = echo(echo_gateway.port, "POST", "/v2/path/to/resource?" + sam["rawQueryString"],
                headers + [("Content-Type", "application/octet-stream")], body)["event"]
    assert ours["cookies"] == sam["cookies"] and ours["queryStringParameters"] == sam["queryStringParameters"]
    assert ours["headers"]["header2"] == sam["headers"]["Header2"]
    differences = set(structure_diff(sam, ours, free={".headers"}))
    assert differences == {
        # Only sent with mutual TLS and with an authorizer; the template configures neither.
        "missing .requestContext.authentication", "missing .requestContext.authorizer",
    }, differences


# -------------------------------------------------------------------------- the real functions of the template
@pytest.fixture(scope="module")
def real_gateway(tmp_path_factory, function_url, db):
    cur = db.cursor()
    cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES ('user_gw_alice', 'org_gw_acme') "
                "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id")
    env = dict(os.environ, DATABASE_URL=function_url, HMAC_SECRET=SECRET, JWT_SECRET=JWT_SECRET)
    gw = Gateway(tmp_path_factory.mktemp("real-gateway"),
                 ["--parameter-overrides", f"AllowedOrigin={ORIGIN}", "RateLimitPerMinute=0"], env=env, name="real")
    yield gw
    gw.stop()


def concrete(path):
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_template_route_answers_through_the_gateway(real_gateway, db):
    routes = template_routes()
    assert len(routes) >= 30 and {kind for _, kind, _, _ in routes} == {"Api", "HttpApi"}
    before = snapshot(db, PARTICIPANT_TABLES)
    for logical_id, kind, method, path in routes:
        target = "/prod" + concrete(path)
        if method == "OPTIONS":
            status, headers, body = request(real_gateway.port, "OPTIONS", target,
                                            [("Origin", ORIGIN), ("Access-Control-Request-Method", "POST")])
            assert status == 204, (logical_id, path, status, body)
            assert header_values(headers, "Access-Control-Allow-Origin") == [ORIGIN], (logical_id, path)
            continue
        body = b'{"customerId":"acme"}' if method in ("POST", "PUT") else b""
        status, headers, out = request(real_gateway.port, method, target, [("Content-Type", "application/json")], body)
        if path == "/.well-known/oauth-protected-resource":
            # The MCP endpoint's RFC 9728 metadata is public by design (a client reads it after the 401 challenge).
            assert status == 200 and json.loads(out)["resource"].endswith("/prod/mcp"), (path, status, out)
            continue
        assert status == 401, (logical_id, method, path, status, out)
        envelope = json.loads(out)
        assert envelope["ok"] is False and envelope["error"]["code"] == "UNAUTHORIZED", (path, envelope)
        assert envelope["data"] is None
        expected_id = "Apigw-Requestid" if kind == "HttpApi" else "x-amzn-RequestId"
        assert header_values(headers, expected_id), (path, headers)
    assert snapshot(db, PARTICIPANT_TABLES) == before


def test_signed_copilot_call_through_the_rest_api(real_gateway):
    body = json.dumps({"customerId": "gateway-nobody", "params": {}}).encode()
    for target in ("/prod/get_customer_usage", "/get_customer_usage"):
        headers = sign(body.decode())
        status, out_headers, out = request(real_gateway.port, "POST", target,
                                           [("Content-Type", "application/json"), *headers.items()], body)
        assert status == 200, (target, out)
        assert json.loads(out) == {"ok": True, "data": {"trend": "flat", "avgDailyUsers": 0, "sparkline": [],
                                                        "missingData": True}, "error": None}
        assert header_values(out_headers, "Content-Type") == ["application/json"]
    # The same signed bytes again are a replay: refused.
    status, _, out = request(real_gateway.port, "POST", "/prod/get_customer_usage",
                             [("Content-Type", "application/json"), *headers.items()], body)
    assert status == 401 and json.loads(out)["error"]["code"] == "UNAUTHORIZED"


def test_jwt_participant_calls_through_the_http_api(real_gateway, db):
    auth = [("Authorization", f"Bearer {jwt('user_gw_alice')}"), ("Content-Type", "application/json")]
    meeting = f"mtg_gw_{uuid.uuid4().hex[:8]}"
    created = json.dumps({"meetingId": meeting, "email": "gw.tester@acme.example"}).encode()
    status, _, out = request(real_gateway.port, "POST", "/prod/api/participants", auth, created)
    assert status == 201, out
    participant = json.loads(out)["data"]
    status, _, out = request(real_gateway.port, "GET", "/prod/api/participants?limit=50", auth)
    assert status == 200, out
    listed = json.loads(out)
    assert listed["ok"] is True and participant["id"] in [p["id"] for p in listed["data"]]
    cur = db.cursor()
    cur.execute("SELECT organization_id FROM meeting_participants WHERE id = %s", (participant["id"],))
    assert cur.fetchone()[0] == "org_gw_acme"
    # A token signed with another secret changes nothing.
    before = snapshot(db, PARTICIPANT_TABLES)
    forged = [("Authorization", f"Bearer {jwt('user_gw_alice', 'another-secret-0123456789abcdef0123')}"),
              ("Content-Type", "application/json")]
    status, _, out = request(real_gateway.port, "POST", "/prod/api/participants", forged,
                             json.dumps({"meetingId": "mtg_forged", "email": "x@acme.example"}).encode())
    assert status == 401 and json.loads(out)["error"]["code"] == "UNAUTHORIZED"
    assert snapshot(db, PARTICIPANT_TABLES) == before


# ------------------------------------------------------------------------------------------------- streaming
def raw_get(port, target, headers=(), on_chunk=None):
    """GET over a raw socket, reading a chunked body chunk by chunk: (status, [(name, value)], body, trailers,
    [each chunk's bytes], [what `on_chunk(n, data)` returned as chunk n (from 1) arrived])."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)
    try:
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers)
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{lines}\r\n".encode())
        f = sock.makefile("rb")
        status = int(f.readline().split()[1])
        out_headers = []
        while (line := f.readline()) not in (b"\r\n", b""):
            k, v = line.decode().rstrip("\r\n").split(":", 1)
            out_headers.append((k, v.strip()))
        body, trailers, chunks, seen = bytearray(), [], [], []
        if [v for k, v in out_headers if k.lower() == "transfer-encoding"] == ["chunked"]:
            while True:
                size = int(f.readline().split(b";")[0], 16)
                if size == 0:
                    break
                chunks.append(f.read(size))
                body += chunks[-1]
                if on_chunk:
                    seen.append(on_chunk(len(chunks), chunks[-1]))
                assert f.read(2) == b"\r\n"
            while (line := f.readline()) not in (b"\r\n", b""):
                k, v = line.decode().rstrip("\r\n").split(":", 1)
                trailers.append((k, v.strip()))
        else:
            length = int(header_values(out_headers, "Content-Length")[0])
            body += f.read(length)
        return status, out_headers, bytes(body), trailers, chunks, seen
    finally:
        sock.close()


STREAM_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  StreamFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub '${AWS::StackName}-stream'
      Runtime: provided.al2023
      Handler: bootstrap
      CodeUri: .
      Timeout: 10
      FunctionUrlConfig: {AuthType: NONE, InvokeMode: RESPONSE_STREAM}
"""


def test_streamed_function_url_forwards_chunks_as_they_come_and_failures_as_trailers(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(STREAM_TEMPLATE)
    gw = Gateway(tmp_path, ["--template", str(template), "--bootstrap", f"stream={STREAMER}"], name="stream")
    try:
        port = gw.url_port
        assert f"Function URL stream (RESPONSE_STREAM): http://127.0.0.1:{port}/" in gw.output()
        # The prelude gives status, headers and cookies; chunks are forwarded as the function sends them: the
        # function pauses 1 s before each, so when the first two reach the client its invocation has not ended.
        ended = gw.output().count("[stream] END RequestId")
        status, headers, body, trailers, chunks, over = raw_get(port, "/x", [
            ("x-stream-mode", "ok"), ("x-stream-chunks", "3"), ("x-stream-size", "1000"), ("x-stream-pause", "1")],
            on_chunk=lambda n, data: (data[:1], gw.output().count("[stream] END RequestId") > ended))
        assert status == 201 and body == b"A" * 1000 + b"B" * 1000 + b"C" * 1000 and trailers == []
        early = [was_over for first, was_over in over if first in (b"A", b"B")]  # the function's pieces 1 and 2
        assert early and not any(early) and len(chunks) >= 3, over
        wait_for(lambda: gw.output().count("[stream] END RequestId") > ended, "the stream's invocation ending")
        assert header_values(headers, "content-type") == ["text/plain"] and header_values(headers, "x-streamed") == ["yes"]
        assert header_values(headers, "Set-Cookie") == ["s=1", "t=2"]
        assert header_values(headers, "Trailer") == ["Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"]
        # A failure midway: what was sent, then the error in trailers.
        status, _, body, trailers, _, _ = raw_get(port, "/x", [("x-stream-mode", "fail"), ("x-stream-size", "10")])
        assert status == 201 and body == b"A" * 10 + b"B" * 10
        assert dict(trailers)["Lambda-Runtime-Function-Error-Type"] == "ExportError"
        assert json.loads(base64.b64decode(dict(trailers)["Lambda-Runtime-Function-Error-Body"])) == {
            "errorMessage": "export failed midway", "errorType": "ExportError"}
        status, _, body, trailers, _, _ = raw_get(port, "/x", [("x-stream-mode", "crash"), ("x-stream-size", "10")])
        assert status == 201 and body == b"A" * 10
        assert dict(trailers)["Lambda-Runtime-Function-Error-Type"] == "Runtime.ExitError"
        # Without the prelude: 200 with the stream's own content type; a buffered answer maps like payload 2.0.
        status, headers, body, trailers, _, _ = raw_get(port, "/x", [("x-stream-mode", "plain"), ("x-stream-size", "4")])
        assert status == 200 and header_values(headers, "Content-Type") == ["text/plain"] and body == b"AAAABBBBCCCC"
        status, headers, body, trailers, _, _ = raw_get(port, "/x", [("x-stream-mode", "buffered")])
        assert status == 200 and body == b"buffered" and header_values(headers, "Content-Length") == ["8"]
        assert "stream failed midway (ExportError); ending it with error trailers" in gw.output()
    finally:
        gw.stop()


def test_participant_export_over_6mb_arrives_whole_through_the_function_url(real_gateway, db):
    cur = db.cursor()
    cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES ('user_gw_exporter', 'org_gw_export') "
                "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id")
    cur.execute("DELETE FROM meeting_participants WHERE organization_id = 'org_gw_export'")
    rows = 12000
    cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, display_name) "
                "SELECT 'org_gw_export', 'mtg_export_' || g, repeat('Quarterly business review ', 12) || g, "
                "'person' || g || '@export.example', 'Person ' || g FROM generate_series(1, %s) g", (rows,))
    try:
        port = real_gateway.url_port
        token = jwt("user_gw_exporter")
        status, headers, body, trailers, _, _ = raw_get(port, "/api/participants/export",
                                                                [("Authorization", f"Bearer {token}"), ("Origin", ORIGIN)])
        assert status == 200, body[:500]
        assert header_values(headers, "Transfer-Encoding") == ["chunked"] and trailers == []
        assert header_values(headers, "Access-Control-Allow-Origin") == [ORIGIN]  # the Function URL's Cors (AllowedOrigin)
        assert len(body) > 6 * 1024 * 1024, len(body)  # beyond what a buffered response may carry
        lines = body.decode().splitlines()
        assert json.loads(lines[-1]) == {"exportComplete": True, "participants": rows}
        exported = [json.loads(line) for line in lines[:-1]]
        assert len(exported) == rows and len({p["id"] for p in exported}) == rows
        assert {p["email"] for p in exported} == {f"person{i}@export.example" for i in range(1, rows + 1)}
        # The Function URL's CORS preflight is answered by the gateway; unauthenticated calls change nothing.
        status, headers, _ = request(port, "OPTIONS", "/api/participants/export",
                                     [("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")])
        assert status == 200 and header_values(headers, "Access-Control-Allow-Origin") == [ORIGIN]
        before = snapshot(db, PARTICIPANT_TABLES)
        status, _, body, trailers, _, _ = raw_get(port, "/api/participants/export")
        assert status == 401 and json.loads(body)["error"]["code"] == "UNAUTHORIZED"
        assert snapshot(db, PARTICIPANT_TABLES) == before
    finally:
        cur.execute("DELETE FROM meeting_participants WHERE organization_id = 'org_gw_export'")
