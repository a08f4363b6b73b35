"""Evaluation config (`eval.json`): dataclasses with documented defaults, validated without torch.

    {"task": "reply", "test_file": "test.jsonl",
     "models": [{"name": "candidate", "base_model": "/models/base", "adapter_path": "runs/42/adapter"},
                {"name": "baseline", "base_model": "/models/base"}],
     "predictions": [{"name": "openai", "file": "openai.jsonl"}],
     "max_examples": 200, "max_new_tokens": 256}

`models` are loaded here (transformers, a PEFT adapter on top when given): eval loss, greedy
generations and their latency. `predictions` are answers produced elsewhere (an OpenAI model),
one `{"prediction": "...", "latency_ms"?: n, "completion_tokens"?: n}` a line, aligned with the
test file's lines: they are scored without eval loss. Errors are WorkerError(kind='config').
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from ..config import PRECISIONS, read_config_json
from ..errors import WorkerError

TASKS = ("reply", "triage", "compliance")
DEVICES = ("auto", "cpu")


@dataclass
class ModelSpec:
    name: str                        # how the report names it ("candidate", "baseline", a model id)
    base_model: str                  # HF id or local directory (a full fine-tune's model/ folder)
    adapter_path: str | None = None  # PEFT adapter directory applied on top of base_model
    chat_template_path: str | None = None  # .jinja file, for a base model without a usable template


@dataclass
class PredictionSpec:
    name: str
    file: str                        # JSONL of {"prediction": str|null, "latency_ms"?, "completion_tokens"?}


@dataclass
class EvalConfig:
    task: str
    test_file: str                   # the dataset version's test split (OpenAI chat format; see data.py)
    models: list[ModelSpec] = field(default_factory=list)
    predictions: list[PredictionSpec] = field(default_factory=list)
    max_examples: int | None = 200   # the first N lines of test_file; null: all of them
    max_new_tokens: int = 256        # greedy generation budget per example
    max_seq_length: int = 1024       # like training: longer examples are truncated for the loss
    batch_size: int = 4              # eval-loss batch size
    precision: str = "auto"          # auto: bf16 (or fp16) on CUDA, fp32 on CPU
    device: str = "auto"             # auto: CUDA/MPS when present; cpu forces the CPU
    seed: int = 42


def _fail(message: str) -> WorkerError:
    return WorkerError(message, "config")


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _fail(f"'{name}' must be a whole number >= 1, got {value!r}")


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _fail(f"'{where}.name' must be a non-empty string of at most 200 characters")
    return value


def _path(value: Any, where: str, want: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"'{where}' must be a path string, got {value!r}")
    path = os.path.abspath(os.path.expanduser(value))
    if want == "file" and not os.path.isfile(path):
        raise _fail(f"'{where}': file not found: {path}")
    if want == "dir" and not os.path.isdir(path):
        raise _fail(f"'{where}': directory not found: {path}")
    return path


def _object(raw: Any, cls: type, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(f"'{where}' must be an object")
    allowed = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail(f"unknown key(s) {', '.join(unknown)} in '{where}'; allowed: {', '.join(sorted(allowed))}")
    return raw


def _model(raw: Any, where: str) -> ModelSpec:
    values = _object(raw, ModelSpec, where)
    if "base_model" not in values:
        raise _fail(f"'{where}.base_model' is required")
    spec = ModelSpec(**values)
    _name(spec.name, where)
    if not isinstance(spec.base_model, str) or not spec.base_model.strip():
        raise _fail(f"'{where}.base_model' must be a model id or a local directory")
    if spec.base_model.startswith(("/", ".", "~")) or os.path.exists(os.path.expanduser(spec.base_model)):
        spec.base_model = _path(spec.base_model, f"{where}.base_model", "dir")
    if spec.adapter_path is not None:
        spec.adapter_path = _path(spec.adapter_path, f"{where}.adapter_path", "dir")
        if not os.path.isfile(os.path.join(spec.adapter_path, "adapter_config.json")):
            raise _fail(f"'{where}.adapter_path': {spec.adapter_path} has no adapter_config.json")
    if spec.chat_template_path is not None:
        spec.chat_template_path = _path(spec.chat_template_path, f"{where}.chat_template_path", "file")
    return spec


def _prediction(raw: Any, where: str) -> PredictionSpec:
    values = _object(raw, PredictionSpec, where)
    if "file" not in values:
        raise _fail(f"'{where}.file' is required")
    spec = PredictionSpec(**values)
    _name(spec.name, where)
    spec.file = _path(spec.file, f"{where}.file", "file")
    return spec


def parse_eval_config(raw: Any) -> EvalConfig:
    values = dict(_object(raw, EvalConfig, "the config"))
    for required in ("task", "test_file"):
        if required not in values:
            raise _fail(f"'{required}' is required")
    for key in ("models", "predictions"):
        if not isinstance(values.get(key, []), list):
            raise _fail(f"'{key}' must be a list")
    values["models"] = [_model(m, f"models[{i}]") for i, m in enumerate(values.get("models", []))]
    values["predictions"] = [_prediction(p, f"predictions[{i}]") for i, p in enumerate(values.get("predictions", []))]
    cfg = EvalConfig(**values)
    if cfg.task not in TASKS:
        raise _fail(f"'task' must be one of {', '.join(TASKS)}, got {cfg.task!r}")
    cfg.test_file = _path(cfg.test_file, "test_file", "file")
    if not cfg.models and not cfg.predictions:
        raise _fail("nothing to evaluate: give 'models' and/or 'predictions'")
    names = [m.name for m in cfg.models] + [p.name for p in cfg.predictions]
    if len(set(names)) != len(names):
        raise _fail(f"model and prediction names must be unique, got {names}")
    if cfg.max_examples is not None:
        _positive_int("max_examples", cfg.max_examples)
    for name in ("max_new_tokens", "max_seq_length", "batch_size"):
        _positive_int(name, getattr(cfg, name))
    if not isinstance(cfg.seed, int) or isinstance(cfg.seed, bool):
        raise _fail(f"'seed' must be a whole number, got {cfg.seed!r}")
    if cfg.precision not in PRECISIONS:
        raise _fail(f"'precision' must be one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
    if cfg.device not in DEVICES:
        raise _fail(f"'device' must be one of {', '.join(DEVICES)}, got {cfg.device!r}")
    return cfg


def load_eval_config(path: str) -> EvalConfig:
    return parse_eval_config(read_config_json(path))
