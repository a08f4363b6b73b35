"""The hub <-> worker contract, read from the JSON Schema files the hub generates from its zod
declarations (src/training/worker/contract/ in the repository; `npm run schemas` writes them into
tuneloop_worker/schemas/). Limits and allowed values are taken from there, never written twice;
tests/test_contract.py fails when the dataclasses here and the schemas disagree.

Nothing here imports torch.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

# JSON numbers above this are zod's "no maximum" for whole numbers.
_NO_LIMIT = 2 ** 53 - 1


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    """`run-config`, `eval-config` or `worker-event`."""
    text = resources.files("tuneloop_worker").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def field(name: str, path: str) -> dict[str, Any]:
    """The schema of one field, e.g. field("run-config", "lora.r")."""
    node = schema(name)
    for part in path.split("."):
        node = _without_null(node)["properties"][part]
    return node


def enum(name: str, path: str) -> tuple[str, ...]:
    return tuple(_without_null(field(name, path))["enum"])


def _without_null(spec: dict[str, Any]) -> dict[str, Any]:
    options = spec.get("anyOf")
    if options:
        rest = [option for option in options if option.get("type") != "null"]
        if len(rest) == 1:
            return {**spec, **rest[0]}
    return spec


def _nullable(spec: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in spec.get("anyOf", []))


def _bounds(spec: dict[str, Any]) -> str:
    parts = []
    if "exclusiveMinimum" in spec:
        parts.append(f"> {spec['exclusiveMinimum']:g}")
    elif "minimum" in spec and spec["minimum"] > -_NO_LIMIT:
        parts.append(f">= {spec['minimum']:g}")
    if "exclusiveMaximum" in spec:
        parts.append(f"< {spec['exclusiveMaximum']:g}")
    elif "maximum" in spec and spec["maximum"] < _NO_LIMIT:
        parts.append(f"<= {spec['maximum']:g}")
    return " and ".join(parts)


def _within(spec: dict[str, Any], value: float) -> bool:
    return (("exclusiveMinimum" not in spec or value > spec["exclusiveMinimum"])
            and ("minimum" not in spec or value >= spec["minimum"])
            and ("exclusiveMaximum" not in spec or value < spec["exclusiveMaximum"])
            and ("maximum" not in spec or value <= spec["maximum"]))


def violation(spec: dict[str, Any], value: Any) -> str | None:
    """What `value` must be to fit the scalar field `spec` ("a whole number >= 1"), or None when it fits."""
    if value is None and _nullable(spec):
        return None
    spec = _without_null(spec)
    kind = spec.get("type")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if "enum" in spec:
        return None if value in spec["enum"] else f"one of {', '.join(map(str, spec['enum']))}"
    if kind == "boolean":
        return None if isinstance(value, bool) else "true or false"
    if kind in ("integer", "number"):
        wanted = "a whole number" if kind == "integer" else "a number"
        bounds = _bounds(spec)
        wanted = f"{wanted} {bounds}" if bounds else wanted
        if not is_number or (kind == "integer" and not isinstance(value, int)) or not _within(spec, value):
            return wanted
        return None
    if kind == "string":
        return None if isinstance(value, str) and len(value) >= spec.get("minLength", 0) else "a non-empty string"
    return None


def defaults(name: str, path: str | None = None) -> dict[str, Any]:
    """Field -> default, for the fields that have one (tests compare them with the dataclasses)."""
    node = schema(name) if path is None else _without_null(field(name, path))
    return {key: spec["default"] for key, spec in node["properties"].items() if "default" in spec}


def properties(name: str, path: str | None = None) -> set[str]:
    node = schema(name) if path is None else _without_null(field(name, path))
    return set(node["properties"])


def check_event(event: dict[str, Any]) -> None:
    """Raises jsonschema.ValidationError when `event` is not an event of the contract (tests use it)."""
    import jsonschema

    jsonschema.validate(event, schema("worker-event"))
