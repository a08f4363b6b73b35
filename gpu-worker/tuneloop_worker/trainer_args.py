"""TrainingArguments shared by SFTConfig and DPOConfig, derived from our RunConfig.

Eval and save run on the same step interval so `load_best_model_at_end` can pick the checkpoint
with the lowest eval loss (transformers requires matching strategies for that).
"""

from __future__ import annotations

import os
from typing import Any

from .config import RunConfig
from .runtime import Runtime


def checkpoints_dir(out: str) -> str:
    return os.path.join(out, "checkpoints")


def common_args(cfg: RunConfig, out: str, rt: Runtime) -> dict[str, Any]:
    return {
        "output_dir": checkpoints_dir(out),
        "num_train_epochs": float(cfg.epochs),
        "max_steps": cfg.max_steps if cfg.max_steps is not None else -1,
        "per_device_train_batch_size": cfg.per_device_batch_size,
        "per_device_eval_batch_size": cfg.per_device_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation,
        "learning_rate": cfg.learning_rate,
        "warmup_steps": cfg.warmup_steps,
        "eval_strategy": "steps",
        "eval_steps": cfg.eval_every_steps,
        "save_strategy": "steps",
        "save_steps": cfg.eval_every_steps,
        # Trainer keeps the best checkpoint in addition to the newest `save_total_limit` ones.
        "save_total_limit": cfg.keep_checkpoints,
        "load_best_model_at_end": True,
        "metric_for_best_model": "eval_loss",
        "greater_is_better": False,
        "logging_strategy": "steps",
        "logging_steps": cfg.log_every_steps,
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "bf16": rt.precision == "bf16",
        "fp16": rt.precision == "fp16",
        "gradient_checkpointing": cfg.gradient_checkpointing,
        # Real (non-padding) tokens, for tokens/s and the cost report.
        "include_num_input_tokens_seen": "non_padding",
        # Early stopping's patience counter survives a restart.
        "restore_callback_states_from_checkpoint": True,
        "report_to": "none",
        "disable_tqdm": True,
        "use_cpu": rt.device == "cpu",
        # Every trainable parameter (LoRA or full) gets a gradient each step, so DDP need not search
        # the graph for unused ones (Trainer would, whenever gradient checkpointing is off).
        "ddp_find_unused_parameters": False,
    }
