"""Hold recorded loopback Discord exchanges against Discord's OpenAPI description (dev time).

Discord publishes an OpenAPI 3.1 description of its HTTP API (repository
``discord/discord-api-spec``, ``specs/openapi.json``). Nothing of it is committed here: fetch it
yourself, record the Discord end-to-end suite, and run this script on both::

    TANDEM_LOOPBACK_RECORD=/tmp/exchanges.jsonl .venv/bin/python -m pytest -q tests/e2e_discord
    .venv/bin/python tests/support/discord_openapi_check.py /path/to/openapi.json \\
        /tmp/exchanges.jsonl [--show N]

For every exchange it finds the documented operation (the most literal path template that
matches, then the method), validates the JSON the bot sent against the operation's request body
and the JSON the loopback answered against the response documented for that status (a status the
operation does not document is a failure of its own). It prints how many requests and responses
conform and the most frequent reasons the others do not.

discord.py's habits that Discord accepts are set aside in requests: integer snowflakes and
``with_response=1``-style booleans in the query. Responses get no such leniency, with one
exception where the spec (a public preview) and the docs disagree and the docs win: the inner
errors of a 400 carry string codes such as ``BASE_TYPE_MAX_LENGTH`` (``developers/reference.mdx``,
"Error Messages"), where the spec's ``Error`` says integer.

The spec leaves its objects open (no ``additionalProperties: false``), so a field Discord never
sends in a response passes. ``--closed`` checks responses a second time with every object closed,
which shows such fields (for example the gateway-only ``guild_id`` and ``member`` of a message).

The script needs
``jsonschema`` (installed with matrix-nio; ``pip install jsonschema`` otherwise) and is not run
by the test suite; ``tests/support/discord_loopback/shapes.py`` holds the rules the suite keeps.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-openapi"
API_PREFIX = "/api/v10"
BOOLEAN_WORDS = {"true": True, "1": True, "True": True, "false": False, "0": False}


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    pointer: str  # JSON pointer of the operation object inside the spec
    body: dict[str, Any]


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _lenient_requests(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec whose snowflakes also accept integers, as Discord does in requests."""
    lenient = copy.deepcopy(spec)
    snowflake = lenient["components"]["schemas"]["SnowflakeType"]
    lenient["components"]["schemas"]["SnowflakeType"] = {
        "anyOf": [snowflake, {"type": "integer", "minimum": 0}]
    }
    return lenient


def _docs_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy whose inner form errors have string codes, as developers/reference.mdx shows."""
    fixed = copy.deepcopy(spec)
    inner = fixed["components"]["schemas"]["InnerErrors"]["properties"]["_errors"]
    inner["items"] = {
        "type": "object",
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["code", "message"],
    }
    return fixed


def _closed(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy in which every object names all the fields it may have (``allOf`` parts excepted)."""
    closed = copy.deepcopy(spec)
    schemas = closed["components"]["schemas"]
    in_all_of = {
        part["$ref"].rsplit("/", 1)[1]
        for schema in schemas.values()
        for part in schema.get("allOf", [])
        if "$ref" in part
    }

    def close(node: Any, exempt: bool = False) -> None:
        if isinstance(node, list):
            for item in node:
                close(item, exempt)
            return
        if not isinstance(node, dict):
            return
        if "properties" in node and "additionalProperties" not in node and not exempt:
            node["additionalProperties"] = False
        for key, value in node.items():
            close(value, exempt=key == "allOf")

    for name, schema in schemas.items():
        close(schema, exempt=name in in_all_of)
    return closed


class Checker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        answers = _docs_errors(spec)
        self.registries = {
            "response": self._registry(answers),
            "closed": self._registry(_closed(answers)),
            "request": self._registry(_lenient_requests(spec)),
        }
        self.operations: list[tuple[re.Pattern[str], int, Operation]] = []
        for template, item in spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            literals = sum(1 for s in template.split("/") if s and not s.startswith("{"))
            for method, body in item.items():
                if isinstance(body, dict) and "responses" in body:
                    pointer = f"/paths/{_escape(template)}/{method}"
                    operation = Operation(template, method.upper(), pointer, body)
                    self.operations.append((pattern, literals, operation))
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}

    @staticmethod
    def _registry(spec: dict[str, Any]) -> Registry:
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        return Registry().with_resource(SPEC_URI, resource)

    def validator(self, kind: str, pointer: str) -> Draft202012Validator:
        key = (kind, pointer)
        if key not in self._validators:
            schema = {"$ref": f"{SPEC_URI}#{pointer}"}
            self._validators[key] = Draft202012Validator(schema, registry=self.registries[kind])
        return self._validators[key]

    def operation(self, method: str, path: str) -> Operation | None:
        path = path.removeprefix(API_PREFIX)
        found = [
            (literals, op)
            for pattern, literals, op in self.operations
            if op.method == method and pattern.match(path)
        ]
        return max(found, key=lambda pair: pair[0])[1] if found else None

    def check_request(self, operation: Operation, exchange: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        for index, parameter in enumerate(operation.body.get("parameters", [])):
            if parameter.get("in") != "query" or parameter["name"] not in exchange["query"]:
                continue
            raw = exchange["query"][parameter["name"]]
            kind = parameter.get("schema", {}).get("type")
            value: Any = raw
            if kind == "boolean":
                value = BOOLEAN_WORDS.get(raw, raw)
            elif kind == "integer" and raw.isdigit():
                value = int(raw)
            pointer = f"{operation.pointer}/parameters/{index}/schema"
            problems += _errors(self.validator("request", pointer), value, "query")
        body = exchange["request_body"]
        content = operation.body.get("requestBody", {}).get("content", {})
        if body not in (None, {}) and "application/json" in content:
            pointer = f"{operation.pointer}/requestBody/content/application~1json/schema"
            problems += _errors(self.validator("request", pointer), body, "request")
        return problems

    def check_response(
        self, operation: Operation, exchange: dict[str, Any], *, kind: str = "response"
    ) -> list[str]:
        status = str(exchange["status"])
        responses = operation.body["responses"]
        documented = status if status in responses else f"{status[0]}XX"
        if documented not in responses:
            return [f"status {status} not documented (documented: {', '.join(responses)})"]
        pointer = f"{operation.pointer}/responses/{documented}"
        response = responses[documented]
        if "$ref" in response:  # a shared response such as ClientErrorResponse
            pointer = response["$ref"].removeprefix("#")
            response = self.spec["components"]["responses"][pointer.rsplit("/", 1)[1]]
        body = exchange["response_body"]
        if "application/json" not in response.get("content", {}):
            return [] if body is None else [f"a body where status {status} has none"]
        pointer += "/content/application~1json/schema"
        return _errors(self.validator(kind, pointer), body, "response")


def _errors(validator: Draft202012Validator, instance: Any, where: str) -> list[str]:
    """Every distinct reason ``instance`` fails, each leaf named by where it sits."""
    found: list[str] = []
    for error in validator.iter_errors(instance):
        for leaf in _leaves(error):
            reason = _describe(leaf, where)
            if reason not in found:
                found.append(reason)
    return found


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that matter inside a union: those of the branch that came closest (fewest)."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for inner in error.context:
        branches.setdefault(inner.relative_schema_path[0], []).append(inner)
    closest = min(branches.values(), key=len)
    return [leaf for inner in closest for leaf in _leaves(inner)]


def _describe(error: ValidationError, where: str) -> str:
    path = re.sub(r"\.\d+(?=\.|$)", "[]", ".".join(str(p) for p in error.absolute_path))
    return f"{where} {path or '(root)'}: {error.message[:120]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("spec", type=Path, help="Discord's specs/openapi.json")
    parser.add_argument("recording", type=Path, help="JSON lines from TANDEM_LOOPBACK_RECORD")
    parser.add_argument("--show", type=int, default=25, help="how many reasons to list")
    parser.add_argument("--examples", action="store_true", help="name one exchange per reason")
    parser.add_argument(
        "--closed", action="store_true", help="also count fields a response schema does not name"
    )
    args = parser.parse_args(argv)

    checker = Checker(json.loads(args.spec.read_text(encoding="utf-8")))
    exchanges = [json.loads(line) for line in args.recording.read_text().splitlines() if line]
    requests_checked = requests_ok = responses_checked = responses_ok = closed_ok = 0
    accepted_checked = accepted_ok = 0
    reasons: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for exchange in exchanges:
        if exchange.get("injected"):
            continue  # a fault a test injected on purpose (429, 500): not the loopback's shape
        operation = checker.operation(exchange["method"], exchange["path"])
        where = f"{exchange['method']} {exchange['route']}"
        if operation is None:
            reasons[f"{where}: no such operation"] += 1
            responses_checked += 1
            continue
        label = f"{operation.method} {operation.template} {exchange['status']}"
        if exchange["request_body"] not in (None, {}) or exchange["query"]:
            requests_checked += 1
            problems = checker.check_request(operation, exchange)
            requests_ok += not problems
            if exchange["status"] < 400:
                accepted_checked += 1
                accepted_ok += not problems
            for problem in problems:
                reasons[f"{label}: {problem}"] += 1
                examples.setdefault(f"{label}: {problem}", exchange["test"])
        responses_checked += 1
        problems = checker.check_response(operation, exchange)
        responses_ok += not problems
        if args.closed:
            extra = checker.check_response(operation, exchange, kind="closed")
            closed_ok += not extra
            problems += [f"(closed) {p}" for p in extra if p not in problems]
        for problem in problems:
            reasons[f"{label}: {problem}"] += 1
            examples.setdefault(f"{label}: {problem}", exchange["test"])

    print(f"requests conform:  {requests_ok} of {requests_checked}")
    print(f"  of those the loopback accepted: {accepted_ok} of {accepted_checked}")
    print(f"responses conform: {responses_ok} of {responses_checked}")
    if args.closed:
        print(f"responses conform with no unnamed field: {closed_ok} of {responses_checked}")
    for reason, count in reasons.most_common(args.show):
        print(f"{count:5d}  {reason}")
        if args.examples:
            print(f"       e.g. {examples[reason]}")
    return 0 if requests_ok == requests_checked and responses_ok == responses_checked else 1


if __name__ == "__main__":
    sys.exit(main())
