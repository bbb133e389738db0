"""Validation of API Gateway proxy responses against docs/openapi.yaml.

Every HTTP function's reply that the end-to-end suite sees goes through `check_invocation` (conftest's
`Emulator.invoke` calls it): the request's method and path (from the REST v1 or HTTP v2 event) pick the operation of
the invoked function, the status must be one the operation documents, the headers it marks required must be there
with valid values, and the body must validate against the response's JSON Schema (Draft 2020-12, `$ref`s resolved
in the document). Paths no route of the function matches, methods a path does not have, and events that are not API
Gateway proxy events are validated against the generic error envelope. Any mismatch raises `OpenAPIMismatch` with
the request, the response and what is wrong.

Functions behind a streaming Function URL (`x-warden-function-url: RESPONSE_STREAM`, participant_export) answer with
the http-integration prelude instead of a proxy response: `{"statusCode", "headers", "cookies"}`, 8 NUL bytes, then
the body. `check_invocation` reads that form too, and an `application/x-ndjson` body is validated line by line (the
response's schema describes one line).
"""
import base64
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import referencing
import referencing.jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.yaml"
BASE_URI = "urn:warden:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# How many responses were validated, by operation id (`generic` for the generic error envelope).
VALIDATED = {}


class OpenAPIMismatch(AssertionError):
    """A response the document does not describe."""


PRELUDE_DELIMITER = b"\x00" * 8


def split_prelude(raw):
    """(prelude, body bytes) of a streamed Function URL response (`application/vnd.awslambda.http-integration-response`:
    JSON prelude, 8 NUL bytes, body), or None when `raw` is not one."""
    if not isinstance(raw, (bytes, bytearray)) or not raw.lstrip().startswith(b"{"):
        return None
    end = raw.find(PRELUDE_DELIMITER)
    if end < 0:
        return None
    try:
        prelude = json.loads(raw[:end])
    except ValueError:
        return None
    if not isinstance(prelude, dict) or not isinstance(prelude.get("statusCode"), int):
        return None
    return prelude, bytes(raw[end + len(PRELUDE_DELIMITER):])


def _escape(token):
    return str(token).replace("~", "~0").replace("/", "~1")


@dataclass
class Operation:
    function: str
    method: str
    template: str
    operation_id: str
    payload_format: str
    segments: list
    pointer: str
    raw: dict = field(repr=False)

    def match(self, parts):
        """The number of literal segments when `parts` fits the template, else None."""
        if len(parts) != len(self.segments):
            return None
        literal = 0
        for expected, actual in zip(self.segments, parts):
            if expected.startswith("{") and expected.endswith("}"):
                continue
            if expected != actual:
                return None
            literal += 1
        return literal


class Document:
    """docs/openapi.yaml with its operations, `$ref` resolution and cached schema validators."""

    def __init__(self, raw):
        self.raw = raw
        resource = referencing.Resource.from_contents(raw, default_specification=referencing.jsonschema.DRAFT202012)
        self.registry = referencing.Registry().with_resource(BASE_URI, resource)
        self.operations = []
        for template, item in raw.get("paths", {}).items():
            for method in METHODS:
                op = item.get(method)
                if op is None:
                    continue
                self.operations.append(Operation(
                    function=op.get("x-warden-function", ""), method=method.upper(), template=template,
                    operation_id=op.get("operationId", f"{method} {template}"),
                    payload_format=str(op.get("x-warden-payload-format", "")),
                    segments=[s for s in template.split("/") if s],
                    pointer=f"/paths/{_escape(template)}/{method}", raw=op))
        self.functions = {op.function for op in self.operations if op.function}
        self._validators = {}
        self.status_of_code = raw["components"]["schemas"]["ErrorCode"]["x-warden-status"]

    # -- references ------------------------------------------------------------------------------------------------
    def resolve(self, node, pointer):
        """Follows local `$ref`s of OpenAPI objects (responses, headers, parameters): (object, its pointer)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise OpenAPIMismatch(f"docs/openapi.yaml: only local $refs are supported, got {ref}")
            pointer = ref[1:]
            node = self.raw
            for token in pointer.split("/")[1:]:
                node = node[token.replace("~1", "/").replace("~0", "~")]
            seen += 1
            if seen > 20:
                raise OpenAPIMismatch(f"docs/openapi.yaml: $ref loop at {ref}")
        return node, pointer

    def validator(self, pointer):
        """A Draft 2020-12 validator for the schema at `pointer` (its `$ref`s resolve within the document)."""
        v = self._validators.get(pointer)
        if v is None:
            v = jsonschema.Draft202012Validator({"$ref": f"{BASE_URI}#{pointer}"}, registry=self.registry,
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            self._validators[pointer] = v
        return v

    # -- routes ----------------------------------------------------------------------------------------------------
    def operations_of(self, function):
        return [op for op in self.operations if op.function == function]

    def find(self, function, method, path):
        """The operation of `function` for `method` and `path`, or None. As API Gateway routes, the most specific
        template that fits the path wins whatever the method (`/api/participants/enrich` hides
        `/api/participants/{id}` for that path): a method it lacks is undocumented, not another template's."""
        parts = [p for p in path.split("/") if p]
        fitting = [(op.match(parts), op) for op in self.operations_of(function)]
        fitting = [(score, op) for score, op in fitting if score is not None]
        if not fitting:
            return None
        best = max(score for score, _ in fitting)
        return next((op for score, op in fitting if score == best and op.method == method), None)

    def generic_headers(self, function):
        """The headers every response of `function` carries: those its operations document for `500`."""
        for op in self.operations_of(function):
            response = op.raw.get("responses", {}).get("500")
            if response is not None:
                resolved, pointer = self.resolve(response, f"{op.pointer}/responses/500")
                return resolved.get("headers", {}), f"{pointer}/headers"
        return {}, ""


@functools.lru_cache(maxsize=1)
def document():
    return Document(yaml.safe_load(DOCUMENT.read_text()))


def http_functions():
    """The functions the document describes (each operation's `x-warden-function`)."""
    return document().functions


def request_of(event):
    """(method, path) as the functions read them from a REST v1 or HTTP v2 proxy event, or None when `event` is
    not one (`APIGatewayRequest` answers 400 to those)."""
    if isinstance(event, (bytes, bytearray, str)):
        try:
            event = json.loads(event)
        except ValueError:
            return None
    if not isinstance(event, dict):
        return None
    if isinstance(event.get("httpMethod"), str):
        path = event.get("path")
        return event["httpMethod"].upper(), path if isinstance(path, str) else "/"
    http = (event.get("requestContext") or {}).get("http") if isinstance(event.get("requestContext"), dict) else None
    if isinstance(http, dict) and isinstance(http.get("method"), str):
        path = event.get("rawPath")
        path = path if isinstance(path, str) else "/"
        # A named stage puts "/<stage>" in front of rawPath; the functions route without it (APIGatewayRequest).
        stage = event["requestContext"].get("stage")
        if isinstance(stage, str) and stage and stage != "$default":
            if path == "/" + stage:
                path = "/"
            elif path.startswith("/" + stage + "/"):
                path = path[len(stage) + 1:]
        return http["method"].upper(), path
    return None


def _fail(message, method, path, status, headers, body):
    shown = body if len(body) <= 2000 else body[:2000] + "…"
    raise OpenAPIMismatch(
        f"docs/openapi.yaml does not describe this response: {message}\n"
        f"  request:  {method or '(not an API Gateway event)'} {path or ''}\n"
        f"  response: {status} headers={json.dumps(headers, sort_keys=True)}\n"
        f"  body:     {shown}")


def _errors(validator, instance):
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(e.absolute_path), e.message))
    return [f"at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in errors[:8]]


def _check_headers(doc, declared, pointer, headers, fail):
    lower = {str(k).lower(): v for k, v in headers.items()}
    for name, header in declared.items():
        header, header_pointer = doc.resolve(header, f"{pointer}/{_escape(name)}")
        if name.lower() == "content-type":
            continue  # OpenAPI ignores a declared Content-Type header; the media type is checked with the body
        if name.lower() not in lower:
            if header.get("required"):
                fail(f"required header {name} is missing")
            continue
        value = lower[name.lower()]
        schema = header.get("schema", {})
        instance = value
        if schema.get("type") == "integer":
            if not isinstance(value, str) or not value.isdigit():
                fail(f"header {name}: {value!r} is not an integer")
            instance = int(value)
        problems = _errors(doc.validator(f"{header_pointer}/schema"), instance)
        if problems:
            fail(f"header {name}: {value!r}: {'; '.join(problems)}")


def _check_envelope_status(doc, status, envelope, fail):
    if isinstance(envelope, dict) and envelope.get("ok") is False and isinstance(envelope.get("error"), dict):
        code = envelope["error"].get("code")
        expected = doc.status_of_code.get(code)
        if expected is not None and expected != status:
            fail(f"error code {code} must come with status {expected}, not {status}")


def check_response(function, method, path, status, headers, body):
    """Validates one HTTP response of `function` to `method path` (None, None: not an API Gateway event) against
    the document. `headers` is a mapping, `body` the decoded body text. Returns the operation id it matched (or
    `generic`). Raises `OpenAPIMismatch`."""
    doc = document()
    fail = functools.partial(_fail, method=method, path=path, status=status, headers=headers, body=body)
    if function not in doc.functions:
        fail(f"the document has no operation served by function {function!r}")
    lower = {str(k).lower(): v for k, v in headers.items()}
    op = doc.find(function, method, path) if method else None
    if op is None:
        # No route of this function: the generic error envelope, with the headers of every response.
        if not 400 <= status <= 599:
            fail(f"no operation of {function} matches, so an error envelope was expected, not status {status}")
        declared, pointer = doc.generic_headers(function)
        _check_headers(doc, declared, pointer, headers, fail)
        try:
            envelope = json.loads(body)
        except ValueError:
            fail("the body is not JSON")
        problems = _errors(doc.validator("/components/schemas/ErrorEnvelope"), envelope)
        if problems:
            fail("generic error envelope (components/schemas/ErrorEnvelope): " + "; ".join(problems))
        _check_envelope_status(doc, status, envelope, fail)
        VALIDATED["generic"] = VALIDATED.get("generic", 0) + 1
        return "generic"

    responses = op.raw.get("responses", {})
    key = str(status)
    if key not in responses:
        key = f"{key[0]}XX" if f"{key[0]}XX" in responses else "default"
    if key not in responses:
        fail(f"status {status} is not documented for {op.method} {op.template} ({op.operation_id}); documented: "
             f"{', '.join(sorted(responses))}")
    response, pointer = doc.resolve(responses[key], f"{op.pointer}/responses/{key}")
    _check_headers(doc, response.get("headers", {}), f"{pointer}/headers", headers, fail)
    content = response.get("content")
    if not content:
        if body:
            fail(f"{op.operation_id} {status} has no body in the document, but one was sent")
    else:
        media = lower.get("content-type", "")
        base = media.split(";")[0].strip().lower() if isinstance(media, str) else ""
        if base not in content:
            fail(f"Content-Type {media!r} is not one of {sorted(content)} for {op.operation_id} {status}")
        validator = doc.validator(f"{pointer}/content/{_escape(base)}/schema")
        if base == "application/x-ndjson":
            _check_ndjson(validator, body, fail, op.operation_id, status)
        else:
            try:
                instance = json.loads(body)
            except ValueError:
                fail("the body is not JSON")
            problems = _errors(validator, instance)
            if problems:
                fail(f"{op.operation_id} {status} body: " + "; ".join(problems))
            _check_envelope_status(doc, status, instance, fail)
    VALIDATED[op.operation_id] = VALIDATED.get(op.operation_id, 0) + 1
    return op.operation_id


# Lines of an NDJSON body validated against the schema (then the last line); every line is parsed and counted. A
# 25 000-line export would otherwise spend most of its test in the schema validator.
NDJSON_SCHEMA_LINES = 500


def _check_ndjson(validator, body, fail, operation_id, status):
    """Every line of an NDJSON body is one JSON value valid against the response's schema (a line schema; the first
    `NDJSON_SCHEMA_LINES` lines and the last), each line ends with `\n`; a summary line (`exportComplete`) comes last
    and counts the lines before it. A stream cut short (no summary) is allowed: the document says a client must treat
    it as incomplete."""
    if body and not body.endswith("\n"):
        fail(f"{operation_id} {status}: the NDJSON body does not end with a complete line")
    lines = body.split("\n")[:-1] if body else []
    for number, line in enumerate(lines, 1):
        try:
            instance = json.loads(line)
        except ValueError:
            fail(f"{operation_id} {status}: line {number} is not JSON")
        if number <= NDJSON_SCHEMA_LINES or number == len(lines):
            problems = _errors(validator, instance)
            if problems:
                fail(f"{operation_id} {status} line {number}: " + "; ".join(problems))
        elif not isinstance(instance, dict):
            fail(f"{operation_id} {status}: line {number} is not an object")
        if isinstance(instance, dict) and "exportComplete" in instance:
            if number != len(lines):
                fail(f"{operation_id} {status}: the summary is line {number} of {len(lines)}, not the last")
            if instance.get("participants") != number - 1:
                fail(f"{operation_id} {status}: the summary counts {instance.get('participants')} lines, "
                     f"{number - 1} precede it")


def unreached(seen):
    """The operation ids of docs/openapi.yaml (sorted) that are not among `seen` (operation ids of validated
    responses; `generic` and anything else not in the document are ignored)."""
    return sorted({op.operation_id for op in document().operations} - set(seen))


def check_invocation(function, event, proxy_response):
    """Validates the API Gateway proxy response (bytes or dict) a function returned for `event`, or a streamed
    Function URL response (prelude, 8 NUL bytes, body)."""
    request = request_of(event)
    method, path = request if request else (None, None)
    streamed = split_prelude(proxy_response)
    doc = document()
    streaming_url = any(op.raw.get("x-warden-function-url") == "RESPONSE_STREAM" for op in doc.operations_of(function))
    if streaming_url and streamed is None:
        _fail(f"{function} is behind a RESPONSE_STREAM Function URL: its answer must begin with the http-integration "
              "prelude (JSON, 8 NUL bytes)", method, path, None, {},
              proxy_response.decode(errors="replace") if isinstance(proxy_response, bytes) else str(proxy_response))
    if streamed is not None and not streaming_url:
        _fail(f"{function} is not behind a streaming Function URL, yet answered with an http-integration prelude",
              method, path, streamed[0]["statusCode"], {}, "")
    if streamed is not None:
        prelude, body = streamed
        headers = prelude.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            _fail("the prelude's headers are not a map of strings", method, path, prelude["statusCode"], {}, "")
        if not isinstance(prelude.get("cookies", []), list):
            _fail("the prelude's cookies are not a list", method, path, prelude["statusCode"], headers, "")
        try:
            text = body.decode("utf-8") if body else ""
        except UnicodeDecodeError:
            _fail("the streamed body is not UTF-8", method, path, prelude["statusCode"], headers, repr(body[:200]))
        return check_response(function, method, path, prelude["statusCode"], headers, text)
    try:
        resp = json.loads(proxy_response) if isinstance(proxy_response, (bytes, bytearray, str)) else proxy_response
    except ValueError:
        resp = None
    if not isinstance(resp, dict) or not isinstance(resp.get("statusCode"), int):
        _fail("not an API Gateway proxy response (statusCode, headers, body)", method, path, None, {},
              proxy_response.decode(errors="replace") if isinstance(proxy_response, bytes) else str(proxy_response))
    headers = dict(resp.get("headers") or {})
    for name, values in (resp.get("multiValueHeaders") or {}).items():
        if values and name not in headers:
            headers[name] = values[-1]
    body = resp.get("body") or ""
    if not isinstance(body, str):
        _fail("the proxy response's body is not a string", method, path, resp["statusCode"], headers, str(body))
    if resp.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    return check_response(function, method, path, resp["statusCode"], headers, body)
