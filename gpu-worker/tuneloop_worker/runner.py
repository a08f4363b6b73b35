"""One training run into one output folder: resume or start, train, save, and describe the result.

Layout of OUT:
    run-config.json      the config this folder was trained with (a resume must match it)
    checkpoints/         checkpoint-N folders (Trainer), the best one kept besides the newest
    adapter/ | model/    the best weights (LoRA adapter, or the full model), with the tokenizer
    result.json          the `done` event's fields, written last
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from .checkpoints import prepare_resume, step_of
from .config import RunConfig
from .cost import CostMeter, cpu_seconds
from .errors import WorkerError
from .events import Emitter, is_main_process
from .modeling import final_dir
from .runtime import Runtime
from .trainer_args import checkpoints_dir

RESULT_FILE = "result.json"
CONFIG_FILE = "run-config.json"


def _comparable(cfg_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cfg_dict.items() if k not in ("resume", "sweep")}


def _check_same_config(cfg: RunConfig, out: str, has_checkpoints: bool) -> None:
    path = os.path.join(out, CONFIG_FILE)
    mine = _comparable(cfg.to_dict())
    if cfg.resume and has_checkpoints and os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            theirs = _comparable(json.load(fh))
        changed = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        if changed:
            raise WorkerError(
                f"{out} holds checkpoints of a run with a different config (changed: {', '.join(changed)}). "
                "Use a new --out folder, or set \"resume\": false to start over in this one.", "config")
    if is_main_process():
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(cfg.to_dict(), fh, indent=2)


def train_once(cfg: RunConfig, out: str, rt: Runtime, emitter: Emitter) -> dict[str, Any]:
    """Trains cfg into `out` and returns the `done` event's fields (also written to out/result.json)."""
    os.makedirs(out, exist_ok=True)
    ckpt_dir = checkpoints_dir(out)
    meter = CostMeter(rt)
    resume_from = None
    # Under accelerate every rank runs this; only rank 0 changes files, the others only read.
    if cfg.resume:
        resume_from, removed = prepare_resume(ckpt_dir, delete=is_main_process())
        for path in removed:
            emitter.warning(f"removed incomplete checkpoint {path} (the previous run stopped while saving it)")
    elif os.path.isdir(ckpt_dir) and is_main_process():
        shutil.rmtree(ckpt_dir)
    _check_same_config(cfg, out, resume_from is not None)
    if os.path.exists(os.path.join(out, RESULT_FILE)) and is_main_process():
        os.remove(os.path.join(out, RESULT_FILE))

    if cfg.method == "dpo":
        from .train_dpo import build_trainer
    else:
        from .train_sft import build_trainer
    trainer, events = build_trainer(cfg, out, rt, emitter)
    cpu_before = cpu_seconds()
    output = trainer.train(resume_from_checkpoint=resume_from)
    train_cpu = cpu_seconds() - cpu_before
    state = trainer.state

    target = final_dir(out, cfg)
    # load_best_model_at_end has put the best checkpoint's weights back into trainer.model.
    trainer.save_model(target)
    if trainer.is_world_process_zero():
        # DPO from adapter_init keeps a frozen "ref" copy of the starting adapter; serving needs only ours.
        shutil.rmtree(os.path.join(target, "ref"), ignore_errors=True)
        trainer.processing_class.save_pretrained(target)  # serving must use the same chat template

    best_step = step_of(state.best_model_checkpoint) or events.best_step
    steps = state.global_step
    result = {
        "best_checkpoint": state.best_model_checkpoint,
        "best_step": best_step,
        "best_fraction_of_training": best_step / steps if best_step and steps else None,
        "total_steps": state.max_steps,
        "steps_trained": steps,
        "resumed_from_step": events.resumed_from_step,
        "stopped_early": steps < state.max_steps,
        "metrics": {
            "final_train_loss": events.last_train_loss,
            "mean_train_loss": output.training_loss,
            "best_eval_loss": state.best_metric if state.best_metric is not None else events.best_eval_loss,
            "last_eval_loss": events.last_eval_loss,
        },
        "adapter_path": None if cfg.method == "full" else target,
        "model_path": target if cfg.method == "full" else None,
        "cost": meter.report(tokens_seen=int(state.num_input_tokens_seen or 0),
                             train_seconds=float(output.metrics.get("train_runtime", 0.0)),
                             train_cpu_seconds=train_cpu),
    }
    if trainer.is_world_process_zero():
        with open(os.path.join(out, RESULT_FILE), "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
    return result
