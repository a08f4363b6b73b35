"""Run configuration: dataclasses with documented defaults, and validation without heavy imports.

``load_config(path)`` reads the JSON file the hub writes, rejects what cannot work (unknown keys,
wrong types, values past the hard limits of the contract's run-config schema, missing files,
unknown method) with a ``WorkerError`` of kind ``config``, and returns warnings for values outside
the ranges that work well in practice (lr 1e-5..1e-4, effective batch 4..16, 1..5 epochs, warmup
100..500 steps, eval every 10..50 steps). Nothing here imports torch, so a bad config fails in
well under a second. Fields, defaults and limits are the contract's (contract.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any

from . import contract
from .errors import WorkerError

METHODS = contract.enum("run-config", "method")
PRECISIONS = contract.enum("run-config", "precision")

# Ranges that work well for LoRA fine-tuning of small chat models; outside them we warn, we do not refuse.
RANGES = {
    "learning_rate": (1e-5, 1e-4),
    "effective_batch_size": (4, 16),
    "epochs": (1, 5),
    "warmup_steps": (100, 500),
    "eval_every_steps": (10, 50),
}


@dataclass
class LoraSettings:
    r: int = 16                      # adapter rank
    alpha: int = 32                  # scaling numerator; PEFT scales updates by alpha / r
    dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"  # PEFT shorthand: every linear layer but the LM head


@dataclass
class SweepSettings:
    strategy: str                    # "grid": every combination; "random": `trials` samples
    space: dict[str, list[Any]]      # key (see SWEEP_KEYS) -> candidate values
    trials: int | None = None        # required for random; caps the number of grid combinations


@dataclass
class RunConfig:
    base_model: str                  # Hugging Face model id, or a local directory with config.json
    train_file: str                  # JSONL; see data.py for the formats
    validation_file: str             # JSONL, same format; drives eval, early stopping and the best checkpoint
    method: str = "lora"             # lora | qlora (4-bit base, CUDA only) | full | dpo (LoRA on preference data)
    lora: LoraSettings = field(default_factory=LoraSettings)
    learning_rate: float = 1e-4
    epochs: float = 3
    per_device_batch_size: int = 4
    gradient_accumulation: int = 2
    warmup_steps: int = 100
    max_seq_length: int = 1024
    packing: bool = False
    eval_every_steps: int = 25       # eval and checkpoint interval (they must match to keep the best)
    log_every_steps: int = 10        # `progress` event interval
    early_stopping_patience: int = 3  # evals without improvement before stopping; 0 disables
    early_stopping_threshold: float = 0.0  # eval-loss decrease that counts as an improvement
    keep_checkpoints: int = 2        # newest checkpoints kept on disk, besides the best one
    seed: int = 42
    precision: str = "auto"          # auto: bf16 on CUDA that supports it, else fp16 on CUDA, fp32 on CPU
    gradient_checkpointing: bool = True
    assistant_only_loss: bool = True  # loss only on assistant tokens (needs {% generation %} in the template)
    chat_template_path: str | None = None  # a .jinja file or tokenizer dir, for models without a usable template
    max_steps: int | None = None     # stops after this many optimizer steps, overriding epochs
    dpo_beta: float = 0.1            # DPO: how far the policy may move from the reference
    adapter_init: str | None = None  # existing PEFT adapter to start from (dpo from production, or continue lora)
    resume: bool = True              # resume from the newest checkpoint in OUT/checkpoints if there is one
    sweep: SweepSettings | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# sweep space key -> (config path, field checker name)
SWEEP_KEYS = {
    "learning_rate": ("learning_rate",),
    "epochs": ("epochs",),
    "per_device_batch_size": ("per_device_batch_size",),
    "gradient_accumulation": ("gradient_accumulation",),
    "warmup_steps": ("warmup_steps",),
    "lora_r": ("lora", "r"),
    "lora_alpha": ("lora", "alpha"),
    "lora_dropout": ("lora", "dropout"),
}


def _fail(message: str) -> WorkerError:
    return WorkerError(message, "config")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool))


def _check_keys(obj: dict[str, Any], cls: type, where: str) -> None:
    allowed = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _fail(f"unknown key(s) {', '.join(unknown)} in {where}; allowed: {', '.join(sorted(allowed))}")


def _check_field(name: str, value: Any) -> None:
    """Type and hard limits of one field (config and sweep values), from the run-config schema."""
    path = "lora." + name if name in ("r", "alpha", "dropout") else name
    wanted = contract.violation(contract.field("run-config", path), value)
    if wanted:
        raise _fail(f"'{path}' must be {wanted}, got {value!r}")


def _check_path(name: str, value: Any, want: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"'{name}' must be a path string, got {value!r}")
    path = os.path.abspath(os.path.expanduser(value))
    if want == "file" and not os.path.isfile(path):
        raise _fail(f"'{name}': file not found: {path}")
    if want == "dir" and not os.path.isdir(path):
        raise _fail(f"'{name}': directory not found: {path}")
    if want == "any" and not os.path.exists(path):
        raise _fail(f"'{name}': not found: {path}")
    return path


def _looks_local(model: str) -> bool:
    return model.startswith(("/", ".", "~")) or os.path.exists(os.path.expanduser(model))


def _parse_lora(raw: Any) -> LoraSettings:
    if not isinstance(raw, dict):
        raise _fail(f"'lora' must be an object like {{\"r\": 16, \"alpha\": 32}}, got {raw!r}")
    _check_keys(raw, LoraSettings, "'lora'")
    lora = LoraSettings(**raw)
    for name in ("r", "alpha", "dropout"):
        _check_field(name, getattr(lora, name))
    tm = lora.target_modules
    if not (isinstance(tm, str) and tm) and not (
            isinstance(tm, list) and tm and all(isinstance(m, str) and m for m in tm)):
        raise _fail(f"'lora.target_modules' must be \"all-linear\" or a list of module names, got {tm!r}")
    return lora


def _parse_sweep(raw: Any) -> SweepSettings:
    if not isinstance(raw, dict):
        raise _fail("'sweep' must be an object with strategy, space and (for random) trials")
    _check_keys(raw, SweepSettings, "'sweep'")
    if raw.get("strategy") not in ("grid", "random"):
        raise _fail(f"'sweep.strategy' must be \"grid\" or \"random\", got {raw.get('strategy')!r}")
    trials = raw.get("trials")
    if trials is not None and (not _is_int(trials) or trials < 1):
        raise _fail(f"'sweep.trials' must be a whole number >= 1, got {trials!r}")
    if raw["strategy"] == "random" and trials is None:
        raise _fail("'sweep.trials' is required for the random strategy")
    space = raw.get("space")
    if not isinstance(space, dict) or not space:
        raise _fail(f"'sweep.space' must be a non-empty object; keys: {', '.join(SWEEP_KEYS)}")
    for key, values in space.items():
        if key not in SWEEP_KEYS:
            raise _fail(f"unknown key '{key}' in 'sweep.space'; allowed: {', '.join(SWEEP_KEYS)}")
        if not isinstance(values, list) or not values:
            raise _fail(f"'sweep.space.{key}' must be a non-empty list of values")
        for v in values:
            _check_field(SWEEP_KEYS[key][-1], v)
    return SweepSettings(strategy=raw["strategy"], space=space, trials=trials)


def parse_config(raw: Any) -> RunConfig:
    """Turns the JSON object into a RunConfig, or raises WorkerError(kind='config')."""
    if not isinstance(raw, dict):
        raise _fail("the config must be a JSON object")
    _check_keys(raw, RunConfig, "the config")
    for required in ("base_model", "train_file", "validation_file"):
        if required not in raw:
            raise _fail(f"'{required}' is required")
    values = dict(raw)
    if "lora" in values:
        values["lora"] = _parse_lora(values["lora"])
    if values.get("sweep") is not None:
        values["sweep"] = _parse_sweep(values["sweep"])
    cfg = RunConfig(**values)

    if cfg.method not in METHODS:
        raise _fail(f"'method' must be one of {', '.join(METHODS)}, got {cfg.method!r}")
    if cfg.precision not in PRECISIONS:
        raise _fail(f"'precision' must be one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
    for f in dataclasses.fields(RunConfig):
        if f.name == "max_steps" and cfg.max_steps is None:
            continue
        _check_field(f.name, getattr(cfg, f.name))

    if not isinstance(cfg.base_model, str) or not cfg.base_model.strip():
        raise _fail("'base_model' must be a model id or a local directory")
    if _looks_local(cfg.base_model):
        cfg.base_model = _check_path("base_model", cfg.base_model, "dir")
        if not os.path.isfile(os.path.join(cfg.base_model, "config.json")):
            raise _fail(f"'base_model': {cfg.base_model} has no config.json; is it a saved model directory?")
    cfg.train_file = _check_path("train_file", cfg.train_file, "file")
    cfg.validation_file = _check_path("validation_file", cfg.validation_file, "file")
    if cfg.adapter_init is not None:
        if cfg.method == "full":
            raise _fail("'adapter_init' needs method lora, qlora or dpo; full fine-tuning has no adapter")
        cfg.adapter_init = _check_path("adapter_init", cfg.adapter_init, "dir")
        if not os.path.isfile(os.path.join(cfg.adapter_init, "adapter_config.json")):
            raise _fail(f"'adapter_init': {cfg.adapter_init} has no adapter_config.json; is it a PEFT adapter?")
    if cfg.chat_template_path is not None:
        cfg.chat_template_path = _check_path("chat_template_path", cfg.chat_template_path, "any")
    if cfg.packing and cfg.method == "dpo":
        raise _fail("'packing' is not available for dpo; set it to false")
    return cfg


def range_warnings(cfg: RunConfig) -> list[str]:
    """Values outside the proven ranges: allowed, but a person should know."""
    out: list[str] = []

    def check(label: str, value: float, key: str) -> None:
        lo, hi = RANGES[key]
        if not lo <= value <= hi:
            out.append(f"{label} = {value:g} is outside the proven range {lo:g}..{hi:g}")

    if cfg.method == "dpo":
        # DPO's useful learning rates sit far below SFT's (TRL's default is 1e-6); only flag high ones.
        if cfg.learning_rate > RANGES["learning_rate"][1]:
            out.append(f"learning_rate = {cfg.learning_rate:g} is high for dpo (typical: 5e-7..5e-6)")
    else:
        check("learning_rate", cfg.learning_rate, "learning_rate")
    check("effective batch size (per_device_batch_size x gradient_accumulation)",
          cfg.per_device_batch_size * cfg.gradient_accumulation, "effective_batch_size")
    if cfg.max_steps is None:
        check("epochs", cfg.epochs, "epochs")
    check("warmup_steps", cfg.warmup_steps, "warmup_steps")
    check("eval_every_steps", cfg.eval_every_steps, "eval_every_steps")
    if cfg.early_stopping_patience == 0:
        out.append("early_stopping_patience = 0 disables early stopping")
    return out


def apply_params(cfg: RunConfig, params: dict[str, Any]) -> RunConfig:
    """A copy of cfg with sweep parameters applied, e.g. {"lora_r": 8} -> cfg.lora.r = 8."""
    new = dataclasses.replace(cfg, lora=dataclasses.replace(cfg.lora), sweep=None)
    for key, value in params.items():
        path = SWEEP_KEYS[key]
        target = new.lora if path[0] == "lora" else new
        setattr(target, path[-1], value)
    return new


def read_config_json(path: str) -> Any:
    """A command's JSON config file, or a `config` WorkerError that says what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise _fail(f"config file not found: {os.path.abspath(path)}") from None
    except json.JSONDecodeError as err:
        raise _fail(f"config file {path} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") \
            from None


def load_config(path: str) -> RunConfig:
    return parse_config(read_config_json(path))
