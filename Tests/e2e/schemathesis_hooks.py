"""schemathesis hooks for Tests/e2e/test_schemathesis.py: loaded by the schemathesis CLI through
`SCHEMATHESIS_HOOKS=schemathesis_hooks` (with Tests/e2e and Tests/harness on PYTHONPATH), while schemathesis calls
`warden gateway`.

- `SigningAuth`, registered as schemathesis' auth: signs every copilot call with HMAC v1 over the exact body bytes
  schemathesis sends (a fresh `X-Timestamp` per request, so no call is a replay of another), and adds the bearer JWT
  (participant API, participant export; for the MCP endpoint one whose subject is the copilot tenant and whose
  audience is McpAudience) or the API key (intent scoring) the document's security asks for.
  Preflights (`OPTIONS`) go out as generated.
- `warden_openapi_check`, a check: every response is validated against docs/openapi.yaml by openapi_check (the same
  validation conftest's `Emulator.invoke` applies in-process to the other tests' responses) when template/template.yaml
  routes the request to a function; when it routes it nowhere (a method the deployed API has no route for), the
  response must be API Gateway's own: `403 {"message":"Missing Authentication Token"}` under the REST API,
  `404 {"message":"Not Found"}` under the HTTP API. No header but `Set-Cookie` may come twice.

Configuration, from the environment: WARDEN_ST_HMAC_SECRET, WARDEN_ST_CLIENT, WARDEN_ST_JWT_SECRET,
WARDEN_ST_JWT_SUBJECT, WARDEN_ST_API_KEY (credentials); WARDEN_ST_SERVER (`api`: the gateway's API port, whose
base URL carries the stage WARDEN_ST_STAGE; `function-url:<function>`: that function's Function URL port);
WARDEN_ST_VALIDATED (a file that gets one line `<operation id>` per validated response, for the test to count).
"""
import json
import os
import threading
import urllib.parse
import uuid
from pathlib import Path

import yaml

import openapi_check
import warden_harness

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template" / "template.yaml"
HOOKS_NAME = "schemathesis_hooks"


# ------------------------------------------------------------------------------------------------------ template
class _CfnLoader(yaml.SafeLoader):
    """PyYAML reading CloudFormation's short tags (`!Ref`, `!Sub`, …) as their plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
    else loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else loader.construct_mapping(node)))


class TemplateRoutes:
    """The `Api` / `HttpApi` routes of a SAM template as (kind, METHOD, path segments, function name), and its
    Function URL functions. A function's name is its FunctionName after `${AWS::StackName}-` (as `warden gateway`
    names them), else its logical id."""

    def __init__(self, path=TEMPLATE):
        doc = yaml.load(Path(path).read_text(), Loader=_CfnLoader)
        self.routes = []
        self.function_urls = set()
        for logical_id, resource in (doc.get("Resources") or {}).items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            props = resource.get("Properties") or {}
            name = props.get("FunctionName")
            name = name.split("${AWS::StackName}-", 1)[1] if isinstance(name, str) and "${AWS::StackName}-" in name \
                else logical_id
            if props.get("FunctionUrlConfig"):
                self.function_urls.add(name)
            for event in (props.get("Events") or {}).values():
                kind = {"Api": "rest", "HttpApi": "http"}.get(event.get("Type"))
                if kind is None:
                    continue
                p = event.get("Properties") or {}
                segments = [s for s in str(p.get("Path", "")).split("/") if s]
                self.routes.append((kind, str(p.get("Method", "any")).upper(), segments, name))

    @staticmethod
    def _rank(pattern, parts):
        """Per-segment ranks (literal 3, {param} 2, {proxy+} 1) when `parts` fits `pattern`, else None."""
        ranks = []
        for i, segment in enumerate(pattern):
            if segment.startswith("{") and segment.endswith("+}"):
                return ranks + [1] if i == len(pattern) - 1 and len(parts) > i else None
            if i >= len(parts):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                ranks.append(2)
            elif segment == parts[i]:
                ranks.append(3)
            else:
                return None
        return ranks if len(parts) == len(pattern) else None

    def match(self, method, parts):
        """(kind, function) of the most specific route for `method` and the path's (decoded) segments, or
        (kind, None) when none routes that method, kind being the API of the most specific route of any method
        (`rest` when no route fits at all and the first segment is a REST API's, else `http`)."""
        best_any, best = None, None
        for kind, route_method, pattern, function in self.routes:
            ranks = self._rank(pattern, parts)
            if ranks is None:
                continue
            if best_any is None or ranks > best_any[0]:
                best_any = (ranks, kind)
            if route_method in (method, "ANY") and (best is None or ranks > best[0]):
                best = (ranks, kind, function)
        if best is not None:
            return best[1], best[2]
        if best_any is not None:
            return best_any[1], None
        first = parts[0] if parts else None
        rest_first = {pattern[0] for kind, _, pattern, _ in self.routes if kind == "rest" and pattern}
        return ("rest" if first in rest_first else "http"), None


_template = None


def template():
    global _template
    if _template is None:
        _template = TemplateRoutes()
    return _template


def server():
    """(`api`, None) or (`function-url`, function name): which of the gateway's listeners schemathesis calls."""
    value = os.environ.get("WARDEN_ST_SERVER", "api")
    if value.startswith("function-url:"):
        return "function-url", value.split(":", 1)[1]
    return "api", None


def function_path(url):
    """The raw request path without the API stage prefix the base URL carries (WARDEN_ST_STAGE)."""
    path = urllib.parse.urlsplit(url).path or "/"
    stage = os.environ.get("WARDEN_ST_STAGE", "")
    if stage and server()[0] == "api":
        if path == f"/{stage}":
            return "/"
        if path.startswith(f"/{stage}/"):
            return path[len(stage) + 1:]
    return path


# ------------------------------------------------------------------------------------------------ authentication
def hs256_token(secret, subject, lifetime=3600):
    """A Supabase-style HS256 access token for `subject`."""
    return warden_harness.hs256_token(subject, secret, lifetime)


def security_of(path):
    """The security scheme names the document requires for `path` (first requirement of the most specific
    non-preflight operation whose template fits it)."""
    parts = [p for p in path.split("/") if p]
    best, best_score = None, -1
    for op in openapi_check.document().operations:
        if op.method == "OPTIONS":
            continue
        score = op.match(parts)
        if score is not None and score > best_score:
            best, best_score = op, score
    if best is None:
        return set()
    security = best.raw.get("security", [])
    return set(security[0]) if security else set()


try:
    import requests.auth as _requests_auth
    _AuthBase = _requests_auth.AuthBase
except ImportError:  # imported by the test itself, where requests is not needed
    _AuthBase = object


class SigningAuth(_AuthBase):
    """Authenticates every request the way the document's security requirements say: HMAC v1 over the exact body
    bytes (copilot tools, `X-Timestamp` unique per request), `Authorization: Bearer <JWT>` (participants, the export),
    or `X-API-Key` (intent). Operations without security (preflights) are left alone."""

    def __init__(self, hmac_secret, client, jwt_secret, jwt_subject, api_key):
        self.hmac_secret, self.client = hmac_secret, client
        self.jwt_secret, self.jwt_subject, self.api_key = jwt_secret, jwt_subject, api_key

    def __call__(self, r):
        if r.method == "OPTIONS":
            return r
        key = r.headers.get("Idempotency-Key")
        if isinstance(key, str) and 1 <= len(key) <= 255 and all(" " <= c <= "~" for c in key):
            # A fresh valid key per request: generated keys repeat across operations and would mostly meet 409 (key
            # used with another request), leaving the handlers unexplored. Invalid keys are left for the negative
            # phase; replays and conflicts are test_idempotency.py's.
            r.headers["Idempotency-Key"] = uuid.uuid4().hex
        schemes = security_of(urllib.parse.unquote(function_path(r.url)))
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        if "copilotSignature" in schemes and self.hmac_secret:
            r.headers.update(warden_harness.sign(body, self.hmac_secret, client=self.client))
            r.headers.pop("X-Nonce", None)
        elif "bearerJWT" in schemes and self.jwt_secret:
            r.headers["Authorization"] = f"Bearer {hs256_token(self.jwt_secret, self.jwt_subject)}"
        elif "mcpBearer" in schemes and self.jwt_secret:
            # The MCP endpoint: the token's subject is the copilot tenant, its audience the template's McpAudience.
            token = warden_harness.hs256_token(MCP_SUBJECT, self.jwt_secret, 3600, aud=MCP_AUDIENCE)
            r.headers["Authorization"] = f"Bearer {token}"
        elif schemes & {"apiKeyHeader", "apiKeyBearer"} and self.api_key:
            r.headers["X-API-Key"] = self.api_key
            r.headers.pop("Authorization", None)
        return r


# The copilot tenant of the document's examples, and the template's default McpAudience.
MCP_SUBJECT = "user_demo_owner"
MCP_AUDIENCE = "warden-mcp"


def auth_from_environment():
    env = os.environ
    return SigningAuth(env.get("WARDEN_ST_HMAC_SECRET", ""), env.get("WARDEN_ST_CLIENT", "copilot-frontend"),
                       env.get("WARDEN_ST_JWT_SECRET", ""), env.get("WARDEN_ST_JWT_SUBJECT", ""),
                       env.get("WARDEN_ST_API_KEY", ""))


# ------------------------------------------------------------------------------------------------------ the check
_validated_lock = threading.Lock()
NO_ROUTE = {"rest": (403, {"message": "Missing Authentication Token"}), "http": (404, {"message": "Not Found"})}


def _record(operation_id):
    target = os.environ.get("WARDEN_ST_VALIDATED")
    if target:
        with _validated_lock, open(target, "a") as f:
            f.write(operation_id + "\n")


def route_of(method, url):
    """(API kind, function, path as the function reads it) of a request to the gateway; function None when the
    template routes `method` there nowhere (API Gateway answers it itself)."""
    raw_path = function_path(url)
    kind, fn = server()
    if kind == "function-url":  # a Function URL sends every method and path to its function
        return kind, fn, raw_path
    kind, fn = template().match(method, [urllib.parse.unquote(p) for p in raw_path.split("/") if p])
    # A REST event's `path` is decoded, an HTTP API's `rawPath` is not (the functions read them so).
    return kind, fn, urllib.parse.unquote(raw_path) if kind == "rest" else raw_path


def is_no_route_answer(method, url, status, content):
    """Whether the template routes `method` there nowhere and the response is exactly API Gateway's answer to
    that (REST: 403 Missing Authentication Token, HTTP API: 404 Not Found)."""
    kind, fn, _ = route_of(method, url)
    if fn is not None:
        return False
    try:
        body = json.loads(content)
    except ValueError:
        return False
    return (status, body) == NO_ROUTE[kind]


def check_gateway_response(method, url, status, headers, content):
    """Validates one response of the gateway (`headers`: lower-cased name -> list of values). Returns the operation
    id it matched (`generic`, or `gateway:no-route`); raises `openapi_check.OpenAPIMismatch`."""
    raw_path = function_path(url)
    repeated = sorted(name for name, values in headers.items() if len(values) > 1 and name != "set-cookie")
    if repeated:
        raise openapi_check.OpenAPIMismatch(f"{method} {raw_path}: header(s) sent more than once: {repeated} "
                                            f"({ {name: headers[name] for name in repeated} })")
    single = {name: values[0] for name, values in headers.items() if values}
    text = content.decode("utf-8", errors="replace") if content else ""
    kind, fn, path = route_of(method, url)
    if fn is None:
        expected_status, expected_body = NO_ROUTE[kind]
        if not is_no_route_answer(method, url, status, content):
            raise openapi_check.OpenAPIMismatch(
                f"{method} {raw_path}: template/template.yaml routes no {method} there, so API Gateway answers "
                f"{expected_status} {json.dumps(expected_body)}; got {status} {text[:500]}")
        _record("gateway:no-route")
        return "gateway:no-route"
    operation = openapi_check.check_response(fn, method, path, status, single, text)
    _record(operation)
    return operation


def register():
    import schemathesis

    schemathesis.auth.set_from_requests(auth_from_environment())

    from schemathesis.openapi.checks import UnsupportedMethodResponse
    from schemathesis.specs.openapi.checks import unsupported_method

    @schemathesis.check
    def unsupported_method_behind_api_gateway(ctx, response, case):
        """schemathesis' `unsupported_method` (405 with `Allow` for an undeclared method), except where the template
        routes that method nowhere: there the deployed HTTP API answers 404 Not Found itself, as `warden gateway` does
        (the REST API's 403 the built-in check already accepts; `warden_openapi_check` checks both exactly)."""
        try:
            return unsupported_method(ctx, response, case)
        except UnsupportedMethodResponse as failure:
            request = response.request
            if failure.status_code == 404 and is_no_route_answer(str(request.method).upper(), request.url,
                                                                 response.status_code, response.content):
                return None
            raise

    @schemathesis.check
    def warden_openapi_check(ctx, response, case):
        """The response matches docs/openapi.yaml (openapi_check), or is API Gateway's own answer for a method the
        template routes nowhere."""
        request = response.request
        check_gateway_response(str(request.method).upper(), request.url, response.status_code, response.headers,
                               response.content)


if HOOKS_NAME in os.environ.get("SCHEMATHESIS_HOOKS", "").split(","):
    register()
