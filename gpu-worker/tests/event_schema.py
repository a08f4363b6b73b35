"""The event contract the hub's runner parses (with zod): required fields and their JSON types.

Kept as data so the tests check every real event against it, and the README lists the same.
"""

from __future__ import annotations

from typing import Any

NUM = (int, float)
OPT_NUM = (int, float, type(None))
OPT_STR = (str, type(None))
OPT_INT = (int, type(None))

SCHEMA: dict[str, dict[str, Any]] = {
    "warning": {"message": str},
    "error": {"message": str, "kind": str},
    "valid": {"method": str, "train_examples": int, "validation_examples": int, "trials": int},
    "started": {"total_steps": int, "resumed_from_step": int, "method": str, "base_model": str, "device": str,
                "device_name": str, "precision": str, "world_size": int, "trainable_params": int,
                "total_params": int, "train_examples": int, "validation_examples": int,
                "effective_batch_size": int, "config": dict},
    "progress": {"step": int, "total_steps": int, "epoch": OPT_NUM, "loss": OPT_NUM, "learning_rate": OPT_NUM,
                 "grad_norm": OPT_NUM, "tokens_per_second": OPT_NUM, "tokens_seen": int,
                 "eta_seconds": OPT_NUM, "extra": dict},
    "eval": {"step": int, "epoch": OPT_NUM, "eval_loss": OPT_NUM, "best_eval_loss": OPT_NUM, "best_step": OPT_INT,
             "is_best": bool, "extra": dict},
    "checkpoint": {"step": int, "path": str, "is_best": bool},
    "done": {"best_checkpoint": OPT_STR, "best_step": OPT_INT, "best_fraction_of_training": OPT_NUM,
             "total_steps": int, "steps_trained": int, "resumed_from_step": int, "stopped_early": bool,
             "metrics": dict, "adapter_path": OPT_STR, "model_path": OPT_STR, "cost": dict},
    "sweep_done": {"strategy": str, "best_trial": int, "best_params": dict, "trials": list},
    "tiny_model": {"path": str},
}
DONE_METRICS = {"final_train_loss": OPT_NUM, "mean_train_loss": OPT_NUM, "best_eval_loss": OPT_NUM,
                "last_eval_loss": OPT_NUM}
DONE_COST = {"wall_seconds": NUM, "train_seconds": NUM, "cpu_seconds": NUM, "train_cpu_seconds": NUM, "gpu_seconds": OPT_NUM,
             "gpu_count": int, "tokens_seen": int, "peak_memory_bytes": int, "peak_memory_device": str}
SWEEP_TRIAL = {"trial": int, "params": dict, "path": str, "status": str, "best_eval_loss": OPT_NUM,
               "best_step": OPT_INT, "final_train_loss": OPT_NUM, "steps_trained": OPT_INT,
               "wall_seconds": OPT_NUM}


def _check(obj: dict[str, Any], fields: dict[str, Any], where: str) -> None:
    for name, types in fields.items():
        assert name in obj, f"{where}: missing '{name}' in {obj}"
        value = obj[name]
        assert isinstance(value, types) and not (isinstance(value, bool) and bool not in _tuple(types)), \
            f"{where}: '{name}' = {value!r} is not {types}"


def _tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def check_event(event: dict[str, Any]) -> None:
    assert event["type"] in SCHEMA, f"unknown event type {event['type']}"
    _check(event, SCHEMA[event["type"]], event["type"])
    if "trial" in event:
        assert isinstance(event["trial"], int) and event["trial"] >= 1
    if event["type"] == "done":
        _check(event["metrics"], DONE_METRICS, "done.metrics")
        _check(event["cost"], DONE_COST, "done.cost")
    if event["type"] == "sweep_done":
        for row in event["trials"]:
            _check(row, SWEEP_TRIAL, "sweep_done.trials[]")
