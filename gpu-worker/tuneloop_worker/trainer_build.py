"""Pieces both trainers (SFT, DPO) share: the callback list and the `started` event's fields."""

from __future__ import annotations

from typing import Any

from .callbacks import EventsCallback, FinalEvalCallback
from .config import RunConfig
from .events import Emitter
from .modeling import parameter_counts
from .runtime import Runtime


def make_callbacks(cfg: RunConfig, emitter: Emitter) -> tuple[EventsCallback, list[Any]]:
    from transformers import EarlyStoppingCallback

    events = EventsCallback(emitter, started_fields=dict)
    callbacks: list[Any] = [events, FinalEvalCallback()]
    if cfg.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.early_stopping_patience,
                                               early_stopping_threshold=cfg.early_stopping_threshold))
    return events, callbacks


def _lora_summary(cfg: RunConfig, model: Any) -> dict[str, Any] | None:
    """The adapter actually trained: from adapter_init's own config when there is one."""
    if cfg.method == "full":
        return None
    peft_config = getattr(model, "peft_config", {}).get("default") if cfg.adapter_init else None
    if peft_config is None:
        return {"r": cfg.lora.r, "alpha": cfg.lora.alpha, "dropout": cfg.lora.dropout,
                "target_modules": cfg.lora.target_modules}
    modules = peft_config.target_modules
    return {"r": peft_config.r, "alpha": peft_config.lora_alpha, "dropout": peft_config.lora_dropout,
            "target_modules": sorted(modules) if isinstance(modules, (set, list)) else modules}


def started_fields(cfg: RunConfig, rt: Runtime, model: Any, n_train: int, n_valid: int) -> dict[str, Any]:
    return {
        "method": cfg.method,
        "base_model": cfg.base_model,
        **rt.summary(),
        **parameter_counts(model),
        "train_examples": n_train,
        "validation_examples": n_valid,
        "effective_batch_size": cfg.per_device_batch_size * cfg.gradient_accumulation * rt.world_size,
        "config": {
            "learning_rate": cfg.learning_rate, "epochs": cfg.epochs, "max_steps": cfg.max_steps,
            "per_device_batch_size": cfg.per_device_batch_size, "gradient_accumulation": cfg.gradient_accumulation,
            "warmup_steps": cfg.warmup_steps, "max_seq_length": cfg.max_seq_length, "packing": cfg.packing,
            "eval_every_steps": cfg.eval_every_steps, "early_stopping_patience": cfg.early_stopping_patience,
            "seed": cfg.seed, "lora": _lora_summary(cfg, model), "adapter_init": cfg.adapter_init,
        },
    }
