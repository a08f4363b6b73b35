"""`train` and `validate`: cheap checks first, heavy imports only once the config is known to be good."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from ..config import RunConfig, apply_params, load_config, range_warnings
from ..data import read_rows
from ..errors import WorkerError, report_failure
from ..events import Emitter, claim_stdout


def _check(config_path: str, emitter: Emitter) -> tuple[RunConfig, dict[str, Any]]:
    """Config, data files and range warnings; no torch. Raises WorkerError."""
    cfg = load_config(config_path)
    dpo = cfg.method == "dpo"
    n_train = len(read_rows(cfg.train_file, "train_file", dpo))
    n_valid = len(read_rows(cfg.validation_file, "validation_file", dpo))
    warnings = range_warnings(cfg)
    trials = 1
    if cfg.sweep is not None:
        from ..sweep import trial_params

        # Warn about what the trials will run with, not the values the sweep overrides.
        plan = trial_params(cfg.sweep, cfg.seed, emitter)
        trials = len(plan)
        warnings = [w for params in plan for w in range_warnings(apply_params(cfg, params))]
    for message in dict.fromkeys(warnings):  # ordered, without repeats
        emitter.warning(message)
    return cfg, {"method": cfg.method, "train_examples": n_train, "validation_examples": n_valid, "trials": trials}


def _cancel(signum: int, _frame: Any) -> None:
    raise WorkerError(f"cancelled by signal {signal.Signals(signum).name}; rerun with the same --out to resume",
                      "cancelled")


def run_validate(config_path: str) -> int:
    emitter = Emitter(claim_stdout())
    try:
        _cfg, summary = _check(config_path, emitter)
    except WorkerError as err:
        emitter.error(err.message, err.kind)
        return err.exit_code
    emitter.emit("valid", **summary)
    return 0


def run_train(config_path: str, out: str) -> int:
    started_at = time.monotonic()
    emitter = Emitter(claim_stdout())
    signal.signal(signal.SIGTERM, _cancel)
    try:
        cfg, _summary = _check(config_path, emitter)
        out = os.path.abspath(out)
        # Quiet, deterministic library behaviour before they are imported.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from ..runtime import detect

        rt = detect(cfg)
        if cfg.sweep is not None:
            from ..sweep import run_sweep

            result = run_sweep(cfg, out, rt, emitter, started_at)
        else:
            from ..runner import train_once

            result = train_once(cfg, out, rt, emitter)
        emitter.emit("done", **result)
        return 0
    except KeyboardInterrupt:
        emitter.error("cancelled by SIGINT; rerun with the same --out to resume", "cancelled")
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure must end as an `error` event
        return report_failure(emitter, exc)
