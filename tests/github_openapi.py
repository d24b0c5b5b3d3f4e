"""GitHub's OpenAPI description as JSON Schema validators, so the fake GitHub cannot drift
from what GitHub sends: every response it serves is validated against the schema of its
endpoint and status (`$ref`s resolved, OpenAPI's `nullable` turned into JSON Schema)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SPEC = Path(__file__).parent / "data" / "github" / "rest-api-subset.json"
JsonSchema = dict[str, Any]


HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete"})


@dataclass(frozen=True)
class Endpoint:
    template: str
    method: str  # upper case
    regex: re.Pattern[str]
    operation: Mapping[str, Any]

    @property
    def literal_length(self) -> int:
        return len(re.sub(r"\{[^}]+\}", "", self.template))


class OpenApiShapes:
    """The response schemas of a spec, by method, concrete path and status."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.endpoints = [
            Endpoint(template, method.upper(), _path_regex(template, operations), operation)
            for template, operations in spec["paths"].items()
            for method, operation in operations.items()
            if method in HTTP_METHODS
        ]
        self._validators: dict[tuple[str, str, str], jsonschema.protocols.Validator | None] = {}

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        """The endpoint a path belongs to; the most specific when several match."""
        matches = [
            e for e in self.endpoints if e.method == method.upper() and e.regex.fullmatch(path)
        ]
        return max(matches, key=lambda e: e.literal_length, default=None)

    def validate(self, method: str, path: str, status: int, body: Any) -> str:
        """Check a response; returns the endpoint's template. Raises AssertionError for an
        undocumented endpoint or success status, jsonschema.ValidationError for a bad shape."""
        endpoint = self.endpoint(method, path)
        assert endpoint is not None, f"{method} {path} is not in GitHub's OpenAPI description"
        validator = self._validator(endpoint, status)
        if validator is None:
            assert status >= 400 or status == 304, f"{endpoint.template} never answers {status}"
            validator = self._validator_for(_basic_error(self.spec))
        validator.validate(body)
        return endpoint.template

    def _validator(self, endpoint: Endpoint, status: int) -> jsonschema.protocols.Validator | None:
        key = (endpoint.method, endpoint.template, str(status))
        if key not in self._validators:
            response = endpoint.operation.get("responses", {}).get(str(status))
            schema = _response_schema(response) if response is not None else None
            self._validators[key] = (
                None if schema is None else self._validator_for(to_json_schema(schema, self.spec))
            )
        return self._validators[key]

    @staticmethod
    def _validator_for(schema: JsonSchema) -> jsonschema.protocols.Validator:
        validator: jsonschema.protocols.Validator = jsonschema.Draft4Validator(schema)
        return validator


def _path_regex(template: str, operations: Mapping[str, Any]) -> re.Pattern[str]:
    multi = {
        p["name"]
        for operation in operations.values()
        if isinstance(operation, Mapping)
        for p in operation.get("parameters", [])
        if p.get("in") == "path" and p.get("x-multi-segment")
    }
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        (".+" if part[1:-1] in multi else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(regex)


def _response_schema(response: Mapping[str, Any]) -> JsonSchema | None:
    content = response.get("content", {}).get("application/json")
    schema = content.get("schema") if content else None
    return dict(schema) if schema is not None else None


def _basic_error(spec: Mapping[str, Any]) -> JsonSchema:
    """GitHub's "Basic Error", taken from the spec itself, for error statuses the spec does
    not list for an endpoint (a 403 for a token without admin rights, say)."""
    for operations in spec["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                schema = _response_schema(response)
                if schema is not None and schema.get("title") == "Basic Error":
                    return to_json_schema(schema, spec)
    raise AssertionError("no Basic Error schema in the spec")


def to_json_schema(schema: object, root: Mapping[str, Any]) -> JsonSchema:
    """An OpenAPI 3.0 schema as JSON Schema: `$ref`s inlined, `nullable` as a null type."""
    converted = _convert(schema, root, ())
    assert isinstance(converted, dict)
    return converted


def _convert(node: object, root: Mapping[str, Any], seen: tuple[str, ...]) -> object:
    if isinstance(node, list):
        return [_convert(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        assert ref not in seen, f"recursive $ref {ref}"
        return _convert(_resolve(ref, root), root, (*seen, ref))
    result = {key: _convert(value, root, seen) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [result, {"type": "null"}]}
    return result


def _resolve(ref: str, root: Mapping[str, Any]) -> object:
    assert ref.startswith("#/"), f"only local $refs are expected, not {ref}"
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return copy.deepcopy(node)


@cache
def github_shapes() -> OpenApiShapes:
    return OpenApiShapes(json.loads(SPEC.read_text(encoding="utf-8")))


def example(template: str, status: str = "200", method: str = "get") -> Any:
    """A deep copy of GitHub's own example response of an endpoint."""
    operation = github_shapes().spec["paths"][template][method]
    content = operation["responses"][status]["content"]["application/json"]
    first = next(iter(content["examples"].values()))
    return copy.deepcopy(first["value"])
