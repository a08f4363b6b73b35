"""The hub <-> worker contract: the dataclasses here and the hub's schemas must not drift apart.

The schemas are generated from the hub's zod declarations (`npm run schemas`); a field added,
renamed or given another default on either side fails here."""

from __future__ import annotations

import dataclasses

import jsonschema
import pytest

from tuneloop_worker import contract
from tuneloop_worker.config import SWEEP_KEYS, LoraSettings, RunConfig, SweepSettings
from tuneloop_worker.evaluation.config import EvalConfig, ModelSpec, PredictionSpec


def _defaults(cls: type) -> dict:
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            value = f.default_factory()  # type: ignore[misc]
            out[f.name] = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return out


@pytest.mark.parametrize("cls, schema, path", [
    (RunConfig, "run-config", None),
    (LoraSettings, "run-config", "lora"),
    (SweepSettings, "run-config", "sweep"),
    (EvalConfig, "eval-config", None),
    (ModelSpec, "eval-config", "models"),
    (PredictionSpec, "eval-config", "predictions"),
])
def test_dataclass_fields_and_defaults_match_the_schema(cls, schema, path):
    if path in ("models", "predictions"):
        node = contract.schema(schema)["properties"][path]["items"]
        names, defaults = set(node["properties"]), {k: v["default"] for k, v in node["properties"].items() if "default" in v}
    else:
        names, defaults = contract.properties(schema, path), contract.defaults(schema, path)
    assert {f.name for f in dataclasses.fields(cls)} == names
    assert _defaults(cls) == defaults


def test_sweep_keys_match_the_schema():
    space = contract.field("run-config", "sweep")["anyOf"][0]["properties"]["space"]
    assert set(SWEEP_KEYS) == set(space["propertyNames"]["enum"])


def test_hard_limits_come_from_the_schema():
    assert contract.violation(contract.field("run-config", "learning_rate"), 0) == "a number > 0 and <= 1"
    assert contract.violation(contract.field("run-config", "lora.r"), 2048) == "a whole number >= 1 and <= 1024"
    assert contract.violation(contract.field("run-config", "max_steps"), None) is None
    assert contract.violation(contract.field("run-config", "packing"), "yes") == "true or false"


def test_an_event_outside_the_contract_is_refused():
    contract.check_event({"type": "checkpoint", "step": 4, "path": "/x", "is_best": True})
    with pytest.raises(jsonschema.ValidationError):
        contract.check_event({"type": "checkpoint", "step": "4", "path": "/x", "is_best": True})
    with pytest.raises(jsonschema.ValidationError):
        contract.check_event({"type": "telemetry"})
