"""Hyperparameter sweeps: trials one after another under OUT/trials/<n>/, the best by eval loss wins.

Every event of a trial carries `trial` (1-based). After the last trial a `sweep_done` event lists
all trials side by side, the winner's weights are copied to OUT/adapter (or OUT/model), and the
run's own `done` event (without `trial`) describes that winner. A restarted sweep skips finished
trials (their result.json exists) and resumes the interrupted one from its checkpoint.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import sys
import traceback
from typing import Any

from .config import RunConfig, SweepSettings, apply_params
from .errors import WorkerError, as_worker_error
from .events import Emitter, is_main_process
from .modeling import final_dir
from .runner import CONFIG_FILE, RESULT_FILE, train_once
from .runtime import Runtime

# Failures that would repeat in every trial: stop the sweep instead of burning GPU hours.
_FATAL_KINDS = {"config", "data", "environment", "model"}


def trial_params(sweep: SweepSettings, seed: int, emitter: Emitter) -> list[dict[str, Any]]:
    keys = sorted(sweep.space)
    combos = [dict(zip(keys, values)) for values in itertools.product(*(sweep.space[k] for k in keys))]
    if sweep.strategy == "grid":
        if sweep.trials is not None and sweep.trials < len(combos):
            emitter.warning(f"sweep: grid has {len(combos)} combinations, running the first {sweep.trials} (trials)")
            return combos[: sweep.trials]
        return combos
    wanted = sweep.trials or 1
    if wanted >= len(combos):
        if wanted > len(combos):
            emitter.warning(f"sweep: only {len(combos)} distinct combinations exist; running each once")
        return random.Random(seed).sample(combos, len(combos))
    return random.Random(seed).sample(combos, wanted)


def _finished(out: str, cfg: RunConfig) -> dict[str, Any] | None:
    """The result of a trial that already completed with the same config, if any."""
    try:
        with open(os.path.join(out, RESULT_FILE), encoding="utf-8") as fh:
            result = json.load(fh)
        with open(os.path.join(out, CONFIG_FILE), encoding="utf-8") as fh:
            same = json.load(fh) == cfg.to_dict()
    except (OSError, ValueError):
        return None
    return result if same else None


def _merge_costs(results: list[dict[str, Any]], wall_seconds: float) -> dict[str, Any]:
    costs = [r["cost"] for r in results]
    gpu = [c["gpu_seconds"] for c in costs if c.get("gpu_seconds") is not None]
    return {
        "wall_seconds": wall_seconds,
        "train_seconds": sum(c["train_seconds"] for c in costs),
        "cpu_seconds": sum(c["cpu_seconds"] for c in costs),
        "train_cpu_seconds": sum(c["train_cpu_seconds"] for c in costs),
        "gpu_seconds": sum(gpu) if gpu else None,
        "gpu_count": max((c["gpu_count"] for c in costs), default=0),
        "tokens_seen": sum(c["tokens_seen"] for c in costs),
        "peak_memory_bytes": max(c["peak_memory_bytes"] for c in costs),
        "peak_memory_device": costs[0]["peak_memory_device"],
    }


def run_sweep(cfg: RunConfig, out: str, rt: Runtime, emitter: Emitter, started_at: float) -> dict[str, Any]:
    import time

    assert cfg.sweep is not None
    plan = trial_params(cfg.sweep, cfg.seed, emitter)
    rows: list[dict[str, Any]] = []
    results: dict[int, dict[str, Any]] = {}
    for n, params in enumerate(plan, start=1):
        tcfg = apply_params(cfg, params)
        tout = os.path.join(out, "trials", str(n))
        temit = emitter.with_tags(trial=n)
        row: dict[str, Any] = {"trial": n, "params": params, "path": tout}
        result = _finished(tout, tcfg) if cfg.resume else None
        if result is None:
            try:
                result = train_once(tcfg, tout, rt, temit)
                temit.emit("done", **result)
            except Exception as exc:  # noqa: BLE001 - one failed trial must not lose the others
                err = as_worker_error(exc)
                if err.kind in _FATAL_KINDS:
                    raise err from exc
                traceback.print_exc(file=sys.stderr)
                temit.error(err.message, err.kind)
                rows.append({**row, "status": "failed", "error_kind": err.kind, "best_eval_loss": None,
                             "best_step": None, "final_train_loss": None, "steps_trained": None,
                             "wall_seconds": None})
                continue
        results[n] = result
        rows.append({**row, "status": "done", "best_eval_loss": result["metrics"]["best_eval_loss"],
                     "best_step": result["best_step"], "final_train_loss": result["metrics"]["final_train_loss"],
                     "steps_trained": result["steps_trained"], "wall_seconds": result["cost"]["wall_seconds"]})

    scored = [r for r in rows if r["status"] == "done" and r["best_eval_loss"] is not None]
    if not scored:
        raise WorkerError(f"all {len(plan)} sweep trials failed; see their error events", "runtime")
    best = min(scored, key=lambda r: r["best_eval_loss"])
    source = final_dir(best["path"], cfg)
    target = final_dir(out, cfg)
    if is_main_process():
        if os.path.isdir(target):
            shutil.rmtree(target)
        shutil.copytree(source, target)  # a copy, not a link: the hub may move or prune trial folders
    emitter.emit("sweep_done", strategy=cfg.sweep.strategy, best_trial=best["trial"],
                 best_params=best["params"], trials=rows)

    winner = results[best["trial"]]
    final = {**winner, "best_trial": best["trial"], "trial_count": len(plan),
             "adapter_path": None if cfg.method == "full" else target,
             "model_path": target if cfg.method == "full" else None,
             "cost": _merge_costs(list(results.values()), time.monotonic() - started_at)}
    if is_main_process():
        with open(os.path.join(out, RESULT_FILE), "w", encoding="utf-8") as fh:
            json.dump(final, fh, indent=2)
    return final
