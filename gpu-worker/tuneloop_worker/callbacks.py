"""Trainer callbacks: turn the training loop into `started`/`progress`/`eval`/`checkpoint` events.

Only global rank 0 reports (as TRL's RichProgressCallback does with `state.is_world_process_zero`),
and steps are optimizer steps (`state.global_step` of `state.max_steps`).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Callable

from transformers import TrainerCallback

from .events import Emitter

# Keys of Trainer's log dict that have their own field in a `progress` event, or mean nothing to the hub.
_PROGRESS_KEYS = {"loss", "learning_rate", "epoch", "grad_norm", "num_input_tokens_seen",
                  "train_tokens_per_second", "train_runtime"}
_EVAL_SKIP = {"eval_loss", "epoch", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second",
              "num_input_tokens_seen"}


def _numeric(d: dict[str, Any], skip: set[str]) -> dict[str, float]:
    return {k: float(v) for k, v in d.items() if k not in skip and isinstance(v, (int, float))
            and not isinstance(v, bool)}


class EventsCallback(TrainerCallback):
    """Emits events and remembers what the `done` event needs (last losses, best eval)."""

    def __init__(self, emitter: Emitter, started_fields: Callable[[], dict[str, Any]]) -> None:
        self.emitter = emitter
        self.started_fields = started_fields  # called at train begin, when the model is on its device
        self.last_train_loss: float | None = None
        self.last_eval_loss: float | None = None
        self.best_eval_loss: float | None = None
        self.best_step: int | None = None
        self.resumed_from_step = 0
        self._t0 = 0.0
        self._step0 = 0
        self._last_time = 0.0
        self._last_tokens = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self._t0 = self._last_time = time.monotonic()
        self._step0 = self.resumed_from_step = state.global_step
        self._last_tokens = state.num_input_tokens_seen or 0
        # On resume the trainer state (restored from the checkpoint) knows the best eval so far.
        if state.best_metric is not None and math.isfinite(state.best_metric):
            self.best_eval_loss, self.best_step = state.best_metric, state.best_global_step
        for entry in state.log_history:
            if "loss" in entry:
                self.last_train_loss = entry["loss"]
            if "eval_loss" in entry:
                self.last_eval_loss = entry["eval_loss"]
        if state.is_world_process_zero:
            self.emitter.emit("started", total_steps=state.max_steps, resumed_from_step=state.global_step,
                              **self.started_fields())
            if args.warmup_steps >= state.max_steps:
                self.emitter.warning(f"warmup_steps ({args.warmup_steps}) >= total steps ({state.max_steps}): "
                                     "the learning rate never reaches its configured value")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return  # eval logs and the final train summary have their own events
        self.last_train_loss = logs["loss"]
        if not state.is_world_process_zero:
            return
        now = time.monotonic()
        tokens = state.num_input_tokens_seen or 0
        elapsed = now - self._last_time
        tokens_per_second = (tokens - self._last_tokens) / elapsed if elapsed > 0 and tokens else None
        self._last_time, self._last_tokens = now, tokens
        done_steps = state.global_step - self._step0
        eta = (now - self._t0) / done_steps * (state.max_steps - state.global_step) if done_steps > 0 else None
        self.emitter.emit(
            "progress", step=state.global_step, total_steps=state.max_steps, epoch=state.epoch,
            loss=logs["loss"], learning_rate=logs.get("learning_rate"), grad_norm=logs.get("grad_norm"),
            tokens_per_second=tokens_per_second, tokens_seen=tokens, eta_seconds=eta,
            extra=_numeric(logs, _PROGRESS_KEYS))

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not metrics or "eval_loss" not in metrics:
            return
        loss = metrics["eval_loss"]
        self.last_eval_loss = loss
        # Trainer updates state.best_metric only after this callback, so we keep our own copy; it uses
        # the same rule (strictly lower is better) and so agrees with load_best_model_at_end.
        is_best = math.isfinite(loss) and (self.best_eval_loss is None or loss < self.best_eval_loss)
        if is_best:
            self.best_eval_loss, self.best_step = loss, state.global_step
        if state.is_world_process_zero:
            self.emitter.emit("eval", step=state.global_step, epoch=state.epoch, eval_loss=loss,
                              best_eval_loss=self.best_eval_loss, best_step=self.best_step, is_best=is_best,
                              extra=_numeric(metrics, _EVAL_SKIP))

    def on_save(self, args, state, control, **kwargs):
        # Called after Trainer wrote the whole checkpoint (trainer_state.json last), so it is resumable.
        if state.is_world_process_zero:
            path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
            self.emitter.emit("checkpoint", step=state.global_step, path=path,
                              is_best=state.best_global_step == state.global_step)


class FinalEvalCallback(TrainerCallback):
    """Evaluates and saves at the last step too, so the final weights can win the best-checkpoint race."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            control.should_evaluate = True
            control.should_save = True
        return control
